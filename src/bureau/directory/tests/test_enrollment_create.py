"""The new enrollment page: practice first, then provider, payer, status and dates, with a
reason. Created active it releases the provider's claims held for the payer and says how many;
a second enrollment of the same pair is a form error (also when two people create it at once)."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.tests.test_credentialing_release import held_claim, new_payer, new_provider
from bureau.claims.tests.test_credentialing_release import state as claim_state
from bureau.directory import services
from bureau.directory.models import Enrollment
from bureau.directory.tests.helpers import practice_supervisor, practices
from bureau.directory.tests.pages import NOT_MANAGERS, OWNER, events, said, verified

pytestmark = pytest.mark.django_db

URL = "/setup/enrollments/new/"


def stored() -> list[tuple[object, ...]]:
    rows = Enrollment.objects.order_by("id").values_list("pk", "status", "effective_date")
    return [*rows, ("events", events())]


def form_for(doctor, plan, **change) -> dict[str, str]:
    return {
        "practice": str(doctor.practice.public_id),
        "provider": str(doctor.public_id),
        "payer": str(plan.public_id),
        "status": "pending",
        "effective_date": "",
        "end_date": "",
        "revalidation_date": "",
        "reason": "application sent",
        **change,
    }


def test_the_url_is_the_named_one():
    assert reverse("directory:enrollment_create") == URL


def test_without_a_practice_the_page_asks_for_one_then_offers_its_providers(as_user):
    client = as_user(OWNER)
    first = client.get(URL)
    assert first.status_code == 200 and b'data-testid="enrollment-practice"' in first.content
    practice = practices()[1]
    doctor = new_provider(practice)
    page = client.get(URL, {"practice": str(practice.public_id)})
    body = page.content.decode()
    assert page.status_code == 200 and practice.name in body
    assert str(doctor.public_id) in body
    other = new_provider(practices()[0])
    assert str(other.public_id) not in body  # another practice's provider is not offered
    assert "<script>" not in body.replace(" ", "")


def test_the_matrix_offers_a_new_enrollment_for_its_practice(as_user):
    practice = practices()[0]
    body = (
        as_user(OWNER)
        .get(reverse("directory:enrollments"), {"practice": str(practice.public_id)})
        .content.decode()
    )
    assert f"{URL}?practice={practice.public_id}" in body


def test_a_pending_enrollment_is_created_with_its_reason(as_user):
    practice = practices()[0]
    doctor, payer = new_provider(practice), new_payer(practice)
    response = as_user(OWNER).post(URL, form_for(doctor, payer, revalidation_date="2029-01-31"))
    assert response.status_code == 302
    assert (
        response["Location"] == f"{reverse('directory:enrollments')}?practice={practice.public_id}"
    )
    enrollment = Enrollment.objects.get(provider=doctor, payer=payer)
    assert enrollment.status == "pending" and str(enrollment.revalidation_date) == "2029-01-31"
    event = AuditEvent.objects.filter(action=AuditAction.ENROLLMENT_CREATED).latest("id")
    assert event.reason == "application sent" and event.user.username == OWNER  # type: ignore[union-attr]
    assert event.detail["new"]["revalidation_date"] == "2029-01-31"
    assert said(response)[-1] == f"Enrollment of {doctor.name} with {payer.name} saved."


def test_created_active_it_releases_the_held_claims_and_says_how_many(as_user):
    practice = practices()[0]
    doctor, payer = new_provider(practice), new_payer(practice)
    claims = [held_claim(doctor, payer, days_ago=d) for d in (2, 3)]
    early = held_claim(doctor, payer, days_ago=40)
    effective = (timezone.localdate() - timedelta(days=30)).isoformat()
    response = as_user(OWNER).post(
        URL, form_for(doctor, payer, status="active", effective_date=effective)
    )
    assert response.status_code == 302
    assert [claim_state(c) for c in claims] == ["ready", "ready"]
    assert claim_state(early) == "credentialing_hold"
    assert said(response)[-1] == (
        f"Enrollment of {doctor.name} with {payer.name} saved. 2 held claims released, "
        "1 still held: date of service before the effective date."
    )
    event = AuditEvent.objects.filter(action=AuditAction.ENROLLMENT_CREATED).latest("id")
    assert len(event.detail["holds"]["released"]) == 2


def test_created_active_with_nothing_held_says_so(as_user):
    practice = practices()[0]
    doctor, payer = new_provider(practice), new_payer(practice)
    response = as_user(OWNER).post(
        URL, form_for(doctor, payer, status="active", effective_date="2024-01-01")
    )
    assert said(response)[-1].endswith("saved. No held claims to release.")


def test_a_second_enrollment_of_the_pair_is_a_form_error(as_user):
    practice = practices()[0]
    doctor, payer = new_provider(practice), new_payer(practice)
    client = as_user(OWNER)
    assert client.post(URL, form_for(doctor, payer)).status_code == 302
    before = stored()
    response = client.post(URL, form_for(doctor, payer, status="terminated"))
    assert response.status_code == 200
    assert "already has an enrollment" in str(response.context["form"].errors["payer"])
    assert stored() == before


def test_a_concurrent_duplicate_is_a_form_error_not_a_500(as_user, monkeypatch):
    """Two people create the same enrollment at once: both pass the check, and the database's
    enrollment_unique refuses the second insert. Simulated by the other person's row landing
    between our check and our insert."""
    practice = practices()[0]
    doctor, payer = new_provider(practice), new_payer(practice)
    real_change = services.enrollment_change

    def racing(**kwargs):
        Enrollment.objects.create(
            workspace_id=practice.workspace_id, practice=practice, provider=doctor, payer=payer
        )
        Enrollment.objects.create(  # ours: refused by enrollment_unique
            workspace_id=practice.workspace_id, practice=practice, provider=doctor, payer=payer
        )
        return real_change(**kwargs)

    monkeypatch.setattr(services, "enrollment_change", racing)
    client = as_user(OWNER)
    client.raise_request_exception = False
    before = stored()
    response = client.post(URL, form_for(doctor, payer))
    assert response.status_code == 200
    assert "already has an enrollment" in str(response.context["form"].errors["payer"])
    assert stored() == before


BAD = [
    ({"status": "active"}, "effective_date", "An active enrollment needs an effective date."),
    ({"effective_date": "٢٠٢٤-٠١-٠١"}, "effective_date", "with the digits 0-9"),
    ({"effective_date": "2024-13-01"}, "effective_date", "Enter a valid date."),
    ({"end_date": "0001-01-01"}, "end_date", "between 1900 and 2199"),
    ({"effective_date": "2024-05-01", "end_date": "2024-04-01"}, "end_date", "before the"),
    ({"revalidation_date": "9" * 5000}, "revalidation_date", "Enter a valid date."),
    ({"status": "approved"}, "status", "Select a valid choice."),
    ({"provider": "0b1e2c3d-4f50-4a6b-8c7d-9e0f1a2b3c4d"}, "provider", "Select a valid choice."),
    ({"payer": "\x00"}, "payer", "Select a valid choice."),
    ({"reason": ""}, "reason", "This field is required."),
    ({"reason": "ok"}, "reason", "Give a reason for this change"),
    ({"reason": "x" * 501}, "reason", "at most 500 characters"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(b[0])[:30] for b in BAD])
def test_bad_input_is_named_on_the_form_and_nothing_is_written(as_user, change, field, message):
    practice = practices()[0]
    doctor, payer = new_provider(practice), new_payer(practice)
    before = stored()
    response = as_user(OWNER).post(URL, form_for(doctor, payer, **change))
    assert response.status_code == 200
    errors = response.context["form"].errors.get(field, [])
    assert any(message in e for e in errors), response.context["form"].errors
    assert stored() == before


def test_another_practices_provider_is_refused_like_a_missing_one(as_user):
    """The form is for one practice: a provider of another practice is not among its choices,
    and answers exactly as a provider that does not exist."""
    lakeside, other = practices()[0], practices()[1]
    payer = new_payer(lakeside)
    stranger = new_provider(other)
    client = as_user(OWNER)
    before = stored()
    nobody = str(uuid.uuid4())
    foreign = client.post(URL, {**form_for(stranger, payer), "practice": str(lakeside.public_id)})
    missing = client.post(
        URL, {**form_for(stranger, payer), "practice": str(lakeside.public_id), "provider": nobody}
    )
    said_foreign = foreign.context["form"].errors["provider"]
    said_missing = missing.context["form"].errors["provider"]
    assert [m.replace(str(stranger.public_id), "?") for m in said_foreign] == [
        m.replace(nobody, "?") for m in said_missing
    ]
    assert set(foreign.context["form"].errors) == {"provider"}
    assert stored() == before


def test_a_practice_outside_the_grants_is_a_404_like_a_missing_one():
    client = verified(practice_supervisor(practices()[0]))
    doctor = new_provider(practices()[1])
    payer = new_payer(practices()[1])
    before = stored()
    foreign_get = client.get(URL, {"practice": str(practices()[1].public_id)})
    missing_get = client.get(URL, {"practice": str(uuid.uuid4())})
    foreign_post = client.post(URL, form_for(doctor, payer))
    missing_post = client.post(URL, {**form_for(doctor, payer), "practice": str(uuid.uuid4())})
    assert {r.status_code for r in (foreign_get, missing_get, foreign_post, missing_post)} == {404}
    assert foreign_get.content == missing_get.content == foreign_post.content
    assert stored() == before


@pytest.mark.parametrize("username", NOT_MANAGERS)
def test_without_setup_manage_the_page_does_not_exist(as_user, username):
    practice = practices()[0]
    doctor, payer = new_provider(practice), new_payer(practice)
    client = as_user(username)
    before = stored()
    assert client.get(URL, {"practice": str(practice.public_id)}).status_code == 404
    assert client.post(URL, form_for(doctor, payer)).status_code == 404
    assert stored() == before
