"""The simulated payer's answers as typed acknowledgements and remittances, written as X12.

Pure (no Django): the port hands in what it read and decided; this module builds `Ack999`,
`Ack277` and `Remittance` dataclasses and writes them with the X12 writers. Envelopes are the
payer's own: the 999 and 277CA come from the simulator's front end (the receiver our 837
addressed), each 835 from the payer id; the receiver is always our submitter id (the 837's
ISA06). Control numbers and trace numbers are handed in by the port, which counts them.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from bureau.clearinghouse.simulator.adjudication import FrontDoor, money, payer_claim_number
from bureau.clearinghouse.simulator.profiles import PayerProfile
from bureau.x12.ack277 import Ack277, ClaimStatus
from bureau.x12.ack999 import GroupAck, SegmentError, TransactionAck
from bureau.x12.claim837 import Address
from bureau.x12.envelope import Envelope, Party
from bureau.x12.remit835 import ClaimPayment, ProviderAdjustment, Remittance
from bureau.x12.submitted837 import Submitted837, SubmittedClaim
from bureau.x12.writer835 import write_835

ZERO = Decimal("0.00")
CLAIM_VERSION = "005010X222A1"
PAYER_ADDRESS = Address("PO BOX 1000", "BALTIMORE", "MD", "21244")
PAYER_PHONE = "8005550100"


def envelope(sender: str, receiver: str, control_number: int, day: date) -> Envelope:
    """The payer's envelope, stamped 06:00 UTC of the simulated day (never the clock)."""
    return Envelope(
        sender=Party(party_id(sender)),
        receiver=Party(party_id(receiver)),
        interchange_control_number=control_number,
        group_control_number=control_number,
        created_at=datetime.combine(day, time(6, 0), tzinfo=UTC),
    )


def party_id(value: str) -> str:
    cleaned = "".join(c for c in value.upper() if c.isalnum())[:15]
    return cleaned.ljust(2, "0")


def payer_tax_id(payer_id: str) -> str:
    """An invented nine-digit TIN for the payer (TRN03 is "1" + TIN)."""
    digest = hashlib.sha256(payer_id.encode()).hexdigest()
    return f"{int(digest[:12], 16) % 10**9:09d}"


# -- 999 --------------------------------------------------------------------------------------


def group_ack(summary: Submitted837, *, accepted: bool) -> GroupAck:
    """AK1…AK9 for the 837's group: every set accepted, or every set refused with one
    segment error (the kind of envelope fault a front end refuses a whole file for)."""
    transactions = tuple(
        TransactionAck(
            set_id="837",
            control_number=st02,
            implementation_reference=CLAIM_VERSION,
            status="A" if accepted else "R",
            syntax_errors=() if accepted else ("5",),
            errors=() if accepted else (_refusal(summary),),
        )
        for st02 in summary.transaction_control_numbers
    )
    count = len(transactions)
    return GroupAck(
        functional_id="HC",
        group_control_number=summary.group_control_number,
        version=CLAIM_VERSION,
        status="A" if accepted else "R",
        included=count,
        received=count,
        accepted_count=count if accepted else 0,
        transactions=transactions,
    )


def _refusal(summary: Submitted837) -> SegmentError:
    """The fault the front end names: the submitter's NM1*41 id is not one it enrolled
    (IK3 at the fourth segment of the set, loop 1000A; IK4 NM109 invalid code value)."""
    return SegmentError(
        segment_id="NM1",
        position=4,
        loop_id="1000",
        error_code="8",
        element_position=9,
        element_error_code="7",
        bad_value="",
    )


def write_999_for(summary: Submitted837, *, accepted: bool, control_number: int, day: date) -> str:
    from bureau.x12.writer999 import write_999

    env = envelope(summary.receiver_id, summary.sender_id, control_number, day)
    group = group_ack(summary, accepted=accepted)
    return write_999(env, group, transaction_control_number=1, line_break=True)


# -- 277CA ------------------------------------------------------------------------------------


def claim_status(
    claim: SubmittedClaim, outcome: FrontDoor, *, day: date, seed: int | str
) -> ClaimStatus:
    dates = [line.service_date for line in claim.lines]
    return ClaimStatus(
        patient_control_number=claim.patient_control_number,
        category=outcome.category,
        status_code=outcome.status_code,
        entity="IL" if outcome.status_code == "562" else "",
        status_date=day,
        action="WQ" if outcome.accepted else "U",
        charge=claim.charge,
        message=outcome.message,
        payer_claim_number=(
            payer_claim_number(seed, claim.payer_id, claim.patient_control_number)
            if outcome.accepted
            else ""
        ),
        service_start=min(dates),
        service_end=max(dates),
        patient_last_name=claim.patient_last_name,
        patient_first_name=claim.patient_first_name,
        member_id=claim.member_id,
    )


