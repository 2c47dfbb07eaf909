"""What an inbound X12 file is, how it splits into segments, and the envelope bookkeeping
every reader shares.

`identify(text)` names an inbound file from its first GS08 / ST01 so the clearinghouse inbox can
route it ("835", "999", "277CA", "837P"). `raw_segments` / `numbered` split any inbound file (text,
or a file read piecewise) into segments, allowing a byte-order mark, line breaks between segments
and a line-break terminator. `Envelope` checks the ISA/GS/ST/SE/GE/IEA layers as a reader walks
the segments: control numbers that must match, the counts in SE01/GE01/IEA01, and an interchange
that ends without IEA (a truncated file). Readers call it only for envelope segments, so it costs
nothing per body segment.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TextIO

from bureau.x12.errors import X12Error
from bureau.x12.tokens import ISA_LENGTH, Tokens, element, read_separators

_CHUNK = 1 << 16
_BOM = "\ufeff"

_KINDS = {"835": "835", "999": "999"}


def identify(text: str) -> str:
    """ "835", "999", "277CA" or "837P", from the first functional group and transaction set."""
    version = ""
    for index, tokens in numbered(text)[1]:
        seg_id = tokens[0]
        if seg_id == "GS":
            version = element(tokens, 8)
        elif seg_id == "ST":
            set_id = element(tokens, 1)
            if set_id in _KINDS:
                return _KINDS[set_id]
            if set_id == "277" and "X214" in (version or element(tokens, 3)):
                return "277CA"
            if set_id == "837" and "X222" in (version or element(tokens, 3)):
                return "837P"
            raise X12Error(
                index, f"transaction set {set_id!r} ({version}) is not one Bureau reads",
                segment_id="ST",
            )  # fmt: skip
    raise X12Error(None, "the file has no transaction set (ST)")


def _numbered(batches: Iterator[list[str]], separator: str) -> Iterator[tuple[int, Tokens]]:
    index = 0
    for batch in batches:
        for raw in batch:
            if raw:
                index += 1
                yield index, raw.split(separator)


def numbered(source: str | TextIO) -> tuple[Delimiters, Iterator[tuple[int, Tokens]]]:
    """The separators, and (index, elements) for each segment like `tokens.segments`, for the
    readers where speed matters less (999, 277CA); a line-break terminator is allowed."""
    seps, batches = raw_segments(source)
    return seps, _numbered(batches, seps.element)


@dataclass(slots=True)
class Envelope:
    """The open ISA, GS and ST of the interchange being read, checked as they close.

    `set_id` is the ST01 a reader accepts ("835", "999", "277").
    """

    set_id: str
    sender_id: str = ""  # ISA06
    receiver_id: str = ""  # ISA08
    control_number: str = ""  # ISA13
    usage: str = ""  # ISA15
    group_control_number: str = ""  # GS06 of the open (or last) group
    isa_open: bool = False
    gs_open: bool = False
    st_index: int = 0  # index of the open ST, 0 when none is open
    st_control: str = ""
    interchanges: int = 0
    groups: int = 0  # in the open interchange
    transactions: int = 0  # in the open group
    last_index: int = 0

    def isa(self, index: int, tokens: Tokens) -> None:
        if self.isa_open:
            raise X12Error(index, "ISA inside an open interchange (no IEA)", segment_id="ISA")
        if len(tokens) != 17:
            raise X12Error(index, "ISA must have 16 elements", segment_id="ISA")
        self.sender_id = tokens[6].strip()
        self.receiver_id = tokens[8].strip()
        self.control_number = tokens[13].strip()
        self.usage = tokens[15].strip()
        if not self.control_number:
            raise X12Error(index, "ISA13 is required", segment_id="ISA")
        self.isa_open = True
        self.groups = 0
        self.interchanges += 1

    def gs(self, index: int, tokens: Tokens) -> None:
        if not self.isa_open or self.gs_open:
            raise X12Error(
                index, "GS outside an interchange or inside an open group", segment_id="GS"
            )
        self.group_control_number = _required(tokens, 6, index)
        self.gs_open = True
        self.transactions = 0
        self.groups += 1

    def st(self, index: int, tokens: Tokens) -> str:
        """Opens a transaction set; returns ST02."""
        if not self.gs_open or self.st_index:
            raise X12Error(
                index, "ST outside a group or inside an open transaction", segment_id="ST"
            )
        set_id = element(tokens, 1)
        if set_id != self.set_id:
            raise X12Error(index, f"ST01 {set_id!r} is not {self.set_id}", segment_id="ST")
        self.st_control = _required(tokens, 2, index)
        self.st_index = index
        self.transactions += 1
        return self.st_control

    def se(self, index: int, tokens: Tokens) -> None:
        if not self.st_index:
            raise X12Error(index, "SE without ST", segment_id="SE")
        count = _count(tokens, 1, index)
        if count != index - self.st_index + 1:
            raise X12Error(
                index, f"SE01 says {count} segments; the set has {index - self.st_index + 1}",
                segment_id="SE",
            )  # fmt: skip
        if element(tokens, 2) != self.st_control:
            raise X12Error(index, f"SE02 does not match ST02 {self.st_control!r}", segment_id="SE")
        self.st_index = 0

    def ge(self, index: int, tokens: Tokens) -> None:
        if not self.gs_open or self.st_index:
            raise X12Error(index, "GE without GS, or inside an open transaction", segment_id="GE")
        if _count(tokens, 1, index) != self.transactions:
            raise X12Error(
                index, f"GE01 is not the {self.transactions} transaction sets", segment_id="GE"
            )
        if element(tokens, 2) != self.group_control_number:
            raise X12Error(index, "GE02 does not match GS06", segment_id="GE")
        self.gs_open = False

    def iea(self, index: int, tokens: Tokens) -> None:
        if not self.isa_open or self.gs_open:
            raise X12Error(index, "IEA without ISA, or inside an open group", segment_id="IEA")
        if _count(tokens, 1, index) != self.groups:
            raise X12Error(index, f"IEA01 is not the {self.groups} groups", segment_id="IEA")
        if element(tokens, 2).strip() != self.control_number:
            raise X12Error(index, "IEA02 does not match ISA13", segment_id="IEA")
        self.isa_open = False

    def dispatch(self, index: int, tokens: Tokens) -> bool:
        """Handles GS/GE/IEA/ISA (not ST/SE, which the reader needs to see); False otherwise."""
        seg_id = tokens[0]
        if seg_id == "GS":
            self.gs(index, tokens)
        elif seg_id == "GE":
            self.ge(index, tokens)
        elif seg_id == "IEA":
            self.iea(index, tokens)
        elif seg_id == "ISA":
            self.isa(index, tokens)
        elif seg_id == "TA1":
            if not self.isa_open or self.gs_open:
                raise X12Error(index, "TA1 must sit between ISA and GS", segment_id="TA1")
        else:
            return False
        return True

    def finish(self, last_index: int) -> None:
        """At the end of the text: every envelope must be closed."""
        if self.interchanges == 0:
            raise X12Error(None, "the file holds no interchange")
        if self.isa_open or self.gs_open or self.st_index:
            raise X12Error(
                last_index, "the file ends inside an open envelope (no SE/GE/IEA: truncated?)"
            )


def _required(tokens: Tokens, position: int, index: int) -> str:
    value = element(tokens, position)
    if not value:
        raise X12Error(index, f"{tokens[0]}{position:02d} is required", segment_id=tokens[0])
    return value


def _count(tokens: Tokens, position: int, index: int) -> int:
    value = element(tokens, position)
    if not (value.isascii() and value.isdigit()):
        raise X12Error(
            index, f"{tokens[0]}{position:02d} {value!r} is not a count", segment_id=tokens[0]
        )
    return int(value)


# -- raw segments ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators a reader needs. Unlike `envelope.Separators` (what Bureau writes), the
    segment terminator may be a line break: some payers end segments with a newline."""

    element: str
    component: str
    segment: str


