"""A text held whole and the same text read from a file, a few characters at a time, read alike
(issue 10, item 9): control and Unicode whitespace next to a segment terminator — the
information separators 0x1C-0x1F, NEL (U+0085), no-break space (U+00A0), line separator
(U+2028) — is data to both, never layout to one and data to the other. Both go through one
splitter (`tokens.raw_segments`), so there is one definition of what is stripped: `LAYOUT`."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest

from bureau.x12.errors import X12Error
from bureau.x12.reader277 import read_277ca
from bureau.x12.reader835 import iter_remittances
from bureau.x12.reader999 import read_999
from bureau.x12.tests.test_tokens import golden
from bureau.x12.tokens import LAYOUT

ODD = ["\x1c", "\x1d", "\x1e", "\x1f", "\x85", "\xa0", "\u2028", " ", "\t", "\r\n"]
READERS: dict[str, tuple[str, Callable[[Any], Any]]] = {
    "835": ("payment.835", lambda source: list(iter_remittances(source))),
    "999": ("rejected.999", read_999),
    "277": ("claims.277", read_277ca),
}


class _Trickle(io.TextIOBase):
    """A text file that hands over at most `size` characters per read."""

    def __init__(self, text: str, size: int) -> None:
        self.inner, self.size = io.StringIO(text, newline=""), size

    def read(self, size: int | None = -1) -> str:
        return self.inner.read(self.size)


def _outcome(read: Callable[[Any], Any], source: object) -> object:
    try:
        return read(source)
    except X12Error as exc:
        return f"X12Error: {exc}"


def _placements(text: str, char: str) -> list[str]:
    """`char` after the 3rd terminator, before the 6th, and on both sides of the 9th."""
    terminator = text[105]
    ends = [i for i, c in enumerate(text) if c == terminator]
    after, before, both = ends[2] + 1, ends[5], ends[8]
    return [
        text[:after] + char + text[after:],
        text[:before] + char + text[before:],
        text[:both] + char + terminator + char + text[both + 1 :],
    ]


@pytest.mark.parametrize("kind", sorted(READERS))
@pytest.mark.parametrize("char", ODD, ids=[f"U+{ord(c[0]):04X}" for c in ODD])
def test_text_and_file_read_alike_with_odd_characters_at_terminators(kind: str, char: str) -> None:
    name, read = READERS[kind]
    untouched = _outcome(read, golden(name))
    wholes = []
    for text in _placements(golden(name), char):
        whole = _outcome(read, text)
        wholes.append(whole)
        for size in (1, 7, 4096):
            assert _outcome(read, _Trickle(text, size)) == whole, (kind, repr(char), size)
    if all(c in LAYOUT for c in char):  # layout is dropped: the file reads as untouched
        assert wholes == [untouched] * 3
    else:  # anything else is data: somewhere it changes what is read (or is refused)
        assert any(whole != untouched for whole in wholes), (kind, repr(char))
