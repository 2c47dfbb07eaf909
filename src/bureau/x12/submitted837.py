"""What a receiver needs from an 837P it was sent: the claims, summarised (typed, frozen).

The payer simulator adjudicates from these; the full 837P model (`claim837`) is for writing.
`reader837.read_837p_summary` builds them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class SubmittedLine:
    line_number: int  # LX01
    procedure_code: str  # SV101-2
    modifiers: tuple[str, ...]
    charge: Decimal  # SV102
    units: Decimal  # SV104
    service_date: date  # DTP*472
    line_control_number: str = ""  # REF*6R


@dataclass(frozen=True, slots=True)
class SubmittedClaim:
    patient_control_number: str  # CLM01
    charge: Decimal  # CLM02
    place_of_service: str  # CLM05-1
    frequency: str  # CLM05-3: 1 original, 7 replacement, 8 void
    payer_id: str  # 2010BB NM109
    payer_name: str
    responsibility: str  # SBR01: P, S, T
    member_id: str  # 2010BA NM109
    subscriber_last_name: str
    subscriber_first_name: str
    patient_last_name: str  # 2010CA when the patient is a dependent, else the subscriber
    patient_first_name: str
    billing_npi: str  # 2010AA NM109
    billing_tax_id: str  # 2010AA REF*EI
    rendering_npi: str  # 2310B NM109, or the billing NPI
    diagnosis_codes: tuple[str, ...]
    lines: tuple[SubmittedLine, ...]
    original_reference: str = ""  # REF*F8 (payer claim number of the claim replaced)
    prior_paid: Decimal | None = None  # 2320 AMT*D (COB: what earlier payers paid)
    segment_index: int = 0  # of the CLM segment


@dataclass(frozen=True, slots=True)
class Submitted837:
    sender_id: str  # ISA06
    receiver_id: str  # ISA08
    interchange_control_number: str  # ISA13
    group_control_number: str  # GS06
    transaction_control_numbers: tuple[str, ...]  # ST02 of each transaction set
    billing_name: str
    claims: tuple[SubmittedClaim, ...]
