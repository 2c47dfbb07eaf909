"""Facility pages: the list (practice and active filters), add (ZIP+4 and the 837P's limits,
a reason), edit, deactivate/reactivate, the practice page's links, and 404 for everyone who
may not (with the body of a missing id)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.directory.models import ServiceFacility
from bureau.directory.tests.helpers import GOOD_NPI, practice_supervisor, practices
from bureau.directory.tests.pages import (
    NOT_MANAGERS,
    OWNER,
    assert_404_like_missing,
    events,
    said,
    verified,
)
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db

GOOD = {
    "name": "North Clinic",
    "address_line1": "400 North Ave",
    "city": "Springfield",
    "state": "il",
    "postal_code": "62702-3344",
    "npi": "",
    "reason": "new clinic opened",
}


def add_url() -> str:
    return reverse("directory:facility_create")


def facility_of(practice: Practice, **values) -> ServiceFacility:
    data = {**GOOD, **values}
    data.pop("reason")
    data["state"] = data["state"].upper()  # as the service stores it
    return ServiceFacility.objects.create(
        workspace_id=practice.workspace_id, practice=practice, **data
    )


def stored() -> list[tuple[object, ...]]:
    rows = ServiceFacility.objects.order_by("id").values_list(
        "pk", "name", "address_line1", "postal_code", "is_active"
    )
    return [*rows, ("events", events())]


def harbor_facility() -> ServiceFacility:
    harbor = Practice.objects.filter(workspace__slug="harbor").order_by("id").first()
    assert harbor is not None
    return facility_of(harbor, name="Harbor clinic")


# -- the list -----------------------------------------------------------------------------------
def test_the_list_shows_one_practices_active_facilities_and_filters_inactive(as_user):
    lakeside, other = practices()[0], practices()[1]
    closed = facility_of(lakeside, name="Closed Annex", is_active=False)
    client = as_user(OWNER)
    url = reverse("directory:facilities")
    body = client.get(url, {"practice": str(lakeside.public_id)}).content.decode()
    assert f"{lakeside.name} main office" in body and "Closed Annex" not in body
    assert f"{other.name} main office" not in body
    assert reverse("directory:facility_create") + f"?practice={lakeside.public_id}" in body
    inactive = client.get(url, {"practice": str(lakeside.public_id), "active": "inactive"})
    text = inactive.content.decode()
    assert "Closed Annex" in text and f"{lakeside.name} main office" not in text
    assert reverse("directory:facility_edit", kwargs={"public_id": closed.public_id}) in text
    both = client.get(url, {"practice": str(lakeside.public_id), "active": "all"}).content
    assert b"Closed Annex" in both and f"{lakeside.name} main office".encode() in both


def test_a_viewer_sees_the_list_without_edit_links(as_user):
    lakeside = practices()[0]
    response = as_user("alex.manager").get(
        reverse("directory:facilities"), {"practice": str(lakeside.public_id)}
    )
    assert response.status_code == 200
    assert b"/setup/facilities/new/" not in response.content
    assert b"Edit" not in response.content.split(b"facility-list")[1]


def test_the_practice_page_and_its_checklist_lead_to_the_facilities(as_user):
    lakeside = practices()[0]
    page = as_user(OWNER).get(
        reverse("directory:practice", kwargs={"public_id": lakeside.public_id})
    )
    body = page.content.decode()
    assert f"{reverse('directory:facilities')}?practice={lakeside.public_id}" in body
    step = body.split('data-step="facility"')[1].split("</tr>")[0]
    assert f'href="{reverse("directory:facilities")}?practice={lakeside.public_id}"' in step


# -- adding -------------------------------------------------------------------------------------
def test_add_page_keeps_the_practice_of_the_list(as_user):
    lakeside = practices()[1]
    response = as_user(OWNER).get(add_url(), {"practice": str(lakeside.public_id)})
    assert response.status_code == 200
    assert response.context["form"].initial["practice"] == str(lakeside.public_id)
    assert "<script>" not in response.content.decode().replace(" ", "")


def test_adding_saves_normalized_values_and_audits_reason_and_person(as_user):
    lakeside = practices()[0]
    response = as_user(OWNER).post(add_url(), {**GOOD, "practice": str(lakeside.public_id)})
    assert response.status_code == 302
    assert (
        response["Location"] == f"{reverse('directory:facilities')}?practice={lakeside.public_id}"
    )
    facility = ServiceFacility.objects.get(practice=lakeside, name="North Clinic")
    assert (facility.state, facility.postal_code, facility.is_active) == ("IL", "62702-3344", True)
    event = AuditEvent.objects.filter(action=AuditAction.FACILITY_CREATED).latest("id")
    assert event.reason == "new clinic opened" and event.user.username == OWNER  # type: ignore[union-attr]
    assert event.practice_id == lakeside.pk
    assert event.detail["new"]["postal_code"] == "62702-3344"
    assert said(response) == [f"Facility North Clinic added to {lakeside.name}."]


BAD = [
    ({"postal_code": "62702"}, "postal_code", "is not a ZIP+4"),
    ({"postal_code": "٦٢٧٠٢٣٣٤٤"}, "postal_code", "is not a ZIP+4"),
    ({"postal_code": "9" * 11}, "postal_code", "at most 10 characters"),
    ({"name": "x" * 61}, "name", "at most 60 characters"),
    ({"address_line1": "x" * 56}, "address_line1", "at most 55 characters"),
    ({"city": "x" * 10_000}, "city", "at most 30 characters"),
    ({"city": "Spring\x00field"}, "city", "Null characters are not allowed."),
    ({"state": "XX"}, "state", "not a US state code"),
    ({"npi": "١٢٣٤٥٦٧٨٩٣"}, "npi", "is not valid"),
    ({"npi": "1234567890"}, "npi", "is not valid"),
    ({"reason": ""}, "reason", "This field is required."),
    ({"reason": " ok "}, "reason", "Give a reason for this change"),
    ({"reason": "x" * 501}, "reason", "at most 500 characters"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(b[0])[:30] for b in BAD])
def test_bad_input_is_named_on_the_form_and_nothing_is_written(as_user, change, field, message):
    lakeside = practices()[0]
    before = stored()
    response = as_user(OWNER).post(
        add_url(), {**GOOD, "practice": str(lakeside.public_id), **change}
    )
    assert response.status_code == 200
    errors = response.context["form"].errors.get(field, [])
    assert any(message in e for e in errors), response.context["form"].errors
    assert stored() == before


def test_a_second_facility_of_the_same_name_is_refused(as_user):
    lakeside = practices()[0]
    name = ServiceFacility.objects.filter(practice=lakeside).first().name  # type: ignore[union-attr]
    before = stored()
    response = as_user(OWNER).post(
        add_url(), {**GOOD, "name": name.upper(), "practice": str(lakeside.public_id)}
    )
    assert response.status_code == 200
    assert "already has a facility of that name" in str(response.context["form"].errors["name"])
    assert stored() == before


def test_adding_to_a_practice_outside_the_grants_is_refused(as_user):
    """A practice the supervisor does not manage is not among the choices (nothing written),
    and asking for it by ?practice= is the same 404 as a practice that does not exist."""
    supervisor = practice_supervisor(practices()[0])
    client = verified(supervisor)
    other = practices()[1]
    before = stored()
    response = client.post(add_url(), {**GOOD, "practice": str(other.public_id)})
    assert response.status_code == 200 and "practice" in response.context["form"].errors
    foreign = client.get(add_url(), {"practice": str(other.public_id)})
    missing = client.get(add_url(), {"practice": str(uuid.uuid4())})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert stored() == before


# -- editing and deactivating ---------------------------------------------------------------------
def edit_url(facility: ServiceFacility) -> str:
    return reverse("directory:facility_edit", kwargs={"public_id": facility.public_id})


def active_url(facility: ServiceFacility) -> str:
    return reverse("directory:facility_active", kwargs={"public_id": facility.public_id})


def test_editing_records_old_and_new_values(as_user):
    facility = facility_of(practices()[0])
    client = as_user(OWNER)
    page = client.get(edit_url(facility))
    assert page.status_code == 200 and b'value="62702-3344"' in page.content
    assert b'data-testid="active-form"' in page.content and b"Deactivate" in page.content
    form = {**GOOD, "address_line1": "12 New Street", "reason": "the clinic moved"}
    response = client.post(edit_url(facility), form)
    assert response.status_code == 302
    facility.refresh_from_db()
    assert facility.address_line1 == "12 New Street"
    event = AuditEvent.objects.filter(action=AuditAction.FACILITY_UPDATED).latest("id")
    assert event.detail["changes"] == {
        "address_line1": {"old": "400 North Ave", "new": "12 New Street"}
    }
    assert event.reason == "the clinic moved"


def test_editing_to_a_five_digit_zip_is_refused(as_user):
    facility = facility_of(practices()[0])
    before = stored()
    response = as_user(OWNER).post(edit_url(facility), {**GOOD, "postal_code": "62702"})
    assert response.status_code == 200 and "postal_code" in response.context["form"].errors
    assert stored() == before


def test_deactivate_needs_a_reason_then_records_it_and_reactivates(as_user):
    facility = facility_of(practices()[0])
    client = as_user(OWNER)
    before = stored()
    refused = client.post(active_url(facility), {"active": "no", "reason": ""})
    assert refused.status_code == 302 and refused["Location"] == edit_url(facility)
    assert "nothing changed" in said(refused)[0] and "reason" in said(refused)[0]
    assert stored() == before

    done = client.post(active_url(facility), {"active": "no", "reason": "clinic closed"})
    assert said(done)[-1] == "Facility North Clinic deactivated."
    facility.refresh_from_db()
    assert facility.is_active is False
    event = AuditEvent.objects.filter(action=AuditAction.FACILITY_UPDATED).latest("id")
    assert event.detail["changes"] == {"is_active": {"old": True, "new": False}}
    assert event.reason == "clinic closed"
    # The page now offers reactivation; an edit keeps it inactive.
    assert b"Reactivate" in client.get(edit_url(facility)).content
    client.post(edit_url(facility), {**GOOD, "city": "Chatham", "reason": "new town name"})
    facility.refresh_from_db()
    assert (facility.city, facility.is_active) == ("Chatham", False)

    client.post(active_url(facility), {"active": "yes", "reason": "reopened in spring"})
    facility.refresh_from_db()
    assert facility.is_active is True


@pytest.mark.parametrize("value", ["maybe", "", "yes\x00"])
def test_a_nonsense_active_value_changes_nothing(as_user, value):
    facility = facility_of(practices()[0])
    before = stored()
    response = as_user(OWNER).post(active_url(facility), {"active": value, "reason": "because"})
    assert response.status_code == 302 and "nothing changed" in said(response)[0]
    assert stored() == before


def test_the_active_page_answers_only_post(as_user):
    facility = facility_of(practices()[0])
    assert as_user(OWNER).get(active_url(facility)).status_code == 405


# -- who may ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["directory:facility_edit", "directory:facility_active"])
def test_another_workspaces_facility_is_a_404_like_a_missing_one(as_user, name):
    client = as_user(OWNER)
    harbor = harbor_facility()
    before = stored()
    method = "post" if name.endswith("active") else "get"
    data = {"active": "no", "reason": "clinic closed"}
    assert_404_like_missing(client, name, harbor.public_id, method, data)
    assert_404_like_missing(client, "directory:facility_edit", harbor.public_id, "post", GOOD)
    assert stored() == before


def test_a_practice_supervisor_gets_the_same_404_for_another_practices_facility():
    mine, theirs = practices()[0], practices()[1]
    client = verified(practice_supervisor(mine))
    assert client.get(edit_url(facility_of(mine))).status_code == 200
    other = facility_of(theirs)
    before = stored()
    assert_404_like_missing(client, "directory:facility_edit", other.public_id)
    assert_404_like_missing(client, "directory:facility_edit", other.public_id, "post", GOOD)
    assert_404_like_missing(
        client,
        "directory:facility_active",
        other.public_id,
        "post",
        {"active": "no", "reason": "closed"},
    )
    assert stored() == before


@pytest.mark.parametrize("username", NOT_MANAGERS)
def test_without_setup_manage_every_facility_form_is_a_404(as_user, username):
    facility = facility_of(practices()[0])
    client = as_user(username)
    before = stored()
    assert client.get(add_url()).status_code == 404
    assert (
        client.post(add_url(), {**GOOD, "practice": str(practices()[0].public_id)}).status_code
        == 404
    )
    assert_404_like_missing(client, "directory:facility_edit", facility.public_id)
    assert_404_like_missing(client, "directory:facility_edit", facility.public_id, "post", GOOD)
    assert_404_like_missing(
        client,
        "directory:facility_active",
        facility.public_id,
        "post",
        {"active": "no", "reason": "closed"},
    )
    assert stored() == before


def test_a_read_only_supervisor_is_refused():
    reader = practice_supervisor(practices()[0], read_only=True, username="ro.supervisor")
    client = verified(reader)
    facility = facility_of(practices()[0])
    before = stored()
    assert client.get(edit_url(facility)).status_code == 404
    assert (
        client.post(active_url(facility), {"active": "no", "reason": "closed"}).status_code == 404
    )
    assert stored() == before


def test_good_npi_is_kept(as_user):
    lakeside = practices()[0]
    as_user(OWNER).post(add_url(), {**GOOD, "npi": GOOD_NPI, "practice": str(lakeside.public_id)})
    assert ServiceFacility.objects.get(practice=lakeside, name="North Clinic").npi == GOOD_NPI
