"""Events written together (`audit_together`, issue 12): the events a block records are written
when it ends, one INSERT and one seal per chain, in the caller's transaction; nothing is written
when the block fails, and an event made in a savepoint the block rolled back is dropped. The
claim page writes its read and its ledger's read that way."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.test.utils import CaptureQueriesContext

from bureau.audit import chain
from bureau.audit.models import AuditAction, AuditEvent
from bureau.audit.services import AuditWriteOutsideTransaction, audit_record, audit_together
from bureau.claims.models import Claim
from bureau.conftest import verified_client
from bureau.tenancy.models import Workspace
from bureau.workqueues.tests import helpers as h

pytestmark = pytest.mark.django_db


def _inserts(ctx: CaptureQueriesContext) -> list[str]:
    return [
        q["sql"]
        for q in ctx.captured_queries
        # A read page's events on PostgreSQL: inserted sealed by the statement moving the head.
        if q["sql"].startswith('INSERT INTO "audit_auditevent"')
        or ('INSERT INTO "audit_auditevent"' in q["sql"] and q["sql"].lstrip().startswith("WITH"))
    ]


def _record(workspace: Workspace, n: int) -> None:
    audit_record(action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="t", detail={"n": n})


@pytest.fixture
def workspace() -> Workspace:
    return Workspace.objects.create(name="Together", slug="together")


def test_the_events_of_a_block_are_written_in_one_insert_when_it_ends(workspace):
    with CaptureQueriesContext(connection) as ctx, audit_together():
        _record(workspace, 1)
        _record(workspace, 2)
        assert not AuditEvent.objects.filter(workspace=workspace).exists()  # not yet
    assert len(_inserts(ctx)) == 1, _inserts(ctx)
    written = AuditEvent.objects.filter(workspace=workspace).order_by("seq")
    assert [e.detail["n"] for e in written] == [1, 2]
    assert chain.audit_verify_chain(workspace.pk) is None


def test_a_block_that_fails_writes_nothing(workspace):
    with pytest.raises(RuntimeError), audit_together():
        _record(workspace, 1)
        raise RuntimeError("the read failed after recording")
    assert not AuditEvent.objects.filter(workspace=workspace).exists()


def test_an_event_of_a_rolled_back_savepoint_is_dropped(workspace):
    with audit_together():
        _record(workspace, 1)
        try:
            with transaction.atomic():
                _record(workspace, 2)
                raise ValueError("rolled back")
        except ValueError:
            pass
        _record(workspace, 3)
    written = AuditEvent.objects.filter(workspace=workspace).order_by("seq")
    assert [e.detail["n"] for e in written] == [1, 3]
    assert chain.audit_verify_chain(workspace.pk) is None


def test_a_block_outside_a_transaction_is_refused(monkeypatch):
    """Else a transaction inside it would commit its change before the events were written."""
    # As outside a request's transaction (the wrapper itself: `connection` is a proxy).
    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "in_atomic_block", False)
    with pytest.raises(AuditWriteOutsideTransaction), audit_together():
        pass


def test_events_outside_a_block_are_still_written_at_once(workspace):
    _record(workspace, 1)
    assert AuditEvent.objects.filter(workspace=workspace).count() == 1


def test_the_claim_page_writes_its_two_reads_in_one_insert():
    practices = [p.pk for p in h.summit()]
    claim: Any = h.system(Claim, practices).order_by("id").first()
    client = verified_client("sam.supervisor")
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(f"/claims/{claim.public_id}/")
    assert response.status_code == 200
    assert len(_inserts(ctx)) == 1, _inserts(ctx)
    written = AuditEvent.objects.filter(id__gt=before).order_by("id")
    assert [(e.action, e.record_ids) for e in written] == [
        (AuditAction.CLAIM_VIEWED, [str(claim.public_id)]),
        (AuditAction.LEDGER_VIEWED, [str(claim.public_id)]),
    ]
