"""Reading a 999 implementation acknowledgment (005010X231A1) into `Ack999` objects.

    ST AK1                    the functional group acknowledged (our GS06)
      AK2                     each transaction set (our ST02)
        IK3 CTX               a segment in error
          IK4 CTX             an element in error
        IK5                   the set's outcome
    AK9                       the group's outcome
    SE

Each IK4 becomes its own `SegmentError` carrying its IK3's segment; an IK3 without IK4 becomes one
with no element. Malformed input raises `X12Error` naming the segment; nothing else escapes.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TextIO

from bureau.x12.ack999 import STATUS_CODES, Ack999, GroupAck, SegmentError, TransactionAck
from bureau.x12.errors import X12Error
from bureau.x12.interchange import EnvelopeCheck
from bureau.x12.tokens import Tokens, element, numbered, parse_int, required


def _count(tokens: Tokens, position: int, index: int) -> int:
    value = required(tokens, position, index)
    return parse_int(value, index, f"{tokens[0]}{position:02d}", "a number")


def _status(tokens: Tokens, index: int) -> str:
    status = required(tokens, 1, index)
    if status not in STATUS_CODES:
        raise X12Error(index, f"{tokens[0]}01 {status!r} is not a status", segment_id=tokens[0])
    return status


@dataclass(slots=True)
class _Set:
    """The AK2 being read."""

    index: int
    tokens: Tokens
    errors: list[SegmentError] = field(default_factory=list)
    ik3: Tokens | None = None  # the open IK3
    ik3_index: int = 0
    ik3_has_ik4: bool = False
    claim_reference: str = ""  # CTX*CLM01 after the open IK3


@dataclass(slots=True)
class _Ack:
    """The 999 transaction set being read."""

    index: int
    control_number: str
    ak1: Tokens | None = None
    transactions: list[TransactionAck] = field(default_factory=list)
    open_set: _Set | None = None
    group: GroupAck | None = None


class _Reader:
    def __init__(self, component: str) -> None:
        self.component = component
        self.env = EnvelopeCheck("999")
        self.ack: _Ack | None = None
        self.acks: list[Ack999] = []

    def read(self, stream: Iterator[tuple[int, Tokens]]) -> list[Ack999]:
        index = 0
        for index, tokens in stream:
            seg_id = tokens[0]
            if seg_id == "ST":
                self.ack = _Ack(index, self.env.st(index, tokens))
            elif seg_id == "SE":
                self._se(index, tokens)
            elif self.env.dispatch(index, tokens):
                continue
            else:
                self._body(index, tokens, self._open(index, seg_id))
        self.env.finish(index)
        return self.acks

    def _open(self, index: int, seg_id: str) -> _Ack:
        if self.ack is None:
            raise X12Error(index, "segment outside a transaction set (ST)", segment_id=seg_id)
        return self.ack

    def _body(self, index: int, tokens: Tokens, ack: _Ack) -> None:
        seg_id = tokens[0]
        if ack.ak1 is None and seg_id != "AK1":
            raise X12Error(index, "the first segment after ST must be AK1", segment_id=seg_id)
        if ack.group is not None:
            raise X12Error(index, "nothing may follow AK9 but SE", segment_id=seg_id)
        if seg_id == "AK1":
            if ack.ak1 is not None:
                raise X12Error(index, "a 999 acknowledges one group (one AK1)", segment_id="AK1")
            required(tokens, 1, index)
            required(tokens, 2, index)
            ack.ak1 = tokens
        elif seg_id == "AK2":
            if ack.open_set is not None:
                raise X12Error(index, "AK2 before the previous set's IK5", segment_id="AK2")
            required(tokens, 1, index)
            required(tokens, 2, index)
            ack.open_set = _Set(index, tokens)
        elif seg_id in ("IK3", "IK4", "CTX", "IK5"):
            self._in_set(index, tokens, ack)
        elif seg_id == "AK9":
            self._ak9(index, tokens, ack)
        else:
            raise X12Error(index, f"{seg_id[:10]!r} is not a segment of a 999", segment_id=seg_id)

    def _in_set(self, index: int, tokens: Tokens, ack: _Ack) -> None:
        seg_id = tokens[0]
        current = ack.open_set
        if current is None:
            raise X12Error(index, f"{seg_id} outside a set response (AK2)", segment_id=seg_id)
        if seg_id == "IK3":
            _close_ik3(current)
            required(tokens, 1, index)
            _count(tokens, 2, index)
            required(tokens, 4, index)
            current.ik3, current.ik3_index, current.ik3_has_ik4 = tokens, index, False
            current.claim_reference = ""
        elif seg_id == "IK4":
            if current.ik3 is None:
                raise X12Error(index, "IK4 without its IK3", segment_id="IK4")
            position = required(tokens, 1, index).split(self.component)[0]
            current.errors.append(
                _segment_error(
                    current,
                    parse_int(position, index, "IK401", "a position"),
                    required(tokens, 3, index),
                    tokens,
                )
            )
            current.ik3_has_ik4 = True
        elif seg_id == "IK5":
            _close_ik3(current)
            set_tokens = current.tokens
            ack.transactions.append(
                TransactionAck(
                    set_id=set_tokens[1],
                    control_number=set_tokens[2],
                    implementation_reference=element(set_tokens, 3),
                    status=_status(tokens, index),
                    syntax_errors=tuple(code for code in tokens[2:7] if code),
                    errors=tuple(current.errors),
                )
            )
            ack.open_set = None
        elif current.ik3 is not None:  # CTX: the claim the error is in (CTX*CLM01:<CLM01>)
            name, _, reference = element(tokens, 1).partition(self.component)
            if name == "CLM01":
                current.claim_reference = reference.split(self.component)[0]

    def _ak9(self, index: int, tokens: Tokens, ack: _Ack) -> None:
        if ack.open_set is not None:
            raise X12Error(index, "AK9 before the last set's IK5", segment_id="AK9")
        ak1 = ack.ak1
        assert ak1 is not None  # checked in _body
        ack.group = GroupAck(
            functional_id=ak1[1],
            group_control_number=ak1[2],
            version=element(ak1, 3),
            status=_status(tokens, index),
            included=_count(tokens, 2, index),
            received=_count(tokens, 3, index),
            accepted_count=_count(tokens, 4, index),
            transactions=tuple(ack.transactions),
        )

    def _se(self, index: int, tokens: Tokens) -> None:
        ack = self._open(index, "SE")
        if ack.group is None:
            raise X12Error(index, "the 999 has no AK9", segment_id="SE")
        self.env.se(index, tokens)
        self.acks.append(
            Ack999(
                sender_id=self.env.sender_id,
                receiver_id=self.env.receiver_id,
                control_number=self.env.control_number,
                transaction_control_number=ack.control_number,
                group=ack.group,
            )
        )
        self.ack = None


def _segment_error(current: _Set, position: int | None, code: str, ik4: Tokens) -> SegmentError:
    ik3 = current.ik3
    assert ik3 is not None  # callers check
    return SegmentError(
        segment_id=ik3[1],
        position=int(ik3[2]),
        loop_id=element(ik3, 3),
        error_code=ik3[4],
        element_position=position,
        element_error_code=code,
        bad_value=element(ik4, 4),
        claim_reference=current.claim_reference,
    )


def _close_ik3(current: _Set) -> None:
    # An IK3 without IK4 is an error in the segment as a whole.
    if current.ik3 is not None and not current.ik3_has_ik4:
        current.errors.append(_segment_error(current, None, "", ["IK4"]))
    current.ik3 = None


def read_999(source: str | TextIO) -> list[Ack999]:
    """Every 999 transaction set in `source` (text, or a text file)."""
    delimiters, stream = numbered(source)
    return _Reader(delimiters.component).read(stream)
