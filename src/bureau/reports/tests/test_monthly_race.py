"""Two scheduled monthly runs at once for one practice (PostgreSQL): a retried cron line or a
task queued twice. The "already reported?" check is made under the practice's lock, so the
second run waits for the first to commit, sees its report and makes no second version."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import transaction

from bureau.conftest import ON_POSTGRES, TEST_PATIENTS_PER_PRACTICE, in_thread
from bureau.reports.monthly import Month
from bureau.reports.monthly_models import MonthlyReport, Trigger
from bureau.reports.tasks import RunResult, monthly_reports_due
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row locks and concurrent connections: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]

MONTH = Month(2020, 3)
NOW = datetime(2020, 4, 1, 12, 30, tzinfo=UTC)  # the run on the 1st: March is due


def test_two_overlapping_scheduled_runs_make_one_version(transactional_db: Any):
    from bureau.demo import seed_demo

    seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)  # no-op when still seeded
    practice = Practice.objects.get(workspace__slug="summit", name="Lakeside Family Medicine")
    start = threading.Barrier(2)

    def scheduled_run() -> RunResult:
        start.wait(timeout=30)
        return monthly_reports_due(practice.workspace, now=NOW, practices=[practice])

    results: list[Any] = []
    threads = [in_thread(scheduled_run, results), in_thread(scheduled_run, results)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 2 and all(isinstance(r, RunResult) for r in results), results
    assert sorted((len(r.made), len(r.skipped)) for r in results) == [(0, 1), (1, 0)]
    with transaction.atomic(), rls.practice_scope([practice.pk]):
        versions = list(
            MonthlyReport.objects.for_system([practice.pk], reason="test")
            .filter(practice=practice, month=MONTH.first)
            .values_list("version", "trigger")
        )
    assert versions == [(1, Trigger.SCHEDULE)]
