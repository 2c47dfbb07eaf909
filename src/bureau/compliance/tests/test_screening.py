"""Screening the seeded demo against the synthetic list, and resolving what it finds.

The synthetic list (data/README.md) was written against the seeded providers and users; each
expected hit below is worked out there."""

from __future__ import annotations

from datetime import date

import pytest

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.compliance.models.screening import (
    HitStatus,
    ListKind,
    ScreeningHit,
    ScreeningProfile,
    ScreeningRun,
)
from bureau.compliance.screening import (
    HitAlreadyResolved,
    NoExclusionList,
    resolve_hit,
    screen,
)
from bureau.compliance.tests.helpers import (
    EXCLUSIONS,
    FULL,
    REINSTATEMENTS,
    actor_named,
    import_bytes,
    import_file,
    leie_bytes,
    new_events,
    summit,
)
from bureau.directory.models import Provider, ProviderKind
from bureau.tenancy.actor import CapabilityDenied

# The demo seed screens its workspace: these tests start from one that never took in a list.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("screening_from_scratch")]

# (subject, basis, score) the synthetic full list raises on the seeded Summit workspace.
EXPECTED = {
    ("Dr. Mira Greywood", "npi", 100),
    ("Dr. Leif Kilbride", "name_variant", 85),
    ("Dr. Wade Holloway", "name_variant", 75),
    ("Dr. Opal Ellsworth", "name_variant", 65),
    ("Dan Delaney", "name_variant", 65),
    ("Bella Byrne", "name_variant", 75),
}


def found(run: ScreeningRun) -> set[tuple[str, str, int]]:
    return {(h.subject_label, h.basis, h.score) for h in run.hit_rows.all()}


def provider(name: str) -> Provider:
    return Provider.objects.get(workspace=summit(), name=name)


def test_screening_the_demo_finds_what_the_synthetic_list_was_written_for() -> None:
    listing = import_file(FULL)
    run = screen(summit(), actor=None)
    assert found(run) == EXPECTED
    assert run.users_screened == User.objects.filter(workspace=summit(), is_active=True).count()
    assert run.providers_screened == Provider.objects.filter(workspace=summit()).count()
    assert (run.entries_in_force, run.hits, run.hits_suppressed) == (9, 6, 0)
    assert list(run.imports.all()) == [listing]
    delaney = run.hit_rows.get(subject_label="Dan Delaney")
    assert delaney.user == User.objects.get(username="dan.denials")
    assert delaney.provider is None
    assert delaney.status == HitStatus.OPEN
    assert delaney.why == "first initial, same last name"
    greywood = run.hit_rows.get(subject_label="Dr. Mira Greywood")
    assert greywood.provider == provider("Dr. Mira Greywood")


def test_a_date_of_birth_on_file_makes_the_name_certain_and_a_wrong_one_rules_it_out() -> None:
    import_file(FULL)
    kilbride = provider("Dr. Leif Kilbride")
    profile = ScreeningProfile.objects.create(
        workspace=summit(), provider=kilbride, date_of_birth=date(1971, 4, 12)
    )
    hit = screen(summit(), actor=None, subjects=[kilbride]).hit_rows.get()
    assert (hit.basis, hit.score) == ("name_dob", 100)
    hit.status = HitStatus.CONFIRMED  # out of the way: a confirmed hit is raised again
    hit.save()
    profile.date_of_birth = date(1971, 4, 13)
    profile.save()
    assert not screen(summit(), actor=None, subjects=[kilbride]).hit_rows.exists()


def test_a_former_last_name_on_file_is_screened() -> None:
    import_bytes(leie_bytes({"LASTNAME": "HALE", "FIRSTNAME": "ALEX"}))
    alex = User.objects.get(username="alex.manager")  # Alex Marsh
    assert not screen(summit(), actor=None, subjects=[alex]).hit_rows.exists()
    ScreeningProfile.objects.create(workspace=summit(), user=alex, former_last_names="Hale")
    hit = screen(summit(), actor=None, subjects=[alex]).hit_rows.get()
    assert (hit.subject_label, hit.basis, hit.score) == ("Alex Marsh", "name_variant", 80)


def test_an_organization_is_screened_by_business_name() -> None:
    import_file(FULL)
    clinic = Provider.objects.create(
        workspace=summit(),
        practice=provider("Dr. Mira Greywood").practice,
        kind=ProviderKind.ORGANIZATION,
        name="Fictitious Demo Medical Supply LLC",
        npi="1999900040",
    )
    hit = screen(summit(), actor=None, subjects=[clinic]).hit_rows.get()
    assert (hit.basis, hit.score, hit.why) == ("name_variant", 70, "same business name")


def test_an_open_hit_is_not_raised_twice_and_a_false_positive_stays_quiet() -> None:
    import_file(FULL)
    first = screen(summit(), actor=None)
    second = screen(summit(), actor=None)
    assert (second.hits, second.hits_suppressed) == (0, 6)
    carla = actor_named("carla.compliance")
    delaney = first.hit_rows.get(subject_label="Dan Delaney")
    resolve_hit(carla, delaney, HitStatus.FALSE_POSITIVE, "Dan Delaney born 1990, listed D. 1961")
    holloway = first.hit_rows.get(subject_label="Dr. Wade Holloway")
    resolve_hit(carla, holloway, HitStatus.CONFIRMED, "Same person: license record")
    third = screen(summit(), actor=None)
    # Delaney: false positive, quiet. Holloway: confirmed, raised again for this month.
    assert found(third) == {("Dr. Wade Holloway", "name_variant", 75)}
    assert third.hits_suppressed == 5


