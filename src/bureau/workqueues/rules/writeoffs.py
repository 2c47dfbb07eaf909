"""Write-off approvals: a request above the practice's auto-approve limit waits here for
someone holding `writeoffs.approve` until it is approved or refused (billing/)."""

from __future__ import annotations

from collections.abc import Iterator

from django.db.models import Q

from bureau.billing.models import WriteOffRequest, WriteOffStatus
from bureau.workqueues.models import SubjectKind
from bureau.workqueues.rules.base import Desired, Narrow, PracticeFacts, money, within

REASON = "work queue: write-offs waiting for approval"


def writeoff_items(facts: PracticeFacts, narrow: Narrow) -> Q | None:
    if narrow.claim_ids is None and not narrow.everything:
        return None
    return within(narrow.claim_ids, "claim_id")


def writeoff_approvals(facts: PracticeFacts, narrow: Narrow) -> Iterator[Desired]:
    """One item per pending request (a claim may have several): it closes by itself once the
    request is decided, since the rule no longer wants it."""
    if narrow.claim_ids is None and not narrow.everything:
        return
    rows = (
        WriteOffRequest.objects.for_system([facts.practice.pk], reason=REASON)
        .filter(practice_id=facts.practice.pk, status=WriteOffStatus.PENDING)
        .filter(within(narrow.claim_ids, "claim_id"))
        .values(
            "pk",
            "public_id",
            "claim_id",
            "claim__payer_id",
            "amount",
            "reason",
            "requested_at",
            "requested_by__username",
        )
    )
    role = str(facts.setting("writeoffs.approver_role"))
    for row in rows:
        yield Desired(
            subject_kind=SubjectKind.CLAIM,
            subject_key=f"writeoff:{row['pk']}",
            title=(
                f"Write-off {money(row['amount'])} ({row['reason'].replace('_', ' ')}) "
                f"requested by {row['requested_by__username']}"
            )[:200],
            amount=money(row["amount"]),
            opened_at=row["requested_at"],
            payer_id=row["claim__payer_id"],
            claim_id=row["claim_id"],
            facts={"writeoff": str(row["public_id"]), "approver_role": role},
        )
