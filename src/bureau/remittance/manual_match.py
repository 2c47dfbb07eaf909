"""A poster matches an ERA claim the payer sent under a number we do not know (a typo in CLP01,
a claim keyed at the payer by hand, a number from an old system) to our claim, and posts it.

The claim loop is read back from the ERA as stored, so what posts is exactly what the payer
sent: its service lines are matched to the chosen claim's lines by procedure, modifiers and
charge (each line once) and checked against the payer contract (underpayments), any denial in
it becomes a `Denial`, and the posting itself is the exception's ordinary "post" — one
transaction, audited, the ledger still append-only.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.db import transaction

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.models import Claim, ClaimLine, ClaimState
from bureau.configuration.resolver import settings_for
from bureau.denials.models import Denial
from bureau.denials.services import denials_from_era, denied_service
from bureau.ledger.services import LedgerAppender
from bureau.remittance import adjudications
from bureau.remittance.matching import match_services
from bureau.remittance.models import (
    Era,
    EraClaim,
    EraException,
    EraLine,
)
from bureau.remittance.poster import ADJUDICABLE
from bureau.remittance.services import (
    ResolutionError,
    era_exception_resolve,
    open_exception,
    parse_835,
)
from bureau.remittance.underpayments import contract_rates, expected_allowed, underpaid_by
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.x12.remit835 import ClaimPayment, ServicePayment


def _claim_loop(era: Era, era_claim: EraClaim) -> ClaimPayment:
    """The CLP loop `era_claim` was stored from, read back from the ERA's own interchange (the
    n-th loop with that CLP01, should a payer repeat one)."""
    payments = [
        r
        for r in parse_835(era.content)
        if r.trace_number == era.trace_number and r.payment_amount == era.payment_amount
    ]
    if len(payments) != 1:
        raise ResolutionError("the ERA's stored file does not hold this payment once")
    number = era_claim.patient_control_number
    same_number = list(
        EraClaim.objects.for_system([era.practice_id], reason="ERA claim match")
        .filter(era_id=era.pk, patient_control_number=number)
        .order_by("id")
        .values_list("pk", flat=True)
    )
    loops = [c for c in payments[0].claims if c.patient_control_number.strip() == number]
    position = same_number.index(era_claim.pk)
    if len(loops) != len(same_number):
        raise ResolutionError(f"CLP01 {number} cannot be found in the stored ERA")
    return loops[position]


def _our_claim(actor: Actor, exception: EraException, shown: str, **lookup: Any) -> Claim:
    """The claim of the exception's practice that `lookup` finds, locked, if it can take a
    payment; `shown` names it in refusals."""
    claim: Claim | None = (
        Claim.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .filter(practice_id=exception.practice_id, **lookup)
        .select_for_update()
        .first()
    )
    if claim is None:
        raise ResolutionError(f"no claim {shown} in this practice")
    state = ClaimState(claim.state)
    if state not in ADJUDICABLE:
        raise ResolutionError(
            f"claim {shown} is {state.label.lower()}: only a submitted claim can take a payment"
        )
    return claim


def _contract_check(
    claim: Claim, loop: ClaimPayment, payer_id: int
) -> Callable[[ServicePayment, ClaimLine], tuple[Decimal | None, Decimal | None]]:
    """(expected, underpaid by) per service line, as posting computes them for a matched ERA."""
    rates = contract_rates(claim.practice_id, [payer_id], [s.procedure_code for s in loop.services])
    tolerance = settings_for(claim.practice).get("era.autopost_tolerance", payer_id)

    def check(svc: ServicePayment, line: ClaimLine) -> tuple[Decimal | None, Decimal | None]:
        units = Decimal(svc.units or line.units or 1)
        expected = expected_allowed(rates, payer_id, svc.procedure_code, svc.modifiers, units)
        if denied_service(svc, loop.is_denial):  # a denial is worked as a denial
            return expected, None
        return expected, underpaid_by(expected, svc, tolerance)

    return check


def _claim_lines(actor: Actor, claim: Claim) -> list[ClaimLine]:
    return list(
        ClaimLine.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .filter(claim_id=claim.pk)
        .order_by("line_number")
    )


def _era_lines(actor: Actor, era_claim: EraClaim, services: int) -> list[EraLine]:
    era_lines = list(
        EraLine.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .filter(era_claim_id=era_claim.pk)
        .order_by("id")
    )
    if len(era_lines) != services:
        raise ResolutionError("the stored service lines do not agree with the ERA")
    return era_lines


def _refuse_overpayment(
    claim: Claim, loop: ClaimPayment, matched: list[tuple[EraLine, ServicePayment, ClaimLine]]
) -> None:
    """A payment matched by hand must fit what is still open on our lines: a claim already
    paid (by another ERA, say) is a refund or recoupment to work, not a second posting."""
    lines = [line for _, _, line in matched]
    appender = LedgerAppender([claim.practice_id], [line.pk for line in lines])
    for _, svc, line in matched:
        if svc.paid > 0 and svc.paid > appender.open_balance(line):
            raise ResolutionError(
                f"line {line.line_number} of claim {claim.number} has "
                f"{appender.open_balance(line)} open and "
                f"the payer pays {svc.paid}: it would be paid twice; dismiss and work the refund"
            )


def _post_matched(
    actor: Actor,
    current: EraException,
    claim: Claim,
    loop: ClaimPayment,
    matched: list[tuple[EraLine, ServicePayment, ClaimLine]],
    *,
    note: str,
    detail: dict[str, Any],
) -> EraException:
    """Record the matches (lines checked against the contract, denials), then post the
    exception as received and audit the match."""
    _refuse_overpayment(claim, loop, matched)
    era = current.era
    era_claim = current.era_claim
    assert era_claim is not None
    check = _contract_check(claim, loop, era.payer_id or claim.payer_id)
    for era_line, svc, line in matched:
        era_line.claim_line = line
        era_line.expected, era_line.underpaid_by = check(svc, line)
        era_line.save(update_fields=["claim_line", "expected", "underpaid_by"])
    if era_claim.claim_id != claim.pk:
        was = era_claim.claim_id
        era_claim.claim = claim
        era_claim.save(update_fields=["claim"])
        adjudications.note([claim.pk], moved_from=[was])  # both claims' first 835 dates
        current.claim = claim
        current.save(update_fields=["claim"])
    if loop.payer_claim_number and not claim.payer_claim_number:
        claim.payer_claim_number = loop.payer_claim_number[:50]
        claim.save(update_fields=["payer_claim_number"])
    Denial.objects.bulk_create(
        denials_from_era(
            era_id=era.pk,
            era_claim_id=era_claim.pk,
            claim=claim,
            payment=loop,
            services=[(svc, line) for _, svc, line in matched],
            payer=era.payer,
            payment_date=era.payment_date,
        )
    )
    audit_record(
        action=AuditAction.ERA_CLAIM_MATCHED,
        actor=actor,
        practice=current.practice,
        model="claims.Claim",
        record_ids=[claim.public_id],
        detail={"era": era.trace_number, "exception": str(current.public_id), **detail},
    )
    return era_exception_resolve(actor=actor, exception=current, action="post", note=note)


@transaction.atomic
def era_exception_match(
    *, actor: Actor, exception: EraException, claim_number: str, note: str
) -> EraException:
    """Match the exception's claim loop to our claim `claim_number` and post it as received.
    Every check runs before anything is written; a refusal leaves the exception open."""
    number = claim_number.strip().upper()
    if not number:
        raise ResolutionError("name the claim to match, e.g. SPT-000123")
    current = open_exception(actor, exception, note)
    if not current.matchable or current.era_claim is None:
        raise ResolutionError("only an unmatched claim can be matched to one of ours")
    era_claim = current.era_claim
    claim = _our_claim(actor, current, number, number=number)
    loop = _claim_loop(current.era, era_claim)
    pairs = match_services(claim, _claim_lines(actor, claim), loop.services)
    missing = [svc for svc, line in pairs if line is None]
    if missing:
        shown = ", ".join(f"{s.procedure_code} {s.charge}" for s in missing)
        raise ResolutionError(f"service line(s) {shown} match no line of claim {number}")
    era_lines = _era_lines(actor, era_claim, len(pairs))
    matched = [
        (era_line, svc, line)
        for era_line, (svc, line) in zip(era_lines, pairs, strict=True)
        if line is not None
    ]
    return _post_matched(
        actor,
        current,
        claim,
        loop,
        matched,
        note=f"Matched to {number}: {note.strip()}",
        detail={"received_as": era_claim.patient_control_number},
    )


@transaction.atomic
def era_exception_match_lines(
    *, actor: Actor, exception: EraException, chosen: dict[str, int], note: str
) -> EraException:
    """For a claim whose service lines the payer recoded or re-priced: `chosen` maps each
    unmatched ERA line (its public id) to the number of the claim line it pays. Lines that
    matched on ingest keep their match; a claim line is paid by one ERA line at most."""
    current = open_exception(actor, exception, note)
    era_claim = current.era_claim
    if not current.placeable or era_claim is None:
        raise ResolutionError("only unmatched service lines can be matched by line")
    claim = _our_claim(actor, current, "of this exception", pk=current.claim_id)
    loop = _claim_loop(current.era, era_claim)
    by_number = {line.line_number: line for line in _claim_lines(actor, claim)}
    era_lines = _era_lines(actor, era_claim, len(loop.services))
    unknown = set(chosen) - {str(el.public_id) for el in era_lines if el.claim_line_id is None}
    if unknown:
        raise ResolutionError("a chosen service line is not one of this exception's")
    matched: list[tuple[EraLine, ServicePayment, ClaimLine]] = []
    for era_line, svc in zip(era_lines, loop.services, strict=True):
        if era_line.claim_line_id is not None:
            line = next(ln for ln in by_number.values() if ln.pk == era_line.claim_line_id)
        else:
            number = chosen.get(str(era_line.public_id))
            if number is None:
                raise ResolutionError(
                    f"choose the line service {svc.procedure_code} {svc.charge} pays"
                )
            if number not in by_number:
                raise ResolutionError(f"claim {claim.number} has no line {number}")
            line = by_number[number]
        matched.append((era_line, svc, line))
    used = [line.line_number for _, _, line in matched]
    twice = sorted({n for n in used if used.count(n) > 1})
    if twice:
        raise ResolutionError(f"line {twice[0]} of claim {claim.number} is chosen twice")
    return _post_matched(
        actor,
        current,
        claim,
        loop,
        matched,
        note=f"Lines matched by hand: {note.strip()}",
        detail={
            "lines": [
                [svc.procedure_code, line.line_number]
                for era_line, svc, line in matched
                if str(era_line.public_id) in chosen
            ]
        },
    )
