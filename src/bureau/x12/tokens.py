"""Reading X12: separators from the ISA segment, then segments as lists of elements.

Every reader starts here. `segments(text)` strips a byte-order mark and the line breaks people
add between segments, reads the four separators from the fixed-width ISA, and yields
`(index, elements)` pairs — `index` is the 1-based position in the interchange (ISA is 1) and
`elements[0]` is the segment id — so a reader can name where a problem is. `stream_segments`
does the same over a text file in chunks, for files too large to hold twice.

Speed matters (an 835 of 10,000 claims is ~200,000 segments and the benchmark holds us to half
the speed of a bare `split`), so segments are plain lists from `str.split`, not objects; readers
wrap the few values they need.

Value helpers (`parse_amount`, `parse_date`, …) convert element text and raise `X12Error` with the
segment position, so a reader never lets a `ValueError` or `IndexError` escape.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TextIO

from bureau.x12.envelope import Separators
from bureau.x12.errors import X12Error

ISA_LENGTH = 106  # fixed width: 105 characters and the segment terminator
_BOM = "\ufeff"
_CHUNK = 1 << 16

Tokens = list[str]


def read_separators(head: str) -> Separators:
    """The separators an interchange declares in its ISA (element: char 4, repetition: ISA11,
    component: ISA16, segment: the character after ISA16)."""
    if not head.startswith("ISA"):
        raise X12Error(1, "the interchange does not start with ISA", segment_id=head[:3] or None)
    if len(head) < ISA_LENGTH:
        raise X12Error(
            1, f"ISA is {len(head)} characters; it must be {ISA_LENGTH}", segment_id="ISA"
        )
    element = head[3]
    fields = head[:ISA_LENGTH].split(element)
    if len(fields) != 17:
        raise X12Error(
            1,
            f"ISA has {len(fields) - 1} elements; it must have 16 fixed-width elements",
            segment_id="ISA",
        )
    repetition = fields[11] if len(fields[11]) == 1 else "^"
    component = fields[16][:1]
    segment = head[ISA_LENGTH - 1]
    try:
        # ISA11 was the standards identifier "U" before 4020; treat a letter there as no
        # repetition separator rather than refusing the file.
        if repetition.isalnum():
            repetition = next(c for c in "^{|!" if c not in (element, component, segment))
        return Separators(element, component, repetition, segment)
    except X12Error as exc:
        raise X12Error(1, f"bad separators in ISA: {exc.reason}", segment_id="ISA") from None


def _clean(text: str) -> str:
    if text.startswith(_BOM):
        text = text[1:]
    return text.lstrip()


def segments(text: str) -> Iterator[tuple[int, Tokens]]:
    """Every segment of `text` (one or more interchanges) as (index, elements)."""
    text = _clean(text)
    seps = read_separators(text[:ISA_LENGTH])
    element, terminator = seps.element, seps.segment
    index = 0
    for raw in text.split(terminator):
        # Line breaks around segments are common; they are never data in X12.
        seg = raw.strip()
        if not seg:
            continue
        index += 1
        yield index, seg.split(element)


def stream_segments(source: TextIO | Iterable[str]) -> Iterator[tuple[int, Tokens]]:
    """Like `segments`, reading `source` (a text file or any iterable of text chunks) piecewise."""
    chunks: Iterator[str]
    if hasattr(source, "read"):
        reader: TextIO = source  # type: ignore[assignment]
        chunks = iter(lambda: reader.read(_CHUNK), "")
    else:
        chunks = iter(source)
    buffer = ""
    for chunk in chunks:
        buffer = _clean(buffer + chunk)
        if len(buffer) >= ISA_LENGTH:
            break
    if not buffer:
        raise X12Error(None, "the file is empty")
    seps = read_separators(buffer[:ISA_LENGTH])
    element, terminator = seps.element, seps.segment
    index = 0
    while True:
        *complete, buffer = buffer.split(terminator)
        for raw in complete:
            seg = raw.strip()
            if seg:
                index += 1
                yield index, seg.split(element)
        more = next(chunks, None)
        if more is None:
            break
        buffer += more
    tail = buffer.strip()
    if tail:
        index += 1
        yield index, tail.split(element)


def separators_of(text: str) -> Separators:
    return read_separators(_clean(text)[:ISA_LENGTH])


# -- element values -------------------------------------------------------------------------


def element(tokens: Tokens, position: int) -> str:
    """Element `position` (1-based, as the guides number them) or "" when absent."""
    return tokens[position] if position < len(tokens) else ""


def required(tokens: Tokens, position: int, index: int) -> str:
    value = tokens[position] if position < len(tokens) else ""
    if not value:
        raise X12Error(index, f"{tokens[0]}{position:02d} is required", segment_id=tokens[0])
    return value


def parse_amount(text: str, index: int, name: str) -> Decimal:
    """An X12 R value as money: at most two places, no exponent (`125`, `-12.5`, `0.01`)."""
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise X12Error(index, f"{name} {text!r} is not an amount", segment_id=name[:3]) from None
    if not value.is_finite() or value.as_tuple().exponent < -2 or "e" in text.lower():  # type: ignore[operator]
        raise X12Error(index, f"{name} {text!r} is not an amount", segment_id=name[:3])
    return value.quantize(_CENT)


def parse_quantity(text: str, index: int, name: str) -> Decimal:
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise X12Error(index, f"{name} {text!r} is not a number", segment_id=name[:3]) from None
    if not value.is_finite() or "e" in text.lower():
        raise X12Error(index, f"{name} {text!r} is not a number", segment_id=name[:3])
    return value


def parse_date(text: str, index: int, name: str) -> date:
    """CCYYMMDD (D8)."""
    if len(text) != 8 or not text.isdigit():
        raise X12Error(index, f"{name} {text!r} is not a CCYYMMDD date", segment_id=name[:3])
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise X12Error(index, f"{name} {text!r} is not a real date", segment_id=name[:3]) from None


def parse_int(text: str, index: int, name: str) -> int:
    if not text.isdigit():
        raise X12Error(index, f"{name} {text!r} is not a whole number", segment_id=name[:3])
    return int(text)


_CENT = Decimal("0.01")
