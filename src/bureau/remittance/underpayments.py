"""Underpayments: the payer allowed less than the contract says.

expected = the contract's allowed amount for (practice, payer, code, modifier) × units;
allowed  = AMT*B6 when the payer sent it, else paid + the patient's share (PR).
A line whose allowed falls short of expected by more than `era.autopost_tolerance` is flagged
(`EraLine.expected`, `EraLine.underpaid_by`); its payment still posts — the flag feeds a worklist.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from bureau.directory.models import ContractRate
from bureau.x12.remit835 import ServicePayment

CENT = Decimal("0.01")
STORABLE = Decimal("1E10")  # money columns: 12 digits, 2 of them cents
RateKey = tuple[int, str, str]  # payer id, code, modifier


def contract_rates(
    practice_id: int, payer_ids: Iterable[int], codes: Iterable[str]
) -> dict[RateKey, Decimal]:
    """Every rate the ERA can need, in one query."""
    payers, wanted = set(payer_ids), {c.strip().upper() for c in codes}
    if not payers or not wanted:
        return {}
    rows = ContractRate.objects.filter(
        practice_id=practice_id, payer_id__in=payers, code__in=wanted
    ).values_list("payer_id", "code", "modifier", "allowed_amount")
    return {(payer, code, modifier): amount for payer, code, modifier, amount in rows}


def expected_allowed(
    rates: dict[RateKey, Decimal],
    payer_id: int | None,
    code: str,
    modifiers: Iterable[str],
    units: Decimal,
) -> Decimal | None:
    """The contract's allowed amount for the line: a first-modifier rate before the plain one."""
    if payer_id is None:
        return None
    code = code.strip().upper()
    first = next((m.strip().upper() for m in modifiers if m), "")
    for modifier in [first, ""] if first else [""]:
        rate = rates.get((payer_id, code, modifier))
        if rate is not None:
            expected = rate * units
            # SVC05 may say up to 18 digits of units: a product no money column holds (and no
            # service is worth) is no expectation, rather than a value the database refuses.
            return expected.quantize(CENT) if abs(expected) < STORABLE else None
    return None


def allowed_amount(svc: ServicePayment) -> Decimal:
    if svc.allowed is not None:
        return svc.allowed
    return svc.paid + sum((a.amount for a in svc.adjustments if a.group == "PR"), Decimal("0"))


def underpaid_by(
    expected: Decimal | None, svc: ServicePayment, tolerance: Decimal
) -> Decimal | None:
    """How far the payer's allowed fell short of the contract, when beyond the tolerance."""
    if expected is None:
        return None
    short = expected - allowed_amount(svc)
    return short if tolerance < short < STORABLE else None
