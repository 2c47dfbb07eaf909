"""Reading X12: separators from the ISA segment, then segments as lists of elements.

Every reader starts here, and there is one splitter. `raw_segments(source)` reads the separators
from the fixed-width ISA (`delimiters`: a line-break segment terminator is allowed, as some payers
send one) and yields the segments as batches of raw strings; `numbered(source)` splits those into
`(index, elements)` pairs — `index` is the 1-based position in the interchange (ISA is 1) and
`elements[0]` is the segment id — so a reader can name where a problem is. `segments(text)` and
`stream_segments(source)` are the same pairs without the separators. A source is the whole text,
or a text file (or any iterable of text chunks) read piecewise, for files too large to hold twice;
a whole text is cut into slices and split exactly as a file is, so both read the same.
A byte-order mark and the layout people add between segments (ASCII spaces, tabs and line
breaks: `LAYOUT`) are dropped; nothing else is, so the information separators 0x1C-0x1F, which
Python counts as whitespace, stay separators. A NUL is refused: no X12 text holds one, and no
database text column can store it. (`transaction_sets` splits a file into its transaction sets
on these same segments.)

Speed matters (an 835 of 10,000 claims is ~200,000 segments and the benchmark holds us to half
the speed of a bare `split`), so segments are plain lists from `str.split`, not objects;
whitespace around terminators is removed once per chunk, not per segment; and the 835 reader takes
the raw batches and splits them in its own tight loop.

Value helpers (`parse_amount`, `parse_date`, …) convert element text and raise `X12Error` with the
segment position, so a reader never lets a `ValueError` or `IndexError` escape. Numbers are ASCII
digits only (`"٣".isdigit()` is true and `Decimal("٣")` is 3) and at most 18 of them, X12's
longest numeric element: more would trip `Decimal` precision or Python's limit on `int()`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TextIO

from bureau.x12.errors import X12Error

ISA_LENGTH = 106  # fixed width: 105 characters and the segment terminator
# ISA01…ISA16 widths: a short or long element shifts the terminator, so it is read from the
# wrong position unless every width is checked.
ISA_WIDTHS = (2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1)
LAYOUT = " \t\n\r\f\v"  # whitespace between segments that is layout, never data
MAX_DIGITS = 18  # X12 R and N elements are at most 18 digits (sign and point not counted)
_BOM = "\ufeff"
_NUL = "\x00"
_CHUNK = 1 << 16  # characters read from a file at a time
_TEXT_SLICE = 1 << 18  # characters of a text held whole handed to the splitter at a time

Tokens = list[str]
Source = str | TextIO | Iterable[str]


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The separators a reader needs. Unlike `envelope.Separators` (what Bureau writes), the
    segment terminator may be a line break (some payers end segments with a newline)."""

    element: str
    component: str
    segment: str


def delimiters(head: str) -> Delimiters:
    """The separators an interchange declares in its ISA: the element separator is character 4,
    the component separator ISA16, the terminator the character after it. Each must be one ASCII
    character that is no letter, digit or layout whitespace (a line-break terminator aside),
    and the three and ISA11's repetition separator must differ: otherwise an X12Error."""
    if not head.startswith("ISA"):
        raise X12Error(1, "the interchange does not start with ISA", segment_id=head[:3] or None)
    if len(head) < ISA_LENGTH:
        raise X12Error(
            1, f"ISA is {len(head)} characters; it must be {ISA_LENGTH}", segment_id="ISA"
        )
    element, segment = head[3], head[ISA_LENGTH - 1]
    _check_isa_widths(head, element)
    fields = head[: ISA_LENGTH - 1].split(element)
    component = fields[16]
    # ISA11 was the standards identifier "U" before 4020: a letter there is no separator.
    repetition = fields[11] if len(fields[11]) == 1 and not fields[11].isalnum() else ""
    for name, char in (("element", element), ("component", component), ("segment", segment)):
        line_break = name == "segment" and char in "\r\n"
        if not char.isascii() or char.isalnum() or (char in LAYOUT and not line_break):
            raise X12Error(1, f"bad separators in ISA: {name} separator {char!r}", segment_id="ISA")
    chosen = [element, component, segment] + ([repetition] if repetition else [])
    if len(set(chosen)) != len(chosen):
        raise X12Error(1, "bad separators in ISA: two are the same character", segment_id="ISA")
    return Delimiters(element, component, segment)


def _check_isa_widths(head: str, element: str) -> None:
    """ISA is fixed width (105 characters before its terminator): name the element whose width
    is wrong rather than read a separator from the wrong position."""
    fields = head[4:].split(element, 15)
    for number, width in enumerate(ISA_WIDTHS, start=1):
        value = fields[number - 1] if number <= len(fields) else ""
        if number == 16:
            value = value[:1]  # ISA16, then the terminator and whatever follows
        if len(value) != width or (number < 16 and number > len(fields) - 1):
            raise X12Error(
                1,
                f"ISA is fixed width: ISA{number:02d} has {len(value)} characters, "
                f"it must have {width}",
                segment_id="ISA",
            )


