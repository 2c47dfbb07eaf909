"""The deadline engine: Medicare and commercial clocks, each with its source; CO-29; appeal levels
from the prior decision; leap days; days left in words."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.workqueues.deadlines import (
    MEDICARE_APPEAL_LEVELS,
    ClaimFacts,
    Clock,
    ClockKind,
    add_years,
    claim_clocks,
    medicare_appeal_level,
    nearest,
)

DOS = date(2026, 3, 2)
DENIED = date(2026, 4, 10)

COMMERCIAL = ClaimFacts(
    date_of_service=DOS,
    payer_is_medicare=False,
    payer_name="Aetna",
    timely_filing_days=90,
    appeal_limit_days=180,
    corrected_claim_days=60,
    accepted_on=None,
    determined_on=None,
)
MEDICARE = replace(COMMERCIAL, payer_is_medicare=True, payer_name="Medicare Part B")


def kinds(clocks: list[Clock]) -> dict[ClockKind, Clock]:
    return {c.kind: c for c in clocks}


# -- timely filing ---------------------------------------------------------------------------
def test_commercial_timely_filing_is_the_payer_limit_from_the_date_of_service():
    [clock] = claim_clocks(COMMERCIAL)
    assert clock.kind == ClockKind.TIMELY_FILING
    assert clock.due == date(2026, 5, 31)  # 2026-03-02 + 90 days
    assert clock.source == "Aetna filing limit: 90 days from the date of service 2026-03-02"


def test_medicare_timely_filing_is_twelve_months_from_the_date_of_service():
    [clock] = claim_clocks(MEDICARE)
    assert clock.due == date(2027, 3, 2)
    assert "12 months from the date of service 2026-03-02" in clock.source
    assert "42 CFR 424.44" in clock.source


def test_timely_filing_is_met_once_the_payer_accepts_or_decides():
    assert claim_clocks(replace(COMMERCIAL, accepted_on=date(2026, 3, 5))) == []
    assert claim_clocks(replace(MEDICARE, accepted_on=date(2026, 3, 5))) == []
    decided = kinds(claim_clocks(replace(COMMERCIAL, determined_on=DENIED)))
    assert ClockKind.TIMELY_FILING not in decided


def test_leap_day_plus_a_year_is_february_28():
    assert add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)
    assert add_years(date(2024, 2, 29), 4) == date(2028, 2, 29)
    [clock] = claim_clocks(replace(MEDICARE, date_of_service=date(2024, 2, 29)))
    assert clock.due == date(2025, 2, 28)
    reopening = kinds(claim_clocks(replace(MEDICARE, determined_on=date(2028, 2, 29))))
    assert reopening[ClockKind.REOPENING].due == date(2029, 2, 28)


# -- after a determination -------------------------------------------------------------------
def test_commercial_denial_has_corrected_claim_and_appeal_windows_sorted_by_due():
    clocks = claim_clocks(replace(COMMERCIAL, determined_on=DENIED, carc="197", group_code="CO"))
    assert [c.kind for c in clocks] == [ClockKind.CORRECTED_CLAIM, ClockKind.APPEAL]
    corrected, appeal = clocks
    assert corrected.due == DENIED + timedelta(days=60)
    assert (
        corrected.source
        == "Aetna corrected-claim window: 60 days from the determination 2026-04-10"
    )
    assert appeal.due == DENIED + timedelta(days=180)
    assert "Aetna appeal limit (level 1): 180 days from the denial 2026-04-10" == appeal.source
    assert ClockKind.REOPENING not in kinds(clocks)  # reopening is Medicare's process


def test_medicare_denial_has_reopening_and_redetermination_not_a_corrected_claim_window():
    clocks = kinds(claim_clocks(replace(MEDICARE, determined_on=DENIED, carc="50")))
    assert set(clocks) == {ClockKind.REOPENING, ClockKind.REDETERMINATION}
    assert clocks[ClockKind.REDETERMINATION].due == DENIED + timedelta(days=120)
    assert "42 CFR 405.942" in clocks[ClockKind.REDETERMINATION].source
    assert clocks[ClockKind.REOPENING].due == date(2027, 4, 10)
    assert "42 CFR 405.980" in clocks[ClockKind.REOPENING].source


@pytest.mark.parametrize("group", ["CO", "PR", "OA", "PI", ""])
@pytest.mark.parametrize("medicare", [True, False])
def test_co_29_timely_filing_expired_has_no_appeal_clock(group, medicare):
    base = MEDICARE if medicare else COMMERCIAL
    facts = replace(base, determined_on=DENIED, carc="29", group_code=group)
    appeal_kinds = {ClockKind.APPEAL, *(lvl.kind for lvl in MEDICARE_APPEAL_LEVELS)}
    assert not appeal_kinds & set(kinds(claim_clocks(facts)))
    # The same denial for another reason has one.
    assert appeal_kinds & set(kinds(claim_clocks(replace(facts, carc="16"))))


DECIDED = date(2026, 8, 1)


@pytest.mark.parametrize(
    ("level", "kind", "days", "rule"),
    [
        (1, ClockKind.RECONSIDERATION, 180, "405.962"),
        (2, ClockKind.ALJ, 60, "405.1014"),
        (3, ClockKind.APPEALS_COUNCIL, 60, "405.1102"),
        (4, ClockKind.FEDERAL_COURT, 60, "405.1130"),
    ],
)
def test_an_upheld_medicare_level_opens_the_next_from_its_decision(level, kind, days, rule):
    facts = replace(MEDICARE, determined_on=DENIED, appeal_level=level, last_decision_on=DECIDED)
    clocks = kinds(claim_clocks(facts))
    assert set(clocks) == {ClockKind.REOPENING, kind}
    assert clocks[kind].due == DECIDED + timedelta(days=days)
    assert rule in clocks[kind].source and str(DECIDED) in clocks[kind].source


def test_after_the_last_medicare_level_or_without_a_decision_date_no_appeal_clock():
    done = replace(MEDICARE, determined_on=DENIED, appeal_level=5, last_decision_on=DECIDED)
    assert set(kinds(claim_clocks(done))) == {ClockKind.REOPENING}
    unknown = replace(MEDICARE, determined_on=DENIED, appeal_level=2, last_decision_on=None)
    assert set(kinds(claim_clocks(unknown))) == {ClockKind.REOPENING}


def test_commercial_second_level_appeal_then_none():
    first = replace(COMMERCIAL, determined_on=DENIED, appeal_level=1, last_decision_on=DECIDED)
    appeal = kinds(claim_clocks(first))[ClockKind.APPEAL]
    assert appeal.due == DECIDED + timedelta(days=180) and "level 2" in appeal.source
    second = replace(first, appeal_level=2)
    assert ClockKind.APPEAL not in kinds(claim_clocks(second))


def test_medicare_appeal_table_is_data_with_the_2026_minimums():
    assert [(lvl.level, lvl.days) for lvl in MEDICARE_APPEAL_LEVELS] == [
        (1, 120),
        (2, 180),
        (3, 60),
        (4, 60),
        (5, 60),
    ]
    assert medicare_appeal_level(3).minimum_in_controversy == Decimal("200.00")
    assert medicare_appeal_level(5).minimum_in_controversy == Decimal("1960.00")
    assert medicare_appeal_level(1).minimum_in_controversy is None
    assert medicare_appeal_level(0) is None and medicare_appeal_level(6) is None


# -- reading a clock -------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("today", "text"),
    [
        (date(2026, 5, 1), "due in 30 days"),
        (date(2026, 5, 30), "due in 1 day"),
        (date(2026, 5, 31), "due today"),
        (date(2026, 6, 1), "overdue by 1 day"),
        (date(2026, 6, 3), "overdue by 3 days"),
    ],
)
def test_describe(today, text):
    clock = Clock(ClockKind.TIMELY_FILING, date(2026, 5, 31), "x")
    assert clock.describe(today) == text


def test_nearest_is_the_earliest_due_and_none_without_clocks():
    clocks = claim_clocks(replace(COMMERCIAL, determined_on=DENIED))
    assert nearest(clocks, DENIED).kind == ClockKind.CORRECTED_CLAIM
    assert nearest(reversed(clocks), DENIED).kind == ClockKind.CORRECTED_CLAIM
    assert nearest([], DENIED) is None


def test_labels():
    assert ClockKind.ALJ.label.startswith("ALJ")
    assert all(kind.label for kind in ClockKind)


# -- the whole class: any facts give sorted clocks and never raise ---------------------------
days = st.dates(min_value=date(1900, 1, 1), max_value=date(2199, 12, 31))


@settings(max_examples=150, deadline=None)
@given(
    dos=days,
    medicare=st.booleans(),
    limits=st.tuples(*[st.integers(min_value=0, max_value=100_000)] * 3),
    accepted=st.none() | days,
    determined=st.none() | days,
    carc=st.sampled_from(["", "29", "16", "50", " 29 "]),
    level=st.integers(min_value=0, max_value=7),
    decided=st.none() | days,
)
def test_any_facts_give_sorted_clocks(
    dos, medicare, limits, accepted, determined, carc, level, decided
):
    facts = ClaimFacts(
        dos, medicare, "Payer", *limits, accepted, determined, carc, "CO", level, decided
    )
    clocks = claim_clocks(facts)
    assert [c.due for c in clocks] == sorted(c.due for c in clocks)
    assert all(c.source for c in clocks)
    if carc.strip() == "29":
        unappealable = {ClockKind.TIMELY_FILING, ClockKind.REOPENING, ClockKind.CORRECTED_CLAIM}
        assert all(c.kind in unappealable for c in clocks)
    for clock in clocks:
        clock.describe(dos)
