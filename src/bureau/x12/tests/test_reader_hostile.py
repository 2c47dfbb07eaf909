"""Hostile values in every reader (issue 9, item 10): numbers too long for `Decimal` or `int()`,
digits that are not ASCII, separators that collide in the ISA, NULs and control characters.
Nothing but `X12Error` may escape a reader, whatever the file."""

from __future__ import annotations

import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bureau.x12.errors import X12Error
from bureau.x12.reader277 import read_277ca
from bureau.x12.reader835 import iter_remittances, read_835
from bureau.x12.reader837 import read_837p_summary
from bureau.x12.reader999 import read_999
from bureau.x12.sniff import identify
from bureau.x12.tests.test_tokens import golden
from bureau.x12.tokens import (
    Delimiters,
    delimiters,
    parse_amount,
    parse_date,
    parse_int,
    parse_quantity,
)
from bureau.x12.transaction_sets import split_transaction_sets

NINES = "9" * 40
HOSTILE = [
    NINES,
    "9" * 5000,  # past Python's 4,300-digit limit on int()
    "9" * 19,
    "0" * 30 + "1",
    "-" + "9" * 30 + ".99",
    "١٢٣",  # Arabic-Indic: "١٢٣".isdigit() and Decimal("١٢٣") == 123
    "٢٠٢٦٠١٠١",  # a date in Arabic-Indic digits
    "１２",  # fullwidth
    "²",
    "1_000",  # Decimal accepts underscores
    "+5",
    " 5",
    "5 ",
    "1e5",
    "1E+999999999",
    "NaN",
    "sNaN",
    "-Infinity",
    ".",
    "-",
    "--1",
    "1.2.3",
    "\x00",
    "\ufeff",
    "\x1c",
    "\x1f",
    "",
]

LINE_BREAKING = ["\n", "\r", "\x0b", "\x85", "\u2028", "\x1c", "\t"]


def _835(text: str) -> object:
    return [r.balancing_problems() for r in iter_remittances(text)]


READERS: dict[str, tuple[list[str], Callable[[str], Any]]] = {
    "835": (["payment.835", "reversal_plb.835", "separators.835"], _835),
    "835-file": (["payment.835", "separators.835"], lambda t: read_835(io.StringIO(t))),
    "835-sets": (["payment.835", "separators.835"], lambda t: split_transaction_sets(t, "835")),
    "999": (["accepted.999", "rejected.999"], read_999),
    "277CA": (["claims.277"], read_277ca),
    "837P": (["primary.x12", "secondary.x12", "dependents.x12"], read_837p_summary),
    "sniff": (["payment.835", "accepted.999", "claims.277", "primary.x12"], identify),
}


@st.composite
def hostile_file(draw: st.DrawFn, names: list[str]) -> str:
    """A golden file with hostile values in some elements (counts and amounts included), and
    sometimes its ISA separators made to collide or swapped for control characters."""
    text = golden(draw(st.sampled_from(names))).removeprefix("\ufeff")
    seps = delimiters(text[:106])
    segments = text.split(seps.segment)
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(segments) - 1))
        elements = segments[at].split(seps.element)
        if len(elements) > 1 and not elements[0].lstrip().startswith("ISA"):
            k = draw(st.integers(0 if draw(st.integers(0, 4)) == 0 else 1, len(elements) - 1))
            hostile = draw(st.sampled_from(HOSTILE))
            if k == 0:  # a segment id with a line break or a control character in it
                hostile = elements[0][:1] + draw(st.sampled_from(LINE_BREAKING)) + hostile
            elements[k] = hostile
            segments[at] = seps.element.join(elements)
    text = seps.segment.join(segments)
    if draw(st.integers(0, 3)) == 0:  # the ISA's separator positions: 3, 104 and 105
        position = draw(st.sampled_from([3, 104, 105]))
        char = draw(st.sampled_from([*"~*:^|\n\r \x00\x1c\x1d\x1f", seps.element, seps.segment]))
        text = text[:position] + char + text[position + 1 :]
    return draw(st.sampled_from(["", "\ufeff", "\ufeff\x1c", " \n"])) + text