def delimiters(head: str) -> Delimiters:
    """From the ISA (`tokens.read_separators` checks it), allowing a line-break terminator."""
    terminator = head[ISA_LENGTH - 1 : ISA_LENGTH]
    if terminator in ("\n", "\r"):
        # Check the rest with a stand-in terminator the ISA does not use.
        stand_in = next(c for c in "~\x1c\x1d" if c not in head[:ISA_LENGTH])
        seps = read_separators(head[: ISA_LENGTH - 1] + stand_in)
        return Delimiters(seps.element, seps.component, terminator)
    seps = read_separators(head)
    return Delimiters(seps.element, seps.component, seps.segment)


def raw_segments(source: str | TextIO) -> tuple[Delimiters, Iterator[list[str]]]:
    """The separators, and the segments of `source` as batches of raw strings (the text between
    terminators, whitespace around it removed; empty strings are to be skipped). A reader splits
    each by `element` itself: a tight loop over plain strings is what keeps the 835 reader near
    the speed of a bare split (`tokens.segments` yields one tuple per segment)."""
    return _text_batches(source) if isinstance(source, str) else _file_batches(source)


_AROUND: dict[str, re.Pattern[str]] = {}  # terminator -> compiled pattern of whitespace around it


def _tidy(text: str, terminator: str) -> str:
    """Whitespace around segment terminators removed: line breaks people add are never data,
    and doing it once per text is far cheaper than `strip()` per segment."""
    pattern = _AROUND.get(terminator)
    if pattern is None:
        pattern = _AROUND[terminator] = re.compile(rf"\s*{re.escape(terminator)}\s*")
    # Line breaks right after the terminator are by far the usual case: plain replacement is
    # many times faster than the pattern. Then the cheap tests (one-character searches are
    # memchr); the pattern covers every other kind of whitespace once any is found.
    if "\n" in text and terminator != "\n":
        text = text.replace(terminator + "\r\n", terminator).replace(terminator + "\n", terminator)
    if (
        any(ws in text for ws in _LINE_WHITESPACE)
        or " " + terminator in text
        or terminator + " " in text
    ):
        return pattern.sub(terminator, text)
    return text


