"""Hypothesis: random damage to valid files makes the readers raise `X12Error` or succeed —
never another exception — and errors name a segment whenever the problem has a place."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bureau.x12.errors import X12Error
from bureau.x12.reader277 import read_277ca
from bureau.x12.reader835 import iter_remittances, read_835
from bureau.x12.reader999 import read_999
from bureau.x12.sniff import identify
from bureau.x12.tokens import delimiters

GOLDEN = Path(__file__).parent / "golden"
FILE_WIDE = ("empty", "no interchange", "more than one interchange", "not text", "no transaction")
JUNK = ["", "-", ".", "1e5", "NaN", "²", "٣", "0x1F", "99999999999999999999.999", "\x00", " ", "Ω"]
CHARS = "*:^~|>\n\r 0123456789.-ABCXYZ²٣\ufeff\x00é"


def golden(name: str) -> str:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return handle.read()


def _835(text: str) -> object:
    return [r.balancing_problems() for r in iter_remittances(text)]


READERS: dict[str, tuple[list[str], Callable[[str], Any]]] = {
    "835": (["payment.835", "reversal_plb.835", "separators.835"], _835),
    "835-file": (
        ["payment.835", "reversal_plb.835", "separators.835"],
        lambda text: read_835(io.StringIO(text)),
    ),  # fmt: skip
    "999": (["accepted.999", "rejected.999"], read_999),
    "277": (["claims.277"], read_277ca),
    "sniff": (["payment.835", "accepted.999", "claims.277", "separators.835"], identify),
}


@st.composite
def mutated(draw: st.DrawFn, names: list[str]) -> str:
    text = golden(draw(st.sampled_from(names)))
    seps = delimiters(text.removeprefix("\ufeff")[:106])
    for _ in range(draw(st.integers(1, 3))):
        text = _mutate(draw, text, seps.element, seps.segment)
    return text


def _mutate(draw: st.DrawFn, text: str, sep: str, term: str) -> str:
    parts = text.split(term)
    kind = draw(
        st.sampled_from(
            ["delete", "duplicate", "swap", "truncate", "char", "separator", "junk", "drop"]
        )
    )
    # Mostly past the ISA: damage there only ever meets the separator check.
    i = draw(st.integers(0 if draw(st.integers(0, 9)) == 0 else 1, max(len(parts) - 1, 1)))
    i = min(i, len(parts) - 1)
    if kind == "delete":
        del parts[i]
    elif kind == "duplicate":
        parts.insert(i, parts[i])
    elif kind == "swap":
        j = draw(st.integers(0, len(parts) - 1))
        parts[i], parts[j] = parts[j], parts[i]
    elif kind == "truncate":
        return text[: draw(st.integers(0, len(text)))]
    elif kind in ("char", "separator"):
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        new = draw(st.sampled_from(CHARS)) if kind == "char" else draw(st.sampled_from([sep, term]))
        replace = kind == "char" and draw(st.booleans())
        return text[:at] + new + text[at + (1 if replace else 0) :]
    else:
        elements = parts[i].split(sep)
        if len(elements) > 1:
            k = draw(st.integers(1, len(elements) - 1))
            if kind == "junk":
                elements[k] = draw(st.sampled_from(JUNK))
            else:
                del elements[k]
            parts[i] = sep.join(elements)
    return term.join(parts)


def _check(reader: Callable[[str], Any], text: str) -> None:
    try:
        reader(text)
    except X12Error as exc:
        if exc.segment_index is None:
            assert any(words in exc.reason for words in FILE_WIDE), exc.reason
        else:
            assert str(exc).startswith(f"segment {exc.segment_index}")


@pytest.mark.parametrize("kind", sorted(READERS))
def test_mutations_raise_only_x12_error(kind: str) -> None:
    names, reader = READERS[kind]

    @settings(
        max_examples=300,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(mutated(names))
    def run(text: str) -> None:
        _check(reader, text)

    run()


@pytest.mark.parametrize("kind", sorted(READERS))
def test_golden_files_read_cleanly(kind: str) -> None:
    names, reader = READERS[kind]
    for name in names:
        reader(golden(name))
