"""STUB (replaced by the SLA module from h-clocks)."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Any

DEFAULT_SLA_DAYS = {
    "rejections": 2,
    "denials": 10,
    "era_exceptions": 4,
    "posting_review": 4,
    "followup": 20,
    "credentialing": 10,
    "underpayments": 10,
    "setup_gaps": 10,
}


class SlaState(StrEnum):
    WITHIN = "within"
    DUE_TODAY = "due_today"
    BREACHED = "breached"


def add_business_days(start: date, days: int, holidays: frozenset[date]) -> date:
    day = start
    while day.weekday() >= 5 or day in holidays:
        day += timedelta(days=1)
    left = days
    while left > 0:
        day += timedelta(days=1)
        if day.weekday() < 5 and day not in holidays:
            left -= 1
    return day


def sla_state(due: date, today: date) -> SlaState:
    if today < due:
        return SlaState.WITHIN
    return SlaState.DUE_TODAY if today == due else SlaState.BREACHED


def sla_days(effective: Any, function: str, payer: Any = None) -> int:
    return DEFAULT_SLA_DAYS[function]


def holidays(effective: Any) -> frozenset[date]:
    return frozenset()
