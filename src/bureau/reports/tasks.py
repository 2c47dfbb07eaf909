"""The monthly reports' scheduled run: on the 1st of each month, the month before, for every
active practice of a workspace.

"The month before" is decided per practice, on the practice's own calendar (its `timezone`, as
appeals' deadlines are): a run at 05:30 UTC on 1 December is still 30 November in Chicago, and
November's report made then would miss the evening's postings. Such a practice makes nothing
for November in that run (it is *waiting*); the next run after its month has ended reports it
(the month before, on its calendar, not yet reported). docs/operations.md schedules the run at
12:30 UTC, when the 1st has begun in every US timezone.

Bureau's periodic work is a `bureau` command a scheduler runs (cron or a systemd timer; see
docs/operations.md: the nightly `workqueue refresh`, the daily `ledger check`), calling the
same function a person could run: `bureau reports monthly --scheduled` on the 1st runs
`monthly_reports_due` below. It is also a database task (`monthly_reports_run`) so it can be
queued from the application, as the ingest jobs are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django_tasks import task

from bureau import clock
from bureau.reports.monthly import Month, month_due
from bureau.reports.monthly_models import MonthlyReport, Trigger
from bureau.reports.monthly_services import (
    monthly_report_generate,
    monthly_report_generate_once,
)
from bureau.tenancy.models import Practice, PracticeStatus, Workspace
from bureau.workqueues.sla import local_date


@dataclass
class RunResult:
    month: Month
    made: list[MonthlyReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # practices already reported this month
    # Scheduled runs: practices where `month` has not ended yet on their own calendar.
    waiting: list[str] = field(default_factory=list)


def reportable_practices(workspace: Workspace) -> list[Practice]:
    """Every practice the workspace still bills for (an offboarded client gets no report)."""
    return list(
        Practice.objects.filter(workspace=workspace)
        .exclude(status=PracticeStatus.OFFBOARDED)
        .order_by("code")
    )


def monthly_reports_generate(
    practices: Iterable[Practice], month: Month, *, trigger: Trigger, again: bool
) -> RunResult:
    """One report per practice, each in its own transaction (one failing practice does not
    take the others' reports with it). Without `again`, a practice whose month is reported
    already is skipped: a scheduled run that is retried makes no second version."""
    result = RunResult(month)
    for practice in practices:
        if again:
            result.made.append(
                monthly_report_generate(practice=practice, month=month, trigger=trigger)
            )
        elif made := monthly_report_generate_once(practice=practice, month=month, trigger=trigger):
            result.made.append(made)
        else:
            result.skipped.append(practice.code)
    return result


def monthly_reports_due(
    workspace: Workspace,
    *,
    now: datetime | None = None,
    practices: Iterable[Practice] | None = None,
) -> RunResult:
    """The scheduled run at `now` (default: the business clock's now): for each practice (every
    reportable one of the workspace by default), the month before its local date, unless
    reported already. `month` of the result is the month before `now`'s server (UTC) date; a
    practice still inside that month locally is `waiting`: for it the run makes the month
    before on its calendar (the one before `month`) if that was never reported, else nothing."""
    now = now or clock.now()
    result = RunResult(month_due(now.date()))
    for practice in reportable_practices(workspace) if practices is None else practices:
        due = month_due(local_date(now, practice.timezone))
        made = monthly_report_generate_once(practice=practice, month=due, trigger=Trigger.SCHEDULE)
        if made is not None:
            result.made.append(made)
        elif due.first >= result.month.first:
            result.skipped.append(practice.code)
        if due.first < result.month.first:  # `month` has not ended there
            result.waiting.append(practice.code)
    return result


@task()
def monthly_reports_run(workspace_id: int) -> str:
    """The scheduled run as a database task, for one workspace."""
    result = monthly_reports_due(Workspace.objects.get(pk=workspace_id))
    said = f"{result.month}: {len(result.made)} made, {len(result.skipped)} already reported"
    if result.waiting:
        said += f", {len(result.waiting)} waiting for the month to end locally"
    return said
