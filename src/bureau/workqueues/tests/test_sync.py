"""The refresh: drift a service failed to sync is reported and mended, and a second refresh
finds none; claims past their expiry and pends past their date go back to the pool, with
history."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from bureau import clock
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import Claim, ClaimState
from bureau.conftest import ON_POSTGRES
from bureau.remittance.tests import builders as b
from bureau.tenancy.roles import Capability
from bureau.workqueues import services
from bureau.workqueues.functions import Function
from bureau.workqueues.models import EventKind, ItemStatus, WorkItem, WorkItemEvent
from bureau.workqueues.sla import local_date
from bureau.workqueues.tests import helpers as h
from bureau.workqueues.tests.test_rules import enrolled_payers

pytestmark = pytest.mark.django_db
F = Function

get = h.stored
kinds = h.event_kinds


@pytest.fixture
def world():
    """Follow-up items for the seed's silent claims, and three rejected claims."""
    practice = h.summit()[0]
    payer = enrolled_payers(practice)[0]
    rejected = b.submitted_claims(practice, payer, count=3)
    for claim in rejected:
        h.reject(claim)
    h.followup_items()
    assert h.refresh_all().drift == 0  # settled
    return practice, rejected


def test_injected_drift_is_reported_and_mended_and_then_there_is_none(world):
    practice, (deleted, changed, moved) = world
    by_claim = {i.claim_id: i for i in h.live([practice.pk], function=F.REJECTIONS)}
    assert set(by_claim) >= {deleted.pk, changed.pk, moved.pk}
    items = h.system(WorkItem, [practice.pk])
    # 1. An item deleted behind the engine's back (its history with it).
    h.system(WorkItemEvent, [practice.pk]).filter(item=by_claim[deleted.pk]).delete()
    items.filter(pk=by_claim[deleted.pk].pk).delete()
    # 2. An item's dollars changed.
    items.filter(pk=by_claim[changed.pk].pk).update(amount=Decimal("1.00"))
    # 3. The claim moved on (resubmitted) but no service synced its item.
    h.system(Claim, [practice.pk]).filter(pk=moved.pk).update(state=ClaimState.SUBMITTED)
    # 4. An item no record calls for: a draft claim "rejected".
    draft = h.system(Claim, [practice.pk]).filter(state=ClaimState.DRAFT).first()
    assert draft is not None
    template = by_claim[changed.pk]
    bogus = WorkItem.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        function=F.REJECTIONS,
        subject_kind="claim",
        subject_key=f"claim:{draft.pk}",
        claim=draft,
        title="Rejected out of nowhere",
        amount=Decimal("5.00"),
        opened_on=template.opened_on,
        sla_due=template.sla_due,
    )
    report = h.refresh_all()
    assert report.opened == {F.REJECTIONS: 1}
    assert report.changed == {F.REJECTIONS: 1}
    assert report.closed == {F.REJECTIONS: 2}
    assert report.drift == 4
    # Mended: the deleted item is back, the amount right, the stale and bogus items closed.
    [back] = h.live([practice.pk], function=F.REJECTIONS, claim=deleted)
    assert kinds(back) == [EventKind.OPENED]
    assert get(by_claim[changed.pk]).amount == changed.total_charge
    for item in (by_claim[moved.pk], bogus):
        closed = get(item)
        assert closed.status == ItemStatus.DONE and closed.resolution == "refresh: recomputed"
        assert kinds(item)[-1] == EventKind.DONE
    synced = AuditEvent.objects.filter(
        action=AuditAction.WORKITEMS_SYNCED, practice=practice
    ).order_by("-id")
    assert synced.exists() and synced[0].detail["closed"] == {F.REJECTIONS: 2}
    again = h.refresh_all()
    assert again.drift == 0 and again.returned == 0


def test_the_command_prints_what_it_mended(world):
    practice, (claim, *_) = world
    [item] = h.live([practice.pk], function=F.REJECTIONS, claim=claim)
    h.system(WorkItem, [practice.pk]).filter(pk=item.pk).update(title="tampered")
    out = StringIO()
    call_command("workqueue", "refresh", "--workspace", "summit", stdout=out)
    [line] = out.getvalue().splitlines()
    summary = json.loads(line)
    assert summary["workspace"] == "summit" and summary["drift"] == 1
    assert summary["changed"] == {F.REJECTIONS: 1}
    assert get(item).title != "tampered"


