"""Turning typed values into X12 element text: money, quantities, dates, free text.

Money is `Decimal` end to end. X12's R type has no fixed scale, and the guides ask for no
trailing zeros beyond what the value needs, so 125.00 is written `125` and 125.50 `125.5`.
"""

from __future__ import annotations

import unicodedata
from datetime import date, datetime
from decimal import Decimal

from bureau.x12.errors import FieldError

CENT = Decimal("0.01")


def format_amount(value: Decimal) -> str:
    """Dollars and cents as an X12 R value; the caller has checked two places at most."""
    cents = int(value * 100)
    whole, part = divmod(abs(cents), 100)
    sign = "-" if cents < 0 else ""
    if part == 0:
        return f"{sign}{whole}"
    if part % 10 == 0:
        return f"{sign}{whole}.{part // 10}"
    return f"{sign}{whole}.{part:02d}"


def format_quantity(value: Decimal) -> str:
    """A quantity as an X12 R value: no exponent, no trailing zeros (`1`, `1.5`, `0.25`)."""
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def format_date(value: date) -> str:
    """CCYYMMDD (D8)."""
    return f"{value.year:04d}{value.month:02d}{value.day:02d}"


def format_time(value: datetime) -> str:
    """HHMM."""
    return f"{value.hour:02d}{value.minute:02d}"


def fold_to_ascii(text: str) -> str:
    """Drop accents (José → Jose): payers match names on plain letters and X12 is ASCII-only.

    Characters with no ASCII base letter are kept, so the writer's check still refuses them.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def check_amount(field: str, value: Decimal, *, allow_zero: bool = True) -> None:
    if not isinstance(value, Decimal):
        raise FieldError(field, f"must be a Decimal, not {type(value).__name__}")
    if not value.is_finite():
        raise FieldError(field, f"{value} is not a finite amount")
    if value < 0 or (value == 0 and not allow_zero):
        raise FieldError(field, f"{value} must be {'zero or ' if allow_zero else ''}positive")
    if value != value.quantize(CENT):
        raise FieldError(field, f"{value} has more than two decimal places")
    if value >= Decimal("100000000"):
        raise FieldError(field, f"{value} is too large")


def check_quantity(field: str, value: Decimal, *, places: int = 3) -> None:
    if not isinstance(value, Decimal):
        raise FieldError(field, f"must be a Decimal, not {type(value).__name__}")
    if not value.is_finite() or value <= 0:
        raise FieldError(field, f"{value} must be positive")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise FieldError(field, f"{value} has more than {places} decimal places")
    if value >= Decimal("100000"):
        raise FieldError(field, f"{value} is too large")


def check_text(field: str, value: str, max_len: int, *, min_len: int = 1) -> None:
    """Required free text within the element's length; separators are checked when written."""
    if not isinstance(value, str):
        raise FieldError(field, f"must be text, not {type(value).__name__}")
    if not value.strip():
        raise FieldError(field, "is required")
    if value != value.strip():
        raise FieldError(field, f"{value!r} has leading or trailing spaces")
    if not min_len <= len(value) <= max_len:
        raise FieldError(field, f"{value!r} must be {min_len}-{max_len} characters")


def check_optional_text(field: str, value: str, max_len: int) -> None:
    if value:
        check_text(field, value, max_len)


def check_digits(field: str, value: str, lengths: tuple[int, ...]) -> None:
    if not (value.isascii() and value.isdigit() and len(value) in lengths):
        wanted = " or ".join(str(n) for n in lengths)
        raise FieldError(field, f"{value!r} must be {wanted} digits")
