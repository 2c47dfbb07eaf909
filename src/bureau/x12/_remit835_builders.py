"""The 835 reader's per-loop builders: the open service line (2110), claim (2100) and
transaction header, filled segment by segment and turned into the immutable `remit835` objects
when their loop closes (the header when its first claim opens). Private to `reader835`.

The element-value caches and token helpers stay in `reader835` beside the hot loop: moved out,
the reader measured a few percent slower against the bare split.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bureau.x12.remit835 import (
    Adjustment,
    ClaimPayment,
    PaymentHeader,
    ProviderAdjustment,
    ServicePayment,
)
from bureau.x12.tokens import Tokens

ZERO = Decimal("0.00")


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
    adjusted: Decimal = ZERO  # ΣCAS as the line's CAS segments pass

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
    adjusted: Decimal = ZERO  # ΣCAS of the claim and its closed lines, as they pass
    unbalanced: bool = False  # a closed line's charge − paid ≠ its ΣCAS

    def close_line(self, line: _Service) -> None:
        if line.charge - line.paid != line.adjusted:
            self.unbalanced = True
        self.adjusted += line.adjusted
        self.services.append(line.build())

    def balances(self) -> bool:
        """The guide's claim balancing (CLP03 − CLP04 = ΣCAS, and for each line), from the
        running sums: the messages (`remit835.claim_problems`) are only built when it fails."""
        return not self.unbalanced and self.charge - self.paid == self.adjusted

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
    announced: bool = False  # the header has gone out (`build`) with the first claim
    claim_count: int = 0
    total_paid: Decimal = Decimal("0.00")  # ΣCLP04, taken as the claims pass
    problems: list[str] = field(default_factory=list)
    plb: list[ProviderAdjustment] = field(default_factory=list)

    def build(self) -> PaymentHeader:
        assert self.payment_amount is not None and self.payment_date is not None
        return PaymentHeader(
            control_number=self.control_number,
            handling_code=self.handling_code,
            payment_amount=self.payment_amount,
            credit_debit=self.credit_debit,
            payment_method=self.payment_method,
            payment_date=self.payment_date,
            trace_number=self.trace_number,
            originator_id=self.originator_id,
            payer_name=self.payer_name,
            payer_id=self.payer_id or self.originator_id.removeprefix("1"),
            payee_name=self.payee_name,
            payee_npi=self.payee_npi,
            payee_tax_id=self.payee_tax_id,
            production_date=self.production_date,
            segment_index=self.index,
        )