def test_an_expired_claim_and_an_ended_pend_return_to_the_pool(world):
    practice, (claim, pended_claim, _) = world
    biller = h.actor("bella.biller")
    assert biller.can(Capability.CLAIMS_EDIT, practice.pk)
    [held] = h.live([practice.pk], function=F.REJECTIONS, claim=claim)
    [pended] = h.live([practice.pk], function=F.REJECTIONS, claim=pended_claim)
    services.item_claim(actor=biller, public_id=held.public_id)
    tomorrow = local_date(clock.now(), practice.timezone) + timedelta(days=1)
    services.items_pend(
        actor=biller, public_ids=[pended.public_id], until=tomorrow, reason="Waiting for records"
    )
    # Not yet: the claim runs and the pend waits.
    assert h.refresh_all().returned == 0
    assert get(held).status == ItemStatus.CLAIMED and get(pended).status == ItemStatus.PENDED
    items = h.system(WorkItem, [practice.pk])
    items.filter(pk=held.pk).update(claimed_until=timezone.now() - timedelta(minutes=1))
    # The pend's day has begun where the practice is.
    items.filter(pk=pended.pk).update(resumes_at=timezone.now() - timedelta(minutes=1))
    report = h.refresh_all()
    assert report.returned == 2 and report.drift == 0
    for item, event in ((held, EventKind.EXPIRED), (pended, EventKind.RESUMED)):
        back = get(item)
        assert back.status == ItemStatus.OPEN
        assert back.assignee_id is None and back.claimed_until is None and back.pended_until is None
        assert kinds(item)[-1] == event
    assert h.refresh_all().returned == 0


def test_batched_hooks_sync_once_at_the_end_and_not_at_all_when_the_run_fails():
    from bureau.workqueues.hooks import batched

    practice = h.summit()[0]
    b.autopost(practice)
    payer = enrolled_payers(practice)[0]
    first, second, third = b.submitted_claims(practice, payer, count=3)
    synced = AuditEvent.objects.filter(action=AuditAction.WORKITEMS_SYNCED)
    before = synced.count()

    with batched("simulated week"):
        h.ingest(practice, payer, [h.denied(first)])
        h.ingest(practice, payer, [h.denied(second)])
        assert not h.live([practice.pk], function=Function.DENIALS)  # not yet: at the end
    denied = {i.claim_id for i in h.live([practice.pk], function=Function.DENIALS)}
    assert denied == {first.pk, second.pk}
    # One sync for both ERAs' denials, under the run's name.
    made = list(synced.order_by("id")[before:])
    assert len(made) == 1 and made[0].detail["cause"] == "simulated week"

    with pytest.raises(RuntimeError), batched("a run that fails"):
        h.ingest(practice, payer, [h.denied(third)])
        raise RuntimeError("the run stops")
    assert third.pk not in {i.claim_id for i in h.live([practice.pk], function=Function.DENIALS)}
    # Outside a batch the hooks sync at once again; the refresh mends what the failed run left.
    assert h.refresh_all().opened == {Function.DENIALS: 1}


@pytest.mark.skipif(not ON_POSTGRES, reason="planner statistics are PostgreSQL's")
def test_the_runtime_role_can_bring_the_items_statistics_up_to_date():
    """ANALYZE needs the table's owner; the app role goes through migration 0003's function,
    which a refresh calls after a large change (so the queue page's plan is not an empty
    table's)."""
    from django.db import connection

    from bureau.tenancy.models import Practice
    from bureau.workqueues.sync import analyze_items

    h.followup_items()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        assert cursor.fetchone()[0] == settings.BUREAU_DB_APP_ROLE  # not the owner
        analyze_items()
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'workqueues_workitem'")
        estimated = cursor.fetchone()[0]
    assert estimated == h.system(WorkItem, Practice.objects.values_list("pk", flat=True)).count()
