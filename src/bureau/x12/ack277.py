"""The 277CA claim acknowledgement (X214) as typed, frozen dataclasses.

A 277CA reports, per claim of our 837P, whether the payer (or clearinghouse) took it into
adjudication (STC category A1/A2) or rejected it at the front door (A3, A6, A7, A8, ...), with
the reason. The claim is identified by TRN02 in loop 2200D, which echoes CLM01 (our patient
control number), and gets the payer's claim number in REF*1K when accepted.

A payer may also answer above the claims: an STC at the information source (HL 20), receiver
(HL 21) or billing provider (HL 19) level. Rejected there, it rejects every claim under that
level: the claims listed beneath it, or, when none are (a whole file or provider refused at the
door), every claim of the acknowledged batch (of that billing provider, for HL 19).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

# Health care claim status category codes (STC01-1) that mean "not accepted for adjudication".
REJECTED_CATEGORIES = frozenset({"A3", "A4", "A6", "A7", "A8", "DR03", "E0", "E1"})


@dataclass(frozen=True, slots=True)
class ClaimStatus:
    """Loop 2200D (with its 2220D service lines folded into `line_statuses`)."""

    patient_control_number: str  # TRN02 = our CLM01
    category: str  # STC01-1, e.g. "A2" accepted, "A7" rejected
    status_code: str  # STC01-2, e.g. "21" missing or invalid information, "562" member id
    entity: str = ""  # STC01-3, entity identifier code the status is about
    status_date: date | None = None  # STC02
    action: str = ""  # STC03: WQ accepted, U rejected
    charge: Decimal | None = None  # STC04
    message: str = ""  # STC12 free-form text
    payer_claim_number: str = ""  # REF*1K
    service_start: date | None = None  # DTP*472
    service_end: date | None = None
    patient_last_name: str = ""  # NM1*QC
    patient_first_name: str = ""
    member_id: str = ""
    segment_index: int = 0  # of the TRN segment

    @property
    def rejected(self) -> bool:
        return self.category in REJECTED_CATEGORIES or self.action == "U"


# HL03 of the levels above the claims, and what each is.
LEVEL_NAMES = {
    "20": "information source (payer)",
    "21": "information receiver (whole batch)",
    "19": "billing provider",
}


@dataclass(frozen=True, slots=True)
class LevelStatus:
    """The STC of loop 2200A/B/C: the status of everything under an HL 20, 21 or 19."""

    level: str  # HL03: "20", "21" or "19"
    category: str  # STC01-1
    status_code: str  # STC01-2
    entity: str = ""  # STC01-3
    status_date: date | None = None  # STC02
    action: str = ""  # STC03
    charge: Decimal | None = None  # STC04
    message: str = ""  # STC12 of every STC of the level, joined
    trace: str = ""  # TRN02 of the level (2200B: the batch being answered)
    identifier: str = ""  # NM109: payer id (20), submitter id (21), billing NPI (19)
    name: str = ""  # NM103
    # TRN02 of every claim (2200D) listed beneath the level, in file order: the claims the
    # status is about. Empty means the level answers for claims it does not list.
    claim_numbers: tuple[str, ...] = ()
    segment_index: int = 0  # of the STC

    @property
    def rejected(self) -> bool:
        return self.category in REJECTED_CATEGORIES or self.action == "U"

    @property
    def level_name(self) -> str:
        return LEVEL_NAMES.get(self.level, self.level)


@dataclass(frozen=True, slots=True)
class Ack277:
    """One 277CA transaction set inside its interchange."""

    sender_id: str  # ISA06
    receiver_id: str  # ISA08
    control_number: str  # ISA13
    transaction_control_number: str  # ST02
    reference: str  # BHT03: the originator's reference
    created: date  # BHT04
    payer_name: str  # loop 2100A NM1*PR
    claims: tuple[ClaimStatus, ...] = ()
    # Written by writer277ca (the payer simulator); readers may leave them empty.
    payer_id: str = ""  # 2100A NM109 (PI)
    receiver_name: str = ""  # 2100B NM1*41, the information receiver (our submitter)
    submitter_id: str = ""  # 2100B NM109 (46), the information receiver's id
    receiver_trace: str = ""  # 2200B TRN02: the 837's BHT03 being answered
    received: date | None = None  # 2200A DTP*050 (the payer's receipt date)
    billing_provider_name: str = ""  # 2100C NM1*85
    billing_provider_npi: str = ""  # 2100C NM109 (XX)
    # Statuses of the levels above the claims (HL 20/21/19) that carry an STC, in file order.
    levels: tuple[LevelStatus, ...] = ()

    @property
    def rejected_levels(self) -> tuple[LevelStatus, ...]:
        return tuple(level for level in self.levels if level.rejected)
