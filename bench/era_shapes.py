"""Synthetic 835 files of the shapes payers send, for the reader benchmark and its tests.

Every file is written by Bureau's own `writer835` (so it balances and passes pyx12) from claims
built here: one payment (one ST…SE) of `n` claims, the shape choosing how many service lines a
claim has, whether the payer adjusts at claim level, how many claims are reversals and how many
provider-level adjustments (PLB) close the payment. Each line carries what a real remit does:
SVC, DTM*472, CAS (contractual and patient responsibility), REF*6R and AMT*B6.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bench.scale import CODES, envelope

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Shape:
    name: str
    lines: tuple[int, int]  # service lines per claim, inclusive range
    claim_cas_rate: float = 0.0  # claims with a claim-level CAS (OA-23, paid by another payer)
    reversal_rate: float = 0.0  # claims sent as a reversal (CLP02 = 22) of a payment
    plb: int = 0  # provider-level adjustments (six per PLB segment)
    distinct: bool = False  # every charge its own amount: no CAS, SVC or AMT text repeats
    deductible_rate: float = 0.0  # lines whose patient share is a deductible of any amount


SHAPES = (
    Shape("lines_2_3", (2, 3)),  # the table: 2-3 lines, CAS/REF/AMT on each
    Shape("lines_1", (1, 1)),
    Shape("lines_6", (6, 6)),
    Shape("claim_cas_reversals", (1, 3), claim_cas_rate=0.3, reversal_rate=0.1),
    Shape("plb", (2, 3), plb=40),
    # The reader remembers repeated segments (a fee schedule pays alike); here nothing repeats
    # but dates, the worst case for that.
    Shape("distinct_amounts", (2, 3), distinct=True),
    # Fee-schedule charges and allowed amounts, but a third of the lines carry a deductible
    # of any amount (so their PR and paid amounts rarely repeat): nearer a real remit.
    Shape("deductibles", (2, 3), deductible_rate=0.35),
)


def shaped_835(shape: Shape, n_claims: int, *, seed: int = 17) -> str:
    """One payment of `n_claims` claims in `shape`, as X12 text with a line break per segment."""
    from bureau.x12.remit835 import ProviderAdjustment, Remittance
    from bureau.x12.writer835 import write_835

    rng = random.Random(seed)
    claims = [_claim(rng, shape, k) for k in range(n_claims)]
    plb = tuple(
        ProviderAdjustment(
            "1234567893",
            date(2026, 12, 31),
            ("L6", "WO", "FB", "72")[i % 4],
            Decimal(rng.randint(-500, 500)) / 100 or CENT,
            f"REF{i:04d}",
        )
        for i in range(shape.plb)
    )
    paid = sum((c.paid for c in claims), ZERO)
    remittance = Remittance(
        control_number="1",
        handling_code="I",
        payment_amount=paid - sum((p.amount for p in plb), ZERO),
        credit_debit="C",
        payment_method="ACH",
        payment_date=date(2026, 11, 20),
        trace_number="BENCHEFT00000001",
        originator_id="1999999999",
        payer_name="BENCH HEALTH PLAN",
        payer_id="BENCH1",
        payee_name="BENCH PRACTICE",
        payee_npi="1234567893",
        payer_address=_address(),
        payer_contact_phone="8005550100",
        claims=tuple(claims),
        provider_adjustments=plb,
    )
    return write_835(envelope(1), [remittance], line_break=True)  # type: ignore[arg-type]


def _address() -> object:
    from bureau.x12.claim837 import Address

    return Address("PO BOX 1000", "SPRINGFIELD", "IL", "627010000")


def _claim(rng: random.Random, shape: Shape, k: int) -> object:
    from bureau.x12.remit835 import Adjustment, ClaimPayment, ServicePayment

    number = f"SYN{k:08d}"
    services = []
    for n in range(1, rng.randint(*shape.lines) + 1):
        code, charge = CODES[rng.randrange(len(CODES))]
        if shape.distinct:
            charge = Decimal(rng.randint(2_000, 99_999)) / 100  # $20.00-$999.99
        allowed = (charge * Decimal("0.80")).quantize(CENT)
        patient = (allowed * Decimal("0.20")).quantize(CENT)
        if rng.random() < shape.deductible_rate:
            patient = Decimal(rng.randint(1, int(allowed * 100))) / 100
        services.append(
            ServicePayment(
                procedure_code=code,
                charge=charge,
                paid=allowed - patient,
                service_date=date(2026, 10, 1) + timedelta(days=k % 40),
                line_control_number=f"{number}-{n}",
                allowed=allowed,
                adjustments=(
                    Adjustment("CO", "45", charge - allowed),
                    Adjustment("PR", "2", patient),
                ),
            )
        )
    claim_adjustments: tuple[Adjustment, ...] = ()
    charge = sum((s.charge for s in services), ZERO)
    paid = sum((s.paid for s in services), ZERO)
    if rng.random() < shape.claim_cas_rate:
        # Another payer paid part of it: the claim pays that much less, at claim level.
        taken = min(paid, Decimal("5.00"))
        claim_adjustments = (Adjustment("OA", "23", taken),)
        paid -= taken
    claim = ClaimPayment(
        patient_control_number=number,
        status="1",
        charge=charge,
        paid=paid,
        patient_responsibility=sum(
            (a.amount for s in services for a in s.adjustments if a.group == "PR"), ZERO
        ),
        filing_indicator="12",
        payer_claim_number=f"PCN{k:010d}",
        facility_type="11",
        frequency="1",
        patient_last_name="BENCH",
        patient_first_name="PAT",
        member_id=f"MB{k:09d}",
        adjustments=claim_adjustments,
        services=tuple(services),
    )
    if rng.random() < shape.reversal_rate:
        from bureau.clearinghouse.simulator.adjudication import reversal_of

        return reversal_of(claim)
    return claim
