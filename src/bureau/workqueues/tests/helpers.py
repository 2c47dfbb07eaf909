"""Records that call for work, made the way the services make them, for the work queue's
tests (and the authorization matrix's "workitem" records)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F

from bureau.claims.models import Acknowledgement, Claim, ClaimState
from bureau.directory.models import Payer
from bureau.remittance.models import Era
from bureau.remittance.services import ingest_remittances
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.workqueues.models import LIVE_STATUSES, WorkItem, WorkItemEvent
from bureau.workqueues.sync import SyncReport, refresh, sync_records

REASON = "test: work queue"
D = Decimal


def system(model: Any, practice_ids: Iterable[int]) -> Any:
    ids = sorted(set(practice_ids))
    rls.activate(ids)
    return model.objects.for_system(ids, reason=REASON).filter(practice_id__in=ids)


def actor(username: str) -> Actor:
    from bureau.accounts.models import User

    found = resolve_actor(User.objects.get(username=username))
    assert found is not None
    return found


def summit() -> list[Practice]:
    return b.summit()


def workspace_of(practice: Practice) -> Workspace:
    return Workspace.objects.get(pk=practice.workspace_id)


def age(claims: Any, days: int) -> None:
    """Move the claims' last change `days` back: silence that has lasted that long."""
    claims.update(updated_at=F("updated_at") - timedelta(days=days))


def age_submitted(practice_ids: Iterable[int], days: int = 3) -> None:
    age(system(Claim, practice_ids).filter(state=ClaimState.SUBMITTED), days)


def refresh_all() -> SyncReport:
    report = SyncReport()
    for workspace in Workspace.objects.order_by("pk"):
        report.add(refresh(workspace=workspace))
    rls.activate([])  # requests get no help from the test's own scope
    return report


def followup_items() -> SyncReport:
    """Every seeded submitted claim three days without an acknowledgement: follow-up items."""
    age_submitted(Practice.objects.values_list("pk", flat=True))
    return refresh_all()


def live(practice_ids: Iterable[int], **filters: Any) -> list[WorkItem]:
    found = list(
        system(WorkItem, practice_ids)
        .filter(status__in=LIVE_STATUSES, **filters)
        .order_by("-priority", "-id")
    )
    rls.activate([])
    return found


def stored(item: WorkItem) -> WorkItem:
    """The item as it is stored now."""
    found = system(WorkItem, [item.practice_id]).get(pk=item.pk)
    rls.activate([])
    return found


def event_kinds(item: WorkItem) -> list[str]:
    """The item's history, oldest first: the kinds of its events."""
    found = list(
        system(WorkItemEvent, [item.practice_id])
        .filter(item_id=item.pk)
        .order_by("occurred_at", "id")
        .values_list("kind", flat=True)
    )
    rls.activate([])
    return found


def sync(practice: Practice, **narrow: Any) -> SyncReport:
    report = sync_records(
        actor=None, workspace=workspace_of(practice), practice_ids=[practice.pk], **narrow
    )
    rls.activate([])
    return report


def claim_state(claim: Claim, state: str, *, days_ago: int = 0) -> None:
    """What a service does to a claim's state (the item then follows through `sync`)."""
    qs = system(Claim, [claim.practice_id]).filter(pk=claim.pk)
    qs.update(state=state)
    if days_ago:
        age(qs, days_ago)


def reject(claim: Claim, code: str = "A7:21", message: str = "Missing subscriber ID") -> None:
    """A 277CA rejection of the claim, as the acknowledgement reader records it."""
    with rls.practice_scope([claim.practice_id]):
        _acknowledge(claim, code, message)
    claim_state(claim, ClaimState.REJECTED)


def _acknowledge(claim: Claim, code: str, message: str) -> None:
    Acknowledgement.objects.create(
        workspace_id=claim.workspace_id,
        practice_id=claim.practice_id,
        kind="277CA",
        claim=claim,
        accepted=False,
        status_code=code,
        message=message,
        file_name="test.277",
    )


def ingest(practice: Practice, payer: Payer, payments: list[Any]) -> Era:
    result = ingest_remittances(
        actor=None,
        workspace=workspace_of(practice),
        remittances=[b.remittance(practice, payer, payments)],
        file_name="workqueue-test.835",
    )
    era = system(Era, [practice.pk]).get(pk=result.eras[0].era_id)
    rls.activate([])
    return era


def denied(claim: Claim, carc: str = "50") -> Any:
    """A payment denying every line of the claim (CO-`carc`)."""
    return b.paid_claim(
        claim,
        [b.svc(ln, "0.00", ("CO", carc, str(ln.charge))) for ln in b.lines_of(claim)],
        status="4",
        payer_claim_number=f"PCN-{claim.number}",
    )


def paid(claim: Claim) -> Any:
    return b.paid_claim(claim, [b.svc(ln, str(ln.charge)) for ln in b.lines_of(claim)])
