"""`parse_amount` is checked with string tests for speed; it must accept exactly what the
definition by pattern accepts (ASCII digits, at most one point and two places, an optional
leading minus, at most 18 digits) and give the same two-place value."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.x12.errors import X12Error
from bureau.x12.tokens import MAX_DIGITS, parse_amount

_DEFINITION = re.compile(r"-?(?:[0-9]+(?:\.[0-9]{0,2})?|\.[0-9]{1,2})", re.ASCII)


def _by_definition(text: str) -> Decimal | None:
    digits = len(text) - text.count("-") - text.count(".")
    if _DEFINITION.fullmatch(text) is None or digits > MAX_DIGITS:
        return None
    return Decimal(text).quantize(Decimal("0.01"))


def _parsed(text: str) -> Decimal | None:
    try:
        return parse_amount(text, 1, "CLP04")
    except X12Error:
        return None


@settings(max_examples=3000, deadline=None)
@given(st.text(alphabet="-.0123456789٣²e+_ \u00a0", max_size=24))
def test_the_fast_check_accepts_what_the_definition_does(text: str) -> None:
    expected, got = _by_definition(text), _parsed(text)
    assert got == expected
    if got is not None:
        assert str(got) == str(expected)  # two places, always


@pytest.mark.parametrize("text", ["1" * 18, "-" + "9" * 16 + ".99", ".5", "12.", "-0"])
def test_edges_that_are_amounts(text: str) -> None:
    assert _parsed(text) == _by_definition(text) is not None


@pytest.mark.parametrize("text", ["1" * 19, "1.234", "-", ".", "", "+1", "1e5", "NaN", "٣", "1_0"])
def test_edges_that_are_not(text: str) -> None:
    with pytest.raises(X12Error, match="CLP04 .* is not an amount"):
        parse_amount(text, 1, "CLP04")
