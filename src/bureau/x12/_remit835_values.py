"""The 835 reader's element values and the segments it reads once and remembers. Private to
`reader835`.

Payers repeat the same amounts, dates and unit counts thousands of times in a file, and the same
whole segments too (`CAS*CO*45*20`, `DTM*472*20261001`, `AMT*B6*88`, `SVC*HC:99213*110*70.4`:
a fee schedule pays the same code the same way). Parsing is pure, so each value is cached by its
text, and the segments below are parsed by functions of their elements alone, which the reader
memoizes by the segment's raw text; what a segment does to the open claim or line is applied
every time and never cached. Only input that parsed is remembered: a bad element raises
`X12Error` naming the segment each time it is met.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from bureau.x12.errors import X12Error
from bureau.x12.remit835 import CAS_TRIPLES, GROUP_CODES, Adjustment
from bureau.x12.tokens import Tokens, parse_amount, parse_date, parse_quantity

_CACHE_LIMIT = 50_000
_T = TypeVar("_T")
ZERO = Decimal("0.00")

# Element text -> parsed value.
_amounts: dict[str, Decimal] = {}
_dates: dict[str, date] = {}
_quantities: dict[str, Decimal] = {}

# What the memoized segments parse to.
CasValue = tuple[tuple[Adjustment, ...], Decimal]  # the adjustments and their sum
SvcValue = tuple[str, str, tuple[str, ...], Decimal, Decimal, Decimal | None]
DtmValue = tuple[str, date]  # qualifier, date
AmtValue = tuple[str, Decimal | None]  # qualifier, AMT02 when the qualifier is B6 (allowed)


def _cached(
    cache: dict[str, _T], parse: Callable[[str, int, str], _T], text: str, index: int, name: str
) -> _T:
    value = cache.get(text)
    if value is None:
        value = parse(text, index, name)
        if len(cache) >= _CACHE_LIMIT:
            cache.clear()
        cache[text] = value
    return value


def money(text: str, index: int, name: str) -> Decimal:
    """`parse_amount`, cached: `_cached` written out, as this is called for every amount of a
    file whose amounts do not repeat."""
    value = _amounts.get(text)
    if value is None:
        value = parse_amount(text, index, name)
        if len(_amounts) >= _CACHE_LIMIT:  # a worker reads file after file: start afresh
            _amounts.clear()
        _amounts[text] = value
    return value


def a_date(text: str, index: int, name: str) -> date:
    return _cached(_dates, parse_date, text, index, name)


def quantity(text: str, index: int, name: str) -> Decimal:
    return _cached(_quantities, parse_quantity, text, index, name)


# CAS element names per triple start: reason, amount, quantity.
_CAS_NAMES = {
    start: (f"CAS{start:02d}", f"CAS{start + 1:02d}", f"CAS{start + 2:02d}")
    for start in range(2, 2 + 3 * CAS_TRIPLES, 3)
}


def parse_cas(index: int, tokens: Tokens) -> CasValue:
    """CAS01 group, then up to six reason/amount/quantity triples."""
    n = len(tokens)
    group = tokens[1] if n > 1 else ""
    if group not in GROUP_CODES:
        raise X12Error(index, f"CAS01 {group!r} is not a group code", segment_id="CAS")
    if n < 4 or not tokens[2] or not tokens[3]:
        raise X12Error(index, "CAS needs a reason (CAS02) and an amount (CAS03)", segment_id="CAS")
    if n == 4:  # the common case: one reason, no quantity
        only = money(tokens[3], index, "CAS03")
        return (Adjustment(group, tokens[2], only),), only
    if n > 2 + 3 * CAS_TRIPLES:
        raise X12Error(index, "CAS has more than six adjustments", segment_id="CAS")
    adjustments: list[Adjustment] = []
    total = ZERO
    for start in range(2, n, 3):
        reason = tokens[start]
        amount = tokens[start + 1] if start + 1 < n else ""
        units = tokens[start + 2] if start + 2 < n else ""
        names = _CAS_NAMES[start]
        if not reason:
            if amount or units:
                raise X12Error(index, f"{names[0]} is required", segment_id="CAS")
            continue
        if not amount:
            raise X12Error(index, f"{names[1]} is required", segment_id="CAS")
        value = money(amount, index, names[1])
        adjustments.append(
            Adjustment(group, reason, value, quantity(units, index, names[2]) if units else None)
        )
        total += value
    return tuple(adjustments), total


def svc_parser(component: str) -> Callable[[int, Tokens], SvcValue]:
    """SVC01 (qualifier, procedure code, modifiers), SVC02 charge, SVC03 paid, SVC05 units."""

    def parse_svc(index: int, tokens: Tokens) -> SvcValue:
        n = len(tokens)
        if n < 4 or not tokens[2] or not tokens[3]:
            raise X12Error(index, "SVC01, SVC02 and SVC03 are required", segment_id="SVC")
        parts = tokens[1].split(component)
        if len(parts) < 2 or not parts[0] or not parts[1]:
            raise X12Error(index, "SVC01 needs a qualifier and a procedure code", segment_id="SVC")
        modifiers = tuple(m for m in parts[2:6] if m)
        units = tokens[5] if n > 5 else ""
        return (
            parts[0],
            parts[1],
            modifiers,
            money(tokens[2], index, "SVC02"),
            money(tokens[3], index, "SVC03"),
            quantity(units, index, "SVC05") if units else None,
        )

    return parse_svc


def parse_dtm(index: int, tokens: Tokens) -> DtmValue:
    n = len(tokens)
    text = tokens[2] if n > 2 else ""
    if not text:
        raise X12Error(index, "DTM02 is required", segment_id="DTM")
    return (tokens[1] if n > 1 else ""), a_date(text, index, "DTM02")


def parse_amt(index: int, tokens: Tokens) -> AmtValue:
    n = len(tokens)
    qualifier = tokens[1] if n > 1 else ""
    if qualifier != "B6":
        return qualifier, None  # other amounts are read past
    if n < 3 or not tokens[2]:
        raise X12Error(index, "AMT02 is required", segment_id="AMT")
    return qualifier, money(tokens[2], index, "AMT02")
