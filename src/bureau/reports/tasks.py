"""The monthly reports' scheduled run: on the 1st of each month, the month before, for every
active practice of a workspace.

Bureau's periodic work is a `bureau` command a scheduler runs (cron or a systemd timer; see
docs/operations.md: the nightly `workqueue refresh`, the daily `ledger check`), calling the
same function a person could run: `bureau reports monthly --scheduled` on the 1st runs
`monthly_reports_due` below. It is also a database task (`monthly_reports_run`) so it can be
queued from the application, as the ingest jobs are.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django_tasks import task

from bureau import clock
from bureau.reports.monthly import Month, month_due
from bureau.reports.monthly_models import MonthlyReport, Trigger
from bureau.reports.monthly_services import (
    monthly_report_generate,
    monthly_report_generate_once,
)
from bureau.tenancy.models import Practice, PracticeStatus, Workspace


@dataclass
class RunResult:
    month: Month
    made: list[MonthlyReport] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # practices already reported this month


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


def monthly_reports_due(workspace: Workspace, *, today: date | None = None) -> RunResult:
    """The scheduled run: the month before `today` (default: the business clock's today)."""
    month = month_due(today or clock.now().date())
    return monthly_reports_generate(
        reportable_practices(workspace), month, trigger=Trigger.SCHEDULE, again=False
    )


@task()
def monthly_reports_run(workspace_id: int) -> str:
    """The scheduled run as a database task, for one workspace."""
    result = monthly_reports_due(Workspace.objects.get(pk=workspace_id))
    return f"{result.month}: {len(result.made)} made, {len(result.skipped)} already reported"
