"""The business clock: when something happened in the revenue cycle.

Almost always the wall clock. The payer simulator replays past days (the demo's 90 days run in
seconds), and what it does — batches, acknowledgements, claim history, ERAs, postings, denials —
must carry the simulated day, not the moment the seed ran, or every date on those records lies.
The audit log is not business data: it records when the system really did something and keeps
`django.utils.timezone.now`.
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime

from django.utils import timezone

_DAY: contextvars.ContextVar[date | None] = contextvars.ContextVar("business_day", default=None)


def now() -> datetime:
    """The current instant, moved onto the business day being replayed, if any (same local
    time of day, so records of one replayed day keep the order they were written in)."""
    real = timezone.now()
    day = _DAY.get()
    if day is None:
        return real
    local = timezone.localtime(real)
    return local.replace(year=day.year, month=day.month, day=day.day)


@contextmanager
def business_day(day: date) -> Iterator[None]:
    """Stamp everything written inside with `day` (system replay only: the simulator)."""
    token = _DAY.set(day)
    try:
        yield
    finally:
        _DAY.reset(token)
