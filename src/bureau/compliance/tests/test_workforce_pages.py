"""The training and policy pages on the seeded demo: who sees and changes what, the forms'
errors under the fields they name, bad files, certificates and documents handed out (audited,
not cached), attestation once per version, and the purge refused before the retention date."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.demo_workforce import pdf
from bureau.compliance.models.policies import Attestation, Policy, PolicyVersion
from bureau.compliance.models.training import Course, CourseKind, TrainingCompletion
from bureau.compliance.policies import policy_create, purgeable_on
from bureau.compliance.workforce import workforce_members
from bureau.conftest import verified_client
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Workspace

pytestmark = pytest.mark.django_db
OFFICER = "carla.compliance"
PDF = pdf("Certificate", "Test certificate.")
GIF = b"GIF89a\x01\x00\x01\x00"


def summit() -> Workspace:
    return Workspace.objects.get(slug="summit")


def user(username: str) -> User:
    return User.objects.get(username=username)


def url(name: str, **kwargs: Any) -> str:
    return reverse(f"compliance:{name}", kwargs=kwargs or None)


def said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def harbor_records() -> tuple[Course, Policy]:
    """A course and a policy of the other workspace, made by its owner."""
    harbor = Workspace.objects.get(slug="harbor")
    course = Course.objects.create(
        workspace=harbor, title="Harbor HIPAA", kind=CourseKind.ANNUAL_HIPAA.value
    )
    actor = resolve_actor(user("hank.harbor"))
    assert actor is not None
    today = timezone.localdate()
    policy = policy_create(
        actor=actor,
        title="Harbor privacy",
        owner=actor.user,
        document=PDF,
        filename="harbor.pdf",
        effective_on=today,
        today=today,
    )
    return course, policy


# -- training -----------------------------------------------------------------------------------
def test_the_matrix_shows_who_is_overdue_and_filters_to_them() -> None:
    client = verified_client(OFFICER)
    page = client.get(url("training"))
    assert page.status_code == 200
    people = {p.user.username for p in page.context["matrix"].people}
    assert {"dan.denials", "casey.contractor", "bella.biller"} <= people
    assert "cliff.client" not in people  # a client viewer is not the workforce
    body = page.content.decode()
    assert "tag tag-suspended" in body and "overdue" in body
    overdue = client.get(url("training"), {"status": "overdue"})
    assert {p.user.username for p in overdue.context["matrix"].people} == {
        "dan.denials",
        "casey.contractor",
    }
    assert all(c.status == "overdue" for c in overdue.context["matrix"].rows)
    # Anything else is no filter, not an error.
    assert client.get(url("training"), {"status": "x" * 500}).status_code == 200


@pytest.mark.parametrize(
    ("username", "reads", "writes"),
    [
        ("carla.compliance", True, True),
        ("olivia.owner", True, True),
        ("sam.supervisor", True, False),  # compliance.view, not .manage
        ("bella.biller", False, False),
        ("cliff.client", False, False),
        ("hank.harbor", True, True),  # his own workspace's program (empty)
    ],
)
def test_who_reads_and_who_writes(username: str, reads: bool, writes: bool) -> None:
    client = verified_client(username)
    for name in ("training", "policy_list"):
        assert client.get(url(name)).status_code == (200 if reads else 404), name
    for name in ("course_create", "completion_create", "policy_create"):
        assert client.get(url(name)).status_code == (200 if writes else 404), name
        assert client.post(url(name), {}).status_code == (200 if writes else 404), name
    if reads and not writes:
        assert b"Record a completion" not in client.get(url("training")).content


def _completion_post(client: Any, **changes: Any) -> Any:
    data: dict[str, Any] = {
        "person": str(user("dan.denials").public_id),
        "course": str(Course.objects.get(workspace=summit(), kind="annual_hipaa").public_id),
        "completed_on": timezone.localdate().isoformat(),
        "note": "",
        "certificate": SimpleUploadedFile("dan-hipaa.pdf", PDF, "application/pdf"),
    }
    data.update(changes)
    return client.post(url("completion_create"), {k: v for k, v in data.items() if v is not None})


def test_the_officer_records_a_completion_with_its_certificate_and_downloads_it() -> None:
    client = verified_client(OFFICER)
    response = _completion_post(client)
    dan = user("dan.denials")
    assert response.status_code == 302
    assert response["Location"] == url("training_person", public_id=dan.public_id)
    completion = TrainingCompletion.objects.get(user=dan, completed_on=timezone.localdate())
    assert completion.certificate_sha256 == hashlib.sha256(PDF).hexdigest()
    assert AuditEvent.objects.filter(
        action=AuditAction.TRAINING_COMPLETED, record_ids=[str(completion.public_id)]
    ).exists()
    # Dan is no longer overdue.
    overdue = client.get(url("training"), {"status": "overdue"}).context["matrix"].people
    assert {p.user.username for p in overdue} == {"casey.contractor"}
    page = client.get(url("training_person", public_id=dan.public_id))
    download = url("training_certificate", public_id=completion.public_id)
    assert download in page.content.decode()
    got = client.get(download)
    assert got.status_code == 200 and got.content == PDF
    assert got["Content-Type"] == "application/pdf"
    assert "no-store" in got["Cache-Control"]
    assert got["Content-Disposition"].startswith('attachment; filename="dan-hipaa.pdf"')
    assert AuditEvent.objects.filter(
        action=AuditAction.CERTIFICATE_DOWNLOADED, record_ids=[str(completion.public_id)]
    ).exists()
    # A reader of the program downloads it too; no one else, and never by HEAD.
    assert verified_client("sam.supervisor").get(download).status_code == 200
    assert verified_client("bella.biller").get(download).status_code == 404
    assert verified_client("dan.denials").get(download).status_code == 404
    assert client.head(download).status_code == 405


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"certificate": SimpleUploadedFile("x.pdf", GIF, "application/pdf")},
            "certificate",
            "must be a JPEG, PDF or PNG file",
        ),
        (
            {"certificate": SimpleUploadedFile("x.pdf", b"", "application/pdf")},
            "certificate",
            "The submitted file is empty",
        ),
        ({"certificate": None}, "certificate", "Give the evidence"),
        ({"completed_on": "2999-01-01"}, "completed_on", "is in the future"),
        ({"completed_on": "2001-01-01"}, "completed_on", "login was created on"),
        ({"completed_on": "not a date"}, "completed_on", "Enter a valid date"),
        ({"person": ""}, "person", "This field is required"),
        ({"course": "nope"}, "course", "Select a valid choice"),
    ],
)
def test_completion_errors_name_their_field(
    changes: dict[str, Any], field: str | None, words: str
) -> None:
    before = TrainingCompletion.objects.count()
    response = _completion_post(verified_client(OFFICER), **changes)
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert any(words in e for e in errors.get(field or "__all__", [])), errors
    assert TrainingCompletion.objects.count() == before


def test_an_oversized_certificate_is_refused_by_size() -> None:
    big = SimpleUploadedFile("big.pdf", PDF + b"0" * (5 * 1024 * 1024), "application/pdf")
    response = _completion_post(verified_client(OFFICER), certificate=big)
    assert "at most 5,242,880 are kept" in response.context["form"].errors["certificate"][0]


def test_course_forms_add_edit_and_name_the_field_in_error() -> None:
    client = verified_client(OFFICER)
    data = {
        "title": "Coding compliance",
        "kind": "role_specific",
        "recurrence_months": "12",
        "days_allowed": "45",
        "active": "on",
    }
    refused = client.post(url("course_create"), data)
    assert "names the roles" in refused.context["form"].errors["roles"][0]
    created = client.post(url("course_create"), {**data, "roles": ["biller", "coder"]})
    assert created.status_code == 302
    course = Course.objects.get(workspace=summit(), title="Coding compliance")
    assert course.roles == ["biller", "coder"] and course.days_allowed == 45
    taken = client.post(url("course_create"), {**data, "roles": ["coder"]})
    assert "exists already" in taken.context["form"].errors["title"][0]
    edit = url("course_edit", public_id=course.public_id)
    assert client.get(edit).context["form"].initial["days_allowed"] == 45
    months = client.post(edit, {**data, "roles": ["coder"], "recurrence_months": "999"})
    assert (
        "Ensure this value is less than or equal to 120"
        in months.context["form"].errors["recurrence_months"][0]
    )
    assert client.post(edit, {**data, "roles": ["coder"]}).status_code == 302
    course.refresh_from_db()
    assert course.roles == ["coder"]


def test_another_workspace_s_records_answer_like_missing_ones() -> None:
    course, policy = harbor_records()
    version = policy.current_version
    assert version is not None
    hank = user("hank.harbor")
    client = verified_client(OFFICER)
    pairs = [
        ("course_edit", course.public_id),
        ("policy_detail", policy.public_id),
        ("policy_publish", policy.public_id),
        ("policy_document", version.public_id),
        ("training_person", hank.public_id),
    ]
    import uuid

    for name, public_id in pairs:
        foreign = client.get(url(name, public_id=public_id))
        missing = client.get(url(name, public_id=uuid.uuid4()))
        assert foreign.status_code == missing.status_code == 404, name
        assert foreign.content == missing.content, name
    for name, public_id in [
        ("policy_purge", version.public_id),
        ("policy_attest", version.public_id),
        ("policy_review", policy.public_id),
    ]:
        assert client.post(url(name, public_id=public_id)).status_code == 404, name
    assert not Attestation.objects.filter(version=version).exists()
    # The other workspace's officer sees his own program, none of Summit's.
    hanks = verified_client("hank.harbor").get(url("training"))
    assert {p.user.username for p in hanks.context["matrix"].people} == {"hank.harbor"}
    assert b"Annual HIPAA privacy" not in hanks.content


def test_each_person_sees_their_own_training() -> None:
    page = verified_client("casey.contractor").get(url("my_training"))
    assert page.status_code == 200
    assert page.context["overdue"] == 1
    assert {c.row.course.title for c in page.context["standing"]} >= {
        "Annual HIPAA privacy and security"
    }
    assert all(c.row.user.username == "casey.contractor" for c in page.context["standing"])
    assert b"Record a completion" not in page.content  # the officer records completions
    client_page = verified_client("cliff.client").get(url("my_training"))
    assert client_page.status_code == 200 and not client_page.context["standing"]
    assert b"Not part of the billing company" in client_page.content


# -- policies -----------------------------------------------------------------------------------
def test_the_policy_list_shows_reviews_attestation_progress_and_retention() -> None:
    page = verified_client(OFFICER).get(url("policy_list"))
    rows = {r.policy.title: r for r in page.context["rows"]}
    workforce = len(workforce_members(summit()))
    security = rows["Security policy"]
    assert (security.attested, security.workforce) == (workforce - 2, workforce)
    assert {u.username for u in security.missing} == {"casey.contractor", "lina.limited"}
    assert security.review is not None and security.review.status == "due"
    privacy = rows["Privacy policy"]
    assert privacy.kept_until is not None and privacy.kept_until <= timezone.localdate()
    body = page.content.decode()
    assert f"{workforce - 2} of {workforce}" in body
    assert "v1 may be purged" in body
    v2 = PolicyVersion.objects.get(policy=privacy.policy, number=2)
    assert f"v2 kept until {purgeable_on(v2)}" in body


def test_the_purge_is_refused_before_the_retention_date_with_the_date_on_the_page() -> None:
    client = verified_client(OFFICER)
    versions = PolicyVersion.objects.filter(
        policy__workspace=summit(), policy__title="Privacy policy"
    )
    v1, v2 = versions.get(number=1), versions.get(number=2)
    allowed = purgeable_on(v2)
    assert allowed is not None
    refused = client.post(url("policy_purge", public_id=v2.public_id), follow=True)
    assert refused.status_code == 200
    body = refused.content.decode()
    assert f"it may be purged on or after {allowed}" in body
    v2.refresh_from_db()
    assert v2.document is not None and v2.purged_at is None
    done = client.post(url("policy_purge", public_id=v1.public_id), follow=True)
    assert "purged" in done.content.decode()
    v1.refresh_from_db()
    assert v1.document is None and v1.purged_at is not None and v1.document_sha256
    # A purged version's document is gone: the download answers like a missing one.
    assert client.get(url("policy_document", public_id=v1.public_id)).status_code == 404
    # Purging is the officer's: a supervisor's POST is the 404 of a missing page.
    assert (
        verified_client("sam.supervisor").post(url("policy_purge", public_id=v1.public_id))
    ).status_code == 404


def test_publishing_a_version_asks_everyone_again_and_refuses_a_non_pdf() -> None:
    client = verified_client(OFFICER)
    policy = Policy.objects.get(workspace=summit(), title="Sanctions policy")
    publish = url("policy_publish", public_id=policy.public_id)
    today = timezone.localdate().isoformat()
    png = SimpleUploadedFile("x.pdf", b"\x89PNG\r\n\x1a\n" + b"0" * 20, "application/pdf")
    refused = client.post(publish, {"effective_on": today, "summary": "x", "document": png})
    assert "must be a PDF file" in refused.context["form"].errors["document"][0]
    blank = client.post(
        publish, {"effective_on": today, "document": SimpleUploadedFile("a.pdf", PDF)}
    )
    assert "This field is required" in blank.context["form"].errors["summary"][0]
    early = client.post(
        publish,
        {
            "effective_on": "2001-01-01",
            "summary": "x",
            "document": SimpleUploadedFile("a.pdf", PDF),
        },
    )
    assert "must take effect after it" in early.context["form"].errors["effective_on"][0]
    done = client.post(
        publish,
        {
            "effective_on": today,
            "summary": "Sanctions scale",
            "document": SimpleUploadedFile("s.pdf", PDF),
        },
    )
    assert done.status_code == 302
    policy.refresh_from_db()
    assert policy.current_version is not None and policy.current_version.number == 2
    pending = verified_client("bella.biller").get(url("my_policies")).context["rows"]
    assert [r.policy.title for r in pending if r.acknowledged is None] == ["Sanctions policy"]


def test_a_person_acknowledges_a_version_once() -> None:
    client = verified_client("lina.limited")
    page = client.get(url("my_policies"))
    assert page.context["pending"] == 1
    version = next(r.version for r in page.context["rows"] if r.acknowledged is None)
    assert version.policy.title == "Security policy"
    # She reads it first (audited), then acknowledges it.
    document = client.get(url("policy_document", public_id=version.public_id))
    assert document.status_code == 200 and document.content.startswith(b"%PDF")
    assert AuditEvent.objects.filter(
        action=AuditAction.POLICY_DOWNLOADED, record_ids=[str(version.public_id)]
    ).exists()
    done = client.post(url("policy_attest", public_id=version.public_id), follow=True)
    assert "You acknowledged version 2 of 'Security policy'." in said(done)
    assert done.context["pending"] == 0
    again = client.post(url("policy_attest", public_id=version.public_id), follow=True)
    assert any("already" in m for m in said(again))
    assert Attestation.objects.filter(version=version, user__username="lina.limited").count() == 1
    # An earlier version is no longer acknowledged.
    old = PolicyVersion.objects.get(policy=version.policy, number=1)
    stale = client.post(url("policy_attest", public_id=old.public_id), follow=True)
    assert any("no longer current" in m for m in said(stale))
    assert not Attestation.objects.filter(version=old, user__username="lina.limited").exists()


def test_a_client_viewer_has_no_policies_and_no_documents() -> None:
    client = verified_client("cliff.client")
    page = client.get(url("my_policies"))
    assert page.status_code == 200 and not page.context["rows"]
    version = Policy.objects.get(workspace=summit(), title="Security policy").current_version
    assert version is not None
    assert client.get(url("policy_document", public_id=version.public_id)).status_code == 404
    refused = client.post(url("policy_attest", public_id=version.public_id), follow=True)
    assert any("workforce" in m for m in said(refused))
    assert not Attestation.objects.filter(user__username="cliff.client").exists()


def test_the_officer_marks_a_policy_reviewed() -> None:
    client = verified_client(OFFICER)
    policy = Policy.objects.get(workspace=summit(), title="Security policy")
    review = url("policy_review", public_id=policy.public_id)
    later = (timezone.localdate() + timedelta(days=2)).isoformat()
    refused = client.post(review, {"reviewed_on": later}, follow=True)
    assert any("is in the future" in m for m in said(refused))
    bad = client.post(review, {"reviewed_on": "x"}, follow=True)
    assert any("Reviewed on: Enter a valid date" in m for m in said(bad))
    done = client.post(review, {"reviewed_on": timezone.localdate().isoformat()}, follow=True)
    assert any("recorded" in m for m in said(done))
    rows = {r.policy.title: r for r in client.get(url("policy_list")).context["rows"]}
    assert rows["Security policy"].review.status == "ok"  # type: ignore[union-attr]


def test_home_links_the_person_s_own_obligations() -> None:
    lina = verified_client("lina.limited").get("/").content.decode()
    assert 'id="home-workforce"' in lina
    assert "1 policy to acknowledge" in lina and url("my_training") in lina
    assert url("training") not in lina  # the workforce pages are the program's readers'
    carla = verified_client(OFFICER).get("/").content.decode()
    assert url("training") in carla and url("policy_list") in carla
    assert 'id="home-workforce"' not in verified_client("cliff.client").get("/").content.decode()
