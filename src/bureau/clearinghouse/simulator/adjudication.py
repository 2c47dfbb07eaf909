"""Adjudication: what the simulated payer decides about one claim (pure, deterministic).

Every decision draws from `random.Random(f"{seed}:{payer id}:{claim number}")` — never the
global generator, never the clock — so the same seed and the same claims give byte-identical
files. The payer's contract (looked up by the caller, handed in as `rates`) sets the allowed
amount per line × units; without a contract the profile's share of the charge is allowed.
Out of the allowed amount the patient owes deductible (PR-1), coinsurance (PR-2) and copay
(PR-3); the payer pays the rest. Charge above allowed is the contractual write-off (CO-45).
Every line balances by construction: charge − paid = Σ CAS.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from bureau.clearinghouse.simulator.profiles import DENIAL_MIX, DenialReason, PayerProfile
from bureau.x12.remit835 import (
    STATUS_DENIED,
    STATUS_REVERSAL,
    Adjustment,
    ClaimPayment,
    ServicePayment,
)
from bureau.x12.submitted837 import SubmittedClaim, SubmittedLine

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
RateLookup = Callable[[str, str], Decimal | None]
"""(procedure code, first modifier) → contracted allowed amount per unit, or None."""

_MEMBER_ID = re.compile(r"^[A-Za-z0-9-]{6,20}$")
_STATUS_BY_RESPONSIBILITY = {"P": "1", "S": "2", "T": "3"}
CORRECTIONS = frozenset({"7", "8"})  # CLM05-3: replacement, void


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def rng_for(seed: int | str, *key: str) -> random.Random:
    return random.Random(":".join([str(seed), *key]))  # noqa: S311 - simulation, not security


def payer_claim_number(seed: int | str, payer_id: str, pcn: str) -> str:
    """The payer's internal claim number (CLP07, 277CA REF*1K): stable for a claim."""
    digest = hashlib.sha256(f"{seed}:{payer_id}:{pcn}".encode()).hexdigest()
    return f"{int(digest[:15], 16) % 10**13:013d}"


# -- the front door (277CA) -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrontDoor:
    """The 277CA outcome for one claim."""

    accepted: bool
    category: str  # STC01-1: A1 acknowledged / A7 rejected
    status_code: str  # STC01-2
    message: str = ""


def member_id_valid(member_id: str) -> bool:
    return bool(_MEMBER_ID.match(member_id)) and any(c.isdigit() for c in member_id)


def front_door(
    claim: SubmittedClaim, profile: PayerProfile, *, seed: int | str, knows_original: bool = True
) -> FrontDoor:
    """Accept the claim into adjudication, or reject it as the payer's front end would. A
    replacement or void whose REF*F8 names no claim the payer holds (`knows_original` False)
    is rejected: there is nothing to replace."""
    if not member_id_valid(claim.member_id):
        return FrontDoor(False, "A7", "562", "ENTITY'S MEMBER ID INVALID")
    if claim.frequency in CORRECTIONS and not knows_original:
        return FrontDoor(False, "A7", "21", "ORIGINAL CLAIM NOT FOUND")
    rng = rng_for(seed, "277", claim.payer_id, claim.patient_control_number)
    roll = rng.random()
    if roll < profile.reject_rate / 2:
        return FrontDoor(False, "A7", "562", "SUBSCRIBER NOT FOUND")
    if roll < profile.reject_rate:
        return FrontDoor(False, "A7", "21", "MISSING OR INVALID INFORMATION")
    return FrontDoor(True, "A1", "20", "")


# -- payment ----------------------------------------------------------------------------------


def payment_delay(claim: SubmittedClaim, profile: PayerProfile, *, seed: int | str) -> int:
    """Days from receipt to the payment run that pays this claim."""
    low, high = profile.days_to_pay
    return rng_for(seed, "pay", claim.payer_id, claim.patient_control_number).randint(low, high)


def payment_run(earliest: date, profile: PayerProfile) -> date:
    """The payer's first payment run on or after `earliest`."""
    day = earliest
    while day.weekday() not in profile.pay_weekdays:
        day += timedelta(days=1)
    return day


