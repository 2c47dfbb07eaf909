"""The practice page's setup document: export (download, audited), import (upload, preview,
apply with a reason), copy from a sibling (list, then apply); 404 alike for what the person may
not manage."""

import io
import json
import uuid

import pytest
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.configuration import services as settings_services
from bureau.configuration.practice_setup import setup_document
from bureau.directory.models import FeeSchedule, Provider
from bureau.directory.tests.helpers import actor, practice_supervisor, practices
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
OWNER = "olivia.owner"


def _upload(document, name="setup.json"):
    data = document if isinstance(document, bytes) else json.dumps(document).encode()
    file = io.BytesIO(data)
    file.name = name
    return file


def _url(name, practice):
    return reverse(f"directory:{name}", args=[practice.public_id])


def test_export_downloads_the_document_and_is_audited(as_user):
    practice = practices()[0]
    client = as_user(OWNER)
    before = AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_EXPORTED).count()
    response = client.get(_url("practice_setup_export", practice))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert f"{practice.code}-setup.json" in response["Content-Disposition"]
    assert json.loads(response.content) == json.loads(
        json.dumps(setup_document(practice), default=str)
    )
    events = AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_EXPORTED)
    assert events.count() == before + 1
    assert events.latest("id").practice_id == practice.pk
    page = client.get(_url("practice", practice)).content.decode()
    assert 'data-testid="setup-export"' in page and 'data-testid="setup-copy"' in page


def test_import_previews_then_applies_with_a_reason(as_user):
    source, target = practices()[0], practices()[1]
    document = setup_document(source)
    document["providers"][0]["name"] = "Renamed In The File"
    document["providers"] = document["providers"][:1]
    for section in ("enrollments", "facilities"):
        document[section] = []
    client = as_user(OWNER)
    url = _url("practice_setup_import", target)
    assert client.get(url).status_code == 200
    preview = client.post(url, {"file": _upload(document)})
    page = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="setup-plan"' in page
    assert "Renamed In The File" in page
    assert not Provider.objects.filter(name="Renamed In The File").exists()  # nothing yet
    token = preview.context["apply_form"].initial["token"]
    # No reason: the preview again, nothing written.
    again = client.post(url, {"token": token, "reason": ""})
    assert again.status_code == 200 and not Provider.objects.filter(
        practice=target, name="Renamed In The File"
    )
    done = client.post(url, {"token": token, "reason": "same setup as the sister clinic"})
    assert done.status_code == 302 and done["Location"] == _url("practice", target)
    assert Provider.objects.filter(practice=target, name="Renamed In The File").exists()
    event = AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_IMPORTED).latest("id")
    assert event.practice_id == target.pk and event.user.username == OWNER
    assert event.reason == "same setup as the sister clinic" and event.detail["changes"] > 0
    # The token is spent: applying again is refused and changes nothing.
    events = AuditEvent.objects.count()
    spent = client.post(url, {"token": token, "reason": "once more"})
    assert spent.status_code == 302 and AuditEvent.objects.count() == events


def test_the_staged_document_is_checked_again_on_apply(as_user):
    source, target = practices()[0], practices()[1]
    document = setup_document(source)
    client = as_user(OWNER)
    url = _url("practice_setup_import", target)
    preview = client.post(url, {"file": _upload(document)})
    token = preview.context["apply_form"].initial["token"]
    # Between preview and apply the workspace changes: a payer the document names goes away.
    from bureau.directory.models import Payer

    payer_id = next(iter(document["payers"]))
    Payer.objects.filter(workspace=target.workspace, payer_id=payer_id).update(payer_id="GONE")
    response = client.post(url, {"token": token, "reason": "same setup as the sister clinic"})
    assert response.status_code == 200
    assert f"no payer &#x27;{payer_id}&#x27;" in response.content.decode()
    assert not AuditEvent.objects.filter(
        action=AuditAction.PRACTICE_SETUP_IMPORTED, practice=target
    ).exists()


def test_another_persons_token_is_refused(as_user):
    target = practices()[1]
    url = _url("practice_setup_import", target)
    preview = as_user(OWNER).post(url, {"file": _upload(setup_document(practices()[0]))})
    token = preview.context["apply_form"].initial["token"]
    other = as_user("sam.supervisor").post(url, {"token": token, "reason": "not my preview"})
    assert other.status_code == 302
    assert not AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_IMPORTED).exists()


def test_a_bad_document_lists_problems_by_path(as_user):
    target = practices()[1]
    client = as_user(OWNER)
    url = _url("practice_setup_import", target)
    bad = {"format": "bureau.practice-setup/1", "providers": [{"npi": "12"}], "x": 1}
    page = client.post(url, {"file": _upload(bad)}).content.decode()
    assert 'data-testid="setup-problems"' in page
    assert "$.providers[0].kind: missing" in page and "$.x: unknown key" in page
    page = client.post(url, {"file": _upload(b"[" * 50_000)}).content.decode()
    assert "nested too deeply" in page


