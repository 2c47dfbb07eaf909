"""What the write-off tests share: a denied claim on the ledger, settings, reads by the system."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bureau.billing.models import WriteOffRequest
from bureau.claims.models import Claim, ClaimLine
from bureau.configuration.services import setting_set
from bureau.denials.models import Denial
from bureau.denials.tests.test_views import actor
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.tests.test_views import Scenario, ingest_scenario
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

__all__ = ["actor"]


def denied_claim(practice: Practice | None = None) -> Scenario:
    """A posted ERA whose second claim is denied on two lines (CO-50: 110.00 and 12.00)."""
    return ingest_scenario(practice, unmatched=False)


def lines_of(claim: Claim) -> list[ClaimLine]:
    with rls.practice_scope([claim.practice_id]):
        return list(
            ClaimLine.objects.for_system([claim.practice_id], reason="test")
            .filter(claim_id=claim.pk)
            .order_by("line_number")
        )


def entries(claim: Claim, kind: str | None = None) -> list[dict[str, Any]]:
    with rls.practice_scope([claim.practice_id]):
        qs = LedgerEntry.objects.for_system([claim.practice_id], reason="test").filter(
            claim_id=claim.pk
        )
        if kind is not None:
            qs = qs.filter(kind=kind)
        return list(
            qs.order_by("claim_line_id", "sequence").values(
                "claim_line_id", "kind", "amount", "balance_after", "reverses_id", "note"
            )
        )


def balance(claim: Claim) -> Decimal:
    rows = entries(claim)
    last: dict[int, Decimal] = {}
    for row in rows:
        last[row["claim_line_id"]] = row["balance_after"]
    return sum(last.values(), Decimal("0.00"))


def write_offs(claim: Claim) -> list[Decimal]:
    return [row["amount"] for row in entries(claim, EntryKind.WRITE_OFF)]


def reload(request: WriteOffRequest) -> WriteOffRequest:
    with rls.practice_scope([request.practice_id]):
        return WriteOffRequest.objects.for_system([request.practice_id], reason="test").get(
            pk=request.pk
        )


def denials_of_claim(claim: Claim) -> list[Denial]:
    with rls.practice_scope([claim.practice_id]):
        return list(
            Denial.objects.for_system([claim.practice_id], reason="test")
            .filter(claim_id=claim.pk)
            .order_by("id")
        )


def set_limit(practice: Practice | None, value: str) -> None:
    """`writeoffs.auto_approve_limit` at the practice (or, with None, the workspace) level."""
    setting_set(
        actor=actor("olivia.owner"),
        practice=practice,
        key="writeoffs.auto_approve_limit",
        value=value,
        reason="test",
    )
