"""Money and quantities as X12 R values; the code-set format checks."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bureau.x12 import codes
from bureau.x12.errors import FieldError
from bureau.x12.values import (
    check_amount,
    check_quantity,
    fold_to_ascii,
    format_amount,
    format_date,
    format_quantity,
    format_time,
)


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("125", "125"),
        ("125.00", "125"),
        ("125.50", "125.5"),
        ("125.55", "125.55"),
        ("0", "0"),
        ("0.00", "0"),
        ("0.05", "0.05"),
        ("0.50", "0.5"),
        ("1000000.10", "1000000.1"),
        ("1E+2", "100"),
        ("-12.30", "-12.3"),
    ],
)
def test_format_amount_has_no_trailing_zeros(amount: str, text: str) -> None:
    assert format_amount(Decimal(amount)) == text


@given(st.integers(min_value=-(10**10), max_value=10**10))
def test_format_amount_round_trips_every_cent(cents: int) -> None:
    amount = Decimal(cents) / 100
    text = format_amount(amount)
    assert Decimal(text) == amount
    assert "E" not in text and not (("." in text) and text.endswith("0"))


@pytest.mark.parametrize(
    ("units", "text"), [("1", "1"), ("1.0", "1"), ("1.50", "1.5"), ("0.25", "0.25"), ("1E+1", "10")]
)
def test_format_quantity(units: str, text: str) -> None:
    assert format_quantity(Decimal(units)) == text


def test_dates_and_times() -> None:
    assert format_date(date(2025, 1, 9)) == "20250109"
    assert format_time(datetime(2025, 1, 9, 7, 5, 59)) == "0705"


@pytest.mark.parametrize("bad", [Decimal("-1"), Decimal("1.005"), Decimal("NaN"), 12.5, 12])
def test_check_amount_refuses(bad: object) -> None:
    with pytest.raises(FieldError, match="X.charge"):
        check_amount("X.charge", bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [Decimal("0"), Decimal("-2"), Decimal("0.0001"), 1.0])
def test_check_quantity_refuses(bad: object) -> None:
    with pytest.raises(FieldError, match="X.units"):
        check_quantity("X.units", bad)  # type: ignore[arg-type]


def test_fold_to_ascii_drops_accents_only() -> None:
    assert fold_to_ascii("José Ñúñez") == "Jose Nunez"
    assert fold_to_ascii("李") == "李"


def test_npi_check_digit_matches_the_published_example() -> None:
    # The CMS example: 123456789 has check digit 3.
    assert codes.npi_check_digit("123456789") == 3
    assert codes.is_valid_npi("1234567893")
    assert not codes.is_valid_npi("1234567890")
    assert not codes.is_valid_npi("3234567893")  # NPIs start with 1 or 2


@pytest.mark.parametrize("code", ["E11.9", "E119", "S39.012A", "Z00129", "U07.1", "A00"])
def test_icd10_formats_accepted(code: str) -> None:
    assert codes.is_icd10_cm(code)


@pytest.mark.parametrize("code", ["E1", "11.9", "e11.9", "E11..9", "E11.91234", "E11-9"])
def test_icd10_formats_refused(code: str) -> None:
    assert not codes.is_icd10_cm(code)


@pytest.mark.parametrize("code", ["99213", "0001F", "0042T", "0001U", "J1815", "G0439"])
def test_procedure_formats_accepted(code: str) -> None:
    assert codes.is_procedure_code(code)


@pytest.mark.parametrize("code", ["9921", "992133", "W1234", "j1815", "0001X"])
def test_procedure_formats_refused(code: str) -> None:
    assert not codes.is_procedure_code(code)
