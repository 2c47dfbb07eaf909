"""Polling and the inbound dispatcher: 999/277CA taken in once, archived after commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from bureau.claims.batches import batch_build
from bureau.claims.models import Acknowledgement, Batch, Claim, ClaimState
from bureau.claims.tests import factories
from bureau.clearinghouse.inbound import ingest_inbound, poll_and_ingest
from bureau.clearinghouse.models import InboundRecord
from bureau.clearinghouse.ports import InboundFile
from bureau.directory.models import Payer
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

from .conftest import SshServer
from .golden import ack277_text, ack999_text

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def folders(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"  # where quarantined files are kept
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "clearinghouse")
    settings.BUREAU_FOLDER_ROUTE_DIR = None
    root = tmp_path / "clearinghouse" / "folder"
    (root / "inbox").mkdir(parents=True)
    return root


def submitted(count: int = 2) -> tuple[Practice, Batch, list[Claim]]:
    practice = Practice.objects.filter(workspace__slug="summit").order_by("id")[1]
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id")[2]
    with rls.practice_scope([practice.pk]):
        made = [
            factories.claim(practice, factories.coverage(factories.patient(practice, i), payer))
            for i in range(count)
        ]
    batches = batch_build(actor=None, practice_ids=[practice.pk])
    made = [fresh(c) for c in made]
    [batch] = [b for b in batches if b.pk == made[0].batch_id]
    return practice, batch, made


def fresh(claim: Claim) -> Claim:
    with rls.practice_scope([claim.practice_id]):
        return Claim.objects.for_system([claim.practice_id], reason="test").get(pk=claim.pk)


def ack_count(practice: Practice) -> int:
    with rls.practice_scope([practice.pk]):
        return Acknowledgement.objects.for_system([practice.pk], reason="test").count()


def test_poll_takes_in_999_and_277ca_and_archives(
    folders: Path, django_capture_on_commit_callbacks
):
    practice, batch, (good, bad) = submitted()
    inbox = folders / "inbox"
    (inbox / "01.999").write_text(ack999_text(batch.interchange_control_number))
    (inbox / "02.277").write_text(
        ack277_text([(good.number, "A2:20", "PCN-9"), (bad.number, "A7:562:IL", "")])
    )
    (inbox / "03.txt").write_text("this is not X12 at all")
    before = ack_count(practice)
    with django_capture_on_commit_callbacks(execute=True):
        results = poll_and_ingest(actor=None, workspace=practice.workspace, route="folder")
    assert [(r.file_name, r.kind, r.duplicate, bool(r.error)) for r in results] == [
        ("01.999", "999", False, False),
        ("02.277", "277CA", False, False),
        ("03.txt", "", False, True),
    ]
    assert results[0].summary["accepted"] == 1
    assert results[1].summary["claims_accepted"] == 1 and results[1].summary["claims_rejected"] == 1
    assert ack_count(practice) == before + 3
    assert fresh(good).state == ClaimState.ACCEPTED and fresh(good).payer_claim_number == "PCN-9"
    assert fresh(bad).state == ClaimState.REJECTED
    assert sorted(p.name for p in inbox.iterdir()) == []
    assert sorted(p.name for p in (folders / "archive").iterdir()) == [
        "01.999",
        "02.277",
        "03.txt.error",
    ]
    records = InboundRecord.objects.filter(workspace=practice.workspace, route="folder")
    assert sorted(records.values_list("kind", flat=True)) == ["277CA", "999"]
    # The outcome is control data: counts, no claim numbers.
    assert good.number not in str(list(records.values_list("outcome", flat=True)))


def test_resent_content_is_a_duplicate(folders: Path, django_capture_on_commit_callbacks):
    practice, batch, _ = submitted(1)
    text = ack999_text(batch.interchange_control_number, "R")
    (folders / "inbox" / "a.999").write_text(text)
    with django_capture_on_commit_callbacks(execute=True):
        [first] = poll_and_ingest(actor=None, workspace=practice.workspace, route="folder")
    assert first.summary["claims_rejected"] == batch.claim_count
    count = ack_count(practice)
    (folders / "inbox" / "b.999").write_text(text)  # same bytes, another name
    with django_capture_on_commit_callbacks(execute=True):
        [again] = poll_and_ingest(actor=None, workspace=practice.workspace, route="folder")
    assert again.duplicate and again.record_id == first.record_id
    assert again.summary == first.summary and ack_count(practice) == count
    assert not list((folders / "inbox").iterdir())


def test_crash_before_commit_leaves_the_file_for_the_next_poll(
    folders: Path, django_capture_on_commit_callbacks
):
    practice, batch, _ = submitted(1)
    (folders / "inbox" / "a.999").write_text(ack999_text(batch.interchange_control_number))
    # The callbacks of an outer transaction that never commits do not run: the file stays.
    with django_capture_on_commit_callbacks(execute=False):
        [first] = poll_and_ingest(actor=None, workspace=practice.workspace, route="folder")
    assert (folders / "inbox" / "a.999").exists()
    count = ack_count(practice)
    with django_capture_on_commit_callbacks(execute=True):
        [again] = poll_and_ingest(actor=None, workspace=practice.workspace, route="folder")
    assert again.duplicate and ack_count(practice) == count
    assert (folders / "archive" / "a.999").exists()


def test_an_837_or_unreadable_file_posts_nothing():
    practice, batch, _ = submitted(1)
    result = ingest_inbound(
        actor=None, workspace=practice.workspace, file=InboundFile("ours.x12", batch.content)
    )
    assert result.error and not result.ok and result.record_id is None
    broken = ack999_text(batch.interchange_control_number).replace("AK9*A*1*1*1", "AK9*A*x")
    result = ingest_inbound(
        actor=None, workspace=practice.workspace, file=InboundFile("broken.999", broken)
    )
    assert result.error
    assert not InboundRecord.objects.filter(workspace=practice.workspace).exists()
    assert fresh(Claim(pk=batch_claim(batch).pk, practice_id=practice.pk)).state == (
        ClaimState.SUBMITTED
    )


def batch_claim(batch: Batch) -> Claim:
    with rls.practice_scope([batch.practice_id]):
        return (
            Claim.objects.for_system([batch.practice_id], reason="test").filter(batch=batch).first()
        )


def test_sftp_route_end_to_end(
    settings, ssh_server: SshServer, tmp_path: Path, django_capture_on_commit_callbacks
):
    remote = tmp_path / "remote"
    (remote / "inbox").mkdir(parents=True)
    settings.BUREAU_SFTP = {
        "default": {
            "host": "127.0.0.1",
            "port": ssh_server.port,
            "username": ssh_server.user,
            "private_key": str(ssh_server.client_key),
            "known_hosts": str(ssh_server.known_hosts),
            "remote_dir": str(remote),
        }
    }
    practice, batch, (claim,) = submitted(1)
    (remote / "inbox" / "x.277").write_text(ack277_text([(claim.number, "A1:20", "P1")]))
    with django_capture_on_commit_callbacks(execute=True):
        [result] = poll_and_ingest(actor=None, workspace=practice.workspace, route="sftp")
    assert result.kind == "277CA" and result.summary["claims_accepted"] == 1
    assert (remote / "archive" / "x.277").exists() and not (remote / "inbox" / "x.277").exists()


def test_simulator_cycle_submit_acknowledge_pay(
    settings, tmp_path, django_capture_on_commit_callbacks
):
    """The whole loop on the simulator route: transmit → 999 + 277CA → 835 posted."""
    from datetime import timedelta

    from django.utils import timezone

    from bureau.clearinghouse.transmission import transmit_batches

    settings.VAR_DIR = tmp_path / "var"
    practice = Practice.objects.filter(workspace__slug="summit").order_by("id")[2]
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id")[2]
    Payer.objects.filter(pk=payer.pk).update(route="simulator")
    with rls.practice_scope([practice.pk]):
        claim = factories.claim(practice, factories.coverage(factories.patient(practice), payer))
    batches = batch_build(actor=None, practice_ids=[practice.pk])
    batch = next(b for b in batches if b.pk == fresh(claim).batch_id)
    [sent] = transmit_batches(actor=None, workspace=practice.workspace, batches=[batch])
    assert sent.status == "sent", sent.error
    today = timezone.localdate()
    with django_capture_on_commit_callbacks(execute=True):
        acks = poll_and_ingest(
            actor=None,
            workspace=practice.workspace,
            route="simulator",
            as_of=today + timedelta(days=1),
        )
    assert [r.error for r in acks if r.error] == []
    assert {r.kind for r in acks} >= {"999", "277CA"}
    assert fresh(claim).state in {ClaimState.ACCEPTED, ClaimState.REJECTED}
    with django_capture_on_commit_callbacks(execute=True):
        later = poll_and_ingest(
            actor=None,
            workspace=practice.workspace,
            route="simulator",
            as_of=today + timedelta(days=60),
        )
    assert [r.error for r in later if r.error] == []
    if fresh(claim).state != ClaimState.REJECTED:
        assert "835" in {r.kind for r in later}
        assert fresh(claim).state in {
            ClaimState.PAID,
            ClaimState.PARTIALLY_PAID,
            ClaimState.DENIED,
            ClaimState.ACCEPTED,
        }
    # Polling again finds nothing new.
    with django_capture_on_commit_callbacks(execute=True):
        again = poll_and_ingest(
            actor=None,
            workspace=practice.workspace,
            route="simulator",
            as_of=today + timedelta(days=60),
        )
    assert again == []
