"""SLA in business days: weekends and workspace holidays skipped, states, and the settings the
queue reads (defaults, overrides, holidays)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.configuration.registry import REGISTRY
from bureau.configuration.resolver import EffectiveSettings
from bureau.workqueues import sla
from bureau.workqueues.sla import (
    DEFAULT_SLA_DAYS,
    SLA_KEYS,
    SlaState,
    add_business_days,
    business_days_between,
    sla_state,
)

NONE: frozenset[date] = frozenset()
THU, FRI, SAT, SUN, MON = (date(2026, 12, d) for d in (24, 25, 26, 27, 28))
CHRISTMAS = frozenset({FRI})


def test_day_zero_is_the_start_or_the_next_business_day():
    assert add_business_days(THU, 0, NONE) == THU
    assert add_business_days(SAT, 0, NONE) == MON
    assert add_business_days(SUN, 0, NONE) == MON
    assert add_business_days(FRI, 0, CHRISTMAS) == MON


def test_weekends_and_holidays_are_skipped():
    assert add_business_days(THU, 1, NONE) == FRI
    assert add_business_days(THU, 1, CHRISTMAS) == MON
    assert add_business_days(FRI, 1, NONE) == MON
    assert add_business_days(SAT, 1, NONE) == date(2026, 12, 29)
    # Ten business days from Thursday 2026-12-24 over Christmas and New Year's Day.
    holidays = frozenset({FRI, date(2027, 1, 1)})
    assert add_business_days(THU, 10, holidays) == date(2027, 1, 11)


def test_negative_days_are_refused():
    with pytest.raises(ValueError, match="days ahead"):
        add_business_days(THU, -1, NONE)


def test_business_days_between():
    assert business_days_between(THU, MON, NONE) == 2
    assert business_days_between(THU, MON, CHRISTMAS) == 1
    assert business_days_between(MON, THU, CHRISTMAS) == -1
    assert business_days_between(THU, THU, NONE) == 0


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    n=st.integers(min_value=0, max_value=60),
    holidays=st.frozensets(
        st.dates(min_value=date(2020, 1, 1), max_value=date(2031, 6, 30)), max_size=30
    ),
)
def test_adding_then_counting_agree(start, n, holidays):
    due = add_business_days(start, n, holidays)
    assert sla.is_business_day(due, holidays)
    first = add_business_days(start, 0, holidays)
    assert business_days_between(first, due, holidays) == n
    assert add_business_days(start, n + 1, holidays) > due


def test_sla_state():
    assert sla_state(FRI, THU) == SlaState.WITHIN
    assert sla_state(FRI, FRI) == SlaState.DUE_TODAY
    assert sla_state(FRI, SAT) == SlaState.BREACHED
    assert SlaState.BREACHED.label == "Breached"


def test_default_sla_days_are_the_published_service_levels():
    assert DEFAULT_SLA_DAYS == {
        "rejections": 2,
        "denials": 10,
        "posting_review": 4,
        "era_exceptions": 4,
        "followup": 20,
        "credentialing": 10,
        "underpayments": 10,
        "setup_gaps": 10,
        "writeoff_approval": 3,
    }
    # One setting per function, whose default is the table's.
    assert set(SLA_KEYS) == set(DEFAULT_SLA_DAYS)
    for function, key in SLA_KEYS.items():
        assert key == f"{function}.sla_days"
        assert REGISTRY[key].default == DEFAULT_SLA_DAYS[function]


def test_settings_resolve_defaults_and_overrides_without_a_database():
    effective = EffectiveSettings()
    for function, days in DEFAULT_SLA_DAYS.items():
        assert sla.sla_days(effective, function) == days
    assert sla.followup_interval_days(effective) == 30
    assert sla.no_ack_days(effective) == 2
    assert sla.corrected_claim_days(effective) == 90
    assert sla.claim_minutes(effective) == 120
    assert sla.holidays(effective) == frozenset()
    effective = EffectiveSettings(
        workspace_rows={"denials.sla_days": 5, "workspace.holidays": ["2026-12-25"]},
        practice_rows={"followup.interval_days": 45, "workspace.holidays": ["2026-07-04"]},
        payer_rows={(7, "followup.interval_days"): 21, (7, "claims.corrected_claim_days"): 180},
    )
    assert sla.sla_days(effective, "denials") == 5
    assert sla.followup_interval_days(effective) == 45
    assert sla.followup_interval_days(effective, 7) == 21
    assert sla.corrected_claim_days(effective, 7) == 180
    # Holidays are the workspace's: a practice row (never written by the services) is ignored.
    assert sla.holidays(effective) == frozenset({date(2026, 12, 25)})


def test_unknown_function_has_no_sla():
    with pytest.raises(ValueError, match="no SLA"):
        sla.sla_days(EffectiveSettings(), "writeoffs")


def test_an_sla_from_settings_with_holidays():
    effective = EffectiveSettings(
        workspace_rows={"rejections.sla_days": 2, "workspace.holidays": ["2026-12-25"]}
    )
    due = add_business_days(THU, sla.sla_days(effective, "rejections"), sla.holidays(effective))
    assert due == MON + timedelta(days=1)
