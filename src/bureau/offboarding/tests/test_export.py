"""The export bundle: built as a job with progress, complete (every table, every row of the
practice and none of another's), each file's hash in the manifest, downloadable only with every
capability it carries, every download audited; calling the offboarding off deletes it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from django.db import transaction
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.offboarding import services
from bureau.offboarding.bundle import table_rows
from bureau.offboarding.catalog import exported_tables
from bureau.offboarding.models import JobState, Offboarding, OffboardingStatus
from bureau.offboarding.tasks import offboarding_export_run
from bureau.offboarding.tests.helpers import (
    actor,
    bundle_members,
    exported,
    json_lines,
    started,
    summit,
)
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.models import PracticeStatus

pytestmark = pytest.mark.django_db


def test_start_queues_the_export_and_moves_the_practice_to_offboarding():
    practice = summit()[1]
    ob = started(practice)
    assert ob.status == OffboardingStatus.EXPORTING and ob.job_state == JobState.QUEUED
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.OFFBOARDING
    assert AuditEvent.objects.filter(
        action=AuditAction.OFFBOARDING_STARTED, practice=practice, user__username="olivia.owner"
    ).exists()
    with pytest.raises(services.OffboardingError, match="already being offboarded"):
        started(practice)
    assert Offboarding.objects.filter(practice=practice).count() == 1


def test_only_the_owner_starts_an_offboarding():
    practice = summit()[1]
    for username in ("sam.supervisor", "carla.compliance", "alex.manager"):
        with pytest.raises(CapabilityDenied):
            started(practice, username)
    with pytest.raises(services.OffboardingError) as caught:
        services.offboarding_start(actor=actor("olivia.owner"), practice=practice, reason="")
    assert caught.value.field == "reason"


def test_the_bundle_holds_every_row_of_the_practice_and_its_manifest_checks_out():
    practice, other = summit()[0], summit()[1]
    ob = exported(practice, waited=False)
    assert ob.status == OffboardingStatus.EXPORTED and ob.percent == 100
    content = Path(ob.bundle_path).read_bytes()
    assert hashlib.sha256(content).hexdigest() == ob.bundle_sha256
    members = bundle_members(content)
    manifest = json.loads(members["manifest.json"])
    assert {"README.md", "manifest.json", "configuration.json", "audit_events.jsonl"} <= set(
        members
    )
    # Every file but the manifest is in it with its size and hash.
    assert set(manifest["files"]) == set(members) - {"manifest.json"}
    for name, entry in manifest["files"].items():
        assert entry["bytes"] == len(members[name]), name
        assert entry["sha256"] == hashlib.sha256(members[name]).hexdigest(), name
    # Every table, each with exactly the practice's rows (checked against the database).
    with transaction.atomic():
        for table in exported_tables():
            rows = json_lines(members[table.file_name])
            expected = sorted(table_rows(table, practice).values_list("pk", flat=True))
            assert sorted(r["id"] for r in rows) == expected, table.label
            assert manifest["files"][table.file_name]["rows"] == len(expected)
            if rows and "practice_id" in rows[0]:
                assert {r["practice_id"] for r in rows} == {practice.pk}
    assert json_lines(members["data/patients.patient.jsonl"]), "the demo practice has patients"
    assert json_lines(members["data/ledger.ledgerentry.jsonl"])
    # Raw 837P files, byte for byte, referenced from their batch rows.
    batches = json_lines(members["data/claims.batch.jsonl"])
    assert batches
    for batch in batches:
        assert members[batch["content"]["file"]].startswith(b"ISA")
    events = json_lines(members["audit_events.jsonl"])
    assert events and {e["practice_id"] for e in events} == {practice.pk}
    assert AuditEvent.objects.filter(practice=other).count() > 0
    assert json.loads(members["practice.json"])["npi"] == practice.npi
    # The setup document as `bureau config export` writes it: importable elsewhere as it is.
    from bureau.configuration.practice_setup import setup_document

    config = json.loads(members["configuration.json"])
    assert config["format"] == "bureau.practice-setup/1" and config["providers"]
    assert config == json.loads(json.dumps(setup_document(practice), default=str))
    assert "SHA-256" in members["README.md"].decode()
    assert AuditEvent.objects.filter(action=AuditAction.OFFBOARDING_EXPORTED).count() == 1


def test_the_owner_downloads_the_bundle_audited_and_others_get_404(as_user):
    practice = summit()[0]
    ob = exported(practice, waited=False)
    url = reverse("offboarding:bundle", args=[practice.public_id])
    response = as_user("olivia.owner").get(url)
    assert response.status_code == 200
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert hashlib.sha256(body).hexdigest() == ob.bundle_sha256
    assert response["Content-Type"] == "application/zip"
    assert (
        AuditEvent.objects.filter(
            action=AuditAction.OFFBOARDING_DOWNLOADED,
            practice=practice,
            user__username="olivia.owner",
        ).count()
        == 1
    )
    # No demographics (compliance officer, denial specialist), no offboarding capability
    # (supervisor), another workspace: the same 404 as a missing practice.
    for username in ("carla.compliance", "dan.denials", "sam.supervisor", "hank.harbor"):
        assert as_user(username).get(url).status_code == 404, username
    assert (
        as_user("olivia.owner")
        .get(reverse("offboarding:bundle", args=[summit()[2].public_id]))
        .status_code
        == 404
    )  # no offboarding there
    assert AuditEvent.objects.filter(action=AuditAction.OFFBOARDING_DOWNLOADED).count() == 1


def test_calling_off_deletes_the_bundle_and_its_download_is_404(
    as_user, django_capture_on_commit_callbacks
):
    practice = summit()[0]
    ob = exported(practice, waited=False)
    path = Path(ob.bundle_path)
    client = as_user("olivia.owner")
    assert client.get(reverse("offboarding:bundle", args=[practice.public_id])).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("offboarding:cancel", args=[practice.public_id]), {"reason": "client stays"}
        )
    assert response.status_code == 302
    assert not path.exists()
    ob.refresh_from_db()
    assert ob.status == OffboardingStatus.CANCELLED and ob.bundle_path == ""
    practice.refresh_from_db()
    assert practice.status == PracticeStatus.ACTIVE
    assert client.get(reverse("offboarding:bundle", args=[practice.public_id])).status_code == 404
    assert AuditEvent.objects.filter(
        action=AuditAction.OFFBOARDING_CANCELLED, practice=practice
    ).exists()
    # Called off, it may start again: a new offboarding, a new bundle.
    assert started(practice).pk != ob.pk


def test_a_failed_export_says_why_and_can_be_built_again(monkeypatch):
    practice = summit()[3]
    ob = started(practice)

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("bureau.offboarding.tasks.build_bundle", broken)
    assert offboarding_export_run.call(ob.pk) == "failed"
    ob.refresh_from_db()
    assert ob.status == OffboardingStatus.EXPORT_FAILED and "disk full" in ob.error
    monkeypatch.undo()
    services.offboarding_retry_export(actor=actor("olivia.owner"), offboarding=ob)
    assert offboarding_export_run.call(ob.pk) == "done"
    ob.refresh_from_db()
    assert ob.status == OffboardingStatus.EXPORTED
