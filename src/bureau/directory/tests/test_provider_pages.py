"""Provider pages: edit (taxonomy checked as the 837P writer checks it, NPI with its check
digit and unique in the practice, also when two people save at once), deactivate/reactivate
with a reason, the "New provider" button keeping the practice, and 404 for those who may not."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.directory import services
from bureau.directory.models import Provider
from bureau.directory.npi import make_npi
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
    "kind": "individual",
    "name": "Dr. Nora Quill",
    "last_name": "Quill",
    "first_name": "Nora",
    "npi": GOOD_NPI,
    "taxonomy": "207q00000x",
    "reason": "joined the practice",
}


def new_provider(practice: Practice, npi: str = GOOD_NPI, **values) -> Provider:
    data = {**GOOD, "npi": npi, "taxonomy": "207Q00000X", **values}
    data.pop("reason")
    return Provider.objects.create(workspace_id=practice.workspace_id, practice=practice, **data)


def stored() -> list[tuple[object, ...]]:
    rows = Provider.objects.order_by("id").values_list("pk", "name", "npi", "taxonomy", "is_active")
    return [*rows, ("events", events())]


def edit_url(provider: Provider) -> str:
    return reverse("directory:provider_edit", kwargs={"public_id": provider.public_id})


def active_url(provider: Provider) -> str:
    return reverse("directory:provider_active", kwargs={"public_id": provider.public_id})


# -- the list and the new provider --------------------------------------------------------------
def test_new_provider_from_a_filtered_list_keeps_the_practice(as_user):
    practice = practices()[1]
    client = as_user(OWNER)
    listed = client.get(reverse("directory:providers"), {"practice": str(practice.public_id)})
    link = f"{reverse('directory:provider_create')}?practice={practice.public_id}"
    assert link in listed.content.decode()
    form = client.get(link)
    assert form.context["form"].initial["practice"] == str(practice.public_id)
    provider = Provider.objects.filter(practice=practice).order_by("id").first()
    assert edit_url(provider) in listed.content.decode()  # type: ignore[arg-type]

    response = client.post(link, {**GOOD, "practice": str(practice.public_id)})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('directory:providers')}?practice={practice.public_id}"
    assert Provider.objects.get(practice=practice, npi=GOOD_NPI).taxonomy == "207Q00000X"


def test_a_viewer_gets_no_edit_links(as_user):
    body = as_user("alex.manager").get(reverse("directory:providers")).content.decode()
    assert "/setup/providers/" not in body.split("provider-list")[1]


# -- editing ------------------------------------------------------------------------------------
def test_editing_records_old_and_new_values_with_the_reason(as_user):
    provider = new_provider(practices()[0])
    client = as_user(OWNER)
    page = client.get(edit_url(provider))
    assert page.status_code == 200 and b'value="207Q00000X"' in page.content
    response = client.post(
        edit_url(provider), {**GOOD, "taxonomy": "208D00000X", "reason": "NPPES says so"}
    )
    assert response.status_code == 302
    provider.refresh_from_db()
    assert provider.taxonomy == "208D00000X"
    event = AuditEvent.objects.filter(action=AuditAction.PROVIDER_UPDATED).latest("id")
    assert event.detail["changes"] == {"taxonomy": {"old": "207Q00000X", "new": "208D00000X"}}
    assert event.reason == "NPPES says so" and event.user.username == OWNER  # type: ignore[union-attr]


BAD = [
    ({"taxonomy": "1234567890"}, "taxonomy", "is not a taxonomy code"),
    ({"taxonomy": "207Q0000X"}, "taxonomy", "is not a taxonomy code"),
    ({"taxonomy": "２07Q00000X"}, "taxonomy", "is not a taxonomy code"),
    ({"taxonomy": "207Q00000X1"}, "taxonomy", "at most 10 characters"),
    ({"npi": "١٢٣٤٥٦٧٨٩٣"}, "npi", "is not valid"),
    ({"npi": GOOD_NPI[:9] + str((int(GOOD_NPI[9]) + 1) % 10)}, "npi", "check digit"),
    ({"npi": "9" * 5000}, "npi", "at most 10 characters"),
    ({"name": "x" * 201}, "name", "at most 200 characters"),
    ({"name": "Dr.\x00"}, "name", "Null characters are not allowed."),
    ({"kind": "robot"}, "kind", "Select a valid choice."),
    ({"reason": ""}, "reason", "This field is required."),
    ({"reason": " ok "}, "reason", "Give a reason for this change"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(b[0])[:30] for b in BAD])
def test_bad_input_is_named_on_the_form_and_nothing_is_written(as_user, change, field, message):
    provider = new_provider(practices()[0])
    before = stored()
    response = as_user(OWNER).post(edit_url(provider), {**GOOD, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors.get(field, [])
    assert any(message in e for e in errors), response.context["form"].errors
    assert stored() == before


def test_another_providers_npi_is_refused(as_user):
    practice = practices()[0]
    provider = new_provider(practice)
    other = new_provider(practice, npi=make_npi("123456780"), name="Dr. Other")
    before = stored()
    response = as_user(OWNER).post(edit_url(provider), {**GOOD, "npi": other.npi})
    assert "already has a provider with that NPI" in str(response.context["form"].errors["npi"])
    assert stored() == before


@pytest.mark.parametrize("where", ["create", "edit"])
def test_a_concurrent_duplicate_npi_is_a_form_error_not_a_500(as_user, monkeypatch, where):
    """Two people save the same NPI at once: both pass the check, the database's
    provider_npi_unique refuses the second. Simulated by a check that sees nothing."""
    practice = practices()[0]
    first = new_provider(practice)
    monkeypatch.setattr(services, "_npi_taken", lambda *args, **kwargs: False)
    client = as_user(OWNER)
    client.raise_request_exception = False
    before = stored()
    if where == "create":
        url = reverse("directory:provider_create")
        response = client.post(url, {**GOOD, "practice": str(practice.public_id)})
    else:
        second = new_provider(practice, npi=make_npi("123456780"), name="Dr. Second")
        before = stored()
        response = client.post(edit_url(second), {**GOOD, "npi": first.npi})
    assert response.status_code == 200
    assert response.context["form"].errors["npi"] == [services.NPI_TAKEN]
    assert stored() == before


# -- deactivating -------------------------------------------------------------------------------
def test_deactivate_needs_a_reason_then_is_audited_and_reactivates(as_user):
    provider = new_provider(practices()[0])
    client = as_user(OWNER)
    before = stored()
    refused = client.post(active_url(provider), {"active": "no", "reason": ""})
    assert refused.status_code == 302 and "nothing changed" in said(refused)[0]
    assert stored() == before
    done = client.post(active_url(provider), {"active": "no", "reason": "left the practice"})
    assert said(done)[-1] == "Provider Dr. Nora Quill deactivated."
    provider.refresh_from_db()
    assert provider.is_active is False
    event = AuditEvent.objects.filter(action=AuditAction.PROVIDER_UPDATED).latest("id")
    assert event.detail["changes"] == {"is_active": {"old": True, "new": False}}
    assert event.reason == "left the practice"
    client.post(active_url(provider), {"active": "yes", "reason": "came back"})
    provider.refresh_from_db()
    assert provider.is_active is True


# -- who may ------------------------------------------------------------------------------------
def test_another_workspaces_provider_is_a_404_like_a_missing_one(as_user):
    harbor = Provider.objects.filter(workspace__slug="harbor").order_by("id").first()
    assert harbor is not None
    client = as_user(OWNER)
    before = stored()
    assert_404_like_missing(client, "directory:provider_edit", harbor.public_id)
    assert_404_like_missing(client, "directory:provider_edit", harbor.public_id, "post", GOOD)
    assert_404_like_missing(
        client,
        "directory:provider_active",
        harbor.public_id,
        "post",
        {"active": "no", "reason": "gone"},
    )
    assert stored() == before


def test_a_practice_supervisor_gets_the_same_404_for_another_practices_provider():
    client = verified(practice_supervisor(practices()[0]))
    mine, theirs = new_provider(practices()[0]), new_provider(practices()[1])
    assert client.get(edit_url(mine)).status_code == 200
    before = stored()
    assert_404_like_missing(client, "directory:provider_edit", theirs.public_id)
    assert_404_like_missing(client, "directory:provider_edit", theirs.public_id, "post", GOOD)
    assert_404_like_missing(
        client,
        "directory:provider_active",
        theirs.public_id,
        "post",
        {"active": "no", "reason": "gone"},
    )
    assert stored() == before


@pytest.mark.parametrize("username", NOT_MANAGERS)
def test_without_setup_manage_the_provider_pages_are_404(as_user, username):
    provider = new_provider(practices()[0])
    client = as_user(username)
    before = stored()
    assert_404_like_missing(client, "directory:provider_edit", provider.public_id)
    assert_404_like_missing(client, "directory:provider_edit", provider.public_id, "post", GOOD)
    assert_404_like_missing(
        client,
        "directory:provider_active",
        provider.public_id,
        "post",
        {"active": "no", "reason": "gone"},
    )
    assert stored() == before
