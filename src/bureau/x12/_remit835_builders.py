"""The 835 reader's per-loop builders: the open service line (2110), claim (2100) and
transaction header, filled segment by segment and turned into the frozen `remit835` objects
when their loop closes. Private to `reader835`.

The element-value caches and token helpers stay in `reader835` beside the hot loop: moved out,
the reader measured a few percent slower against the bare split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bureau.x12.remit835 import Adjustment, ClaimPayment, ProviderAdjustment, ServicePayment
from bureau.x12.tokens import Tokens


@dataclass(slots=True)
class _Service:
    index: int
    qualifier: str
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units: Decimal | None
    service_date: date | None = None
    start_date: date | None = None  # DTM*150, used when no DTM*472
    line_control_number: str = ""
    allowed: Decimal | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)

    def build(self) -> ServicePayment:
        # Positional, in field order: this runs once per line of a 10,000-claim file.
        return ServicePayment(
            self.code,
            self.charge,
            self.paid,
            self.modifiers,
            self.qualifier,
            self.units,
            self.service_date or self.start_date,
            self.line_control_number,
            self.allowed,
            tuple(self.adjustments),
            tuple(self.remarks),
            self.index,
        )


@dataclass(slots=True)
class _Claim:
    index: int
    tokens: Tokens
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal | None
    last_name: str = ""
    first_name: str = ""
    member_id: str = ""
    statement_start: date | None = None
    statement_end: date | None = None
    adjustments: list[Adjustment] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    services: list[ServicePayment] = field(default_factory=list)

    def build(self) -> ClaimPayment:
        t = self.tokens
        n = len(t)
        # Positional, in field order (CLP01-09, NM1*QC, DTM*232/233, ...): once per claim.
        return ClaimPayment(
            t[1],
            t[2],
            self.charge,
            self.paid,
            self.patient_responsibility,
            t[6] if n > 6 else "",
            t[7] if n > 7 else "",
            t[8] if n > 8 else "",
            t[9] if n > 9 else "",
            self.last_name,
            self.first_name,
            self.member_id,
            self.statement_start,
            self.statement_end,
            tuple(self.adjustments),
            tuple(self.remarks),
            tuple(self.services),
            self.index,
        )


@dataclass(slots=True)
class _Header:
    index: int
    control_number: str
    handling_code: str = ""
    payment_amount: Decimal | None = None
    credit_debit: str = ""
    payment_method: str = ""
    payment_date: date | None = None
    trace_number: str = ""
    originator_id: str = ""
    payer_name: str = ""
    payer_id: str = ""
    payee_name: str = ""
    payee_npi: str = ""
    payee_tax_id: str = ""
    production_date: date | None = None
    party: str = ""  # the open 1000 loop: "PR", "PE" or ""
    claims: list[ClaimPayment] = field(default_factory=list)
    plb: list[ProviderAdjustment] = field(default_factory=list)
