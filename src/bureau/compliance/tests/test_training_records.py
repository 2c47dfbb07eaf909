"""Recording training: who may, what is refused (and why), what is stored, what is audited."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.evidence_documents import MAX_CERTIFICATE_BYTES
from bureau.compliance.models.training import Course, CourseKind, TrainingCompletion
from bureau.compliance.tests.world import PDF, PNG, World, actor_of, build_world, give
from bureau.compliance.training import (
    CourseTerms,
    TrainingError,
    course_create,
    course_update,
    training_completion_record,
)
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db
TODAY = date(2026, 3, 20)


@pytest.fixture
def world() -> World:
    return build_world()


def _record(world: World, **changes):  # type: ignore[no-untyped-def]
    args = {
        "actor": actor_of(world.officer),
        "user": world.biller,
        "course": world.hipaa,
        "completed_on": date(2026, 3, 18),
        "today": TODAY,
        "note": "Completed the online module",
    }
    args.update(changes)
    return training_completion_record(**args)


def test_a_completion_is_stored_with_its_certificate_and_audited(world: World) -> None:
    completion = _record(world, certificate=PDF, certificate_filename="C:\\certs\\bo-hipaa.pdf")
    stored = TrainingCompletion.objects.get(pk=completion.pk)
    assert bytes(stored.certificate) == PDF
    assert stored.certificate_sha256 == hashlib.sha256(PDF).hexdigest()
    assert stored.certificate_filename == "bo-hipaa.pdf"
    assert stored.recorded_by == world.officer
    event = AuditEvent.objects.get(
        action=AuditAction.TRAINING_COMPLETED, record_ids=[str(completion.public_id)]
    )
    assert event.user == world.officer and event.workspace == world.workspace
    assert event.detail == {
        "user": "bo.biller",
        "course": "HIPAA privacy and security",
        "completed_on": "2026-03-18",
        "certificate_sha256": hashlib.sha256(PDF).hexdigest(),
    }


def test_a_png_certificate_is_accepted_without_a_note(world: World) -> None:
    completion = _record(world, note="", certificate=PNG, certificate_filename="scan.png")
    assert completion.certificate_filename == "scan.png"


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"completed_on": date(2026, 3, 21)}, "2026-03-21 is in the future"),
        ({"completed_on": date(2026, 3, 1)}, "login was created on 2026-03-02"),
        ({"note": "", "certificate": None}, "Give the evidence"),
        ({"certificate": b"GIF89a...", "certificate_filename": "x.pdf"}, "must be a JPEG, PDF"),
        ({"certificate": PDF + b"0" * MAX_CERTIFICATE_BYTES}, "at most 5,242,880 are kept"),
        ({"note": "x" * 2001}, "note is too long"),
    ],
)
def test_refusals_name_what_is_wrong(world: World, changes: dict, words: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(TrainingError, match=words):
        _record(world, **changes)
    assert not TrainingCompletion.objects.filter(user=world.biller).exists()
    assert not AuditEvent.objects.filter(
        action=AuditAction.TRAINING_COMPLETED, workspace=world.workspace
    ).exists()


def test_the_same_completion_twice_is_refused(world: World) -> None:
    _record(world)
    with pytest.raises(TrainingError, match="recorded already"):
        _record(world, note="again")
    assert TrainingCompletion.objects.filter(user=world.biller).count() == 1


def test_client_viewers_and_retired_courses_are_refused(world: World) -> None:
    with pytest.raises(TrainingError, match="not part of the workforce"):
        _record(world, user=world.client)
    world.hipaa.active = False
    world.hipaa.save(update_fields=["active"])
    with pytest.raises(TrainingError, match="is retired"):
        _record(world)


def test_only_compliance_managers_of_the_whole_workspace_record(world: World) -> None:
    """The supervisor views compliance but does not manage it; the biller neither; an officer
    granted on one practice only does not hold it workspace-wide."""
    one_practice = world.coder
    give(one_practice, Role.COMPLIANCE_OFFICER, world.practice, date(2026, 1, 1))
    for user in (world.supervisor, world.biller, one_practice):
        with pytest.raises(CapabilityDenied):
            _record(world, actor=actor_of(user))
    _record(world, actor=actor_of(world.owner))  # the owner holds every capability


def test_people_and_courses_of_another_workspace_are_refused(world: World) -> None:
    with pytest.raises(CapabilityDenied):
        _record(world, user=world.other_workspace_user)


def test_course_create_and_update_are_validated_and_audited(world: World) -> None:
    officer = actor_of(world.officer)
    made = course_create(
        actor=officer,
        terms=CourseTerms(
            title="  Denials   and privacy ",
            kind=CourseKind.ROLE_SPECIFIC,
            roles=(Role.DENIAL_SPECIALIST,),
            days_allowed=45,
        ),
    )
    assert (made.title, made.roles, made.recurrence_months) == (
        "Denials and privacy",
        ["denial_specialist"],
        12,
    )
    created = AuditEvent.objects.get(
        action=AuditAction.COURSE_CHANGED, record_ids=[str(made.public_id)]
    )
    assert created.detail["created"] is True and created.detail["days_allowed"] == 45
    course_update(
        actor=officer,
        course=made,
        terms=CourseTerms(
            title="Denials and privacy",
            kind=CourseKind.ROLE_SPECIFIC,
            roles=(Role.DENIAL_SPECIALIST,),
            days_allowed=60,
            active=False,
        ),
    )
    changed = AuditEvent.objects.filter(
        action=AuditAction.COURSE_CHANGED, record_ids=[str(made.public_id)]
    ).exclude(pk=created.pk)
    assert [e.detail["changes"] for e in changed] == [
        {"days_allowed": [45, 60], "active": [True, False]}
    ]
    assert Course.objects.get(pk=made.pk).active is False


@pytest.mark.parametrize(
    ("terms", "words"),
    [
        (CourseTerms(title="", kind=CourseKind.ANNUAL_HIPAA), "needs a title"),
        (CourseTerms(title="HIPAA privacy and security", kind=CourseKind.ANNUAL_HIPAA), "exists"),
        (CourseTerms(title="Coders", kind=CourseKind.ROLE_SPECIFIC), "names the roles"),
        (
            CourseTerms(title="C", kind=CourseKind.ROLE_SPECIFIC, roles=(Role.CLIENT_VIEWER,)),
            "not the workforce",
        ),
        (CourseTerms(title="C", kind=CourseKind.ONBOARDING, recurrence_months=121), "Recurrence"),
        (CourseTerms(title="C", kind=CourseKind.ONBOARDING, days_allowed=400), "Days allowed"),
    ],
)
def test_course_refusals(world: World, terms: CourseTerms, words: str) -> None:
    with pytest.raises(TrainingError, match=words):
        course_create(actor=actor_of(world.officer), terms=terms)


def test_courses_need_compliance_manage(world: World) -> None:
    terms = CourseTerms(title="New", kind=CourseKind.ONBOARDING)
    with pytest.raises(CapabilityDenied):
        course_create(actor=actor_of(world.supervisor), terms=terms)
    with pytest.raises(CapabilityDenied):
        course_update(actor=actor_of(world.biller), course=world.hipaa, terms=terms)
    assert not Course.objects.filter(workspace=world.workspace, title="New").exists()


def test_no_completion_is_kept_when_its_audit_event_cannot_be_written(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The event is written in the change's transaction: if it fails, the change goes too."""

    def refuse(**_: object) -> None:
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr("bureau.compliance.training.audit_record", refuse)
    with pytest.raises(RuntimeError):
        _record(world)
    assert not TrainingCompletion.objects.filter(user=world.biller).exists()