def reversal_delay(claim: SubmittedClaim, profile: PayerProfile, *, seed: int | str) -> int | None:
    """Days after payment when the payer reverses and re-adjudicates the claim, or None."""
    rng = rng_for(seed, "reverse", claim.payer_id, claim.patient_control_number)
    return rng.randint(14, 30) if rng.random() < profile.reversal_rate else None


REKEYED_RATE = 0.004  # claims a payer keys by hand: CLP01 loses its hyphen, REF*6R is gone


def rekeyed(payment: ClaimPayment, claim: SubmittedClaim, *, seed: int | str) -> ClaimPayment:
    """Now and then a payer re-keys a claim by hand and echoes our number without its hyphen
    and without the line control numbers: an unmatched claim a poster has to match."""
    rng = rng_for(seed, "rekey", claim.payer_id, claim.patient_control_number)
    if rng.random() >= REKEYED_RATE or "-" not in payment.patient_control_number:
        return payment
    return payment._replace(
        patient_control_number=payment.patient_control_number.replace("-", ""),
        services=tuple(s._replace(line_control_number="") for s in payment.services),
    )


DOWNCODED_RATE = 0.003  # E/M lines a payer pays one level down, without echoing REF*6R
_ONE_LEVEL_DOWN = {"99213": "99212", "99214": "99213", "99215": "99214"}


def downcoded(payment: ClaimPayment, claim: SubmittedClaim, *, seed: int | str) -> ClaimPayment:
    """Now and then a payer pays an office visit as the level below and drops the line's
    control number: a service line that matches none of ours until a poster places it."""
    rng = rng_for(seed, "downcode", claim.payer_id, claim.patient_control_number)
    if rng.random() >= DOWNCODED_RATE or payment.is_denial:
        return payment
    services = list(payment.services)
    for n, svc in enumerate(services):
        lower = _ONE_LEVEL_DOWN.get(svc.procedure_code)
        if lower is not None:
            services[n] = svc._replace(procedure_code=lower, line_control_number="")
            return payment._replace(services=tuple(services))
    return payment


def _allowed(line: SubmittedLine, profile: PayerProfile, rates: RateLookup) -> Decimal:
    rate = rates(line.procedure_code, line.modifiers[0] if line.modifiers else "")
    if rate is None:
        return money(line.charge * profile.allowed_share)
    return min(money(rate * line.units), line.charge)


def _pick_denial(rng: random.Random) -> DenialReason:
    weights = [w for w, _ in DENIAL_MIX]
    return rng.choices([r for _, r in DENIAL_MIX], weights=weights)[0]


def _denied_line(line: SubmittedLine, reason: DenialReason) -> ServicePayment:
    return ServicePayment(
        procedure_code=line.procedure_code,
        charge=line.charge,
        paid=ZERO,
        modifiers=line.modifiers,
        units=line.units,
        service_date=line.service_date,
        line_control_number=line.line_control_number,
        allowed=ZERO,
        adjustments=(Adjustment(reason.group, reason.carc, line.charge),),
        remark_codes=reason.remarks,
    )


@dataclass(slots=True)
class _Share:
    """What the patient still owes across the claim's lines as they are priced in order."""

    deductible: Decimal
    copay: Decimal
    prior_paid: Decimal


def _paid_line(
    line: SubmittedLine, allowed: Decimal, profile: PayerProfile, share: _Share
) -> ServicePayment:
    adjustments: list[Adjustment] = []
    contractual = line.charge - allowed
    if contractual > 0:
        adjustments.append(Adjustment("CO", "45", contractual))
    left = allowed
    deductible = min(share.deductible, left)
    share.deductible -= deductible
    left -= deductible
    copay = ZERO
    if share.copay > 0 and line.procedure_code.startswith("99"):
        copay = min(share.copay, left)
        share.copay -= copay
        left -= copay
    coinsurance = money(left * profile.coinsurance)
    left -= coinsurance
    prior = min(share.prior_paid, left)
    share.prior_paid -= prior
    left -= prior
    for group, carc, amount in (
        ("PR", "1", deductible),
        ("PR", "2", coinsurance),
        ("PR", "3", copay),
        ("OA", "23", prior),
    ):
        if amount > 0:
            adjustments.append(Adjustment(group, carc, amount))
    return ServicePayment(
        procedure_code=line.procedure_code,
        charge=line.charge,
        paid=left,
        modifiers=line.modifiers,
        units=line.units,
        service_date=line.service_date,
        line_control_number=line.line_control_number,
        allowed=allowed,
        adjustments=tuple(adjustments),
    )


