"""One mutation engine for the readers' property tests and `make fuzz` (bench/fuzz_x12.py).

`mutate(rng, text, seps)` damages a valid X12 text once, in one of `KINDS`, the ways real files
and hostile ones go wrong: a flipped byte, a segment dropped, duplicated or swapped with another,
an element cut short, a separator exchanged for another, the file cut off anywhere, a number far
past what X12 allows (27+ digit amounts, 5,000-digit counts: `int()` refuses more than 4,300
digits, `Decimal` arithmetic more than 28), junk values and stray characters.

`rng` is any `random.Random`: a seeded one in the fuzz run (fast, no shrinking), hypothesis'
`st.randoms()` in the tests (so a failure shrinks to a small reproducer). Only `randrange`,
`choice` and `random` are called, all cheap. Mostly past the ISA: damage inside it only ever
meets the separator check, so it is one mutation in ten there, and the `isa` kind for it.
"""

from __future__ import annotations

import io
import random
import re
from collections.abc import Callable
from dataclasses import dataclass

from bureau.x12.reader277 import read_277ca
from bureau.x12.reader835 import iter_remittances, read_835
from bureau.x12.reader837 import read_837p_summary
from bureau.x12.reader999 import read_999
from bureau.x12.sniff import identify
from bureau.x12.tokens import LAYOUT, delimiters

KINDS = (
    "flip",  # one bit of one character (a byte read as latin-1, as the routes do)
    "drop",  # a segment removed
    "duplicate",  # a segment repeated in place
    "swap",  # two segments exchanged
    "element_cut",  # an element's value cut short, or a segment cut after some element
    "separator_swap",  # one separator character replaced by another separator
    "reseparate",  # two separators exchanged throughout the file (ISA included)
    "isa",  # a separator position of the ISA given another character (often a clash)
    "truncate",  # the file cut at any character
    "huge",  # a numeric element replaced by a number far past X12's 18 digits
    "junk",  # an element replaced by something that is no X12 value
    "char",  # a stray character inserted or replacing one, maybe next to a terminator
)

HUGE = (
    "9" * 27,
    "-" + "9" * 27,
    "1" + "0" * 26 + ".01",
    "9" * 40 + ".99",
    "1" * 5000,
    "9" * 4301,
    "0" * 5000 + "1",
    "0." + "0" * 30 + "1",
    "1" + "0" * 18,
    "9" * 19,
    "123456789012345678.9",
)
JUNK = (
    "", "-", ".", "-.", "1e5", "1E+99", "NaN", "Infinity", "+5", "1_000", " 1", "1 ", "²",
    "٣٣٣", "0x1F", "--1", "1..2", "1.2.3", "\x00", "Ω", "ß", "\u0660", "99999999999999999999.999",
    "20251301", "20250230", "00000000", "99999999",
)  # fmt: skip
# Stray characters: separators, layout, control and Unicode whitespace (the 0x1C-0x1F
# information separators, NEL, NBSP, LINE SEPARATOR), a BOM, a NUL, non-ASCII digits.
CHARS = "*:^~|>\n\r\t \x1c\x1d\x1e\x1f\x85\xa0\u2028\ufeff\x00\x7f0123456789.-ABCXYZ²٣é\U0001f600"
# Segments whose numbers readers convert: envelope counts, 999 counts and positions, amounts.
COUNTED = ("SE", "GE", "IEA", "AK9", "IK3", "IK4", "CLP", "CLM", "SV1", "STC", "PLB", "SVC", "BPR")
_NUMERIC = re.compile(r"-?[0-9]*\.?[0-9]+")
_ISA_SEPARATOR_POSITIONS = (3, 82, 104, 105)  # element, repetition, component, terminator


@dataclass(frozen=True, slots=True)
class Seed:
    """A valid text to mutate, with its separators (found once, not per mutation)."""

    name: str
    text: str
    element: str
    component: str
    segment: str
    pattern: re.Pattern[str]  # any one of the separators


def seed(name: str, text: str) -> Seed:
    seps = delimiters(text.removeprefix("\ufeff")[:106])
    chars = {seps.element, seps.component, seps.segment, "^"}
    pattern = re.compile("[" + re.escape("".join(sorted(chars))) + "]")
    return Seed(name, text, seps.element, seps.component, seps.segment, pattern)


class Pieces(io.StringIO):
    """A text file whose `read(n)` returns pieces of random size (1-300 characters), so the
    streaming reader meets segments, separators and the ISA split across reads."""

    def __init__(self, text: str, rng: random.Random) -> None:
        super().__init__(text)
        self._rng = rng

    def read(self, size: int | None = -1) -> str:
        return super().read(1 + self._rng.randrange(300))


def mutated(rng: random.Random, base: Seed, *, first: str | None = None) -> str:
    """`base` mutated one to three times (mostly once); `first` forces the first kind."""
    text = mutate(rng, base, base.text, first or rng.choice(KINDS))
    if rng.random() < 0.3:
        text = mutate(rng, base, text, rng.choice(KINDS))
        if rng.random() < 0.3:
            text = mutate(rng, base, text, rng.choice(KINDS))
    return text


def mutate(rng: random.Random, base: Seed, text: str, kind: str) -> str:
    if not text:
        return rng.choice(CHARS)
    return (
        _TEXT_KINDS[kind](rng, base, text)
        if kind in _TEXT_KINDS
        else _segments(rng, base, text, kind)
    )


def _flip(rng: random.Random, base: Seed, text: str) -> str:
    at = rng.randrange(len(text))
    return text[:at] + chr(ord(text[at]) ^ (1 << rng.randrange(8))) + text[at + 1 :]


