"""The one deadline engine (DESIGN.md §8): every clock that still binds a claim or its denial,
each with its due date and the rule it comes from, in words a worker can check.

Pure: facts in (`ClaimFacts`), clocks out. No database, no settings lookups — the caller resolves
the payer's limits (settings, `Payer` fields) and passes them in, so the queue, the nightly
refresh, the claim page and appeals (issue 13) all compute the same dates.

Dates are calendar dates. Medicare's appeal clocks run from the date of the notice; CMS presumes
receipt 5 days after it (42 CFR 405.942(a)(1)), which we do not add: a worker who files by our
date is never late.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum


class ClockKind(StrEnum):
    TIMELY_FILING = "timely_filing"
    CORRECTED_CLAIM = "corrected_claim"
    APPEAL = "appeal"
    REDETERMINATION = "redetermination"
    RECONSIDERATION = "reconsideration"
    ALJ = "alj"
    APPEALS_COUNCIL = "appeals_council"
    FEDERAL_COURT = "federal_court"
    REOPENING = "reopening"
    # Not a claim's clock: an enrollment's revalidation date (setup work uses the same rows).
    REVALIDATION = "revalidation"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ClockKind.REVALIDATION: "Revalidation",
    ClockKind.TIMELY_FILING: "Timely filing",
    ClockKind.CORRECTED_CLAIM: "Corrected claim",
    ClockKind.APPEAL: "Appeal",
    ClockKind.REDETERMINATION: "Redetermination (Medicare appeal level 1)",
    ClockKind.RECONSIDERATION: "Reconsideration (Medicare appeal level 2)",
    ClockKind.ALJ: "ALJ hearing (Medicare appeal level 3)",
    ClockKind.APPEALS_COUNCIL: "Appeals Council review (Medicare appeal level 4)",
    ClockKind.FEDERAL_COURT: "Federal court review (Medicare appeal level 5)",
    ClockKind.REOPENING: "Reopening",
}


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


@dataclass(frozen=True)
class Clock:
    kind: ClockKind
    due: date
    source: str  # the rule and its basis, e.g. "Medicare: 12 months from the date of service …"

    def days_left(self, today: date) -> int:
        return (self.due - today).days

    def describe(self, today: date) -> str:
        left = self.days_left(today)
        if left > 0:
            return f"due in {_days(left)}"
        if left == 0:
            return "due today"
        return f"overdue by {_days(-left)}"


# -- Medicare appeal levels, as data ----------------------------------------------------------
# The amount in controversy (AIC) minimums are adjusted every January by the medical care CPI
# (Social Security Act §1869(b)(1)(E)): update them each year from CMS's Federal Register notice.
# CY2026: $200 for an ALJ hearing and $1,960 for judicial review (CMS-4209-N, 90 FR 55869,
# 2025-12-04).
AIC_YEAR = 2026


@dataclass(frozen=True)
class AppealLevel:
    level: int  # 1 = redetermination … 5 = federal court
    kind: ClockKind
    label: str
    days: int
    counted_from: str  # the decision the clock runs from
    regulation: str
    minimum_in_controversy: Decimal | None  # None: no minimum at this level


MEDICARE_APPEAL_LEVELS: tuple[AppealLevel, ...] = (
    AppealLevel(
        1,
        ClockKind.REDETERMINATION,
        "Redetermination by the MAC",
        120,
        "the initial determination",
        "42 CFR 405.942",
        None,
    ),
    AppealLevel(
        2,
        ClockKind.RECONSIDERATION,
        "Reconsideration by the QIC",
        180,
        "the redetermination decision",
        "42 CFR 405.962",
        None,
    ),
    AppealLevel(
        3,
        ClockKind.ALJ,
        "ALJ hearing (OMHA)",
        60,
        "the reconsideration decision",
        "42 CFR 405.1014",
        Decimal("200.00"),
    ),
    AppealLevel(
        4,
        ClockKind.APPEALS_COUNCIL,
        "Medicare Appeals Council review",
        60,
        "the ALJ decision",
        "42 CFR 405.1102",
        None,
    ),
    AppealLevel(
        5,
        ClockKind.FEDERAL_COURT,
        "Judicial review in federal district court",
        60,
        "the Appeals Council decision",
        "42 CFR 405.1130",
        Decimal("1960.00"),
    ),
)


def medicare_appeal_level(level: int) -> AppealLevel | None:
    """Level 1–5, or None past the last level."""
    return MEDICARE_APPEAL_LEVELS[level - 1] if 1 <= level <= len(MEDICARE_APPEAL_LEVELS) else None


# A commercial plan's internal appeals: ERISA lets a group health plan require at most two levels
# (29 CFR 2560.503-1(c)(2)); external review after that is outside the payer's clock.
PAYER_APPEAL_LEVELS = 2
TIMELY_FILING_EXPIRED_CARC = "29"
MEDICARE_FILING_RULE = "42 CFR 424.44"
REOPENING_RULE = "42 CFR 405.980"


@dataclass(frozen=True)
class ClaimFacts:
    date_of_service: date
    payer_is_medicare: bool
    payer_name: str
    timely_filing_days: int  # the resolved filing limit (non-Medicare)
    appeal_limit_days: int  # the payer's appeal limit (non-Medicare)
    corrected_claim_days: int  # the payer's corrected-claim window (non-Medicare)
    accepted_on: date | None  # first payer acceptance: timely filing is met
    determined_on: date | None  # ERA payment date of the initial determination (the denial)
    carc: str = ""  # the denial's claim adjustment reason code
    group_code: str = ""
    # Appeal levels already decided against us: 0 none; Medicare 1 = redetermination upheld, …,
    # 5 = court decided. The next level's clock runs from `last_decision_on`.
    appeal_level: int = 0
    last_decision_on: date | None = None


def add_years(start: date, years: int) -> date:
    """Same month and day `years` later; Feb 29 falls back to Feb 28 in a common year."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:  # Feb 29 → a year without one
        return start.replace(year=start.year + years, day=28)


