"""What the scrubber looks at: frozen, typed, built once per claim by the service (or by a test
or the benchmark, with no database at all).

Timely filing: `ClaimSnapshot.timely_filing_days` is resolved by the service from the setting
`claims.timely_filing_days` for (practice, payer) when a workspace, practice or payer row sets it;
when nothing is configured (the registry default) the payer's own `Payer.timely_filing_days` is
used, because the payer record is where the contract limit is usually typed in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any


class EnrollmentState(StrEnum):
    """The rendering provider's enrollment with the payer on the date of service."""

    ACTIVE = "active"
    PENDING = "pending"
    TERMINATED = "terminated"
    MISSING = "missing"


@dataclass(frozen=True, slots=True)
class LineSnapshot:
    number: int
    procedure_code: str
    modifiers: tuple[str, ...] = ()
    pointers: tuple[int, ...] = ()
    units: Decimal = Decimal(1)
    charge: Decimal = Decimal(0)
    date_of_service: date | None = None  # None: the claim's date of service


# (patient id, date of service, procedure code, payer id): what makes two claims duplicates.
DuplicateKey = tuple[int, date, str, int]


@dataclass(frozen=True, slots=True)
class ClaimSnapshot:
    claim_id: int | None
    number: str
    practice_id: int
    payer_id: int
    timely_filing_days: int
    date_of_service: date
    today: date
    patient_id: int
    patient_dob: date | None
    patient_sex: str
    member_id: str
    diagnosis_codes: tuple[str, ...]
    billing_npi: str
    rendering_npi: str
    rendering_provider_id: int | None
    enrollment: EnrollmentState
    lines: tuple[LineSnapshot, ...]
    payer_code: str = ""  # the payer's EDI id (what custom rules call `payer_id`)
    place_of_service: str = "11"
    frequency: str = "1"  # CLM05-3: 1 original, 7 replacement, 8 void
    # Street, city, state and ZIP all there: the 837P carries the patient's address (2010BA or
    # 2010CA), and a claim without one could not be written into a batch.
    patient_address_complete: bool = True

    def line_date(self, line: LineSnapshot) -> date:
        return line.date_of_service or self.date_of_service

    def duplicate_keys(self) -> set[DuplicateKey]:
        return {
            (self.patient_id, self.line_date(line), line.procedure_code, self.payer_id)
            for line in self.lines
        }

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal(0))


@dataclass(frozen=True, slots=True)
class ScrubContext:
    """Tables and configuration shared by many claims.

    `ncci`: (column 1 code, column 2 code) -> modifier indicator (0: never together, 1: allowed
    with a bypass modifier). `mue`: code -> maximum units per day. `existing_claims`: duplicate
    key -> ids of the claims that carry it (a claim is a duplicate when another id holds one of
    its keys, so one mapping serves a whole bulk run). `custom_rules`: parsed
    `scrub.custom_rules` for the claim's practice and payer.
    """

    ncci: Mapping[tuple[str, str], int] = field(default_factory=dict)
    mue: Mapping[str, int] = field(default_factory=dict)
    custom_rules: tuple[Mapping[str, Any], ...] = ()
    rules_enabled: bool = True
    existing_claims: Mapping[DuplicateKey, frozenset[int | None]] = field(default_factory=dict)


class HitKind(StrEnum):
    ERROR = "error"
    WARNING = "warning"


CREDENTIALING_RULE = "credentialing"


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    severity: str  # "error" or "warning" (ScrubHit.severity)
    message: str
    line_number: int | None = None

    @property
    def is_error(self) -> bool:
        return self.severity == HitKind.ERROR

    @property
    def is_credentialing(self) -> bool:
        return self.rule == CREDENTIALING_RULE
