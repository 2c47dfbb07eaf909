"""Reading an 837P (005010X222A1) back into claim summaries (`submitted837`).

The payer simulator receives our 837P files and adjudicates from what a payer would look at:
the claim number (CLM01), charges, member and payer ids, providers, diagnoses and service lines.
Loops the summary does not need (pay-to, service facility, line-level providers, notes, ...) are
read past. Malformed input raises `X12Error` naming the segment and element, never another
exception; the envelopes (ISA/GS/ST/SE/GE/IEA) are checked like every other reader's.

The loop a segment belongs to is told by what came before it, as the guide defines: HL*20 opens
the billing provider, HL*22 the subscriber, HL*23 the patient, CLM the claim, SBR after CLM the
other subscriber (2320, whose NM1*IL/NM1*PR are not the claim's), LX a service line.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bureau.x12.errors import X12Error
from bureau.x12.interchange import EnvelopeCheck
from bureau.x12.submitted837 import Submitted837, SubmittedClaim, SubmittedLine
from bureau.x12.tokens import (
    Tokens,
    element,
    numbered,
    parse_amount,
    parse_date,
    parse_int,
    parse_quantity,
    required,
)

ZERO = Decimal("0.00")


@dataclass(slots=True)
class _Line:
    number: int
    index: int
    procedure_code: str = ""
    modifiers: tuple[str, ...] = ()
    charge: Decimal = ZERO
    units: Decimal = Decimal(1)
    service_date: date | None = None
    line_control_number: str = ""


@dataclass(slots=True)
class _Claim:
    index: int
    number: str
    charge: Decimal
    place_of_service: str
    frequency: str
    rendering_npi: str = ""
    original_reference: str = ""
    prior_paid: Decimal | None = None
    diagnoses: list[str] = field(default_factory=list)
    lines: list[_Line] = field(default_factory=list)


@dataclass(slots=True)
class _Context:
    """What the enclosing loops said: billing provider, subscriber, payer, patient."""

    billing_name: str = ""
    billing_npi: str = ""
    billing_tax_id: str = ""
    responsibility: str = ""
    member_id: str = ""
    subscriber_last: str = ""
    subscriber_first: str = ""
    payer_id: str = ""
    payer_name: str = ""
    patient_last: str = ""
    patient_first: str = ""


class _Reader:
    def __init__(self, component: str) -> None:
        self.component = component
        self.env = EnvelopeCheck("837")
        self.transactions: list[str] = []
        self.claims: list[SubmittedClaim] = []
        self.billing_names: list[str] = []
        self.ctx = _Context()
        self.loop = ""  # "2010AA", "2000B", "2000C", "2300", "2320", "2400"
        self.level = ""  # the HL loop claims hang from: "2000B" or "2000C"
        self.interchanges: list[Submitted837] = []
        self.claim: _Claim | None = None
        self.line: _Line | None = None
        self.handlers: dict[str, Callable[[int, Tokens], None]] = {
            "HL": self._hl,
            "NM1": self._nm1,
            "REF": self._ref,
            "SBR": self._sbr,
            "CLM": self._clm,
            "HI": self._hi,
            "AMT": self._amt,
            "LX": self._lx,
            "SV1": self._sv1,
            "DTP": self._dtp,
        }

    def read(self, stream: Iterator[tuple[int, Tokens]]) -> list[Submitted837]:
        index = 0
        for index, tokens in stream:
            seg_id = tokens[0]
            if seg_id == "ST":
                self.env.st(index, tokens)  # ST01 is 837, the version is 005010X222
                self._st(index, tokens)
            elif seg_id == "SE":
                self._finish_claim()
                self.loop = ""
                self.env.se(index, tokens)
            elif seg_id == "GS":
                self.env.gs(index, tokens)
                if element(tokens, 1) != "HC":
                    raise X12Error(
                        index, f"GS01 {element(tokens, 1)[:10]!r} is not HC (health care claim)",
                        segment_id="GS",
                    )  # fmt: skip
            elif seg_id == "IEA":
                self.env.iea(index, tokens)
                self._finish_interchange(index)
            elif self.env.dispatch(index, tokens):  # ISA, GE, TA1
                continue
            elif not self.env.st_index:
                raise X12Error(
                    index, "segment outside a transaction set (ST)", segment_id=seg_id[:10]
                )
            else:
                handler = self.handlers.get(seg_id)
                if handler is not None:
                    handler(index, tokens)
        # A file cut anywhere before its last IEA ends inside an envelope: refused here, so a
        # truncated file never passes for its first claims.
        self.env.finish(index)
        return self.interchanges

    def _finish_interchange(self, index: int) -> None:
        if not self.transactions:
            raise X12Error(index, "the interchange holds no 837 transaction set", segment_id="IEA")
        env = self.env
        self.interchanges.append(
            Submitted837(
                sender_id=env.sender_id,
                receiver_id=env.receiver_id,
                interchange_control_number=env.control_number,
                group_control_number=env.group_control_number,
                transaction_control_numbers=tuple(self.transactions),
                billing_name=self.billing_names[0] if self.billing_names else "",
                claims=tuple(self.claims),
            )
        )
        self.transactions, self.claims, self.billing_names = [], [], []

    def _st(self, index: int, t: Tokens) -> None:
        self.transactions.append(t[2])  # required by EnvelopeCheck.st
        self.ctx = _Context()
        self.loop = ""

    # Hierarchy ----------------------------------------------------------------------------

    def _hl(self, index: int, t: Tokens) -> None:
        self._finish_claim()
        level = required(t, 3, index)
        if level == "20":
            self.loop = self.level = "2000A"
            self.ctx = _Context()
        elif level == "22":
            self.loop = self.level = "2000B"
            ctx = self.ctx
            self.ctx = _Context(ctx.billing_name, ctx.billing_npi, ctx.billing_tax_id)
        elif level == "23":
            self.loop = self.level = "2000C"
            self.ctx.patient_last = self.ctx.patient_first = ""
        else:
            raise X12Error(index, f"HL03 {level[:10]!r} is not 20, 22 or 23", segment_id="HL")

    def _sbr(self, index: int, t: Tokens) -> None:
        if self.claim is not None:
            self.line = None
            self.loop = "2320"  # other subscriber: its names and payer are not this claim's
            return
        self.ctx.responsibility = required(t, 1, index)

    def _nm1(self, index: int, t: Tokens) -> None:
        entity = required(t, 1, index)
        ctx = self.ctx
        if entity == "85" and self.loop == "2000A":
            ctx.billing_name = " ".join(p for p in (element(t, 3), element(t, 4)) if p)
            ctx.billing_npi = element(t, 9)
            self.loop = "2010AA"
            if ctx.billing_name not in self.billing_names:
                self.billing_names.append(ctx.billing_name)
        elif self.loop in ("2320", "2400"):
            return  # other payers' names, line-level providers: not in the summary
        elif entity == "IL" and self.claim is None:
            ctx.member_id = element(t, 9)
            ctx.subscriber_last, ctx.subscriber_first = element(t, 3), element(t, 4)
            ctx.patient_last, ctx.patient_first = ctx.subscriber_last, ctx.subscriber_first
        elif entity == "PR" and self.claim is None:
            ctx.payer_name, ctx.payer_id = element(t, 3), element(t, 9)
        elif entity == "QC" and self.claim is None:
            ctx.patient_last, ctx.patient_first = element(t, 3), element(t, 4)
        elif entity == "82" and self.claim is not None:
            self.claim.rendering_npi = element(t, 9)
        elif entity == "87":
            self.loop = "2010AB"  # pay-to address: nothing the summary needs

    def _ref(self, index: int, t: Tokens) -> None:
        qualifier = element(t, 1)
        if self.loop == "2010AA" and qualifier in ("EI", "SY"):
            self.ctx.billing_tax_id = element(t, 2)
        elif self.loop == "2300" and self.claim is not None and qualifier == "F8":
            self.claim.original_reference = element(t, 2)
        elif self.loop == "2400" and self.line is not None and qualifier == "6R":
            self.line.line_control_number = element(t, 2)

    # The claim ----------------------------------------------------------------------------

    def _clm(self, index: int, t: Tokens) -> None:
        self._finish_claim()
        if self.loop not in ("2000B", "2000C"):
            raise X12Error(index, "CLM outside a subscriber or patient loop", segment_id="CLM")
        number = required(t, 1, index)
        charge = parse_amount(required(t, 2, index), index, "CLM02")
        place = required(t, 5, index).split(self.component)
        if len(place) < 3 or not place[0] or not place[2]:
            raise X12Error(index, "CLM05 must be place:B:frequency", segment_id="CLM")
        self.claim = _Claim(index, number, charge, place[0], place[2])
        self.loop = "2300"

    def _hi(self, index: int, t: Tokens) -> None:
        if self.claim is None or self.loop != "2300":
            return
        for composite in t[1:]:
            parts = composite.split(self.component)
            if len(parts) >= 2 and parts[0] in ("ABK", "ABF", "BK", "BF"):
                self.claim.diagnoses.append(parts[1])

    def _amt(self, index: int, t: Tokens) -> None:
        if self.claim is not None and self.loop == "2320" and element(t, 1) == "D":
            paid = parse_amount(required(t, 2, index), index, "AMT02")
            self.claim.prior_paid = (self.claim.prior_paid or ZERO) + paid

    def _lx(self, index: int, t: Tokens) -> None:
        if self.claim is None:
            raise X12Error(index, "LX outside a claim", segment_id="LX")
        number = parse_int(required(t, 1, index), index, "LX01", "a line number")
        self.line = _Line(number, index)
        self.claim.lines.append(self.line)
        self.loop = "2400"

    def _sv1(self, index: int, t: Tokens) -> None:
        if self.line is None or self.loop != "2400":
            raise X12Error(index, "SV1 outside a service line (LX)", segment_id="SV1")
        procedure = required(t, 1, index).split(self.component)
        if len(procedure) < 2 or not procedure[1]:
            raise X12Error(index, "SV101 must be qualifier:code", segment_id="SV1")
        self.line.procedure_code = procedure[1]
        self.line.modifiers = tuple(m for m in procedure[2:6] if m)
        self.line.charge = parse_amount(required(t, 2, index), index, "SV102")
        units = element(t, 4)
        self.line.units = parse_quantity(units, index, "SV104") if units else Decimal(1)

    def _dtp(self, index: int, t: Tokens) -> None:
        if self.line is None or self.loop != "2400" or element(t, 1) != "472":
            return
        value = required(t, 3, index)
        if element(t, 2) == "RD8":
            value = value.split("-")[0]
        self.line.service_date = parse_date(value, index, "DTP03")

    def _finish_claim(self) -> None:
        claim, self.claim, self.line = self.claim, None, None
        if claim is None:
            return
        ctx = self.ctx
        if not claim.lines:
            raise X12Error(claim.index, f"claim {claim.number} has no lines", segment_id="CLM")
        lines = []
        for line in claim.lines:
            if not line.procedure_code:
                raise X12Error(line.index, "service line without SV1", segment_id="LX")
            if line.service_date is None:
                raise X12Error(line.index, "service line without DTP*472", segment_id="LX")
            lines.append(
                SubmittedLine(
                    line_number=line.number,
                    procedure_code=line.procedure_code,
                    modifiers=line.modifiers,
                    charge=line.charge,
                    units=line.units,
                    service_date=line.service_date,
                    line_control_number=line.line_control_number,
                )
            )
        self.claims.append(
            SubmittedClaim(
                patient_control_number=claim.number,
                charge=claim.charge,
                place_of_service=claim.place_of_service,
                frequency=claim.frequency,
                payer_id=ctx.payer_id,
                payer_name=ctx.payer_name,
                responsibility=ctx.responsibility,
                member_id=ctx.member_id,
                subscriber_last_name=ctx.subscriber_last,
                subscriber_first_name=ctx.subscriber_first,
                patient_last_name=ctx.patient_last,
                patient_first_name=ctx.patient_first,
                billing_npi=ctx.billing_npi,
                billing_tax_id=ctx.billing_tax_id,
                rendering_npi=claim.rendering_npi or ctx.billing_npi,
                diagnosis_codes=tuple(claim.diagnoses),
                lines=tuple(lines),
                original_reference=claim.original_reference,
                prior_paid=claim.prior_paid,
                segment_index=claim.index,
            )
        )
        # The claim's loops end; the next CLM is under the same subscriber or patient.
        self.loop = self.level


def read_837p_summary(text: str) -> list[Submitted837]:
    """Every interchange in `text` (usually one) as a summary of its claims. The envelopes are
    checked as the other readers check them (`interchange.EnvelopeCheck`): control numbers,
    SE/GE/IEA counts, the 005010X222 version, and a file that ends before its IEA."""
    if not text or not text.strip():
        raise X12Error(None, "the file is empty")
    delimiters, stream = numbered(text)
    return _Reader(delimiters.component).read(stream)
