"""Client practices: add and edit (validation, audit), status moves, the pages."""

from dataclasses import replace

import pytest
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.directory.npi import make_npi
from bureau.directory.tests.helpers import actor, practice_supervisor, practices
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.models import Practice, PracticeStatus
from bureau.tenancy.practices import (
    PracticeData,
    PracticeError,
    practice_create,
    practice_set_status,
    practice_update,
)

pytestmark = pytest.mark.django_db

ELEVENTH = PracticeData(
    name="Eleventh Street Pediatrics",
    code="esp",
    npi=make_npi("198765432"),
    tax_id="12-3456789",
    address_line1="1100 Eleventh St",
    city="Springfield",
    state="il",
    postal_code="62704 5678",
    timezone="America/Chicago",
    specialty="Pediatrics",
)


def _error(data: PracticeData) -> PracticeError:
    with pytest.raises(PracticeError) as caught:
        practice_create(actor=actor("olivia.owner"), data=data, reason="new client signed")
    return caught.value


def test_add_a_practice_normalizes_and_audits_with_the_person_and_reason():
    owner = actor("olivia.owner")
    practice = practice_create(actor=owner, data=ELEVENTH, reason="new client signed")
    practice.refresh_from_db()
    assert (practice.code, practice.state, practice.postal_code, practice.tax_id) == (
        "ESP",
        "IL",
        "62704-5678",
        "123456789",
    )
    assert practice.status == PracticeStatus.ONBOARDING
    assert practice.workspace_id == owner.workspace.pk
    event = AuditEvent.objects.get(action=AuditAction.PRACTICE_CREATED)
    assert event.user_id == owner.user.pk and event.reason == "new client signed"
    assert event.practice_id == practice.pk
    assert event.detail["new"]["postal_code"] == "62704-5678"


def test_npi_check_digit_is_checked():
    good = ELEVENTH.npi
    bad = good[:9] + str((int(good[9]) + 1) % 10)
    error = _error(replace(ELEVENTH, npi=bad))
    assert error.field == "npi" and "check digit" in str(error)


def test_a_taken_prefix_is_refused_naming_its_practice():
    lakeside = practices()[0]
    error = _error(replace(ELEVENTH, code=lakeside.code.lower()))
    assert error.field == "code"
    assert str(error) == (
        f"The claim-number prefix {lakeside.code} is already {lakeside.name}'s: choose another."
    )
    assert _error(replace(ELEVENTH, npi=lakeside.npi)).field == "npi"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", "America/Springfield"),
        ("timezone", "UTC+5"),
        ("postal_code", "62704"),  # five digits: claims need ZIP+4
        ("postal_code", "6270456789"),
        ("postal_code", "٦٢٧٠٤٥٦٧٨"),  # Arabic-Indic digits are not a ZIP
        ("state", "XX"),
        ("tax_id", "12-345678"),
        ("code", "E"),
        ("code", "ESP-1"),
        ("name", "  "),
        ("address_line1", ""),
    ],
)
def test_bad_values_are_refused_on_their_field(field, value):
    error = _error(replace(ELEVENTH, **{field: value}))
    assert error.field == field, str(error)
    assert not Practice.objects.filter(name=ELEVENTH.name).exists()


def test_a_reason_is_required():
    with pytest.raises(PracticeError) as caught:
        practice_create(actor=actor("olivia.owner"), data=ELEVENTH, reason=" ")
    assert caught.value.field == "reason"


def test_only_workspace_setup_managers_add_practices():
    with pytest.raises(CapabilityDenied):
        practice_create(actor=actor("alex.manager"), data=ELEVENTH, reason="new client")
    supervisor = practice_supervisor(practices()[0])  # setup.manage on one practice only
    with pytest.raises(CapabilityDenied):
        practice_create(actor=supervisor, data=ELEVENTH, reason="new client")


def test_edit_records_old_and_new_and_nothing_when_unchanged():
    owner = actor("olivia.owner")
    practice = practice_create(actor=owner, data=ELEVENTH, reason="new client signed")
    owner = actor("olivia.owner")  # the next request's actor: the new practice is in its reach
    moved = replace(ELEVENTH, address_line1="12 Elm St", postal_code="627011111")
    changed = practice_update(actor=owner, practice=practice, data=moved, reason="they moved")
    assert changed == {
        "address_line1": {"old": "1100 Eleventh St", "new": "12 Elm St"},
        "postal_code": {"old": "62704-5678", "new": "62701-1111"},
    }
    event = AuditEvent.objects.get(action=AuditAction.PRACTICE_UPDATED)
    assert event.detail == {"changed": changed} and event.reason == "they moved"
    assert practice_update(actor=owner, practice=practice, data=moved, reason="again") == {}
    assert AuditEvent.objects.filter(action=AuditAction.PRACTICE_UPDATED).count() == 1
    # Its own prefix is not "taken"; another practice's is.
    other = practices()[1]
    with pytest.raises(PracticeError, match=other.name):
        practice_update(
            actor=owner, practice=practice, data=replace(moved, code=other.code), reason="typo"
        )


