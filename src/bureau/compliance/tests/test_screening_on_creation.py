"""Screening on creation: a staff user or a provider created through its service is screened at
once against the list in force, in the creation's transaction (`screening.screen_one`); a
workspace with no list imported creates them all the same, screening nothing. And the demo's
screening: last month's files, last month's run, one false positive and one open match."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.accounts.services import user_create
from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.demo_screening import OPEN_SUBJECT
from bureau.compliance.models.screening import (
    ExclusionListImport,
    HitBasis,
    HitStatus,
    ListKind,
    RunScope,
    ScreeningHit,
    ScreeningRun,
)
from bureau.compliance.screening import ON_CREATION_LABEL, screen_one
from bureau.compliance.tests.helpers import actor_named, new_events, summit
from bureau.directory.models import Provider
from bureau.directory.services import ProviderData, provider_create
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
PASSWORD = "Correct-horse-battery-9"


def new_user(full_name: str, username: str = "new.hire") -> User:
    return user_create(
        actor=actor_named("olivia.owner"),
        username=username,
        full_name=full_name,
        email=f"{username}@example.test",
        password=PASSWORD,
        reason="new hire",
    )


def new_provider(name: str, first: str, last: str, npi: str) -> Provider:
    practice = Practice.objects.filter(workspace=summit()).order_by("id").first()
    assert practice is not None
    return provider_create(
        actor=actor_named("olivia.owner"),
        practice=practice,
        data=ProviderData(name=name, npi=npi, first_name=first, last_name=last),
        reason="joined the practice",
    )


def runs_of(subject: User | Provider) -> list[ScreeningRun]:
    field = "hit_rows__user" if isinstance(subject, User) else "hit_rows__provider"
    return list(ScreeningRun.objects.filter(**{field: subject}).distinct())


def test_a_new_staff_user_is_screened_at_once_and_the_match_is_on_the_work_list() -> None:
    before = ScreeningRun.objects.count()
    last_event = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    user = new_user("Leif Kilbride")  # the listed KILBRIDE, LEIF: same name, no DOB of ours
    assert ScreeningRun.objects.count() == before + 1
    run = ScreeningRun.objects.order_by("-id").first()
    assert run is not None
    assert (run.scope, run.ran_by, run.ran_by_label) == (RunScope.SOME, None, ON_CREATION_LABEL)
    assert (run.users_screened, run.providers_screened, run.hits) == (1, 0, 1)
    hit = ScreeningHit.objects.get(run=run)
    assert (hit.user, hit.status, hit.basis, hit.score) == (
        user,
        HitStatus.OPEN,
        HitBasis.NAME_VARIANT,
        85,
    )
    events = AuditEvent.objects.filter(pk__gt=last_event).order_by("id")
    actions = list(events.values_list("action", flat=True))
    assert actions[-2:] == [AuditAction.USER_CREATED, AuditAction.SCREENING_RUN]


def test_a_new_staff_user_who_matches_no_one_leaves_a_run_with_no_hit() -> None:
    new_user("Quinn Unlisted")
    run = ScreeningRun.objects.order_by("-id").first()
    assert run is not None and run.scope == RunScope.SOME
    assert (run.users_screened, run.hits) == (1, 0)


def test_a_new_provider_is_screened_at_once_by_npi() -> None:
    # FABLEWORTH, TOBIAS of the exclusions supplement carries NPI 1999900024.
    provider = new_provider("Dr. Toby Fable", "Toby", "Fable", "1999900024")
    run = ScreeningRun.objects.order_by("-id").first()
    assert run is not None and (run.providers_screened, run.users_screened, run.hits) == (1, 0, 1)
    hit = ScreeningHit.objects.get(run=run)
    assert (hit.provider, hit.basis, hit.score) == (provider, HitBasis.NPI, 100)
    assert runs_of(provider) == [run]


@pytest.mark.usefixtures("screening_from_scratch")
def test_without_a_list_creation_goes_ahead_and_nothing_is_screened() -> None:
    user = new_user("Leif Kilbride")
    provider = new_provider("Dr. Toby Fable", "Toby", "Fable", "1999900024")
    assert User.objects.filter(pk=user.pk).exists() and Provider.objects.filter(pk=provider.pk)
    assert not ScreeningRun.objects.exists()
    assert screen_one(user) is None
    assert not new_events().filter(action=AuditAction.SCREENING_RUN).exists()


def test_a_refused_creation_leaves_no_screening_behind() -> None:
    """One transaction: the user is refused (a taken login), so no run of them is kept."""
    before = ScreeningRun.objects.count()
    with pytest.raises(Exception, match="taken"):
        new_user("Leif Kilbride", username="carla.compliance")
    assert ScreeningRun.objects.count() == before


# -- the demo ---------------------------------------------------------------------------------
def test_the_demo_holds_last_month_s_screening_run() -> None:
    workspace = summit()
    kinds = set(
        ExclusionListImport.objects.filter(workspace=workspace).values_list("kind", flat=True)
    )
    assert kinds == {ListKind.FULL, ListKind.EXCLUSIONS, ListKind.REINSTATEMENTS}
    run = ScreeningRun.objects.get(workspace=workspace)
    today = timezone.localdate()
    last_month = (today.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    assert timezone.localtime(run.ran_at).strftime("%Y-%m") == last_month
    assert run.scope == RunScope.EVERYONE and run.ran_by is not None
    assert run.ran_by.username == "carla.compliance"
    assert run.imports.count() == 3 and run.users_screened > 5 and run.providers_screened > 5
    hits = list(ScreeningHit.objects.filter(run=run))
    assert len(hits) == run.hits >= 2
    false_positives = [h for h in hits if h.status == HitStatus.FALSE_POSITIVE]
    assert false_positives and all(h.resolution_reason and h.resolved_by for h in false_positives)
    assert all(h.resolved_at and h.resolved_at > run.ran_at for h in false_positives)
    still_open = [h for h in hits if h.status == HitStatus.OPEN]
    assert [(h.subject_label, h.basis) for h in still_open] == [
        (OPEN_SUBJECT, HitBasis.NAME_VARIANT)
    ]
    assert still_open[0].score < 100  # a possible match, for the officer to resolve


def test_the_monthly_run_is_on_the_operations_guide_s_timers() -> None:
    """The schedule is a daily timer running the command (once a month takes effect)."""
    from django.conf import settings

    guide = (Path(settings.BASE_DIR) / "docs" / "operations.md").read_text()
    timer = next(line for line in guide.splitlines() if "bureau-compliance-screen" in line)
    assert "bureau compliance screen --scheduled" in timer and "*-*-*" in timer
