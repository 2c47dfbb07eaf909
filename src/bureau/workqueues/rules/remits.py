"""Rules whose subject came back on an 835: denials, posting review, ERA exceptions,
underpayments."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.db.models import Q
from django.db.models.functions import Coalesce

from bureau.denials.models import Denial, DenialStatus
from bureau.remittance.models import EraException, EraLine, ExceptionReason, ExceptionStatus
from bureau.workqueues.models import SubjectKind
from bureau.workqueues.rules.base import ZERO, Desired, Narrow, PracticeFacts, money, within

REASON = "work queue: which records call for work"
# A denial still being worked: an appeal sent is followed until the payer answers.
WORKED = (DenialStatus.OPEN, DenialStatus.IN_PROGRESS, DenialStatus.APPEALED)


def _system(model: Any, facts: PracticeFacts) -> Any:
    return model.objects.for_system([facts.practice.pk], reason=REASON).filter(
        practice_id=facts.practice.pk
    )


# -- denials -------------------------------------------------------------------------------------


def denials(facts: PracticeFacts, narrow: Narrow) -> Iterator[Desired]:
    """A claim with denials still being worked is ONE item however many lines were denied:
    the lines show on it with their CARC and amount; the largest names the category."""
    if narrow.claim_ids is None and not narrow.everything:
        return
    rows = (
        _system(Denial, facts)
        .filter(status__in=WORKED)
        .filter(within(narrow.claim_ids, "claim_id"))
        .values(
            "claim_id",
            "payer_id",
            "amount",
            "carc",
            "group_code",
            "category",
            "denied_on",
            "created_at",
            "status",
            "claim__number",
            "claim__payer_id",
            "claim__encounter__date_of_service",
        )
    )
    by_claim: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_claim[row["claim_id"]].append(row)
    for claim_id, lines in by_claim.items():
        top = max(lines, key=lambda r: r["amount"])
        first = min(lines, key=lambda r: r["denied_on"])
        payer_id = top["payer_id"] or top["claim__payer_id"]
        amount = money(sum((r["amount"] for r in lines), ZERO))
        appealed = all(r["status"] == DenialStatus.APPEALED for r in lines)
        yield Desired(
            subject_kind=SubjectKind.CLAIM,
            subject_key=f"claim:{claim_id}",
            title=(
                f"{'Appealed' if appealed else 'Denied'} {top['group_code']}-{top['carc']}"
                f" ({top['category'].replace('_', ' ')})"
                + (f" on {len(lines)} lines" if len(lines) > 1 else "")
            ),
            amount=amount,
            opened_at=min(r["created_at"] for r in lines),
            payer_id=payer_id,
            claim_id=claim_id,
            category=top["category"],
            carc=top["carc"][:5],
            facts={"lines": len(lines), "appealed": appealed},
            clocks=facts.claim_clocks(
                payer_id=payer_id,
                date_of_service=top["claim__encounter__date_of_service"],
                accepted_on=first["denied_on"],
                determined_on=first["denied_on"],
                carc=top["carc"],
                group_code=top["group_code"],
            ),
        )


# -- ERAs: posting review and exceptions ---------------------------------------------------------


def era_items(narrow: Narrow) -> Q | None:
    if narrow.era_ids is None and not narrow.everything:
        return None
    return within(narrow.era_ids, "era_id")


def _open_exceptions(facts: PracticeFacts, narrow: Narrow, holds: bool) -> Any:
    qs = (
        _system(EraException, facts)
        .filter(status=ExceptionStatus.OPEN)
        .filter(within(narrow.era_ids, "era_id"))
    )
    reason = Q(reason=ExceptionReason.POLICY_HOLD)
    return qs.filter(reason) if holds else qs.exclude(reason)


def posting_review(facts: PracticeFacts, narrow: Narrow) -> Iterator[Desired]:
    """An ERA held by the practice's no-auto-post policy: one item per ERA, the poster reviews
    the held claims and posts them."""
    if narrow.era_ids is None and not narrow.everything:
        return
    held: dict[int, list[dict[str, Any]]] = defaultdict(list)
    rows = _open_exceptions(facts, narrow, holds=True).values(
        "era_id",
        "amount",
        "created_at",
        "era__payer_id",
        "era__payer_name",
        "era__trace_number",
        "era__payment_amount",
    )
    for row in rows:
        held[row["era_id"]].append(row)
    for era_id, claims in held.items():
        first = claims[0]
        yield Desired(
            subject_kind=SubjectKind.ERA,
            subject_key=f"era:{era_id}",
            title=(
                f"Review before posting: {len(claims)} claim(s) on {first['era__payer_name']}"
                f" payment {first['era__trace_number']}"
            )[:200],
            amount=money(sum((r["amount"] for r in claims), ZERO)),
            opened_at=min(r["created_at"] for r in claims),
            payer_id=first["era__payer_id"],
            era_id=era_id,
            facts={"held_claims": len(claims), "payment": str(first["era__payment_amount"])},
        )


def era_exceptions(facts: PracticeFacts, narrow: Narrow) -> Iterator[Desired]:
    """Each open exception (unmatched claim or line, takeback, balance, overpayment)."""
    if narrow.era_ids is None and not narrow.everything:
        return
    rows = _open_exceptions(facts, narrow, holds=False).values(
        "pk", "era_id", "claim_id", "reason", "detail", "amount", "created_at", "era__payer_id"
    )
    for row in rows:
        yield Desired(
            subject_kind=SubjectKind.ERA_EXCEPTION,
            subject_key=f"exception:{row['pk']}",
            title=f"{ExceptionReason(row['reason']).label}: {row['detail']}"[:200],
            amount=money(abs(row["amount"])),
            opened_at=row["created_at"],
            payer_id=row["era__payer_id"],
            era_id=row["era_id"],
            era_exception_id=row["pk"],
            claim_id=row["claim_id"],
            facts={"reason": row["reason"]},
        )


# -- underpayments -------------------------------------------------------------------------------
# An underpaid ERA line (of `EraLine`): its allowed amount fell short of the contract beyond the
# practice's tolerance when the ERA was posted (`remittance.underpayments` sets `underpaid_by`),
# and it is not a payer's reversal (CLP02 = 22 takes a payment back, it underpays nothing).
# The work queue's items and the underpayments report both read this one condition.
UNDERPAID_LINE = Q(underpaid_by__gt=0) & ~Q(era_claim__status_code="22")


def underpayment_payer() -> Coalesce:
    """The payer an underpaid line is worked against: the ERA's, else the claim's."""
    return Coalesce("era_claim__era__payer_id", "era_claim__claim__payer_id")


def underpayment_items(narrow: Narrow) -> Q | None:
    if narrow.everything:
        return Q()
    condition = Q(pk__in=[])
    if narrow.claim_ids:
        condition |= within(narrow.claim_ids, "claim_id")
    if narrow.era_ids:
        condition |= within(narrow.era_ids, "era_id")
    return condition if (narrow.claim_ids or narrow.era_ids) else None


def underpayments(facts: PracticeFacts, narrow: Narrow) -> Iterator[Desired]:
    """An ERA line whose allowed amount fell short of the contract (beyond the tolerance): the
    difference is recovered by appeal or accepted, and the person working it says which."""
    if narrow.everything:
        where = Q()
    elif narrow.claim_ids or narrow.era_ids:
        where = Q(pk__in=[])
        if narrow.claim_ids:
            where |= within(narrow.claim_ids, "era_claim__claim_id")
        if narrow.era_ids:
            where |= within(narrow.era_ids, "era_claim__era_id")
    else:
        return
    rows = (
        _system(EraLine, facts)
        .filter(UNDERPAID_LINE)
        .filter(where)
        .values(
            "pk",
            "procedure_code",
            "expected",
            "allowed",
            "paid",
            "underpaid_by",
            "era_claim__claim_id",
            "era_claim__era_id",
            "era_claim__era__payer_id",
            "era_claim__era__payment_date",
            "era_claim__era__received_at",
            "era_claim__claim__payer_id",
            "era_claim__claim__encounter__date_of_service",
        )
    )
    for row in rows:
        payer_id = row["era_claim__era__payer_id"] or row["era_claim__claim__payer_id"]
        claim_id = row["era_claim__claim_id"]
        clocks = []
        if payer_id is not None and claim_id is not None:
            paid_on = row["era_claim__era__payment_date"]
            clocks = facts.claim_clocks(
                payer_id=payer_id,
                date_of_service=row["era_claim__claim__encounter__date_of_service"],
                accepted_on=paid_on,
                determined_on=paid_on,
            )
        yield Desired(
            subject_kind=SubjectKind.CLAIM_LINE,
            subject_key=f"eraline:{row['pk']}",
            title=(
                f"Underpaid {row['procedure_code'][:12]}: allowed ${row['allowed'] or 0}"
                f" against ${row['expected']} contracted"
            ),
            amount=money(row["underpaid_by"]),
            opened_at=row["era_claim__era__received_at"],
            payer_id=payer_id,
            claim_id=claim_id,
            era_id=row["era_claim__era_id"],
            era_line_id=row["pk"],
            facts={
                "expected": str(row["expected"]),
                "allowed": str(row["allowed"]),
                "paid": str(row["paid"]),
                "difference": str(row["underpaid_by"]),
            },
            clocks=clocks,
        )