def test_a_false_positive_stays_quiet_across_a_new_full_list() -> None:
    import_file(FULL)
    run = screen(summit(), actor=None)
    delaney = run.hit_rows.get(subject_label="Dan Delaney")
    resolve_hit(actor_named("carla.compliance"), delaney, HitStatus.FALSE_POSITIVE, "Not him")
    ScreeningHit.objects.filter(status=HitStatus.OPEN).update(status=HitStatus.CONFIRMED)
    import_file(FULL)  # next month's list: the same listings, new rows
    again = screen(summit(), actor=None)
    assert "Dan Delaney" not in {label for label, _, _ in found(again)}
    assert again.hits == 5
    assert again.hit_rows.exclude(entry__retired_by__isnull=True).count() == 0


def test_reinstated_and_retired_entries_no_longer_match() -> None:
    import_file(FULL)
    import_file(EXCLUSIONS, ListKind.EXCLUSIONS)
    import_file(REINSTATEMENTS, ListKind.REINSTATEMENTS)
    run = screen(summit(), actor=None)
    assert found(run) == (EXPECTED - {("Dr. Opal Ellsworth", "name_variant", 65)}) | {
        ("Dr. Morgan Stirling", "name_variant", 85)
    }
    assert run.imports.count() == 3
    import_bytes(leie_bytes({"LASTNAME": "UNRELATED", "FIRSTNAME": "NOBODY"}))
    later = screen(summit(), actor=None)
    assert (later.hits, later.entries_in_force, later.imports.count()) == (0, 1, 1)


def test_screening_without_a_list_is_refused() -> None:
    with pytest.raises(NoExclusionList):
        screen(summit(), actor=None)
    assert not ScreeningRun.objects.exists()


def test_a_run_is_audited_with_its_files_and_counts() -> None:
    listing = import_file(FULL)
    carla = actor_named("carla.compliance")
    run = screen(summit(), actor=carla)
    assert (run.ran_by, run.ran_by_label) == (carla.user, carla.label)
    event = new_events().get(action=AuditAction.SCREENING_RUN)
    assert event.user == carla.user
    assert event.record_ids == [str(run.public_id)]
    assert event.detail["files"] == [
        {"file": "leie_synthetic.csv", "kind": "full", "sha256": listing.sha256}
    ]
    assert (event.detail["hits"], event.detail["providers_screened"]) == (
        6,
        run.providers_screened,
    )


def test_resolving_a_hit_records_who_why_and_when_with_its_event() -> None:
    import_file(FULL)
    hit = screen(summit(), actor=None).hit_rows.get(subject_label="Bella Byrne")
    carla = actor_named("carla.compliance")
    resolved = resolve_hit(carla, hit, HitStatus.UNABLE, "  Awaiting the state board  ")
    assert resolved.status == HitStatus.UNABLE
    assert resolved.resolution_reason == "Awaiting the state board"
    assert resolved.resolved_by == carla.user and resolved.resolved_at is not None
    event = new_events().get(action=AuditAction.SCREENING_HIT_RESOLVED)
    assert event.reason == "Awaiting the state board"
    assert event.record_ids == [str(hit.public_id)]
    assert (event.detail["from"], event.detail["to"]) == ("open", "unable_to_determine")
    # Undetermined may be settled later; settled may not be reopened.
    resolve_hit(carla, resolved, HitStatus.FALSE_POSITIVE, "Board: a different Bella")
    with pytest.raises(HitAlreadyResolved):
        resolve_hit(carla, resolved, HitStatus.CONFIRMED, "Changed my mind")


@pytest.mark.parametrize(
    ("outcome", "reason"), [(HitStatus.FALSE_POSITIVE, "  "), (HitStatus.OPEN, "why"), ("x", "y")]
)
def test_a_resolution_needs_an_outcome_and_a_reason(outcome: str, reason: str) -> None:
    import_file(FULL)
    hit = screen(summit(), actor=None).hit_rows.first()
    assert hit is not None
    with pytest.raises(ValueError):
        resolve_hit(actor_named("carla.compliance"), hit, outcome, reason)
    hit.refresh_from_db()
    assert hit.status == HitStatus.OPEN
    assert not new_events().filter(action=AuditAction.SCREENING_HIT_RESOLVED).exists()


@pytest.mark.parametrize("username", ["bella.biller", "sam.supervisor", "hank.harbor"])
def test_only_compliance_manage_in_the_workspace_resolves_or_screens(username: str) -> None:
    import_file(FULL)
    hit = screen(summit(), actor=None).hit_rows.first()
    assert hit is not None
    actor = actor_named(username)
    with pytest.raises(CapabilityDenied):
        resolve_hit(actor, hit, HitStatus.FALSE_POSITIVE, "not me")
    with pytest.raises(CapabilityDenied):
        screen(summit(), actor=actor)
    hit.refresh_from_db()
    assert hit.status == HitStatus.OPEN
