"""Reading X12: separators from the ISA segment, then segments as lists of elements.

Every reader starts here, and there is one splitter. `raw_segments(source)` reads the separators
from the fixed-width ISA (`delimiters`: a line-break segment terminator is allowed, as some payers
send one) and yields the segments as batches of raw strings; `numbered(source)` splits those into
`(index, elements)` pairs — `index` is the 1-based position in the interchange (ISA is 1) and
`elements[0]` is the segment id — so a reader can name where a problem is. `segments(text)` and
`stream_segments(source)` are the same pairs without the separators. A source is the whole text,
or a text file (or any iterable of text chunks) read piecewise, for files too large to hold twice.
A byte-order mark and the line breaks people add between segments are dropped.

Speed matters (an 835 of 10,000 claims is ~200,000 segments and the benchmark holds us to half
the speed of a bare `split`), so segments are plain lists from `str.split`, not objects;
whitespace around terminators is removed once per text, not per segment; and the 835 reader takes
the raw batches and splits them in its own tight loop.

Value helpers (`parse_amount`, `parse_date`, …) convert element text and raise `X12Error` with the
segment position, so a reader never lets a `ValueError` or `IndexError` escape.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TextIO

from bureau.x12.envelope import Separators
from bureau.x12.errors import X12Error

ISA_LENGTH = 106  # fixed width: 105 characters and the segment terminator
_BOM = "\ufeff"
_CHUNK = 1 << 16

Tokens = list[str]
Source = str | TextIO | Iterable[str]


def read_separators(head: str) -> Separators:
    """The separators an interchange declares in its ISA (element: char 4, repetition: ISA11,
    component: ISA16, segment: the character after ISA16), as Bureau would write them (so a
    line-break terminator is refused here; readers use `delimiters`)."""
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


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators a reader needs. Unlike `envelope.Separators` (what Bureau writes), the
    segment terminator may be a line break: some payers end segments with a newline."""

    element: str
    component: str
    segment: str


def delimiters(head: str) -> Delimiters:
    """From the ISA (`read_separators` checks it), allowing a line-break terminator."""
    terminator = head[ISA_LENGTH - 1 : ISA_LENGTH]
    if terminator in ("\n", "\r"):
        # Check the rest with a stand-in terminator the ISA does not use.
        stand_in = next(c for c in "~\x1c\x1d" if c not in head[:ISA_LENGTH])
        seps = read_separators(head[: ISA_LENGTH - 1] + stand_in)
        return Delimiters(seps.element, seps.component, terminator)
    seps = read_separators(head)
    return Delimiters(seps.element, seps.component, seps.segment)


def separators_of(text: str) -> Delimiters:
    """The separators of an interchange held whole (BOM and leading whitespace allowed)."""
    return delimiters(_clean(text)[:ISA_LENGTH])


# -- splitting ------------------------------------------------------------------------------


def raw_segments(source: Source) -> tuple[Delimiters, Iterator[list[str]]]:
    """The separators, and the segments of `source` as batches of raw strings (the text between
    terminators, whitespace around it removed; empty strings are to be skipped). A reader splits
    each by `element` itself: a tight loop over plain strings is what keeps the 835 reader near
    the speed of a bare split (`numbered` yields one tuple per segment)."""
    if isinstance(source, str):
        return _text_batches(source)
    return _chunk_batches(_chunks(source))


def numbered(source: Source) -> tuple[Delimiters, Iterator[tuple[int, Tokens]]]:
    """The separators, and (index, elements) for each segment of `source`, for the readers where
    speed matters less (999, 277CA, 837P)."""
    seps, batches = raw_segments(source)
    return seps, _numbered(batches, seps.element)


def segments(text: str) -> Iterator[tuple[int, Tokens]]:
    """Every segment of `text` (one or more interchanges) as (index, elements)."""
    return numbered(text)[1]


def stream_segments(source: TextIO | Iterable[str]) -> Iterator[tuple[int, Tokens]]:
    """Like `segments`, reading `source` (a text file or any iterable of text chunks) piecewise."""
    return numbered(source)[1]


def _numbered(batches: Iterator[list[str]], separator: str) -> Iterator[tuple[int, Tokens]]:
    index = 0
    for batch in batches:
        for raw in batch:
            if raw:
                index += 1
                yield index, raw.split(separator)


_AROUND: dict[str, re.Pattern[str]] = {}  # terminator -> compiled pattern of whitespace around it
_LINE_WHITESPACE = ("\n", "\r", "\t", "\f", "\v")


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


def _clean(text: str) -> str:
    """A byte-order mark and whitespace before the ISA removed."""
    return text.removeprefix(_BOM).lstrip()


def _text_batches(text: str) -> tuple[Delimiters, Iterator[list[str]]]:
    text = _clean(text)
    seps = delimiters(text[:ISA_LENGTH])
    return seps, iter((_tidy(text, seps.segment).strip().split(seps.segment),))


def _chunk_batches(chunks: Iterator[str]) -> tuple[Delimiters, Iterator[list[str]]]:
    buffer = ""
    for chunk in chunks:
        buffer = _clean(buffer + chunk)
        if len(buffer) >= ISA_LENGTH:
            break
    if not buffer:
        raise X12Error(None, "the file is empty")
    seps = delimiters(buffer[:ISA_LENGTH])
    return seps, _chunk_rest(buffer, chunks, seps.segment)


def _chunk_rest(buffer: str, chunks: Iterator[str], terminator: str) -> Iterator[list[str]]:
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


def _chunks(source: TextIO | Iterable[str]) -> Iterator[str]:
    # A file opened as text can hold bytes that are not in its encoding.
    try:
        if hasattr(source, "read"):
            reader: TextIO = source  # type: ignore[assignment]
            yield from iter(lambda: reader.read(_CHUNK), "")
        else:
            yield from source
    except UnicodeDecodeError as exc:
        raise X12Error(None, f"the file is not text in its encoding: {exc.reason}") from None


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
    if not (text.isascii() and text.isdigit()):  # "²".isdigit() is True, int("²") fails
        raise X12Error(index, f"{name} {text!r} is not a whole number", segment_id=name[:3])
    return int(text)


_CENT = Decimal("0.01")
