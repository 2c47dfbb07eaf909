"""The demo's reports, as the production schedule would have left them after the replayed days
(docs/operations.md): the monthly client reports made by the run on each 1st the replay went
through, and tonight's snapshot of the owner's home. Without them the demo showed an empty
monthly list and a home read live, which no running installation does."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from time import perf_counter as time_counter

from bureau import clock
from bureau.reports.monthly import Month
from bureau.reports.snapshot import take_snapshots
from bureau.reports.tasks import monthly_reports_due, reportable_practices
from bureau.tenancy.models import Workspace

SCHEDULED_AT = time(12, 30)  # the documented hour of the monthly run, UTC


def run_firsts(replayed_days: int, today: date) -> list[date]:
    """The 1sts of the months on which the monthly run fell inside the replay: after its first
    day (the run on that day would report the month before the replay, with nothing in it) and
    up to today."""
    start = today - timedelta(days=replayed_days - 1)
    firsts: list[date] = []
    first = Month.of(start).next_first
    while first <= today:
        firsts.append(first)
        first = Month.of(first).next_first
    return firsts


def demo_reports(
    simulated: str,
    others: list[str],
    *,
    replayed_days: int,
    say: Callable[[str], None] | None = None,
) -> None:
    """The monthly runs of the simulated workspace's replayed months, each on its day (the
    report reads as generated on the 1st, by the scheduled run), then the nightly snapshot of
    every workspace's practices (`simulated` and `others`)."""
    workspace = Workspace.objects.get(slug=simulated)
    started = time_counter()
    made = 0
    for first in run_firsts(replayed_days, clock.now().date()):
        with clock.business_day(first):
            run = monthly_reports_due(workspace, now=datetime.combine(first, SCHEDULED_AT, UTC))
        made += len(run.made)
    practices = [
        p for w in Workspace.objects.filter(slug__in=[simulated, *others]).order_by("pk")
        for p in reportable_practices(w)
    ]  # fmt: skip
    monthly = time_counter() - started
    take_snapshots(practices)
    if say is not None:
        say(
            f"reports: {made} monthly client reports ({monthly:.1f} s), {len(practices)} home "
            f"snapshots ({time_counter() - started - monthly:.1f} s)"
        )
