"""The demo leaves the reports the production schedule would have: the monthly client reports
of the replayed months (by the run on each 1st) and tonight's home snapshot."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import transaction

from bureau import clock
from bureau.conftest import verified_client
from bureau.demo import OTHER_WORKSPACE_SLUG, WORKSPACE_SLUG
from bureau.demo_reports import demo_reports, run_firsts
from bureau.reports.monthly import Month
from bureau.reports.monthly_models import MonthlyReport, Trigger
from bureau.reports.tasks import reportable_practices
from bureau.tenancy import rls
from bureau.tenancy.models import Workspace


@pytest.mark.parametrize(
    ("days", "today", "firsts"),
    [
        # 90 days to 7 December: from 9 September, the runs of 1 Oct, 1 Nov, 1 Dec.
        (90, date(2026, 12, 7), [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1)]),
        # A replay starting on the 1st: that day's run reports the month before it, empty.
        (7, date(2026, 12, 7), []),
        (8, date(2026, 12, 7), [date(2026, 12, 1)]),
        (20, date(2027, 1, 10), [date(2027, 1, 1)]),  # over the year's end
        (1, date(2026, 12, 1), []),
    ],
)
def test_the_runs_on_the_1sts_inside_the_replay(days, today, firsts):
    assert run_firsts(days, today) == firsts


@pytest.mark.django_db
def test_the_demo_makes_the_replayed_months_reports_and_the_home_snapshot():
    today = clock.now().date()
    firsts = run_firsts(45, today)  # 45 days reach over at least one 1st
    assert firsts
    demo_reports(WORKSPACE_SLUG, [OTHER_WORKSPACE_SLUG], replayed_days=45)

    summit = Workspace.objects.get(slug=WORKSPACE_SLUG)
    practices = reportable_practices(summit)
    ids = [p.pk for p in practices]
    with transaction.atomic():
        rls.activate(ids)
        made = list(
            MonthlyReport.objects.for_system(ids, reason="test").values_list(
                "practice_id", "month", "version", "trigger", "generated_at"
            )
        )
    rls.activate([])
    # Each run on a 1st reported the month before it, once, for every practice, dated that day.
    expected = {(p.pk, Month.of(first).previous().first) for p in practices for first in firsts}
    assert {(pid, month) for pid, month, *_ in made} == expected
    assert len(made) == len(expected)
    assert {(v, t) for _, _, v, t, _ in made} == {(1, Trigger.SCHEDULE)}
    assert {at.date() for *_, at in made} == set(firsts)
    # The home adds up tonight's snapshots (it no longer reads live), in both workspaces.
    for owner in ("olivia.owner", "hank.harbor"):
        response = verified_client(owner).get("/")
        book = response.context["book"]
        assert book is not None and book.taken_at is not None, owner
