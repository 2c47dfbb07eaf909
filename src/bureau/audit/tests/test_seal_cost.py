"""A page's seal is one read and one write (issue 12): the waiting events are read with the
chain's head beside them, in one statement, and a seal with nothing waiting reads once and
stops. The chain it leaves still verifies."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bureau.audit import chain
from bureau.audit.models import AuditAction, AuditChainHead
from bureau.audit.services import audit_record
from bureau.tenancy.models import Workspace

pytestmark = pytest.mark.django_db

SKIP = ("SAVEPOINT", "RELEASE", "BEGIN", "COMMIT", "ROLLBACK")


def _statements(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if not q["sql"].upper().startswith(SKIP)]


def _write(workspace: Workspace, n: int) -> None:
    for i in range(n):
        audit_record(
            action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="test", detail={"n": i}
        )


@pytest.mark.parametrize("waiting", [1, 3])
def test_a_seal_reads_the_head_with_the_waiting_events_then_writes_once(monkeypatch, waiting):
    workspace = Workspace.objects.create(name="Seal cost", slug="seal-cost")
    _write(workspace, 1)  # sealed at once (the audit tests' conftest): the head exists
    monkeypatch.setattr(chain, "_seal_after_commit", lambda workspace_id: None)
    _write(workspace, waiting)
    with CaptureQueriesContext(connection) as ctx:
        assert chain.seal(workspace.pk) == waiting
    sql = _statements(ctx)
    reads = [s for s in sql if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1 and "audit_auditchainhead" in reads[0], sql
    assert len(sql) == (2 if connection.vendor == "postgresql" else 3), sql  # SQLite: 2 UPDATEs
    head = AuditChainHead.objects.get(chain=chain.chain_name(workspace.pk))
    assert head.seq == 1 + waiting
    assert chain.audit_verify_chain(workspace.pk) is None


def test_a_seal_with_nothing_waiting_reads_once():
    workspace = Workspace.objects.create(name="Seal idle", slug="seal-idle")
    _write(workspace, 2)
    with CaptureQueriesContext(connection) as ctx:
        assert chain.seal(workspace.pk) == 0
    assert len(_statements(ctx)) == 1
    assert chain.audit_verify_chain(workspace.pk) is None


def test_a_chain_without_a_head_gets_one_and_is_sealed(monkeypatch):
    workspace = Workspace.objects.create(name="Seal new", slug="seal-new")
    monkeypatch.setattr(chain, "_seal_after_commit", lambda workspace_id: None)
    _write(workspace, 2)
    AuditChainHead.objects.filter(chain=chain.chain_name(workspace.pk)).delete()
    assert chain.seal(workspace.pk) == 2
    assert AuditChainHead.objects.get(chain=chain.chain_name(workspace.pk)).seq == 2
    assert chain.audit_verify_chain(workspace.pk) is None


def test_the_global_chain_is_sealed_by_the_same_one_read(monkeypatch):
    """Events with no workspace (the global chain): the seal's SQL for `workspace_id IS NULL`."""
    audit_record(action=AuditAction.SYSTEM_SEEDED, label="test")  # sealed at once: a head
    monkeypatch.setattr(chain, "_seal_after_commit", lambda workspace_id: None)
    audit_record(action=AuditAction.SYSTEM_SEEDED, label="test", detail={"n": 2})
    with CaptureQueriesContext(connection) as ctx:
        assert chain.seal(None) == 1
    reads = [s for s in _statements(ctx) if s.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, reads
    assert chain.audit_verify_chain(None) is None
