"""A trend report's period: whole calendar months ending at a chosen month.

`?month=2026-11&months=12` reads as "the twelve months December 2025 to November 2026". With no
month the window ends at the current month (to date), twelve months long. A month that cannot
be read is a message the page names (400), never a guess, as with every report filter
(`reports.filters`): the same quoting, the same earliest date, no future month.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from django.http import HttpRequest

from bureau.reports.filters import EARLIEST, ReportFilters, _quoted

DEFAULT_MONTHS = 12
LONGEST_WINDOW = 36  # three years of monthly columns is as wide as a page can read
_ISO_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)
_COUNT = re.compile(r"[0-9]{1,3}", re.ASCII)


def first_of(day: date) -> date:
    return day.replace(day=1)


def add_months(first: date, n: int) -> date:
    index = first.year * 12 + first.month - 1 + n
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class MonthWindow:
    last: date  # the first day of the window's last month
    months: int = DEFAULT_MONTHS

    @property
    def firsts(self) -> list[date]:
        """The first day of each month, oldest first."""
        return [add_months(self.last, n) for n in range(1 - self.months, 1)]

    @property
    def start(self) -> date:
        return add_months(self.last, 1 - self.months)

    @property
    def end(self) -> date:
        """The window's last day (inclusive): the end of its last month."""
        return add_months(self.last, 1) - timedelta(days=1)

    @property
    def labels(self) -> list[str]:
        return [f"{m:%Y-%m}" for m in self.firsts]

    @property
    def title(self) -> str:
        if self.months == 1:
            return f"{self.last:%B %Y}"
        return f"{self.start:%b %Y} – {self.last:%b %Y} ({self.months} months)"


def parse_month_window(request: HttpRequest, today: date) -> tuple[MonthWindow, list[str]]:
    """The window asked for by `month` (YYYY-MM, its last month) and `months` (how many)."""
    errors: list[str] = []
    last = first_of(today)
    raw = request.GET.get("month", "").strip()
    if raw:
        parsed = None
        if not _ISO_MONTH.fullmatch(raw):
            errors.append(f"Month {_quoted(raw)} is not a month: write it as YYYY-MM.")
        elif not 1 <= int(raw[5:]) <= 12:
            errors.append(f"Month {_quoted(raw)} is not a month of the calendar.")
        else:
            parsed = date(int(raw[:4]), int(raw[5:]), 1)
        if parsed is not None and parsed < EARLIEST:
            errors.append(f"Month {raw} is before {EARLIEST:%Y-%m}.")
        elif parsed is not None and parsed > last:
            errors.append(f"Month {raw} is in the future (this month is {last:%Y-%m}).")
        elif parsed is not None:
            last = parsed
    months = DEFAULT_MONTHS
    raw = request.GET.get("months", "").strip()
    if raw:
        if not _COUNT.fullmatch(raw) or not 1 <= int(raw) <= LONGEST_WINDOW:
            errors.append(
                f"Months {_quoted(raw)} is not a number of months from 1 to {LONGEST_WINDOW}."
            )
        else:
            months = int(raw)
    window = MonthWindow(last, months)
    if not errors and window.start < EARLIEST:
        errors.append(f"The period would start before {EARLIEST:%Y-%m}: ask for fewer months.")
    return window, errors


def window_query(filters: ReportFilters, window: MonthWindow, **extra: str) -> dict[str, str]:
    """The filters of a month-window report as query parameters (explicit about the practice,
    like `ReportFilters.query`, so a link means what the page showed)."""
    params = {
        "practice": str(filters.practice.public_id) if filters.practice else "all",
        "month": f"{window.last:%Y-%m}",
        "months": str(window.months),
    }
    if filters.payer is not None:
        params["payer"] = str(filters.payer.public_id)
    params.update({k: v for k, v in extra.items() if v})
    return params
