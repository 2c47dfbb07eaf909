"""The 835 health care claim payment/advice (X221A1) as typed, frozen dataclasses.

One `Remittance` is one transaction set (ST…SE): one payment (check, EFT or non-payment) from one
payer to one payee, with the claims it pays (CLP loops), their service lines (SVC loops) and the
provider-level adjustments (PLB). The reader (`reader835`) builds these; the payer simulator's
writer (`writer835`) writes them. Amounts are `Decimal`; reversals (CLP02 = 22) carry negative
amounts exactly as the payer sent them.

`Remittance.balancing_problems()` runs the three checks the guide requires of every 835, so a file
that does not add up is ingested as an exception instead of being posted blindly.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from bureau.x12.claim837 import Address, AdjustmentGroup

ZERO = Decimal("0.00")

# CLP02 claim status codes (X221A1 1.10.2.x): the ones posting must tell apart.
STATUS_DENIED = "4"
STATUS_REVERSAL = "22"

# CAS01 group codes (CO, CR, OA, PI, PR): the same as the 837's CAS.
GROUP_CODES = frozenset(g.value for g in AdjustmentGroup)
CAS_TRIPLES = 6  # a CAS segment holds at most six reason/amount/quantity triples
PLB_PAIRS = 6  # a PLB segment holds at most six reason/amount pairs


class Adjustment(NamedTuple):
    """One CAS reason: group (CO contractual, PR patient responsibility, OA other, PI payer
    initiated, CR correction), CARC and amount. A positive amount reduces what is paid."""

    group: str
    reason: str  # CARC, e.g. "45"
    amount: Decimal
    quantity: Decimal | None = None


class ServicePayment(NamedTuple):
    """Loop 2110: one service line as adjudicated (SVC, DTM*472, CAS, REF*6R, AMT*B6, LQ*HE)."""

    procedure_code: str  # SVC01-2
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    modifiers: tuple[str, ...] = ()  # SVC01-3..6
    qualifier: str = "HC"  # SVC01-1 (HC = CPT/HCPCS)
    units: Decimal | None = None  # SVC05 (absent means 1)
    service_date: date | None = None  # DTM*472
    line_control_number: str = ""  # REF*6R, echoing the 837's REF*6R
    allowed: Decimal | None = None  # AMT*B6
    adjustments: tuple[Adjustment, ...] = ()
    remark_codes: tuple[str, ...] = ()  # RARCs from LQ*HE
    segment_index: int = 0  # of the SVC segment, for messages

    @property
    def adjusted(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), ZERO)


class ClaimPayment(NamedTuple):
    """Loop 2100: one claim as adjudicated. CLP01 echoes our claim's patient control number."""

    patient_control_number: str  # CLP01
    status: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal | None = None  # CLP05
    filing_indicator: str = ""  # CLP06 (MC, MB, CI, BL, ...)
    payer_claim_number: str = ""  # CLP07
    facility_type: str = ""  # CLP08 (place of service for professional claims)
    frequency: str = ""  # CLP09
    patient_last_name: str = ""  # NM1*QC
    patient_first_name: str = ""
    member_id: str = ""  # NM1*QC NM109 (MI)
    statement_start: date | None = None  # DTM*232
    statement_end: date | None = None  # DTM*233
    adjustments: tuple[Adjustment, ...] = ()  # claim-level CAS
    remark_codes: tuple[str, ...] = ()  # MOA remark codes (MOA03..07)
    services: tuple[ServicePayment, ...] = ()
    segment_index: int = 0  # of the CLP segment

    @property
    def is_reversal(self) -> bool:
        return self.status == STATUS_REVERSAL

    @property
    def is_denial(self) -> bool:
        return self.status == STATUS_DENIED

    @property
    def adjusted(self) -> Decimal:
        """Every CAS amount on the claim, claim level and line level."""
        return sum((a.amount for a in self.adjustments), ZERO) + sum(
            (s.adjusted for s in self.services), ZERO
        )


class ProviderAdjustment(NamedTuple):
    """One PLB adjustment (a PLB segment carries up to six). Positive amounts reduce the
    payment (e.g. L6 interest is negative, WO overpayment recovery positive)."""

    provider_id: str  # PLB01
    fiscal_period_end: date  # PLB02
    reason: str  # PLB03-1, e.g. "WO", "L6", "FB", "72", "CS"
    amount: Decimal  # PLB04
    reference: str = ""  # PLB03-2
    segment_index: int = 0


