"""Screening's schedule: once a month for everyone, and at once for someone new.

As with Bureau's other periodic work, the schedule is a `bureau` command a timer runs daily
(`bureau compliance screen --scheduled --workspace SLUG`): it screens only when no run has
happened this calendar month, so a retried or doubled timer makes no second run. The same
functions are database tasks, for the application to queue (a user or provider just created).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from django.utils import timezone
from django_tasks import task

from bureau.accounts.models import User
from bureau.compliance.models.screening import ExclusionListImport, RunScope, ScreeningRun
from bureau.compliance.screening import ON_CREATION_LABEL, screen
from bureau.directory.models import Provider
from bureau.tenancy.models import Workspace

MONTHLY_LABEL = "system (monthly screening)"


def screening_due(workspace: Workspace, *, today: date | None = None) -> bool:
    """Is this month's screening still to run? (A list must have been imported.)"""
    day = today or timezone.localdate()
    if not ExclusionListImport.objects.filter(workspace=workspace).exists():
        return False
    return not ScreeningRun.objects.filter(
        workspace=workspace,
        ran_at__date__gte=day.replace(day=1),
        ran_at__date__lte=day,
        scope=RunScope.EVERYONE,  # a run for one new person is not the month's
    ).exists()


def monthly_screening(workspace: Workspace, *, today: date | None = None) -> ScreeningRun | None:
    """The month's run of every active user and provider; None when it ran already (or no
    list has been imported: the dashboard shows that gap, a run could not close it)."""
    if not screening_due(workspace, today=today):
        return None
    return screen(workspace, actor=None, label=MONTHLY_LABEL)


def screen_new_subjects(
    workspace: Workspace, *, users: Sequence[User] = (), providers: Sequence[Provider] = ()
) -> ScreeningRun | None:
    """Screen people just added (on creation); None while no list has been imported."""
    if not ExclusionListImport.objects.filter(workspace=workspace).exists():
        return None
    return screen(workspace, actor=None, subjects=[*users, *providers], label=ON_CREATION_LABEL)


@task()
def screening_monthly_run(workspace_id: int) -> str:
    run = monthly_screening(Workspace.objects.get(pk=workspace_id))
    return "already screened this month" if run is None else f"{run.hits} new hits"


@task()
def screening_on_creation(workspace_id: int, user_ids: list[int], provider_ids: list[int]) -> str:
    workspace = Workspace.objects.get(pk=workspace_id)
    run = screen_new_subjects(
        workspace,
        users=list(User.objects.filter(workspace=workspace, pk__in=user_ids)),
        providers=list(Provider.objects.filter(workspace=workspace, pk__in=provider_ids)),
    )
    return "no exclusion list yet" if run is None else f"{run.hits} new hits"