def _separator_swap(rng: random.Random, base: Seed, text: str) -> str:
    found = base.pattern.search(text, rng.randrange(len(text))) or base.pattern.search(text)
    if found is None:
        return text
    at = found.start()
    others = [c for c in (base.element, base.component, base.segment, "^") if c != text[at]]
    return text[:at] + rng.choice(others) + text[at + 1 :]


def _reseparate(rng: random.Random, base: Seed, text: str) -> str:
    chars = [base.element, base.component, base.segment, "^", rng.choice(CHARS)]
    a = chars[rng.randrange(4)]
    b = rng.choice([c for c in chars if c != a] or [a])
    return text.translate({ord(a): b, ord(b): a})


def _isa(rng: random.Random, base: Seed, text: str) -> str:
    at = rng.choice(_ISA_SEPARATOR_POSITIONS)
    if at >= len(text):
        return text
    others = [p for p in _ISA_SEPARATOR_POSITIONS if p != at and p < len(text)]
    if others and rng.random() < 0.5:  # another declared separator: two positions clash
        new = text[rng.choice(others)]
    else:
        new = rng.choice(CHARS + "A1 ")
    return text[:at] + new + text[at + 1 :]


def _truncate(rng: random.Random, base: Seed, text: str) -> str:
    return text[: rng.randrange(len(text) + 1)]


def _char(rng: random.Random, base: Seed, text: str) -> str:
    new = rng.choice(CHARS)
    if rng.random() < 0.3:  # beside a terminator, where stripping rules differ
        at = text.find(base.segment, rng.randrange(len(text)))
        at = max(at, 0) + rng.randrange(2)
    else:
        at = rng.randrange(len(text))
    skip = 1 if rng.random() < 0.5 else 0
    return text[:at] + new + text[at + skip :]


_TEXT_KINDS: dict[str, Callable[[random.Random, Seed, str], str]] = {
    "flip": _flip,
    "separator_swap": _separator_swap,
    "reseparate": _reseparate,
    "isa": _isa,
    "truncate": _truncate,
    "char": _char,
}


def _segments(rng: random.Random, base: Seed, text: str, kind: str) -> str:
    term, sep = base.segment, base.element
    parts = text.split(term)
    n = len(parts)
    i = rng.randrange(n) if n < 2 or rng.random() < 0.1 else 1 + rng.randrange(n - 1)
    if kind == "drop":
        del parts[i]
    elif kind == "duplicate":
        parts.insert(i, parts[i])
    elif kind == "swap":
        j = rng.randrange(n)
        parts[i], parts[j] = parts[j], parts[i]
    else:
        if kind == "huge":
            i = _numeric_segment(rng, parts, base, i)
        elements = parts[i].split(sep)
        k = 1 + rng.randrange(len(elements) - 1) if len(elements) > 1 else 0
        if kind == "element_cut":
            if rng.random() < 0.5:
                elements = elements[: max(k, 1)]
            else:
                elements[k] = elements[k][: rng.randrange(len(elements[k]) + 1)]
        elif kind == "huge":  # in the first component: IK401 is "position:component"
            numeric = [m for m in range(1, len(elements)) if _is_number(elements[m], base)]
            m = rng.choice(numeric) if numeric else k
            rest = elements[m].partition(base.component)[1:]
            elements[m] = rng.choice(HUGE) + "".join(rest)
        else:  # junk
            elements[k] = rng.choice(JUNK)
        parts[i] = sep.join(elements)
    return term.join(parts)


def _numeric_segment(rng: random.Random, parts: list[str], base: Seed, i: int) -> int:
    """Half the time a segment that carries a count or an amount readers convert (SE01, GE01,
    IEA01, AK9, IK3/IK4 positions, CLP/CLM/SV1/STC/PLB amounts); otherwise one holding any number,
    found by a few random tries (a scan of every segment would cost more than the read)."""
    if rng.random() < 0.5:
        wanted = rng.choice(COUNTED) + base.element
        found = [k for k, part in enumerate(parts) if part.lstrip(LAYOUT).startswith(wanted)]
        if found:
            return rng.choice(found)
    for _ in range(8):
        if any(_is_number(e, base) for e in parts[i].split(base.element)[1:]):
            return i
        i = 1 + rng.randrange(len(parts) - 1) if len(parts) > 1 else 0
    return i


def _is_number(value: str, base: Seed) -> bool:
    return _NUMERIC.fullmatch(value.partition(base.component)[0]) is not None


def _835(text: str, rng: random.Random) -> object:
    return [r.balancing_problems() for r in iter_remittances(text)]


def _835_file(text: str, rng: random.Random) -> object:
    return [r.balancing_problems() for r in read_835(Pieces(text, rng)).remittances]


# Each reader under fuzz and the property tests: the golden files it is seeded with, and how
# it reads a text (the 835 as a string and as a file handed over in random-sized pieces).
READERS: dict[str, tuple[tuple[str, ...], Callable[[str, random.Random], object]]] = {
    "835": (("payment.835", "reversal_plb.835", "separators.835"), _835),
    "835-file": (("payment.835", "reversal_plb.835", "separators.835"), _835_file),
    "999": (("accepted.999", "rejected.999"), lambda text, rng: read_999(text)),
    "277CA": (("claims.277",), lambda text, rng: read_277ca(text)),
    "837P": (
        ("primary.x12", "secondary.x12", "dependents.x12"),
        lambda text, rng: read_837p_summary(text),
    ),
    "sniff": (
        ("payment.835", "accepted.999", "claims.277", "primary.x12"),
        lambda text, rng: identify(text),
    ),
}