@pytest.mark.parametrize("kind", sorted(READERS))
def test_only_x12_error_escapes_a_reader(kind: str) -> None:
    names, reader = READERS[kind]

    @settings(
        max_examples=200,
        deadline=None,
        derandomize=True,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(hostile_file(names))
    def run(text: str) -> None:
        try:
            reader(text)
        except X12Error as exc:
            assert str(exc).isprintable(), str(exc)  # one line, whatever the file holds

    run()


def test_bpr_with_forty_nines_is_an_x12_error() -> None:
    text = golden("payment.835").replace("BPR*I*", f"BPR*I*{NINES}", 1)
    with pytest.raises(X12Error, match="BPR02 '9999.* is not an amount") as caught:
        list(iter_remittances(text))
    assert caught.value.segment_id == "BPR" and caught.value.segment_index == 4


@pytest.mark.parametrize("value", ["١٢٣", "٣.٥", "１２", "1_000", "+5", " 5", "9" * 19, NINES])
def test_amounts_are_ascii_digits_at_most_eighteen(value: str) -> None:
    for parse in (parse_amount, parse_quantity):
        with pytest.raises(X12Error, match="is not"):
            parse(value, 7, "CLP04")


def test_eighteen_digits_is_the_longest_amount() -> None:
    assert parse_amount("9" * 16 + ".99", 1, "BPR02") == Decimal("9" * 16 + ".99")
    assert parse_amount("-" + "9" * 18, 1, "BPR02") == Decimal("-" + "9" * 18)
    assert parse_quantity(".5", 1, "SVC05") == Decimal("0.5")


def test_dates_and_counts_are_ascii_digits() -> None:
    with pytest.raises(X12Error, match="CCYYMMDD"):
        parse_date("٢٠٢٦٠١٠١", 1, "DTM02")
    for value in ("9" * 5000, "9" * 19, "١"):
        with pytest.raises(X12Error, match="SE01") as caught:
            parse_int(value, 3, "SE01", "a count")
        assert caught.value.segment_id == "SE" and len(str(caught.value)) < 100


@pytest.mark.parametrize(
    ("name", "old", "new"),
    [
        ("payment.835", "SE*50*0001", "SE*" + "9" * 5000 + "*0001"),
        ("payment.835", "GE*1*17", "GE*" + "9" * 5000 + "*17"),
        ("payment.835", "IEA*1*", "IEA*" + "9" * 5000 + "*"),
        ("accepted.999", "AK9*A*1*1*1", "AK9*A*1*" + "9" * 5000 + "*1"),
        ("rejected.999", "IK4*", "IK4*" + "9" * 5000 + ":"),
        ("primary.x12", "LX*1", "LX*" + "9" * 5000),
        ("claims.277", "SE*", "SE*" + "9" * 5000 + "0"),
    ],
)
def test_huge_counts_are_an_x12_error_not_a_value_error(name: str, old: str, new: str) -> None:
    text = golden(name)
    assert old in text
    reader = {"835": _835, "999": read_999, "x12": read_837p_summary, "277": read_277ca}
    with pytest.raises(X12Error):
        reader[name.rsplit(".", 1)[1]](text.replace(old, new, 1))


def test_isa_separators_that_collide_are_an_x12_error() -> None:
    isa = golden("payment.835")[:106]
    assert isa[3] == "*" and isa[104] == ":" and isa[105] == "~"
    for changed in (
        isa[:104] + "*" + isa[105],  # component = element
        isa[:105] + "*",  # terminator = element
        isa[:105] + ":",  # terminator = component
        isa[:104] + "^" + isa[105],  # component = repetition (ISA11)
        isa[:104] + "A" + isa[105],  # a letter
        isa[:104] + " " + isa[105],  # a blank
        isa[:105] + "\t",
        isa[:104] + "é" + isa[105],
    ):
        with pytest.raises(X12Error, match="ISA"):
            delimiters(changed)
    # A line-break terminator in an ISA holding "~", 0x1C and 0x1D (the stand-ins the old
    # check tried in turn) raised StopIteration: these are good separators, read as they are.
    crowded = golden("payment.835").replace("*", "\x1c").replace("^", "\x1d", 1)
    crowded = crowded.replace(":", "~").replace("~\n", "\n")
    assert delimiters(crowded[:106]) == Delimiters("\x1c", "~", "\n")
    assert len(list(iter_remittances(crowded))) == 1


def test_information_separators_and_nul() -> None:
    text = golden("payment.835")
    control = text.replace("*", "\x1d").replace(":", "\x1f").replace("~\n", "\x1c")
    assert [r.trace_number for r in iter_remittances(control)] == [
        r.trace_number for r in iter_remittances(text)
    ]
    with pytest.raises(X12Error, match="NUL"):
        list(iter_remittances(text.replace("DOE", "D\x00E", 1)))
    with pytest.raises(X12Error, match="NUL"):
        read_835(io.StringIO(text.replace("DOE", "D\x00E", 1)))
