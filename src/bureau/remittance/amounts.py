"""Posting a claim's amounts to the ledger — shared by ERA posting and exception resolution.

Per line: PAYMENT −paid; each CAS: PR → PATIENT_RESPONSIBILITY, any other group → ADJUSTMENT
(negative, with group and CARC). Claim-level CAS amounts (and the payment of a claim sent
without service lines) are spread over the claim's lines in line order, each up to the line's
remaining balance; whatever is left lands on the last line, so nothing the payer reported is
dropped. A reversal (CLP02 = 22) repeats each earlier non-charge entry with the opposite sign.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bureau.claims.models import ClaimLine, ClaimState
from bureau.ledger import services as ledger_services
from bureau.ledger.models import EntryKind
from bureau.ledger.services import LedgerAppender
from bureau.x12.remit835 import Adjustment

ZERO = Decimal("0.00")
S = ClaimState


@dataclass
class LineAmounts:
    line: ClaimLine
    paid: Decimal
    adjustments: list[tuple[str, str, Decimal]]  # (group, CARC, amount) as received


def adjustments_json(adjustments: Sequence[Adjustment]) -> list[dict[str, str]]:
    return [{"group": a.group, "reason": a.reason, "amount": str(a.amount)} for a in adjustments]


def adjustments_from_json(rows: Sequence[dict[str, str]]) -> list[tuple[str, str, Decimal]]:
    return [(r["group"], r["reason"], Decimal(r["amount"])) for r in rows]


def post_claim_amounts(
    appender: LedgerAppender,
    lines: Sequence[ClaimLine],
    items: Sequence[LineAmounts],
    claim_adjustments: Sequence[tuple[str, str, Decimal]],
    unassigned_paid: Decimal,
    **common: Any,
) -> None:
    """Append one claim's payment: charges first for lines never charged, then per line the
    payment and its CAS, then the claim-level amounts spread in line order (module doc)."""
    for line in lines:
        if not appender.has_entries(line.pk):
            appender.append(
                line,
                EntryKind.CHARGE,
                line.charge,
                note="charge (first ERA)",
                effective_date=common["effective_date"],
                posted_by_id=common.get("posted_by_id"),
            )
    for item in items:
        _pay(appender, item.line, item.paid, common)
        for group, reason, amount in item.adjustments:
            _adjust(appender, item.line, group, reason, amount, common)
    if lines:
        _spread(appender, lines, unassigned_paid, lambda ln, amt: _pay(appender, ln, amt, common))
        for group, reason, amount in claim_adjustments:
            _spread(appender, lines, amount, _adjuster(appender, group, reason, common))


def _adjuster(
    appender: LedgerAppender, group: str, reason: str, common: dict[str, Any]
) -> Callable[[ClaimLine, Decimal], None]:
    def post(line: ClaimLine, amount: Decimal) -> None:
        _adjust(appender, line, group, reason, amount, common)

    return post


def _pay(appender: LedgerAppender, line: ClaimLine, paid: Decimal, common: dict[str, Any]) -> None:
    if paid > 0:
        appender.append(line, EntryKind.PAYMENT, -paid, **common)
    elif paid < 0:  # money the payer took back, posted only after a poster's review
        appender.append(line, EntryKind.REFUND, -paid, **common)


def _adjust(
    appender: LedgerAppender,
    line: ClaimLine,
    group: str,
    reason: str,
    amount: Decimal,
    common: dict[str, Any],
) -> None:
    if amount == 0:
        return
    kind = EntryKind.PATIENT_RESPONSIBILITY if group == "PR" else EntryKind.ADJUSTMENT
    appender.append(line, kind, -amount, group_code=group, reason_code=reason, **common)


def _spread(
    appender: LedgerAppender,
    lines: Sequence[ClaimLine],
    amount: Decimal,
    post: Callable[[ClaimLine, Decimal], None],
) -> None:
    if amount < 0:
        post(lines[0], amount)
        return
    remaining = amount
    for i, line in enumerate(lines):
        if remaining <= 0:
            break
        last = i == len(lines) - 1
        take = remaining if last else min(remaining, max(appender.balance(line.pk), ZERO))
        if take > 0:
            post(line, take)
            remaining -= take


def reverse_entries(
    appender: LedgerAppender,
    originals: Sequence[dict[str, Any]],
    lines: dict[int, ClaimLine],
    **common: Any,
) -> None:
    """A payer's reversal (CLP02 = 22): the ledger's reversal, with the payer's note."""
    ledger_services.reverse_entries(
        appender, originals, lines, note="payer reversal (CLP02 22)", **common
    )


def state_after(balances: Sequence[Decimal], paid: Decimal, denied: bool) -> ClaimState:
    """PAID when every line is settled and nothing denied; DENIED when nothing was paid and
    something denied; PARTIALLY_PAID otherwise (some paid, some denied or balance left)."""
    if paid == 0 and denied:
        return S.DENIED
    if not denied and all(b == 0 for b in balances):
        return S.PAID
    return S.PARTIALLY_PAID