def _plus_days(start: date, days: int) -> date:
    """`start + days`, clamped to the calendar's ends rather than raising OverflowError."""
    try:
        return start + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _timely_filing(facts: ClaimFacts) -> Clock:
    dos = facts.date_of_service
    if facts.payer_is_medicare:
        # "1 calendar year after the date of service" (42 CFR 424.44(a)(1)).
        return Clock(
            ClockKind.TIMELY_FILING,
            add_years(dos, 1),
            f"Medicare: 12 months from the date of service {dos} ({MEDICARE_FILING_RULE})",
        )
    return Clock(
        ClockKind.TIMELY_FILING,
        _plus_days(dos, facts.timely_filing_days),
        f"{facts.payer_name} filing limit: {_days(facts.timely_filing_days)} "
        f"from the date of service {dos}",
    )


def _medicare_appeal(facts: ClaimFacts, determined_on: date) -> Clock | None:
    step = medicare_appeal_level(facts.appeal_level + 1)
    if step is None:
        return None
    start = determined_on if facts.appeal_level == 0 else facts.last_decision_on
    if start is None:
        return None  # a level decided on an unknown date: nothing to count from
    return Clock(
        step.kind,
        _plus_days(start, step.days),
        f"Medicare {step.label}: {_days(step.days)} from {step.counted_from} {start} "
        f"({step.regulation})",
    )


def _payer_appeal(facts: ClaimFacts, determined_on: date) -> Clock | None:
    if facts.appeal_level >= PAYER_APPEAL_LEVELS:
        return None
    if facts.appeal_level == 0:
        start, basis, level = determined_on, "the denial", 1
    elif facts.last_decision_on is not None:
        start, basis, level = facts.last_decision_on, "the first-level decision", 2
    else:
        return None
    return Clock(
        ClockKind.APPEAL,
        _plus_days(start, facts.appeal_limit_days),
        f"{facts.payer_name} appeal limit (level {level}): {_days(facts.appeal_limit_days)} "
        f"from {basis} {start}",
    )


def claim_clocks(facts: ClaimFacts) -> list[Clock]:
    """Every clock that still binds, earliest first. Overdue clocks stay: the worker must see
    that a window has closed."""
    clocks: list[Clock] = []
    determined_on = facts.determined_on
    # A determination means the payer received the claim: timely filing is met then too.
    if facts.accepted_on is None and determined_on is None:
        clocks.append(_timely_filing(facts))
    if determined_on is not None:
        if facts.payer_is_medicare:
            # Medicare takes corrections as reopenings (no separate corrected-claim window):
            # within 1 year of the initial determination for any reason.
            clocks.append(
                Clock(
                    ClockKind.REOPENING,
                    add_years(determined_on, 1),
                    f"Medicare reopening: 1 year from the initial determination "
                    f"{determined_on} ({REOPENING_RULE})",
                )
            )
        else:
            clocks.append(
                Clock(
                    ClockKind.CORRECTED_CLAIM,
                    _plus_days(determined_on, facts.corrected_claim_days),
                    f"{facts.payer_name} corrected-claim window: "
                    f"{_days(facts.corrected_claim_days)} from the determination {determined_on}",
                )
            )
        # CO-29 "the time limit for filing has expired": an appeal cannot cure it.
        if facts.carc.strip().upper() != TIMELY_FILING_EXPIRED_CARC:
            appeal = (
                _medicare_appeal(facts, determined_on)
                if facts.payer_is_medicare
                else _payer_appeal(facts, determined_on)
            )
            if appeal is not None:
                clocks.append(appeal)
    return sorted(clocks, key=lambda c: (c.due, list(ClockKind).index(c.kind)))


def nearest(clocks: Iterable[Clock], today: date | None = None) -> Clock | None:
    """The earliest-due clock (an overdue one first), or None. `today` is accepted for callers
    that think of "nearest" as of a day; the earliest due date is the nearest on every day."""
    return min(clocks, key=lambda c: c.due, default=None)