def write_277ca_for(
    summary: Submitted837,
    statuses: Sequence[ClaimStatus],
    *,
    control_number: int,
    day: date,
) -> str:
    from bureau.x12.writer277ca import write_277ca

    env = envelope(summary.receiver_id, summary.sender_id, control_number, day)
    ack = Ack277(
        sender_id=env.sender.id,
        receiver_id=env.receiver.id,
        control_number=f"{control_number:09d}",
        transaction_control_number="0001",
        reference=f"{summary.interchange_control_number}",
        created=day,
        payer_name="PAYER SIMULATOR",
        claims=tuple(statuses),
        payer_id=env.sender.id,
        receiver_name=summary.sender_id,
        submitter_id=summary.sender_id,
        receiver_trace=_bht03(summary),
        received=day,
        billing_provider_name=summary.billing_name,
        billing_provider_npi=summary.claims[0].billing_npi if summary.claims else "",
    )
    return write_277ca(env, ack, transaction_control_number=1, line_break=True)


def _bht03(summary: Submitted837) -> str:
    """Our 837's BHT03 (the writer uses ST02 as four digits when nothing else is set)."""
    st02 = summary.transaction_control_numbers[0]
    return f"{int(st02):04d}" if st02.isdigit() else st02


# -- 835 --------------------------------------------------------------------------------------


def provider_adjustments(
    rng: random.Random,
    claims: Sequence[ClaimPayment],
    *,
    profile: PayerProfile,
    npi: str,
    day: date,
    recoverable: Sequence[tuple[str, Decimal]],
) -> tuple[ProviderAdjustment, ...]:
    """Now and then one PLB: L6 interest on a late claim (negative: it adds to the payment),
    WO recovery of an earlier overpayment (references that claim), or FB forwarding balance.
    Never more than the claims pay, so BPR02 stays ≥ 0."""
    if rng.random() >= profile.plb_rate:
        return ()
    paid = sum((c.paid for c in claims), ZERO)
    period_end = date(day.year, 12, 31)
    roll = rng.random()
    if roll < profile.interest_rate and claims:
        claim = rng.choice(list(claims))
        amount = -money(Decimal(rng.randint(25, 900)) / 100)
        return (ProviderAdjustment(npi, period_end, "L6", amount, claim.patient_control_number),)
    if roll < 0.8 and recoverable:
        pcn, was_paid = rng.choice(list(recoverable))
        amount = min(money(was_paid * Decimal("0.15")), paid)
        if amount > 0:
            return (ProviderAdjustment(npi, period_end, "WO", amount, pcn),)
        return ()
    amount = min(money(Decimal(rng.randint(500, 4000)) / 100), paid)
    if amount <= 0:
        return ()
    return (ProviderAdjustment(npi, period_end, "FB", amount, f"FB{day:%Y%m%d}"),)


def remittance(
    *,
    payer_id: str,
    payer_name: str,
    payee_name: str,
    payee_npi: str,
    payee_tax_id: str,
    profile: PayerProfile,
    claims: Sequence[ClaimPayment],
    plb: Sequence[ProviderAdjustment],
    day: date,
    trace_number: str,
    receiver_id: str,
) -> Remittance:
    paid = sum((c.paid for c in claims), ZERO)
    amount = paid - sum((p.amount for p in plb), ZERO)
    if amount < 0:
        # A reversal took back more than this run pays: the payer carries the balance forward
        # (PLB FB, negative here) and pays nothing today, as payers do.
        carry = ProviderAdjustment(
            payee_npi, date(day.year, 12, 31), "FB", amount, f"FB{day:%Y%m%d}"
        )
        plb = (*plb, carry)
        amount = ZERO
    method = profile.payment_method if amount > 0 else "NON"
    return Remittance(
        control_number="0001",
        handling_code="I" if amount > 0 else "H",
        payment_amount=amount,
        credit_debit="C",
        payment_method=method,
        payment_date=day,
        trace_number=trace_number,
        originator_id="1" + payer_tax_id(payer_id),
        payer_name=payer_name or payer_id,
        payer_id=payer_id,
        payee_name=payee_name,
        payee_npi=payee_npi,
        payee_tax_id=payee_tax_id,
        production_date=day,
        claims=tuple(claims),
        provider_adjustments=tuple(plb),
        receiver_id=receiver_id,
        payer_address=PAYER_ADDRESS,
        payer_contact_name="PROVIDER SERVICES",
        payer_contact_phone=PAYER_PHONE,
    )


def write_835_for(remit: Remittance, *, sender: str, receiver: str, control_number: int) -> str:
    env = envelope(sender, receiver, control_number, remit.payment_date)
    return write_835(env, [remit], line_break=True)