@dataclass(frozen=True, slots=True)
class Remittance:
    """One 835 transaction set: one payment advice from one payer to one payee."""

    control_number: str  # ST02
    handling_code: str  # BPR01: I (remittance + payment), H (notification only), ...
    payment_amount: Decimal  # BPR02
    credit_debit: str  # BPR03: C or D
    payment_method: str  # BPR04: ACH, CHK, BOP, FWT, NON
    payment_date: date  # BPR16
    trace_number: str  # TRN02: the check or EFT trace number
    originator_id: str  # TRN03: "1" + payer's TIN
    payer_name: str  # N1*PR
    payer_id: str  # REF*2U when sent, else TRN03 without the leading "1"
    payee_name: str  # N1*PE
    payee_npi: str = ""  # N1*PE N104 when N103 = XX
    payee_tax_id: str = ""  # N1*PE N104 when N103 = FI, else REF*TJ
    production_date: date | None = None  # DTM*405
    claims: tuple[ClaimPayment, ...] = ()
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()
    segment_index: int = 0  # of the ST segment
    # Written by writer835 (the payer simulator); readers may leave them empty.
    receiver_id: str = ""  # REF*EV
    payer_address: Address | None = None  # 1000A N3/N4 (required when writing)
    payer_contact_name: str = ""  # 1000A PER*BL PER02
    payer_contact_phone: str = ""  # 1000A PER*BL PER04 (TE; required when writing)
    payee_address: Address | None = None  # 1000B N3/N4

    @property
    def total_paid(self) -> Decimal:
        return sum((c.paid for c in self.claims), ZERO)

    @property
    def total_provider_adjustments(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), ZERO)

    def balancing_problems(self) -> list[str]:
        """The guide's balancing rules, each broken one as a sentence naming where."""
        problems = payment_problems(
            self.payment_amount, self.total_paid, self.total_provider_adjustments
        )
        for claim in self.claims:
            problems += claim_problems(claim)
        return problems

    def header(self) -> PaymentHeader:
        """What a streamed read hands over first for this payment."""
        return PaymentHeader(**{name: getattr(self, name) for name in _HEADER_FIELDS})

    def end(self) -> PaymentEnd:
        """What a streamed read hands over last for this payment: totals and balancing."""
        return PaymentEnd(
            header=self.header(),
            claim_count=len(self.claims),
            total_paid=self.total_paid,
            provider_adjustments=self.provider_adjustments,
            problems=tuple(self.balancing_problems()),
            segment_index=0,
        )

    @classmethod
    def assemble(
        cls,
        header: PaymentHeader,
        claims: tuple[ClaimPayment, ...],
        provider_adjustments: tuple[ProviderAdjustment, ...],
    ) -> Remittance:
        """A whole payment from what `reader835` streams: its header, claims and PLBs."""
        return cls(
            **{name: getattr(header, name) for name in _HEADER_FIELDS},
            claims=claims,
            provider_adjustments=provider_adjustments,
        )


@dataclass(frozen=True, slots=True)
class PaymentHeader:
    """What an 835 says before its first claim (ST, BPR, TRN, DTM*405, 1000A, 1000B): the
    first thing `reader835.stream_835` hands over for each payment, so a caller can post a
    50,000-claim payment claim by claim without holding them all."""

    control_number: str  # ST02
    handling_code: str  # BPR01
    payment_amount: Decimal  # BPR02
    credit_debit: str  # BPR03
    payment_method: str  # BPR04
    payment_date: date  # BPR16
    trace_number: str  # TRN02
    originator_id: str  # TRN03
    payer_name: str  # N1*PR
    payer_id: str  # REF*2U, else TRN03 without its leading "1"
    payee_name: str  # N1*PE
    payee_npi: str
    payee_tax_id: str
    production_date: date | None
    segment_index: int  # of the ST segment


# The fields a header and a whole payment share (all of the header's).
_HEADER_FIELDS = tuple(f.name for f in fields(PaymentHeader))


@dataclass(frozen=True, slots=True)
class PaymentEnd:
    """The close of one payment (PLB, SE) with the totals taken as its claims passed, and the
    guide's balancing rules checked on them (`Remittance.balancing_problems`, streamed)."""

    header: PaymentHeader
    claim_count: int
    total_paid: Decimal  # ΣCLP04
    provider_adjustments: tuple[ProviderAdjustment, ...]
    problems: tuple[str, ...]
    segment_index: int  # of the SE segment

    @property
    def total_provider_adjustments(self) -> Decimal:
        return sum((p.amount for p in self.provider_adjustments), ZERO)


def payment_problems(amount: Decimal, total_paid: Decimal, total_plb: Decimal) -> list[str]:
    """BPR02 must be what the claims pay less the provider-level adjustments."""
    expected = total_paid - total_plb
    if amount == expected:
        return []
    return [f"BPR02 {amount} ≠ ΣCLP04 {total_paid} − ΣPLB {total_plb} = {expected}"]


def claim_problems(claim: ClaimPayment) -> list[str]:
    """Charge less paid must be the CAS adjustments, for the claim and each service line."""
    problems: list[str] = []
    if claim.charge - claim.paid != claim.adjusted:
        problems.append(
            f"claim {claim.patient_control_number} (segment {claim.segment_index}): "
            f"CLP03 {claim.charge} − CLP04 {claim.paid} ≠ ΣCAS {claim.adjusted}"
        )
    for svc in claim.services:
        if svc.charge - svc.paid != svc.adjusted:
            problems.append(
                f"claim {claim.patient_control_number} line {svc.procedure_code} "
                f"(segment {svc.segment_index}): charge {svc.charge} − paid {svc.paid} "
                f"≠ ΣCAS {svc.adjusted}"
            )
    return problems


@dataclass(frozen=True, slots=True)
class Interchange835:
    """An ISA…IEA holding 835 transaction sets (a payer may send several payments in one file)."""

    sender_id: str  # ISA06
    receiver_id: str  # ISA08
    control_number: str  # ISA13
    group_control_number: str  # GS06
    usage: str = "P"  # ISA15
    remittances: tuple[Remittance, ...] = field(default_factory=tuple)
