"""`bureau reports monthly --month YYYY-MM [--practice CODE] [--workspace SLUG]`: generate a
month's client report (a new version when the month was reported already), or with
`--scheduled` (no month) the scheduled run on the 1st: the month before on each practice's own
calendar, for every practice not reported yet (`reports.tasks.monthly_reports_due`). Prints one
JSON line per report made, and one per practice skipped (reported already, or its month not
ended yet where it is).

`bureau reports snapshot [--practice CODE] [--workspace SLUG]`: the nightly snapshot of the
owner's home figures (`reports.snapshot`), every active practice (or one); one JSON line each."""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bureau import clock
from bureau.reports.monthly import MonthError, parse_month
from bureau.reports.monthly_models import Trigger
from bureau.reports.monthly_services import MonthlyReportError
from bureau.reports.snapshot import take_snapshot
from bureau.reports.tasks import (
    RunResult,
    monthly_reports_due,
    monthly_reports_generate,
    reportable_practices,
)
from bureau.tenancy.cli import workspace_named
from bureau.tenancy.models import Practice, Workspace


class Command(BaseCommand):
    help = (
        "Reports: `monthly` makes the monthly client reports; `snapshot` stores today's figures "
        "of the owner's home, per practice (run nightly)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("report", choices=["monthly", "snapshot"])
        parser.add_argument("--month", help="YYYY-MM, a month that has ended")
        parser.add_argument("--practice", help="one practice, by code or public id")
        parser.add_argument("--workspace", help="slug of the workspace (default: the only one)")
        parser.add_argument(
            "--scheduled",
            action="store_true",
            help="the run on the 1st: the month before (on each practice's calendar), "
            "practices not reported yet",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspace = workspace_named(options["workspace"])
        today = clock.now().date()
        if options["report"] == "snapshot":
            self._snapshot(workspace, options)
            return
        if options["scheduled"] == bool(options["month"]):
            raise CommandError("name a month (--month YYYY-MM) or --scheduled, not both")
        month = None
        if not options["scheduled"]:
            try:
                month = parse_month(options["month"], today=today)
            except MonthError as exc:
                raise CommandError(str(exc)) from exc
        practices = (
            [_practice(workspace, options["practice"])]
            if options["practice"]
            else reportable_practices(workspace)
        )
        try:
            if month is None:
                result = monthly_reports_due(workspace, practices=practices)
            else:
                result = monthly_reports_generate(
                    practices, month, trigger=Trigger.COMMAND, again=True
                )
        except MonthlyReportError as exc:
            raise CommandError(str(exc)) from exc
        self._print(result)

    def _snapshot(self, workspace: Workspace, options: dict[str, Any]) -> None:
        if options["month"] or options["scheduled"]:
            raise CommandError("a snapshot is of today: --month and --scheduled are for monthly")
        practices = (
            [_practice(workspace, options["practice"])]
            if options["practice"]
            else reportable_practices(workspace)
        )
        for practice in practices:
            started = time.perf_counter()
            snapshot = take_snapshot(practice)
            line = {
                "practice": practice.code,
                "taken_on": snapshot.taken_on.isoformat(),
                "ar": snapshot.figures["aging"][0],
                "seconds": round(time.perf_counter() - started, 2),
            }
            self.stdout.write(json.dumps(line))

    def _print(self, result: RunResult) -> None:
        for report in result.made:
            roll = report.figures["rollforward"]
            line = {
                "practice": report.figures["practice"]["code"],
                "month": f"{report.month:%Y-%m}",
                "version": report.version,
                "report": str(report.public_id),
                "ar_start": roll["start"],
                "ar_end": roll["end"],
                "sha256": report.pdf_sha256,
            }
            self.stdout.write(json.dumps(line))
        for code in result.skipped:
            self.stdout.write(
                json.dumps({"practice": code, "month": str(result.month), "skipped": "reported"})
            )
        for code in result.waiting:
            line = {"practice": code, "month": str(result.month), "skipped": "not ended locally"}
            self.stdout.write(json.dumps(line))


def _practice(workspace: Workspace, value: str) -> Practice:
    """The practice `value` names in the workspace: its code, or its public id."""
    practices = Practice.objects.filter(workspace=workspace)
    try:
        found = practices.filter(public_id=uuid.UUID(value)).first()
    except ValueError:
        found = practices.filter(code=value).first()
    if found is None:
        raise CommandError(f"no practice {value!r} in workspace {workspace.slug!r}")
    return found
