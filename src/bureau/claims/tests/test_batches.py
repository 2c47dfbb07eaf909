"""Batch build: ready claims → 837P files, submitted once; pages, download audit, command."""

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.batches import batch_build
from bureau.claims.models import Batch, Claim, ClaimState
from bureau.claims.tests import factories
from bureau.conftest import verified_client
from bureau.directory.models import Payer
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice
from bureau.x12.tests.oracle import pyx12_errors

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "clearinghouse")
    return tmp_path / "clearinghouse"


def summit():
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def _claims(practice, *, secondary=False):
    payers = list(Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id"))
    with rls.practice_scope([practice.pk]):
        patient = factories.patient(practice)
        made = [factories.claim(practice, factories.coverage(patient, payers[2]))]
        if secondary:
            other = factories.patient(practice, 1)
            factories.coverage(other, payers[0], cob_order=1)
            second = factories.coverage(other, payers[3], cob_order=2)
            made.append(factories.claim(practice, second))
    return made


def _state(claim):
    with rls.practice_scope([claim.practice_id]):
        return Claim.objects.for_system([claim.practice_id], reason="test").get(pk=claim.pk)


def test_build_writes_valid_files_submits_once(outbox):
    practice = summit()[0]
    mine = _claims(practice, secondary=True)
    batches = batch_build(actor=None, practice_ids=[practice.pk])
    assert batches
    for batch in batches:
        path = Path(batch.path)
        assert path.parent == outbox / batch.route / "outbox"
        assert path.read_text() == batch.content
        icn = batch.interchange_control_number
        slug = practice.workspace.slug
        assert batch.file_name == f"{slug}-{practice.code}-{batch.route}-{icn:09d}.x12"
        assert pyx12_errors(batch.content) == [], batch.file_name
    for claim in mine:
        fresh = _state(claim)
        assert fresh.state == ClaimState.SUBMITTED
        assert fresh.batch_id in {b.pk for b in batches}
        assert f"CLM*{claim.number}*" in fresh.batch.content
    assert "SBR*S*" in "".join(b.content for b in batches)  # the COB claim went out
    icns = [b.interchange_control_number for b in batches]
    assert len(set(icns)) == len(icns) and icns == sorted(icns)
    assert AuditEvent.objects.filter(action=AuditAction.BATCH_BUILT).count() >= len(batches)
    assert batch_build(actor=None, practice_ids=[practice.pk]) == []  # nothing twice


def test_control_numbers_continue_across_runs():
    practice = summit()[0]
    _claims(practice)
    first = batch_build(actor=None, practice_ids=[practice.pk])
    _claims(practice)
    second = batch_build(actor=None, practice_ids=[practice.pk])
    assert second and max(b.interchange_control_number for b in first) < min(
        b.interchange_control_number for b in second
    )


def test_actor_builds_only_practices_with_submit():
    practices = summit()
    bella = resolve_actor(User.objects.get(username="bella.biller"))
    outside = next(p for p in practices if p.pk not in bella.practice_ids())
    inside = next(p for p in practices if p.pk in bella.practice_ids())
    foreign = _claims(outside)[0]
    own = _claims(inside)[0]
    batches = batch_build(actor=bella)
    assert batches and {b.practice_id for b in batches} <= bella.practice_ids()
    assert _state(foreign).state == ClaimState.READY
    assert _state(own).state == ClaimState.SUBMITTED


def test_failed_write_rolls_back(monkeypatch):
    practice = summit()[0]
    claim = _claims(practice)[0]

    def boom(self, *a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(Path, "write_text", boom)
    with pytest.raises(OSError):
        batch_build(actor=None, practice_ids=[practice.pk])
    assert _state(claim).state == ClaimState.READY


def test_the_build_button_builds_the_practice_the_list_shows():
    """The list filtered to one practice builds that practice's claims only, whatever the bar
    says; the list of all practices builds them all; a foreign practice is the same 404."""
    first, second = summit()[0], summit()[1]
    mine, theirs = _claims(first)[0], _claims(second)[0]
    client = verified_client("olivia.owner")
    page = client.get(f"{reverse('batches:list')}?practice={first.public_id}")
    assert f'name="practice" value="{first.public_id}"'.encode() in page.content
    assert f"Build batches for {first.name}".encode() in page.content
    response = client.post(reverse("batches:build"), {"practice": str(first.public_id)})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('batches:list')}?practice={first.public_id}"
    assert _state(mine).state != ClaimState.READY
    assert _state(theirs).state == ClaimState.READY
    assert client.post(reverse("batches:build"), {"practice": "all"}).status_code == 302
    assert _state(theirs).state != ClaimState.READY
    foreign = Practice.objects.exclude(workspace__slug="summit").first()
    assert (
        client.post(reverse("batches:build"), {"practice": str(foreign.public_id)}).status_code
        == 404
    )


def test_pages_build_and_download_audited():
    practice = summit()[0]
    _claims(practice)
    client = verified_client("olivia.owner")
    assert client.get(reverse("batches:list")).status_code == 200
    response = client.post(reverse("batches:build"))
    assert response.status_code == 302
    with rls.practice_scope([practice.pk]):
        batch = Batch.objects.for_system([practice.pk], reason="test").order_by("-id").first()
    listing = client.get(reverse("batches:list"))
    assert (
        batch.file_name.encode() in listing.content
        or str(batch.interchange_control_number).encode() in listing.content
    )
    url = reverse("batches:download", kwargs={"public_id": batch.public_id})
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f"attachment; filename=\"{batch.file_name}\"; filename*=UTF-8''{batch.file_name}"
    )
    assert response.content.decode() == batch.content
    event = AuditEvent.objects.filter(action=AuditAction.BATCH_DOWNLOADED).latest("id")
    assert event.record_ids == [str(batch.public_id)] and event.user.username == "olivia.owner"
    # Cliff sees only Lakeside: a batch of another practice is a 404.
    other = summit()[1]
    _claims(other)
    batch_build(actor=None, practice_ids=[other.pk])
    with rls.practice_scope([other.pk]):
        foreign = Batch.objects.for_system([other.pk], reason="test").order_by("-id").first()
    cliff = verified_client("cliff.client")
    url = reverse("batches:download", kwargs={"public_id": foreign.public_id})
    assert cliff.get(url).status_code == 404


def test_command_prints_paths(outbox):
    practice = summit()[2]
    _claims(practice)
    out = StringIO()
    call_command("batch", "build", "--practice", practice.npi, stdout=out)
    lines = out.getvalue().split()
    assert lines and all(Path(line).exists() for line in lines)
    assert all(str(outbox) in line for line in lines)
    out = StringIO()
    call_command("batch", "build", "--practice", practice.npi, stdout=out)
    assert out.getvalue() == ""


def test_a_ready_claim_the_837p_cannot_carry_is_named_not_silently_left(outbox):
    """A claim whose patient lost their address since it was scrubbed stays READY, and the batch
    page says which claim and what is missing (it used to say "No ready claims to submit")."""
    practice = summit()[0]
    claim = _claims(practice)[0]
    with rls.practice_scope([practice.pk]):
        from bureau.patients.models import Patient

        Patient.objects.for_system([practice.pk], reason="test").filter(pk=claim.patient_id).update(
            address_line1=""
        )
    client = verified_client("olivia.owner")
    response = client.post(
        reverse("batches:build"), {"practice": str(practice.public_id)}, follow=True
    )
    said = response.content.decode()
    assert f"Not batched, claim {claim.number}: " in said and "line1" in said
    assert "No ready claims to submit." not in said
    assert _state(claim).state == ClaimState.READY
