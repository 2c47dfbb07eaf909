"""The priority function: hand-computed examples, the breakdown a worker reads, and properties —
a nearer deadline, a larger amount or an older item never lowers the score; nothing overflows
a signed 64-bit column."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.workqueues.priority import Priority, age_factor, priority, recovery_factor, urgency

INT64_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("dollars", "days_left", "age_days", "rate", "score"),
    [
        # $1,234.00 × urgency 4 (due in 4 days: within a week) × age 1.37 (37 days × 1%)
        # × recovery 1.0 (no history: 0.5 + 0.5) = 6,762.32 → 676,232 cents.
        ("1234.00", 4, 37, None, 676_232),
        # $250.50 × 2 (45 days: within 90) × 1.10 (10 days) × 1.30 (0.5 + 0.80)
        # = 501.00 × 1.10 = 551.10 × 1.30 = 716.43 → 71,643.
        ("250.50", 45, 10, "0.80", 71_643),
        # A setup gap: $0 counts as the $1.00 floor × 1 (no deadline) × 2 (200 days: capped)
        # × 0.70 (0.5 + 0.20) = 1.40 → 140.
        ("0.00", None, 200, "0.20", 140),
        # Overdue by 10 days ranks as due within a week: $99.99 × 4 × 1.00 (new) × 1.5 (0.5 + 1)
        # = 399.96 × 1.5 = 599.94 → 59,994.
        ("99.99", -10, 0, "1", 59_994),
        # Fractions of a cent round down: $10.005 × 1 (400 days: beyond 180) × 1 × 1 → 1,000.
        ("10.005", 400, 0, None, 1_000),
    ],
)
def test_hand_computed(dollars, days_left, age_days, rate, score):
    result = priority(
        dollars=Decimal(dollars),
        days_left=days_left,
        age_days=age_days,
        recovery_rate=None if rate is None else Decimal(rate),
    )
    assert result.score == score
    assert isinstance(result.score, int)


def test_the_breakdown_reads_as_sentences():
    result = priority(dollars=Decimal("1234"), days_left=4, age_days=37, recovery_rate=None)
    assert result.explain() == [
        ("Dollars at stake", "$1,234.00"),
        ("Urgency", "×4.0 — nearest deadline in 4 days"),
        ("Age", "×1.37 — open 37 days"),
        ("Payer recovery", "×1.0 — no history for this payer: neutral"),
        ("Priority score", "676,232"),
    ]
    rows = dict(
        priority(
            dollars=Decimal("5"), days_left=-1, age_days=1, recovery_rate=Decimal("0.8")
        ).explain()
    )
    assert rows["Urgency"] == "×4.0 — nearest deadline overdue by 1 day"
    assert rows["Age"] == "×1.01 — open 1 day"
    assert rows["Payer recovery"] == "×1.3 — payer recovers 80% of worked dollars"
    rows = dict(
        priority(dollars=Decimal(0), days_left=None, age_days=0, recovery_rate=None).explain()
    )
    assert rows["Urgency"] == "×1.0 — no deadline" and rows["Dollars at stake"] == "$1.00"
    today = priority(dollars=Decimal(1), days_left=0, age_days=0, recovery_rate=None)
    assert dict(today.explain())["Urgency"] == "×4.0 — nearest deadline today"


def test_factors():
    assert urgency(None) == 1 and urgency(10**6) == 1 and urgency(-(10**6)) == 4
    assert [urgency(d) for d in (7, 8, 30, 31, 90, 91, 180, 181)] == [4, 3, 3, 2, 2, 1.5, 1.5, 1]
    assert age_factor(-5) == 1 and age_factor(50) == Decimal("1.50") and age_factor(10**9) == 2
    assert recovery_factor(None) == 1 and recovery_factor(Decimal("NaN")) == 1
    assert recovery_factor(Decimal(-3)) == Decimal("0.5") and recovery_factor(Decimal(7)) == 1.5


def test_money_stays_decimal_and_strange_amounts_do_not_raise():
    result = priority(dollars=Decimal("NaN"), days_left=None, age_days=0, recovery_rate=None)
    assert result.score == 100
    huge = priority(dollars=Decimal("Infinity"), days_left=0, age_days=999, recovery_rate=None)
    assert 0 < huge.score <= INT64_MAX
    for factor in (result.dollars, result.urgency, result.age_factor, result.recovery_factor):
        assert isinstance(factor, Decimal)


# -- properties ------------------------------------------------------------------------------
amounts = st.decimals(
    min_value=Decimal("-1000"), max_value=Decimal("999999999.99"), places=2, allow_nan=False
)
days_left = st.none() | st.integers(min_value=-100_000, max_value=100_000)
ages = st.integers(min_value=-10, max_value=100_000)
rates = st.none() | st.decimals(min_value=Decimal(0), max_value=Decimal(1), places=4)


def score(dollars: Decimal, left: int | None, age: int, rate: Decimal | None) -> int:
    return priority(dollars=dollars, days_left=left, age_days=age, recovery_rate=rate).score


@settings(max_examples=200, deadline=None)
@given(amounts, days_left, days_left, ages, rates)
def test_a_nearer_deadline_never_lowers_the_score(dollars, a, b, age, rate):
    # "No deadline" is the least urgent of all.
    far = float("inf")
    near, later = sorted([a, b], key=lambda d: far if d is None else d)
    assert score(dollars, near, age, rate) >= score(dollars, later, age, rate)


@settings(max_examples=200, deadline=None)
@given(amounts, amounts, days_left, ages, rates)
def test_a_larger_amount_never_lowers_the_score(a, b, left, age, rate):
    small, large = sorted([a, b])
    assert score(large, left, age, rate) >= score(small, left, age, rate)


@settings(max_examples=200, deadline=None)
@given(amounts, days_left, ages, ages, rates)
def test_an_older_item_never_lowers_the_score(dollars, left, a, b, rate):
    young, old = sorted([a, b])
    assert score(dollars, left, old, rate) >= score(dollars, left, young, rate)


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from([Decimal("999999999.99"), Decimal("1e30"), Decimal("-1e30"), Decimal(0)]),
    st.sampled_from([None, -100_000, 0, 100_000]),
    st.sampled_from([0, 100_000, 10**12]),
    rates,
)
def test_extremes_fit_a_signed_64_bit_integer(dollars, left, age, rate):
    result = priority(dollars=dollars, days_left=left, age_days=age, recovery_rate=rate)
    assert isinstance(result, Priority)
    assert 0 < result.score <= INT64_MAX
