"""Reading a 277CA claim acknowledgement (005010X214) into `Ack277` objects.

    ST BHT
    2000A HL*..20  2100A NM1*PR          2200A TRN DTP*050/009      information source (payer)
    2000B HL*..21  2100B NM1*41          2200B TRN STC QTY AMT      information receiver (us)
    2000C HL*..19  2100C NM1*85          2200C TRN STC REF QTY AMT  billing provider
    2000D HL*..PT  2100D NM1*QC          2200D TRN STC REF DTP      each claim
                                           2220D SVC STC REF DTP    its service lines (read past)
    SE

The HL level decides what TRN, STC, REF and DTP mean, so they are read by level. A claim's first
STC is its status; later STCs (a payer may send several) add their messages. An STC at HL 20, 21
or 19 is that level's status (`LevelStatus`, with the claims listed beneath it): a rejection there
is the payer refusing the whole batch or provider, and must not read as "zero claims". Levels
nest by their codes (20 > 21 > 19 > PT), as the guide orders them. Malformed input raises
`X12Error` naming the segment; nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import TextIO

from bureau.x12.ack277 import Ack277, ClaimStatus, LevelStatus
from bureau.x12.errors import X12Error
from bureau.x12.interchange import EnvelopeCheck
from bureau.x12.tokens import Tokens, element, numbered, parse_amount, parse_date, required

# HL03 → depth: a level closes every open level at its depth or deeper.
_LEVELS = {"20": 0, "21": 1, "19": 2, "PT": 3}
_BODY = frozenset({"HL", "NM1", "TRN", "STC", "REF", "DTP", "QTY", "AMT", "SVC"})


@dataclass(slots=True)
class _Claim:
    index: int
    patient_control_number: str
    last_name: str
    first_name: str
    member_id: str
    status: ClaimStatus | None = None
    messages: list[str] = field(default_factory=list)
    payer_claim_number: str = ""
    service_start: date | None = None
    service_end: date | None = None

    def build(self) -> ClaimStatus:
        if self.status is None:
            raise X12Error(self.index, "the claim has no STC status", segment_id="TRN")
        return replace(
            self.status,
            message="; ".join(m for m in self.messages if m),
            payer_claim_number=self.payer_claim_number,
            service_start=self.service_start,
            service_end=self.service_end,
            patient_last_name=self.last_name,
            patient_first_name=self.first_name,
            member_id=self.member_id,
            segment_index=self.index,
        )


@dataclass(slots=True)
class _Level:
    """An open HL 20/21/19 and what was read under it."""

    index: int  # of the HL segment, for file order
    level: str
    name: str = ""
    identifier: str = ""
    trace: str = ""
    status: ClaimStatus | None = None
    messages: list[str] = field(default_factory=list)
    claim_numbers: list[str] = field(default_factory=list)

    def add_status(self, status: ClaimStatus) -> None:
        # The first rejecting STC is the level's status (else the first STC): a payer that
        # sends an acknowledgement and a rejection for one level has not accepted it.
        if self.status is None or (status.rejected and not self.status.rejected):
            self.status = status
        self.messages.append(status.message)

    def build(self) -> LevelStatus | None:
        status = self.status
        if status is None:
            return None  # a level without an STC says nothing about its claims
        return LevelStatus(
            level=self.level,
            category=status.category,
            status_code=status.status_code,
            entity=status.entity,
            status_date=status.status_date,
            action=status.action,
            charge=status.charge,
            message="; ".join(m for m in self.messages if m),
            trace=self.trace,
            identifier=self.identifier,
            name=self.name,
            claim_numbers=tuple(self.claim_numbers),
            segment_index=status.segment_index,
        )


@dataclass(slots=True)
class _Set:
    """The 277 transaction set being read."""

    index: int
    control_number: str
    reference: str = ""
    created: date | None = None
    level: str = ""  # HL03 of the open level
    in_service: bool = False  # inside 2220D
    payer_name: str = ""
    payer_id: str = ""
    receiver_name: str = ""
    submitter_id: str = ""
    receiver_trace: str = ""
    received: date | None = None
    provider_name: str = ""
    provider_npi: str = ""
    patient: tuple[str, str, str] = ("", "", "")  # NM1*QC last, first, member id
    claim: _Claim | None = None
    claims: list[ClaimStatus] = field(default_factory=list)
    open_levels: list[_Level] = field(default_factory=list)  # 20, 21, 19 from the outside in
    levels: list[tuple[int, LevelStatus]] = field(default_factory=list)

    def close_claim(self) -> None:
        if self.claim is not None:
            self.claims.append(self.claim.build())
            self.claim = None

    def close_levels(self, depth: int) -> None:
        """Close the open levels at `depth` or deeper (0 closes them all)."""
        while self.open_levels and _LEVELS[self.open_levels[-1].level] >= depth:
            closed = self.open_levels.pop()
            built = closed.build()
            if built is not None:
                self.levels.append((closed.index, built))

    def level_statuses(self) -> tuple[LevelStatus, ...]:
        return tuple(status for _, status in sorted(self.levels, key=lambda pair: pair[0]))


class _Reader:
    def __init__(self, component: str) -> None:
        self.component = component
        self.env = EnvelopeCheck("277")
        self.set: _Set | None = None
        self.acks: list[Ack277] = []

    def read(self, stream: Iterator[tuple[int, Tokens]]) -> list[Ack277]:
        index = 0
        for index, tokens in stream:
            seg_id = tokens[0]
            if seg_id == "ST":
                self.set = _Set(index, self.env.st(index, tokens))
            elif seg_id == "SE":
                self._se(index, tokens)
            elif seg_id == "BHT":
                self._bht(index, tokens)
            elif seg_id in _BODY:
                current = self._open(index, seg_id)
                if current.created is None:
                    raise X12Error(
                        index, "the first segment after ST must be BHT", segment_id=seg_id
                    )
                self._body(index, tokens, current)
            elif not self.env.dispatch(index, tokens):
                raise X12Error(
                    index, f"{seg_id[:10]!r} is not a segment of a 277CA", segment_id=seg_id[:10]
                )
        self.env.finish(index)
        return self.acks

    def _open(self, index: int, seg_id: str) -> _Set:
        if self.set is None:
            raise X12Error(index, "segment outside a transaction set (ST)", segment_id=seg_id)
        return self.set

    def _bht(self, index: int, tokens: Tokens) -> None:
        current = self._open(index, "BHT")
        if current.created is not None or index != current.index + 1:
            raise X12Error(index, "BHT comes once, right after ST", segment_id="BHT")
        current.reference = required(tokens, 3, index)
        current.created = parse_date(required(tokens, 4, index), index, "BHT04")

    def _body(self, index: int, tokens: Tokens, current: _Set) -> None:
        seg_id = tokens[0]
        if seg_id == "HL":
            level = required(tokens, 3, index)
            if level not in _LEVELS:
                raise X12Error(index, f"HL03 {level!r} is not a 277CA level", segment_id="HL")
            current.close_claim()
            current.close_levels(_LEVELS[level])
            if level != "PT":
                current.open_levels.append(_Level(index, level))
            current.level, current.in_service = level, False
            current.patient = ("", "", "")
            return
        level = current.level
        if not level:
            raise X12Error(index, f"{seg_id} before the first HL", segment_id=seg_id)
        if level == "PT":
            self._claim_segment(index, tokens, current)
            return
        opened = current.open_levels[-1]
        if seg_id == "NM1":
            _party(tokens, current)
            opened.name, opened.identifier = element(tokens, 3), element(tokens, 9)
        elif seg_id == "TRN":
            opened.trace = element(tokens, 2)
            if level == "21":
                current.receiver_trace = opened.trace
        elif seg_id == "STC":
            opened.add_status(self._stc(index, tokens, ""))
        elif seg_id == "DTP" and level == "20" and element(tokens, 1) == "050":
            current.received = parse_date(required(tokens, 3, index), index, "DTP03")
        elif seg_id == "SVC":
            raise X12Error(index, "SVC outside a claim (2200D)", segment_id="SVC")

    def _claim_segment(self, index: int, tokens: Tokens, current: _Set) -> None:
        seg_id = tokens[0]
        if seg_id == "NM1":
            if current.claim is not None:
                raise X12Error(index, "NM1 after the claim's TRN: no new HL", segment_id="NM1")
            current.patient = (element(tokens, 3), element(tokens, 4), element(tokens, 9))
            return
        if seg_id == "TRN":
            current.close_claim()
            current.in_service = False
            last, first, member = current.patient
            number = required(tokens, 2, index)
            current.claim = _Claim(index, number, last, first, member)
            for opened in current.open_levels:
                opened.claim_numbers.append(number)
            return
        claim = current.claim
        if claim is None:
            raise X12Error(index, f"{seg_id} before the claim's TRN", segment_id=seg_id)
        if seg_id == "SVC":
            current.in_service = True
        elif current.in_service:
            return  # 2220D service line status: Bureau tracks claims
        elif seg_id == "STC":
            status = self._stc(index, tokens, claim.patient_control_number)
            if claim.status is None:
                claim.status = status
            claim.messages.append(status.message)
        elif seg_id == "REF" and element(tokens, 1) == "1K":
            claim.payer_claim_number = required(tokens, 2, index)
        elif seg_id == "DTP" and element(tokens, 1) == "472":
            claim.service_start, claim.service_end = _service_dates(index, tokens)

    def _stc(self, index: int, tokens: Tokens, number: str) -> ClaimStatus:
        parts = required(tokens, 1, index).split(self.component)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise X12Error(index, "STC01 needs a category and a status code", segment_id="STC")
        when = element(tokens, 2)
        amount = element(tokens, 4)
        charge: Decimal | None = parse_amount(amount, index, "STC04") if amount else None
        return ClaimStatus(
            patient_control_number=number,
            category=parts[0],
            status_code=parts[1],
            entity=parts[2] if len(parts) > 2 else "",
            status_date=parse_date(when, index, "STC02") if when else None,
            action=element(tokens, 3),
            charge=charge,
            message=element(tokens, 12),
            segment_index=index,
        )

    def _se(self, index: int, tokens: Tokens) -> None:
        current = self._open(index, "SE")
        if current.created is None:
            raise X12Error(index, "the 277CA has no BHT", segment_id="SE")
        current.close_claim()
        current.close_levels(0)
        self.env.se(index, tokens)
        self.acks.append(
            Ack277(
                sender_id=self.env.sender_id,
                receiver_id=self.env.receiver_id,
                control_number=self.env.control_number,
                transaction_control_number=current.control_number,
                reference=current.reference,
                created=current.created,
                payer_name=current.payer_name,
                claims=tuple(current.claims),
                payer_id=current.payer_id,
                receiver_name=current.receiver_name,
                submitter_id=current.submitter_id,
                receiver_trace=current.receiver_trace,
                received=current.received,
                billing_provider_name=current.provider_name,
                billing_provider_npi=current.provider_npi,
                levels=current.level_statuses(),
            )
        )
        self.set = None


def _party(tokens: Tokens, current: _Set) -> None:
    entity, name, ident = element(tokens, 1), element(tokens, 3), element(tokens, 9)
    if current.level == "20" and entity == "PR":
        current.payer_name, current.payer_id = name, ident
    elif current.level == "21" and entity == "41":
        current.receiver_name, current.submitter_id = name, ident
    elif current.level == "19" and entity == "85":
        current.provider_name, current.provider_npi = name, ident


def _service_dates(index: int, tokens: Tokens) -> tuple[date, date | None]:
    """DTP*472: D8 one day, RD8 "CCYYMMDD-CCYYMMDD"."""
    qualifier, value = element(tokens, 2), required(tokens, 3, index)
    if qualifier == "RD8":
        start, dash, end = value.partition("-")
        if not dash:
            raise X12Error(index, f"DTP03 {value!r} is not a date range", segment_id="DTP")
        return parse_date(start, index, "DTP03"), parse_date(end, index, "DTP03")
    if qualifier != "D8":
        raise X12Error(index, f"DTP02 {qualifier!r} is not D8 or RD8", segment_id="DTP")
    return parse_date(value, index, "DTP03"), None


def read_277ca(source: str | TextIO) -> list[Ack277]:
    """Every 277CA transaction set in `source` (text, or a text file)."""
    delimiters, stream = numbered(source)
    return _Reader(delimiters.component).read(stream)
