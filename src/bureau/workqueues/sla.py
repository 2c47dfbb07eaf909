"""Service levels in business days, and the settings the queue's clocks read.

An SLA of N business days from a start day: Saturdays, Sundays and the workspace's holidays
(`workspace.holidays`) are skipped. Day 0 is the start itself when it is a business day, else the
next business day (work that arrives on a Saturday is first seen on Monday).

Pure: the functions at the bottom read an `EffectiveSettings` the caller resolved once (for a
practice, or the workspace), so a refresh over a million items resolves settings per practice
from memory.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the resolver imports the ORM; this module only calls `.get()` on it
    from bureau.configuration.resolver import EffectiveSettings

SATURDAY = 5

# Business days to work an item of each function before it breaches; the defaults of the
# `<function>.sla_days` settings (rejections 2, denials 10, ERA exceptions 4, follow-up 20 are
# the service levels a market leader publishes).
DEFAULT_SLA_DAYS: dict[str, int] = {
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
# Written out key by key (not built from the names) so the settings registry's test sees that
# code reads each of them.
SLA_KEYS: dict[str, str] = {
    "rejections": "rejections.sla_days",
    "denials": "denials.sla_days",
    "posting_review": "posting_review.sla_days",
    "era_exceptions": "era_exceptions.sla_days",
    "followup": "followup.sla_days",
    "credentialing": "credentialing.sla_days",
    "underpayments": "underpayments.sla_days",
    "setup_gaps": "setup_gaps.sla_days",
    "writeoff_approval": "writeoff_approval.sla_days",
}


def is_business_day(day: date, holidays: frozenset[date]) -> bool:
    return day.weekday() < SATURDAY and day not in holidays


def _next_business_day(day: date, holidays: frozenset[date]) -> date:
    while not is_business_day(day, holidays):
        day += timedelta(days=1)
    return day


def add_business_days(start: date, days: int, holidays: frozenset[date]) -> date:
    """The business day `days` business days after `start` (day 0: `start`, or the next business
    day when `start` is not one)."""
    if days < 0:
        raise ValueError(f"an SLA is a number of days ahead, got {days}")
    day = _next_business_day(start, holidays)
    for _ in range(days):
        day = _next_business_day(day + timedelta(days=1), holidays)
    return day


def business_days_between(a: date, b: date, holidays: frozenset[date]) -> int:
    """Business days in (a, b]: after `a`, up to and including `b`; negative when b < a.
    For a business day `a`: business_days_between(a, add_business_days(a, n, h), h) == n."""
    if b < a:
        return -business_days_between(b, a, holidays)
    count = 0
    day = a + timedelta(days=1)
    while day <= b:
        count += is_business_day(day, holidays)
        day += timedelta(days=1)
    return count


class SlaState(StrEnum):
    WITHIN = "within"
    DUE_TODAY = "due_today"
    BREACHED = "breached"

    @property
    def label(self) -> str:
        return {"within": "Within SLA", "due_today": "Due today", "breached": "Breached"}[self]


def sla_state(due: date, today: date) -> SlaState:
    if today < due:
        return SlaState.WITHIN
    return SlaState.DUE_TODAY if today == due else SlaState.BREACHED


# -- settings the queue reads ----------------------------------------------------------------
def _int(effective: EffectiveSettings, key: str, payer: Any = None) -> int:
    return int(effective.get(key, payer))


def sla_days(effective: EffectiveSettings, function: str, payer: Any = None) -> int:
    """`<function>.sla_days` for the practice the settings were resolved for."""
    try:
        key = SLA_KEYS[function]
    except KeyError:
        raise ValueError(f"no SLA for work queue function {function!r}") from None
    return _int(effective, key, payer)


def followup_interval_days(effective: EffectiveSettings, payer: Any = None) -> int:
    """Days an accepted claim may wait for an 835 before it needs follow-up."""
    return _int(effective, "followup.interval_days", payer)


def no_ack_days(effective: EffectiveSettings) -> int:
    """Days a submitted claim may wait for an acknowledgement (999/277CA)."""
    return _int(effective, "followup.no_ack_days")


def corrected_claim_days(effective: EffectiveSettings, payer: Any = None) -> int:
    return _int(effective, "claims.corrected_claim_days", payer)


def claim_minutes(effective: EffectiveSettings) -> int:
    """Minutes a taken item stays claimed before it returns to the pool."""
    return _int(effective, "workqueue.claim_minutes")


def holidays(effective: EffectiveSettings) -> frozenset[date]:
    """The workspace's holidays (a workspace-wide setting: the same for every practice)."""
    return frozenset(effective.get("workspace.holidays"))


def local_date(moment: datetime, tz_name: str) -> date:
    """The calendar day `moment` falls on where the practice is (its timezone)."""
    return moment.astimezone(ZoneInfo(tz_name)).date()


def start_of_day(day: date, tz_name: str) -> datetime:
    """Midnight of `day` where the practice is: when a pend until that day ends."""
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz_name))
