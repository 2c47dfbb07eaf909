"""The enrollment edit page: one provider × payer, setup.manage on the provider's practice, a
reason, and clear errors for bad input with nothing written."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.tests.test_credentialing_release import held_claim, new_payer, new_provider
from bureau.claims.tests.test_credentialing_release import state as claim_state
from bureau.directory.models import Enrollment, Payer, Provider
from bureau.directory.tests.helpers import practice_supervisor, practices
from bureau.tenancy.context import OPENED_UNDER
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db

OWNER = "olivia.owner"
GOOD = {
    "status": "active",
    "effective_date": "2024-03-01",
    "end_date": "",
    "revalidation_date": "2029-03-01",
    "reason": "approved by the payer",
}


def edit_url(provider: Provider) -> str:
    return reverse("directory:enrollment_edit", kwargs={"public_id": provider.public_id})


def first_provider(index: int = 0) -> Provider:
    return Provider.objects.filter(practice=practices()[index]).order_by("id").first()  # type: ignore[return-value]


def summit_payer() -> Payer:
    return Payer.objects.get(payer_id="BLUPK", workspace__slug="summit")


def harbor_payer() -> Payer:
    practice = Practice.objects.filter(workspace__slug="harbor").order_by("id").first()
    assert practice is not None
    return Payer.objects.create(
        workspace_id=practice.workspace_id, name="Harbor payer", payer_id="HRBR1"
    )


def stored() -> list[tuple[object, ...]]:
    """Every enrollment as stored, and the audit's length: what a refused request must not
    change."""
    rows = Enrollment.objects.order_by("id").values_list(
        "pk", "status", "effective_date", "end_date", "revalidation_date"
    )
    return [*rows, ("events", AuditEvent.objects.count())]


def said(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def verified(user_actor):
    from bureau.conftest import verified_client

    TOTPDevice.objects.create(user=user_actor.user, name="Authenticator", confirmed=True)
    return verified_client(user_actor.user.username)


# -- the page -----------------------------------------------------------------------------------
def test_the_form_shows_the_current_enrollment(as_user):
    provider, payer = first_provider(), summit_payer()
    Enrollment.objects.filter(provider=provider, payer=payer).delete()
    Enrollment.objects.create(
        workspace_id=provider.workspace_id,
        practice_id=provider.practice_id,
        provider=provider,
        payer=payer,
        status="pending",
        effective_date=date(2024, 5, 6),
    )
    response = as_user(OWNER).get(edit_url(provider), {"payer": str(payer.public_id)})
    assert response.status_code == 200
    body = response.content.decode()
    assert provider.name in body and payer.name in body and "now pending from 2024-05-06" in body
    assert 'value="2024-05-06"' in body and 'name="reason"' in body
    assert f'type="hidden" name="payer" value="{payer.public_id}"' in body
    assert "<script>" not in body.replace(" ", "")  # no inline JavaScript (CSP)


def test_without_a_payer_the_form_asks_for_one(as_user):
    response = as_user(OWNER).get(edit_url(first_provider()))
    assert response.status_code == 200
    assert '<select name="payer"' in response.content.decode()


def test_the_matrix_links_each_cell_for_a_manager_only(as_user):
    query = {"practice": str(practices()[0].public_id)}
    provider = first_provider()
    manager = as_user(OWNER).get(reverse("directory:enrollments"), query).content.decode()
    assert f"{edit_url(provider)}?payer=" in manager
    viewer = as_user("alex.manager").get(reverse("directory:enrollments"), query)
    assert (
        viewer.status_code == 200
        and "/setup/enrollments/" + str(provider.public_id) not in viewer.content.decode()
    )


# -- saving -------------------------------------------------------------------------------------
def test_saving_writes_the_enrollment_with_its_reason_and_says_what_it_released(as_user):
    practice = practices()[0]
    payer, doctor = new_payer(practice), new_provider(practice)
    claims = [held_claim(doctor, payer, days_ago=d) for d in (3, 4, 5)]
    early = held_claim(doctor, payer, days_ago=40)
    client = as_user(OWNER)
    # Effective a month ago: the 40-day-old claim stays held.
    effective = timezone.localdate() - timedelta(days=30)
    form = {**GOOD, "payer": str(payer.public_id), "effective_date": effective.isoformat()}
    response = client.post(edit_url(doctor), form)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("directory:enrollments"))
    enrollment = Enrollment.objects.get(provider=doctor, payer=payer)
    assert enrollment.status == "active" and enrollment.revalidation_date == date(2029, 3, 1)
    event = AuditEvent.objects.filter(action=AuditAction.ENROLLMENT_CREATED).latest("id")
    assert event.reason == "approved by the payer" and event.user.username == OWNER  # type: ignore[union-attr]
    assert [claim_state(c) for c in claims] == ["ready"] * 3
    assert claim_state(early) == "credentialing_hold"
    message = said(response)[-1]
    assert message == (
        f"Enrollment of {doctor.name} with {payer.name} saved. 3 held claims released, "
        "1 still held: date of service before the effective date."
    )


def test_saving_the_same_values_again_writes_nothing(as_user):
    provider, payer = first_provider(), summit_payer()
    client = as_user(OWNER)
    form = {**GOOD, "payer": str(payer.public_id)}
    assert client.post(edit_url(provider), form).status_code == 302
    before = stored()
    response = client.post(edit_url(provider), form)
    assert response.status_code == 302 and "unchanged" in said(response)[-1]
    assert stored() == before


BAD = [
    ({"effective_date": "2025-13-40"}, "effective_date", "Enter a valid date."),
    ({"end_date": "tomorrow"}, "end_date", "Enter a valid date."),
    ({"effective_date": "1899-12-31"}, "effective_date", "between 1900 and 2199"),
    ({"revalidation_date": "2200-01-01"}, "revalidation_date", "between 1900 and 2199"),
    ({"end_date": "0001-01-01"}, "end_date", "between 1900 and 2199"),
    ({"end_date": "2024-02-01"}, "end_date", "The end date is before the effective date."),
    ({"effective_date": ""}, "effective_date", "An active enrollment needs an effective date."),
    ({"status": "approved"}, "status", "Select a valid choice."),
    ({"status": ""}, "status", "This field is required."),
    ({"reason": ""}, "reason", "This field is required."),
    ({"reason": " ok "}, "reason", "Give a reason for this change"),
    ({"reason": "x" * 501}, "reason", "at most 500 characters"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(b[0])[:40] for b in BAD])
def test_bad_input_is_shown_on_the_form_and_nothing_is_written(as_user, change, field, message):
    provider, payer = first_provider(), summit_payer()
    before = stored()
    response = as_user(OWNER).post(
        edit_url(provider), {**GOOD, "payer": str(payer.public_id), **change}
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert any(message in e for e in form.errors.get(field, [])), form.errors
    assert stored() == before


def test_a_missing_payer_is_asked_for_and_nothing_is_written(as_user):
    before = stored()
    response = as_user(OWNER).post(edit_url(first_provider()), {**GOOD})
    assert response.status_code == 200 and "payer" in response.context["form"].errors
    assert stored() == before


# -- who may ------------------------------------------------------------------------------------
@pytest.mark.parametrize("payer_value", ["harbor", "missing", "not-a-uuid", "\x00"])
def test_a_payer_of_another_workspace_or_none_is_404(as_user, payer_value):
    value = {
        "harbor": lambda: str(harbor_payer().public_id),
        "missing": lambda: str(uuid.uuid4()),
        "not-a-uuid": lambda: "12345",
        "\x00": lambda: "\x00",
    }[payer_value]()
    client = as_user(OWNER)
    provider = first_provider()
    before = stored()
    assert client.get(edit_url(provider), {"payer": value}).status_code == 404
    assert client.post(edit_url(provider), {**GOOD, "payer": value}).status_code == 404
    assert stored() == before


def test_a_provider_of_another_workspace_or_none_is_404(as_user):
    harbor = Provider.objects.filter(workspace__slug="harbor").order_by("id").first()
    assert harbor is not None
    client = as_user(OWNER)
    before = stored()
    for public_id in (harbor.public_id, uuid.uuid4()):
        url = reverse("directory:enrollment_edit", kwargs={"public_id": public_id})
        assert client.get(url).status_code == 404
        assert client.post(url, {**GOOD, "payer": str(summit_payer().public_id)}).status_code == 404
    assert stored() == before


def test_a_practice_supervisor_gets_404_for_another_practices_provider():
    supervisor = practice_supervisor(practices()[0])
    client = verified(supervisor)
    form = {**GOOD, "payer": str(summit_payer().public_id)}
    assert client.get(edit_url(first_provider(0))).status_code == 200
    before = stored()
    assert client.get(edit_url(first_provider(1))).status_code == 404
    assert client.post(edit_url(first_provider(1)), form).status_code == 404
    assert stored() == before


def test_a_read_only_grant_is_refused():
    reader = practice_supervisor(practices()[0], read_only=True, username="ro.supervisor")
    client = verified(reader)
    before = stored()
    url = edit_url(first_provider(0))
    assert client.get(url).status_code == 404
    assert client.post(url, {**GOOD, "payer": str(summit_payer().public_id)}).status_code == 404
    assert stored() == before


@pytest.mark.parametrize("username", ["alex.manager", "bella.biller", "cliff.client"])
def test_without_setup_manage_the_page_does_not_exist(as_user, username):
    client = as_user(username)
    before = stored()
    url = edit_url(first_provider(0))
    assert client.get(url).status_code == 404
    assert client.post(url, {**GOOD, "payer": str(summit_payer().public_id)}).status_code == 404
    assert stored() == before


def test_a_form_opened_under_another_practice_writes_nothing(as_user):
    provider = first_provider(0)
    before = stored()
    response = as_user(OWNER).post(
        edit_url(provider),
        {
            **GOOD,
            "payer": str(summit_payer().public_id),
            OPENED_UNDER: str(practices()[1].public_id),
        },
    )
    assert response.status_code == 302
    assert any("Reload and try again" in m for m in said(response))
    assert stored() == before