def _claim_payment(
    claim: SubmittedClaim,
    profile: PayerProfile,
    services: Sequence[ServicePayment],
    *,
    seed: int | str,
    status: str,
) -> ClaimPayment:
    paid = sum((s.paid for s in services), ZERO)
    patient = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), ZERO)
    dates = [s.service_date for s in services if s.service_date is not None]
    return ClaimPayment(
        patient_control_number=claim.patient_control_number,
        status=status,
        charge=claim.charge,
        paid=paid,
        patient_responsibility=patient,
        filing_indicator=profile.filing_indicator,
        payer_claim_number=payer_claim_number(seed, claim.payer_id, claim.patient_control_number),
        facility_type=claim.place_of_service,
        frequency=claim.frequency,
        patient_last_name=claim.patient_last_name,
        patient_first_name=claim.patient_first_name,
        member_id=claim.member_id,
        statement_start=min(dates) if dates else None,
        statement_end=max(dates) if dates else None,
        services=tuple(services),
    )


def adjudicate(
    claim: SubmittedClaim,
    profile: PayerProfile,
    *,
    seed: int | str,
    rates: RateLookup,
    revision: int = 0,
    corrected: bool = False,
) -> ClaimPayment:
    """The claim as the payer pays or denies it. `revision` > 0 re-adjudicates a claim the
    payer reversed: never denied, priced a few percent differently. `corrected`: a
    replacement claim (CLM05-3 = 7), priced like any claim but not denied again — the
    correction fixed what the payer denied, which is the loop the demo shows."""
    rng = rng_for(seed, claim.payer_id, claim.patient_control_number, str(revision))
    status = _STATUS_BY_RESPONSIBILITY.get(claim.responsibility, "1")
    deniable = not revision and not corrected
    denial = _pick_denial(rng) if rng.random() < profile.denial_rate and deniable else None
    if denial is not None and (not denial.line_only or len(claim.lines) < 2):
        denied = [_denied_line(line, denial) for line in claim.lines]
        return _claim_payment(claim, profile, denied, seed=seed, status=STATUS_DENIED)
    deductible = ZERO
    if rng.random() < profile.deductible_rate:
        deductible = Decimal(rng.choice((20, 35, 50, 75, 100, 150, 250)))
    share = _Share(deductible, profile.copay, claim.prior_paid or ZERO)
    factor = Decimal(1) if not revision else Decimal(rng.choice(("0.92", "0.95", "1.04", "1.06")))
    services: list[ServicePayment] = []
    for number, line in enumerate(claim.lines):
        if denial is not None and number == len(claim.lines) - 1:
            services.append(_denied_line(line, denial))
            continue
        allowed = _allowed(line, profile, rates)
        if not revision and rng.random() < profile.underpay_rate:
            low, high = profile.underpay_range
            cut = low + (high - low) * Decimal(str(round(rng.random(), 4)))
            allowed = money(allowed * (1 - cut))
        allowed = min(money(allowed * factor), line.charge)
        services.append(_paid_line(line, allowed, profile, share))
    return _claim_payment(claim, profile, services, seed=seed, status=status)


def reversal_of(payment: ClaimPayment) -> ClaimPayment:
    """CLP02 = 22: the original payment with every amount negated, same payer claim number."""

    def neg(adjustments: tuple[Adjustment, ...]) -> tuple[Adjustment, ...]:
        return tuple(a._replace(amount=-a.amount) for a in adjustments)

    services = tuple(
        s._replace(
            charge=-s.charge,
            paid=-s.paid,
            allowed=-s.allowed if s.allowed is not None else None,
            adjustments=neg(s.adjustments),
        )
        for s in payment.services
    )
    return payment._replace(
        status=STATUS_REVERSAL,
        charge=-payment.charge,
        paid=-payment.paid,
        patient_responsibility=(
            -payment.patient_responsibility if payment.patient_responsibility is not None else None
        ),
        adjustments=neg(payment.adjustments),
        services=services,
    )


def is_paid(payment: ClaimPayment) -> bool:
    return payment.status != STATUS_DENIED and payment.paid > 0