def decode_x12(data: bytes, *, strict: bool = True) -> str:
    """A file's bytes as text, the same at every entry point (web upload, `bureau era`, the
    folder and SFTP routes): a UTF-8 byte-order mark is dropped (some payers' tools write one),
    and the rest must be UTF-8, of which X12's basic and extended character sets (ASCII) are a
    subset. Anything else is an X12Error naming the first bad byte's offset — or, not `strict`
    (a route's inbox, where one bad file must not stop a poll), read byte for byte (latin-1) so
    the reader reports the stray character with the segment that carries it."""
    data = data.removeprefix(_BOM.encode())
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if not strict:
            return data.decode("latin-1")
        raise X12Error(
            None,
            f"byte {exc.start} ({data[exc.start]:#04x}) is not ASCII or UTF-8: "
            "an X12 file is plain text",
        ) from None


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
        return _chunk_batches(_slices(source))
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


_AROUND: dict[str, re.Pattern[str]] = {}  # terminator -> compiled pattern of layout around it
_LINE_WHITESPACE = ("\n", "\r", "\t", "\f", "\v")


def _tidy(text: str, terminator: str) -> str:
    """Layout around segment terminators removed: line breaks people add are never data, and
    doing it once per text is far cheaper than `strip()` per segment. Only `LAYOUT` counts:
    `\\s` would also take 0x1C-0x1F, which may be the element or component separator."""
    pattern = _AROUND.get(terminator)
    if pattern is None:
        around = "[" + re.escape(LAYOUT.replace(terminator, "")) + "]*"
        pattern = _AROUND[terminator] = re.compile(around + re.escape(terminator) + around)
    # Line breaks right after the terminator are by far the usual case: plain replacement is
    # many times faster than the pattern. Then the cheap tests (one-character searches are
    # memchr); the pattern covers every other kind of layout once any is found.
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
    """A byte-order mark and layout before the ISA removed; a NUL refused."""
    _refuse_nul(text)
    return text.removeprefix(_BOM).lstrip(LAYOUT)


def _refuse_nul(text: str) -> None:
    if _NUL in text:
        raise X12Error(None, "the file is not text: it holds a NUL character")


def _slices(text: str) -> Iterator[str]:
    """A text held whole, in pieces: the same path as a file read piecewise (one definition of
    what is layout at every entry point), and never a list of all its segments at once."""
    for start in range(0, len(text), _TEXT_SLICE):
        yield text[start : start + _TEXT_SLICE]


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
        # chunk. It always starts a segment, so leading layout can go.
        *complete, buffer = _tidy(buffer, terminator).lstrip(LAYOUT).split(terminator)
        yield complete
        chunk = next(chunks, None)
        if chunk is None:
            break
        _refuse_nul(chunk)
        buffer = buffer.lstrip(LAYOUT) + chunk
    yield [buffer.strip(LAYOUT)]


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


# An X12 R value as Python may read it: ASCII digits, at most one point, an optional minus; no
# exponent, no "+", no "_" (Decimal accepts "1_000"), no spaces, no NaN or Infinity.
_NUMBER = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)", re.ASCII)


def _bad(text: str, index: int, name: str, what: str) -> X12Error:
    """`name` is the element: its segment id and two digits ("CLP03", "SE01", "AK903")."""
    return X12Error(index, f"{name} {text[:40]!r} is not {what}", segment_id=name[:-2])


def _number(text: str, index: int, name: str, what: str) -> Decimal:
    digits = len(text) - text.count("-") - text.count(".")
    if _NUMBER.fullmatch(text) is None or digits > MAX_DIGITS:
        raise _bad(text, index, name, what)
    return Decimal(text)


def parse_amount(text: str, index: int, name: str) -> Decimal:
    """An X12 R value as money: at most two places (`125`, `-12.5`, `0.01`, `.5`), ASCII digits,
    at most 18 of them, an optional leading minus; always with two places (`125.00`).

    Checked with string tests and made two-place by padding the text: no pattern, no
    `quantize` — a payer's file of all-different amounts parses one per element, and this is
    the reader's hottest function then."""
    body = text[1:] if text[:1] == "-" else text
    whole, point, places = body.partition(".")
    if (
        len(places) > 2
        or not body.isascii()
        or not (whole.isdigit() or (not whole and places))
        or not (places.isdigit() or not places)
        or len(whole) + len(places) > MAX_DIGITS
    ):
        raise _bad(text, index, name, "an amount")
    return Decimal(text + ("" if point else ".") + _PADDING[len(places)])


_PADDING = ("00", "0", "")  # what two-place text needs after 0, 1 or 2 places


def parse_quantity(text: str, index: int, name: str) -> Decimal:
    return _number(text, index, name, "a number")


def parse_date(text: str, index: int, name: str) -> date:
    """CCYYMMDD (D8)."""
    if len(text) != 8 or not (text.isascii() and text.isdigit()):
        raise _bad(text, index, name, "a CCYYMMDD date")
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise _bad(text, index, name, "a real date") from None


def parse_int(text: str, index: int, name: str, what: str = "a whole number") -> int:
    """ASCII digits (`"²".isdigit()` is true and `int("²")` fails), at most 18 of them."""
    if not (text.isascii() and text.isdigit()) or len(text) > MAX_DIGITS:
        raise _bad(text, index, name, what)
    return int(text)


_CENT = Decimal("0.01")
