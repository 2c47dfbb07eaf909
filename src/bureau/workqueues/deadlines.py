"""STUB (replaced by the deadline engine from h-clocks)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum


class ClockKind(StrEnum):
    TIMELY_FILING = "timely_filing"
    CORRECTED_CLAIM = "corrected_claim"
    APPEAL = "appeal"
    REOPENING = "reopening"
    REVALIDATION = "revalidation"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


@dataclass(frozen=True)
class Clock:
    kind: ClockKind
    due: date
    source: str

    def days_left(self, today: date) -> int:
        return (self.due - today).days

    def describe(self, today: date) -> str:
        n = self.days_left(today)
        if n == 0:
            return "due today"
        return f"due in {n} days" if n > 0 else f"overdue by {-n} days"


@dataclass(frozen=True)
class ClaimFacts:
    date_of_service: date
    payer_is_medicare: bool
    payer_name: str
    timely_filing_days: int
    appeal_limit_days: int
    corrected_claim_days: int
    accepted_on: date | None = None
    determined_on: date | None = None
    carc: str = ""
    group_code: str = ""
    appeal_level: int = 0
    last_decision_on: date | None = None


def claim_clocks(facts: ClaimFacts) -> list[Clock]:
    clocks = []
    if facts.accepted_on is None:
        clocks.append(
            Clock(
                ClockKind.TIMELY_FILING,
                facts.date_of_service + timedelta(days=facts.timely_filing_days),
                "filing limit",
            )
        )
    if facts.determined_on is not None and facts.carc != "29":
        clocks.append(
            Clock(
                ClockKind.APPEAL,
                facts.determined_on + timedelta(days=facts.appeal_limit_days),
                "appeal",
            )
        )
    return sorted(clocks, key=lambda c: c.due)


def nearest(clocks: list[Clock], today: date) -> Clock | None:
    return min(clocks, key=lambda c: c.due, default=None)