def test_the_prefix_stays_once_claims_are_numbered_with_it():
    owner = actor("olivia.owner")
    lakeside = practices()[0]
    assert lakeside.claim_sequence > 0
    data = PracticeData(
        **{
            k: getattr(lakeside, k) for k in PracticeData.__dataclass_fields__ if k not in ("code",)
        },
        code="LAKE",
    )
    with pytest.raises(PracticeError, match=f"stays {lakeside.code}: claims are already"):
        practice_update(actor=owner, practice=lakeside, data=data, reason="rebrand")


def test_status_moves_only_along_the_life_with_a_reason_audited():
    owner = actor("olivia.owner")
    practice = practice_create(actor=owner, data=ELEVENTH, reason="new client signed")
    owner = actor("olivia.owner")
    with pytest.raises(PracticeError, match="cannot go from Onboarding to Offboarded here"):
        practice_set_status(actor=owner, practice=practice, status="offboarded", reason="gone")
    with pytest.raises(PracticeError) as caught:
        practice_set_status(actor=owner, practice=practice, status="active", reason="")
    assert caught.value.field == "reason"
    with pytest.raises(PracticeError, match="not a practice status"):
        practice_set_status(actor=owner, practice=practice, status="suspended", reason="pause")
    practice_set_status(actor=owner, practice=practice, status="active", reason="checklist done")
    with pytest.raises(PracticeError, match="already Active"):
        practice_set_status(actor=owner, practice=practice, status="active", reason="again")
    with pytest.raises(PracticeError, match=r"Active to Onboarding here \(allowed: none\)"):
        practice_set_status(actor=owner, practice=practice, status="onboarding", reason="redo")
    # Offboarding starts on its own page (the export bundle first); offboarded only follows
    # the verified purge: neither is a move the status form makes.
    with pytest.raises(PracticeError, match=r"Active to Offboarding here"):
        practice_set_status(actor=owner, practice=practice, status="offboarding", reason="notice")
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.ACTIVE
    moves = [
        e.detail["changed"]["status"]
        for e in AuditEvent.objects.filter(action=AuditAction.PRACTICE_UPDATED).order_by("id")
    ]
    assert moves == [{"old": "onboarding", "new": "active"}]


def _form(data: PracticeData, reason: str = "new client signed") -> dict[str, str]:
    return {**{k: v for k, v in data.__dict__.items()}, "reason": reason}


def test_the_owner_adds_a_practice_from_the_page(as_user):
    client = as_user("olivia.owner")
    page = client.get(reverse("directory:practices"))
    assert page.status_code == 200 and b"Add a practice" in page.content
    response = client.post(reverse("directory:practice_create"), _form(ELEVENTH))
    practice = Practice.objects.get(name=ELEVENTH.name)
    assert response.status_code == 302
    assert response["Location"] == reverse("directory:practice", args=[practice.public_id])
    shown = client.get(response["Location"]).content.decode()
    assert "Onboarding checklist" in shown and "1100 Eleventh St" in shown
    # A taken prefix: the form again, saying whose it is.
    again = client.post(
        reverse("directory:practice_create"),
        _form(replace(ELEVENTH, name="Other", npi=make_npi("198765431"))),
    )
    assert again.status_code == 200
    assert "already Eleventh Street Pediatrics&#x27;s" in again.content.decode()


def test_add_a_practice_is_404_without_workspace_setup_manage(as_user):
    client = as_user("alex.manager")
    assert client.get(reverse("directory:practice_create")).status_code == 404
    assert client.get(reverse("directory:practices")).status_code == 200  # setup.view


def test_status_change_from_the_page(as_user):
    client = as_user("olivia.owner")
    practice = practices()[0]
    url = reverse("directory:practice_status", args=[practice.public_id])
    refused = client.post(url, {"status": "onboarding", "reason": "redo"}, follow=True)
    assert "Status not changed" in refused.content.decode()
    # The form offers no offboarding (its own page does), and a forged post is refused.
    page = client.get(reverse("directory:practice", args=[practice.public_id])).content.decode()
    assert 'value="offboarding"' not in page
    assert reverse("offboarding:practice", args=[practice.public_id]) in page
    client.post(url, {"status": "offboarding", "reason": "client gave notice"})
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.ACTIVE
