"""Transmission of built batches through the folder and SFTP routes: once each, audited."""

from __future__ import annotations

from pathlib import Path

import pytest

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.batches import batch_build
from bureau.claims.models import Batch, Claim
from bureau.claims.tests import factories
from bureau.clearinghouse.models import Transmission, TransmissionStatus
from bureau.clearinghouse.transmission import transmit_batches
from bureau.directory.models import Payer
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice

from .conftest import SshServer

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "clearinghouse")
    settings.BUREAU_FOLDER_ROUTE_DIR = None
    return tmp_path / "clearinghouse"


def built(route: str, practice: Practice | None = None) -> Batch:
    """One batch of a fresh claim to a payer on `route`."""
    practice = practice or Practice.objects.filter(workspace__slug="summit").order_by("id")[0]
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id")[2]
    Payer.objects.filter(pk=payer.pk).update(route=route)
    payer.refresh_from_db()
    with rls.practice_scope([practice.pk]):
        claim = factories.claim(practice, factories.coverage(factories.patient(practice), payer))
    batches = batch_build(actor=None, practice_ids=[practice.pk])
    with rls.practice_scope([practice.pk]):
        batch_id = Claim.objects.for_system([practice.pk], reason="t").get(pk=claim.pk).batch_id
    [batch] = [b for b in batches if b.pk == batch_id]
    assert batch.route == route
    return batch


def test_folder_transmission_once_and_audited(outbox: Path):
    batch = built("folder")
    workspace = batch.practice.workspace
    [sent] = transmit_batches(actor=None, workspace=workspace, batches=[batch])
    assert sent.status == TransmissionStatus.SENT and sent.sent_at is not None
    assert (sent.file_name, sent.route, sent.attempts) == (batch.file_name, "folder", 1)
    assert str(sent.batch_public_id) == str(batch.public_id)
    assert (outbox / "folder" / "outbox" / batch.file_name).read_text() == batch.content
    event = AuditEvent.objects.filter(action=AuditAction.BATCH_TRANSMITTED).latest("id")
    assert event.practice_id == batch.practice_id and event.record_ids == [str(batch.public_id)]
    assert event.detail["icn"] == batch.interchange_control_number
    # Again: nothing to send.
    assert transmit_batches(actor=None, workspace=workspace, batches=[batch]) == []
    assert Transmission.objects.filter(batch_public_id=batch.public_id).count() == 1
    assert Transmission.objects.filter(workspace=workspace)[0].pk == sent.pk


def test_sftp_failure_is_recorded_then_retried(settings, ssh_server: SshServer, tmp_path: Path):
    remote = tmp_path / "remote"
    remote.mkdir()
    good = {
        "host": "127.0.0.1",
        "port": ssh_server.port,
        "username": ssh_server.user,
        "private_key": str(ssh_server.client_key),
        "known_hosts": str(tmp_path / "missing_known_hosts"),
        "remote_dir": str(remote),
        "timeout": 10,
    }
    settings.BUREAU_SFTP = {"default": good}
    batch = built("sftp")
    workspace = batch.practice.workspace
    [failed] = transmit_batches(actor=None, workspace=workspace, batches=[batch])
    assert failed.status == TransmissionStatus.FAILED and "known_hosts" in failed.error
    assert not AuditEvent.objects.filter(
        action=AuditAction.BATCH_TRANSMITTED, record_ids=[str(batch.public_id)]
    ).exists()
    settings.BUREAU_SFTP = {
        "default": {**good, "known_hosts": str(ssh_server.known_hosts)},
    }
    [sent] = transmit_batches(actor=None, workspace=workspace, batches=[batch])
    assert sent.pk == failed.pk and sent.status == TransmissionStatus.SENT
    assert (sent.attempts, sent.error) == (2, "")
    assert (remote / "outbox" / batch.file_name).read_text() == batch.content


def test_person_transmits_only_practices_with_submit():
    bella = resolve_actor(User.objects.get(username="bella.biller"))
    practices = list(Practice.objects.filter(workspace__slug="summit").order_by("id"))
    others = [p for p in practices if p.pk not in bella.practice_ids()]
    mine = [p for p in practices if p.pk in bella.practice_ids()]
    theirs = built("folder", others[0]) if others else None
    own = built("folder", mine[0])
    batches = [own] + ([theirs] if theirs else [])
    sent = transmit_batches(actor=bella, workspace=own.practice.workspace, batches=batches)
    assert [str(t.batch_public_id) for t in sent] == [str(own.public_id)]
    event = AuditEvent.objects.filter(action=AuditAction.BATCH_TRANSMITTED).latest("id")
    assert event.user_id == bella.user.pk