def test_a_large_document_goes_as_a_file_not_a_form_field(as_user, settings):
    """Bigger than DATA_UPLOAD_MAX_MEMORY_SIZE: still read (multipart file data is not counted)."""
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    target = practices()[1]
    document = setup_document(practices()[0])
    document["fee_schedule"] = [
        {"code": f"{n:05d}", "modifier": "", "amount": "10.00"} for n in range(10_000, 12_000)
    ]
    assert len(json.dumps(document)) > 10_000
    client = as_user(OWNER)
    url = _url("practice_setup_import", target)
    preview = client.post(url, {"file": _upload(document)})
    token = preview.context["apply_form"].initial["token"]
    client.post(url, {"token": token, "reason": "a big fee schedule"})
    assert FeeSchedule.objects.get(practice=target).lines.count() == 2000


def test_copy_from_a_sibling_lists_then_applies(as_user):
    sibling, target = practices()[0], practices()[2]
    owner = actor(OWNER)
    settings_services.setting_set(
        actor=owner, practice=sibling, key="claims.timely_filing_days", value=77, reason="contract"
    )
    client = as_user(OWNER)
    url = _url("practice_setup_copy", target)
    page = client.get(url).content.decode()
    assert sibling.name in page and 'data-testid="copy-form"' in page
    preview = client.post(url, {"source": str(sibling.public_id), "confirm": "preview"})
    shown = preview.content.decode()
    assert "claims.timely_filing_days" in shown and 'data-testid="copy-apply"' in shown
    assert not AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_COPIED).exists()
    done = client.post(
        url,
        {"source": str(sibling.public_id), "confirm": "apply", "reason": "same contract terms"},
    )
    assert done.status_code == 302
    from bureau.configuration.models import SettingValue

    assert (
        SettingValue.objects.get(practice=target, payer=None, key="claims.timely_filing_days").value
        == 77
    )
    event = AuditEvent.objects.get(action=AuditAction.PRACTICE_SETUP_COPIED)
    assert event.practice_id == target.pk and event.detail["from"] == str(sibling.public_id)


@pytest.mark.parametrize(
    ("username", "which", "name"),
    [
        ("hank.harbor", 0, "practice_setup_export"),  # another workspace
        ("hank.harbor", 0, "practice_setup_import"),
        ("hank.harbor", 0, "practice_setup_copy"),
        ("cliff.client", 0, "practice_setup_import"),  # a role without setup.manage
        ("cliff.client", 0, "practice_setup_copy"),
        ("bella.biller", 0, "practice_setup_export"),  # a role without setup.view
        ("alex.manager", "read-only", "practice_setup_import"),  # a read-only grant
        ("alex.manager", "read-only", "practice_setup_copy"),
        ("bella.biller", "ungranted", "practice_setup_export"),
        ("bella.biller", "ungranted", "practice_setup_copy"),
        ("olivia.owner", "missing", "practice_setup_export"),
        ("olivia.owner", "missing", "practice_setup_import"),
    ],
)
def test_404_alike_for_what_one_may_not_manage(as_user, username, which, name):
    person = actor(username)
    summit = practices()
    if which == "read-only":
        practice = next(
            p for p in summit if person.access.get(p.pk) and person.access[p.pk].read_only
        )
    elif which == "ungranted":
        practice = next(p for p in summit if p.pk not in person.access)
    elif which == "missing":
        practice = Practice(public_id=uuid.uuid4())
    elif which is None:
        practice = next(iter(person.access.values())).practice
    else:
        practice = summit[which]
    client = as_user(username)
    events = AuditEvent.objects.count()
    url = _url(name, practice)
    assert client.get(url).status_code == 404
    body = {"source": str(summit[1].public_id), "confirm": "apply", "reason": "try it"}
    # The export is a file and answers GET alone: 405 to a POST from someone holding
    # setup.view somewhere, before any record is looked at (404 to anyone else).
    assert client.post(url, body).status_code in ((404, 405) if "export" in name else (404,))
    missing = client.get(_url(name, Practice(public_id=uuid.uuid4())))
    assert client.get(url).content == missing.content
    assert AuditEvent.objects.count() == events  # nothing read, nothing written


def test_a_grant_limited_to_some_providers_does_not_reach_the_document(as_user):
    """setup.manage on the practice, but for one of its providers only: the document names
    every provider, so its export, import and copy answer 404, and the page offers none."""
    from bureau.tenancy.models import Grant

    practice = practices()[0]
    supervisor = practice_supervisor(practice, username="sue.limited")
    grant = Grant.objects.get(user=supervisor.user)
    grant.providers.set(Provider.objects.filter(practice=practice).order_by("id")[:1])
    from django_otp.plugins.otp_totp.models import TOTPDevice

    TOTPDevice.objects.create(user=supervisor.user, name="Authenticator", confirmed=True)
    client = as_user("sue.limited")
    page = client.get(_url("practice", practice))
    assert page.status_code == 200
    assert b'data-testid="setup-export"' not in page.content
    assert b'data-testid="setup-copy"' not in page.content
    for name in ("practice_setup_export", "practice_setup_import", "practice_setup_copy"):
        assert client.get(_url(name, practice)).status_code == 404, name
