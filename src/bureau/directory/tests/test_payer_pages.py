"""Payer pages: edit (whole numbers in 0-9 digits, bounded), deactivate/reactivate with a
reason, audited; setup.manage over the whole workspace, 404 for anyone else."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.directory.models import Payer
from bureau.directory.tests.helpers import practice_supervisor, practices
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
    "name": "Prairie Health Plan",
    "payer_id": "prair",
    "kind": "commercial",
    "timely_filing_days": "180",
    "appeal_limit_days": "90",
    "route": "simulator",
    "reason": "new payer contract",
}


def a_payer(slug: str = "summit") -> Payer:
    practice = Practice.objects.filter(workspace__slug=slug).order_by("id").first()
    assert practice is not None
    return Payer.objects.create(
        workspace_id=practice.workspace_id,
        name="Prairie Health Plan",
        payer_id="PRAIR",
        timely_filing_days=180,
        appeal_limit_days=90,
    )


def stored() -> list[tuple[object, ...]]:
    rows = Payer.objects.order_by("id").values_list(
        "pk", "name", "payer_id", "timely_filing_days", "is_active"
    )
    return [*rows, ("events", events())]


def edit_url(payer: Payer) -> str:
    return reverse("directory:payer_edit", kwargs={"public_id": payer.public_id})


def active_url(payer: Payer) -> str:
    return reverse("directory:payer_active", kwargs={"public_id": payer.public_id})


def test_the_list_links_each_payer_to_its_page_for_a_manager_only(as_user):
    payer = a_payer()
    assert edit_url(payer) in as_user(OWNER).get(reverse("directory:payers")).content.decode()
    viewer = as_user("alex.manager").get(reverse("directory:payers")).content.decode()
    assert edit_url(payer) not in viewer


def test_editing_records_old_and_new_values(as_user):
    payer = a_payer()
    client = as_user(OWNER)
    assert client.get(edit_url(payer)).status_code == 200
    form = {**GOOD, "timely_filing_days": "365", "reason": "contract amendment"}
    response = client.post(edit_url(payer), form)
    assert response.status_code == 302
    payer.refresh_from_db()
    assert payer.timely_filing_days == 365
    event = AuditEvent.objects.filter(action=AuditAction.PAYER_UPDATED).latest("id")
    assert event.detail["changes"] == {"timely_filing_days": {"old": 180, "new": 365}}
    assert event.reason == "contract amendment" and event.user.username == OWNER  # type: ignore[union-attr]


BAD = [
    ({"timely_filing_days": "٣٦٥"}, "timely_filing_days", "Use the digits 0-9."),
    ({"timely_filing_days": "３６５"}, "timely_filing_days", "Use the digits 0-9."),
    ({"timely_filing_days": "9" * 400}, "timely_filing_days", "less than or equal to 3650"),
    ({"appeal_limit_days": "99999999999"}, "appeal_limit_days", "less than or equal to 3650"),
    ({"appeal_limit_days": "0"}, "appeal_limit_days", "greater than or equal to 1"),
    ({"appeal_limit_days": "1e3"}, "appeal_limit_days", "Enter a whole number."),
    ({"name": "x" * 201}, "name", "at most 200 characters"),
    ({"payer_id": "x" * 81}, "payer_id", "at most 80 characters"),
    ({"payer_id": "BLUPK"}, "payer_id", "exists already"),
    ({"route": "carrier pigeon"}, "route", "Select a valid choice."),
    ({"reason": ""}, "reason", "This field is required."),
    ({"reason": " ok "}, "reason", "Give a reason for this change"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD, ids=[str(b[0])[:30] for b in BAD])
def test_bad_input_is_named_on_the_form_and_nothing_is_written(as_user, change, field, message):
    payer = a_payer()
    before = stored()
    response = as_user(OWNER).post(edit_url(payer), {**GOOD, **change})
    assert response.status_code == 200
    errors = response.context["form"].errors.get(field, [])
    assert any(message in e for e in errors), response.context["form"].errors
    assert stored() == before


def test_new_payer_refuses_non_ascii_digits_too(as_user):
    before = stored()
    response = as_user(OWNER).post(
        reverse("directory:payer_create"), {**GOOD, "timely_filing_days": "٣٦٥"}
    )
    assert response.status_code == 200 and "timely_filing_days" in response.context["form"].errors
    assert stored() == before


def test_deactivate_needs_a_reason_then_is_audited_and_reactivates(as_user):
    payer = a_payer()
    client = as_user(OWNER)
    before = stored()
    refused = client.post(active_url(payer), {"active": "no", "reason": ""})
    assert refused.status_code == 302 and "nothing changed" in said(refused)[0]
    assert stored() == before
    done = client.post(active_url(payer), {"active": "no", "reason": "contract ended"})
    assert said(done)[-1] == "Payer Prairie Health Plan deactivated."
    payer.refresh_from_db()
    assert payer.is_active is False
    event = AuditEvent.objects.filter(action=AuditAction.PAYER_UPDATED).latest("id")
    assert event.detail["changes"] == {"is_active": {"old": True, "new": False}}
    assert event.reason == "contract ended"
    # Gone from the enrollment matrix while inactive.
    matrix = client.get(
        reverse("directory:enrollments"), {"practice": str(practices()[0].public_id)}
    )
    assert b"Prairie Health Plan" not in matrix.content.split(b"enrollment-matrix")[1]
    client.post(active_url(payer), {"active": "yes", "reason": "contract renewed"})
    payer.refresh_from_db()
    assert payer.is_active is True


def test_another_workspaces_payer_is_a_404_like_a_missing_one(as_user):
    harbor = a_payer("harbor")
    client = as_user(OWNER)
    before = stored()
    assert_404_like_missing(client, "directory:payer_edit", harbor.public_id)
    assert_404_like_missing(client, "directory:payer_edit", harbor.public_id, "post", GOOD)
    assert_404_like_missing(
        client,
        "directory:payer_active",
        harbor.public_id,
        "post",
        {"active": "no", "reason": "gone"},
    )
    assert stored() == before


def test_a_one_practice_supervisor_may_not_change_the_workspaces_payers():
    """setup.manage on one practice is not the workspace's: the payer pages are 404s."""
    client = verified(practice_supervisor(practices()[0]))
    payer = a_payer()
    before = stored()
    assert_404_like_missing(client, "directory:payer_edit", payer.public_id)
    assert_404_like_missing(client, "directory:payer_edit", payer.public_id, "post", GOOD)
    assert_404_like_missing(
        client,
        "directory:payer_active",
        payer.public_id,
        "post",
        {"active": "no", "reason": "gone"},
    )
    assert stored() == before


@pytest.mark.parametrize("username", NOT_MANAGERS)
def test_without_setup_manage_the_payer_pages_are_404(as_user, username):
    payer = a_payer()
    client = as_user(username)
    before = stored()
    assert_404_like_missing(client, "directory:payer_edit", payer.public_id)
    assert_404_like_missing(
        client,
        "directory:payer_active",
        payer.public_id,
        "post",
        {"active": "no", "reason": "gone"},
    )
    assert stored() == before


def test_a_payer_id_saved_twice_at_once_is_a_field_error_not_a_500():
    """Both saves pass the service's check; payer_id_unique refuses the second insert, and
    the service names the field (the transaction stays usable: a savepoint)."""
    from bureau.directory import services

    first = a_payer()
    twin = Payer(workspace_id=first.workspace_id, name="Twin", payer_id=first.payer_id)
    with pytest.raises(services.DirectoryError) as caught:
        services._save_payer(twin, force_insert=True)
    assert caught.value.field == "payer_id" and str(caught.value) == services.PAYER_ID_TAKEN
    assert Payer.objects.filter(payer_id=first.payer_id).count() == 1
