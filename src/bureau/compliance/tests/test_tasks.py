"""The schedule: one monthly run of everyone (a retried timer makes no second), and at once
for someone just created; neither before a list is imported."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bureau.accounts.models import User
from bureau.compliance.models.screening import RunScope, ScreeningRun
from bureau.compliance.tasks import (
    MONTHLY_LABEL,
    ON_CREATION_LABEL,
    monthly_screening,
    screen_new_subjects,
    screening_due,
)
from bureau.compliance.tests.helpers import FULL, import_file, summit
from bureau.directory.models import Provider

# The demo seed screens its workspace: these tests start from one that never took in a list.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("screening_from_scratch")]


def scheduled() -> str:
    out = StringIO()
    call_command("compliance", "screen", "--scheduled", "--workspace", "summit", stdout=out)
    return out.getvalue().strip()


def test_nothing_is_due_before_a_list_is_imported() -> None:
    assert not screening_due(summit())
    assert monthly_screening(summit()) is None
    assert screen_new_subjects(summit(), users=[User.objects.get(username="dan.denials")]) is None
    assert scheduled() == "screening: no exclusion list imported yet, nothing screened"
    assert not ScreeningRun.objects.exists()


def test_the_monthly_run_happens_once_a_month() -> None:
    import_file(FULL)
    today = timezone.localdate()
    assert screening_due(summit(), today=today)
    assert scheduled().startswith("screened ")
    run = ScreeningRun.objects.get()
    assert run.scope == RunScope.EVERYONE
    assert not screening_due(summit(), today=today)
    assert scheduled() == "screening: this month's run is done"
    assert ScreeningRun.objects.count() == 1
    # Last month's run does not count for this month.
    run.ran_at = timezone.now() - timedelta(days=today.day + 1)
    run.save()
    monthly = monthly_screening(summit(), today=today)
    assert monthly is not None and monthly.ran_by_label == MONTHLY_LABEL


def test_a_run_for_someone_new_is_not_the_months_run() -> None:
    import_file(FULL)
    dan = User.objects.get(username="dan.denials")
    greywood = Provider.objects.get(workspace=summit(), name="Dr. Mira Greywood")
    run = screen_new_subjects(summit(), users=[dan], providers=[greywood])
    assert run is not None
    assert (run.scope, run.ran_by_label) == (RunScope.SOME, ON_CREATION_LABEL)
    assert (run.users_screened, run.providers_screened, run.hits) == (1, 1, 2)
    assert screening_due(summit(), today=timezone.localdate())