_LINE_WHITESPACE = ("\n", "\r", "\t", "\f", "\v")


def _text_batches(text: str) -> tuple[Delimiters, Iterator[list[str]]]:
    text = text.removeprefix(_BOM).lstrip()
    seps = delimiters(text[:ISA_LENGTH])
    return seps, iter((_tidy(text, seps.segment).strip().split(seps.segment),))


def _file_batches(source: TextIO) -> tuple[Delimiters, Iterator[list[str]]]:
    chunks = _chunks(source)
    buffer = ""
    for chunk in chunks:
        buffer = (buffer + chunk).removeprefix(_BOM).lstrip()
        if len(buffer) >= ISA_LENGTH:
            break
    if not buffer:
        raise X12Error(None, "the file is empty")
    seps = delimiters(buffer[:ISA_LENGTH])
    return seps, _file_rest(buffer, chunks, seps.segment)


def _file_rest(buffer: str, chunks: Iterator[str], terminator: str) -> Iterator[list[str]]:
    while True:
        # The text after the last terminator is an incomplete segment: keep it for the next
        # chunk. It always starts a segment, so leading whitespace can go.
        *complete, buffer = _tidy(buffer, terminator).lstrip().split(terminator)
        yield complete
        chunk = next(chunks, None)
        if chunk is None:
            break
        buffer = buffer.lstrip() + chunk
    yield [buffer.strip()]


def _chunks(source: TextIO) -> Iterator[str]:
    # A file opened as text can hold bytes that are not in its encoding.
    try:
        yield from iter(lambda: source.read(_CHUNK), "")
    except UnicodeDecodeError as exc:
        raise X12Error(None, f"the file is not text in its encoding: {exc.reason}") from None
