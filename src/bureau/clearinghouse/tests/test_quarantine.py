"""One bad inbound file never stops a poll (issue 10, item 1): whatever reading or ingesting it
raises, the file is quarantined with its error (bytes kept, nothing of it in the database), the
poll takes in the files after it, and the next poll does not read it again. Folder and SFTP."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import OperationalError
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims import acknowledgements
from bureau.claims.models import ClaimState
from bureau.clearinghouse import quarantine
from bureau.clearinghouse.inbound import poll_and_ingest
from bureau.clearinghouse.models import InboundRecord, QuarantinedFile
from bureau.clearinghouse.ports import ClearinghouseError
from bureau.conftest import verified_client
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.roles import Capability
from bureau.x12 import reader999
from bureau.x12.errors import X12Error
from bureau.x12.reader277 import read_277ca

from .conftest import SshServer
from .golden import ack277_text, ack999_text
from .test_inbound import ack_count, fresh, submitted

pytestmark = pytest.mark.django_db

POISON = 555  # the 999 control number the patched reader or service chokes on


@pytest.fixture(autouse=True)
def folders(settings, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path / "var"
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "clearinghouse")
    settings.BUREAU_FOLDER_ROUTE_DIR = None
    root = tmp_path / "clearinghouse" / "folder"
    (root / "inbox").mkdir(parents=True)
    return root


@pytest.fixture
def choking_reader(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """read_999 raises ValueError (not an X12Error) on the poisoned file; returns the texts
    it was called with, so a test can tell a file was not read again."""
    real = reader999.read_999
    calls: list[str] = []

    def read(text: Any) -> Any:
        calls.append(text)
        if f"*{POISON}*" in text:
            raise ValueError("the reader tripped over\nsomething")
        return real(text)

    monkeypatch.setattr(reader999, "read_999", read)
    return calls


def poll(route: str, practice: Any, capture: Callable[..., Any]) -> list[Any]:
    with capture(execute=True):
        return poll_and_ingest(actor=None, workspace=practice.workspace, route=route)


def bad_277(claim_number: str) -> tuple[str, str]:
    """A 277CA whose SE01 is wrong, and the X12Error message the reader gives for it."""
    text = ack277_text([(claim_number, "A7:562:IL", "")], control=889).replace("\nSE*", "\nSE*9", 1)
    with pytest.raises(X12Error) as caught:
        read_277ca(text)
    return text, str(caught.value)


def test_bad_files_among_good_ones_are_quarantined_and_the_poll_goes_on(
    folders: Path, choking_reader: list[str], django_capture_on_commit_callbacks
):
    practice, batch, (one, two) = submitted()
    inbox, icn = folders / "inbox", batch.interchange_control_number
    poisoned = ack999_text(icn, "R", control=POISON)
    broken, x12_message = bad_277(one.number)
    (inbox / "01.999").write_text(poisoned)
    (inbox / "02.277").write_text(broken)
    (inbox / "03.999").write_text(ack999_text(icn))
    (inbox / "04.277").write_text(
        ack277_text([(one.number, "A2:20", "PCN-1"), (two.number, "A2:20", "PCN-2")])
    )
    before = ack_count(practice)

    results = poll("folder", practice, django_capture_on_commit_callbacks)

    by_name = {r.file_name: r for r in results}
    assert list(by_name) == ["01.999", "02.277", "03.999", "04.277"]
    assert by_name["01.999"].error == (
        "could not be read: ValueError: the reader tripped over\\nsomething"
    )
    assert by_name["02.277"].error == x12_message  # verbatim, naming the SE segment
    assert by_name["03.999"].ok and by_name["04.277"].ok
    assert by_name["04.277"].summary["claims_accepted"] == 2
    # Only the good files wrote anything.
    assert ack_count(practice) == before + 3
    assert {fresh(c).state for c in (one, two)} == {ClaimState.ACCEPTED}
    assert sorted(InboundRecord.objects.values_list("file_name", flat=True)) == [
        "03.999",
        "04.277",
    ]
    held = {q.file_name: q for q in QuarantinedFile.objects.filter(workspace=practice.workspace)}
    assert sorted(held) == ["01.999", "02.277"]
    for name, text in (("01.999", poisoned), ("02.277", broken)):
        q = held[name]
        assert q.route == "folder" and q.error == by_name[name].error and q.quarantined_at
        assert by_name[name].quarantine_id == q.pk
        assert Path(q.path).read_bytes() == text.encode()  # the bytes are kept
    assert not list(inbox.iterdir())
    assert sorted(p.name for p in (folders / "archive").iterdir()) == [
        "01.999.error",
        "02.277.error",
        "03.999",
        "04.277",
    ]
    audited = AuditEvent.objects.filter(action=AuditAction.INBOUND_QUARANTINED)
    assert sorted(e.detail["file_name"] for e in audited) == ["01.999", "02.277"]
    assert {e.record_ids[0] for e in audited} == {str(q.pk) for q in held.values()}

    # The poisoned delivery shows up again (its move out of the inbox failed, say): it is
    # recognised by name and content, not read again, and archived again.
    reads = len(choking_reader)
    (inbox / "01.999").write_text(poisoned)
    [again] = poll("folder", practice, django_capture_on_commit_callbacks)
    assert len(choking_reader) == reads
    assert again.duplicate and again.quarantine_id == held["01.999"].pk
    assert again.error == held["01.999"].error
    assert QuarantinedFile.objects.count() == 2 and AuditEvent.objects.filter(
        action=AuditAction.INBOUND_QUARANTINED
    ).count() == len(audited)
    assert not list(inbox.iterdir())
    assert (folders / "archive" / "01.999.error.1").exists()


def test_a_service_that_fails_after_writing_leaves_nothing_behind(
    folders: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
):
    """The failure comes after the 999's rows and claim moves were written: the file's own
    transaction (a savepoint inside a caller's) takes them all back."""
    real = acknowledgements.ingest_999

    def ingest_then_fail(**kwargs: Any) -> Any:
        result = real(**kwargs)
        if kwargs["file_name"] == "01.999":
            raise KeyError("after the writes")
        return result

    monkeypatch.setattr(acknowledgements, "ingest_999", ingest_then_fail)
    practice, batch, claims = submitted(1)
    (folders / "inbox" / "01.999").write_text(
        ack999_text(batch.interchange_control_number, "R", control=POISON)
    )
    (folders / "inbox" / "02.999").write_text(ack999_text(batch.interchange_control_number))
    before = ack_count(practice)

    first, second = poll("folder", practice, django_capture_on_commit_callbacks)

    assert first.error == "could not be read: KeyError: 'after the writes'"
    assert second.ok
    assert ack_count(practice) == before + 1  # the accepted 999's only
    assert fresh(claims[0]).state == ClaimState.SUBMITTED  # the rejection was rolled back
    assert QuarantinedFile.objects.get().file_name == "01.999"


def test_a_file_that_cannot_be_kept_stays_in_the_inbox(
    folders: Path,
    choking_reader: list[str],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
):
    def refuse(*args: Any, **kwargs: Any) -> None:
        raise ClearinghouseError("disk full")

    monkeypatch.setattr(quarantine, "write_atomic", refuse)
    practice, batch, _ = submitted(1)
    (folders / "inbox" / "01.999").write_text(
        ack999_text(batch.interchange_control_number, control=POISON)
    )
    (folders / "inbox" / "02.999").write_text(ack999_text(batch.interchange_control_number))

    first, second = poll("folder", practice, django_capture_on_commit_callbacks)

    assert first.left_in_inbox and "left in the inbox" in first.error and second.ok
    assert not QuarantinedFile.objects.exists()
    assert [p.name for p in (folders / "inbox").iterdir()] == ["01.999"]  # tried next time


def test_a_failed_move_out_of_the_inbox_does_not_stop_the_poll(
    folders: Path,
    choking_reader: list[str],
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks,
):
    from bureau.clearinghouse.folder import FolderPort

    real_reject = FolderPort.reject

    def drop_connection(self: FolderPort, name: str) -> None:
        raise EOFError("connection dropped")

    monkeypatch.setattr(FolderPort, "reject", drop_connection)
    practice, batch, _ = submitted(1)
    inbox = folders / "inbox"
    (inbox / "01.999").write_text(ack999_text(batch.interchange_control_number, control=POISON))
    (inbox / "02.999").write_text(ack999_text(batch.interchange_control_number))

    first, second = poll("folder", practice, django_capture_on_commit_callbacks)
    assert first.quarantine_id and second.ok
    assert [p.name for p in inbox.iterdir()] == ["01.999"]

    monkeypatch.setattr(FolderPort, "reject", real_reject)
    reads = len(choking_reader)
    [again] = poll("folder", practice, django_capture_on_commit_callbacks)
    assert again.duplicate and again.quarantine_id == first.quarantine_id
    assert len(choking_reader) == reads and not list(inbox.iterdir())


def test_a_database_outage_leaves_the_file_for_the_next_poll(
    folders: Path, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks
):
    def outage(text: Any) -> Any:
        raise OperationalError("database is locked")

    monkeypatch.setattr(reader999, "read_999", outage)
    practice, batch, _ = submitted(1)
    (folders / "inbox" / "01.999").write_text(ack999_text(batch.interchange_control_number))

    [result] = poll("folder", practice, django_capture_on_commit_callbacks)

    assert result.left_in_inbox and "OperationalError" in result.error
    assert not QuarantinedFile.objects.exists()
    assert (folders / "inbox" / "01.999").exists()


def test_sftp_route_quarantines_and_goes_on(
    settings,
    ssh_server: SshServer,
    tmp_path: Path,
    choking_reader: list[str],
    django_capture_on_commit_callbacks,
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
    poisoned = ack999_text(batch.interchange_control_number, control=POISON)
    broken, x12_message = bad_277(claim.number)
    (remote / "inbox" / "a.999").write_text(poisoned)
    (remote / "inbox" / "b.277").write_text(broken)
    (remote / "inbox" / "c.277").write_text(ack277_text([(claim.number, "A1:20", "P1")]))

    results = poll("sftp", practice, django_capture_on_commit_callbacks)

    assert [(r.file_name, r.ok) for r in results] == [
        ("a.999", False),
        ("b.277", False),
        ("c.277", True),
    ]
    assert results[0].error.startswith("could not be read: ValueError: ")
    assert results[1].error == x12_message
    held = QuarantinedFile.objects.filter(route="sftp").order_by("file_name")
    assert [q.file_name for q in held] == ["a.999", "b.277"]
    assert Path(held[0].path).read_text() == poisoned
    assert sorted(p.name for p in (remote / "archive").iterdir()) == [
        "a.999.error",
        "b.277.error",
        "c.277",
    ]
    assert not list((remote / "inbox").iterdir())

    reads = len(choking_reader)
    (remote / "inbox" / "a.999").write_text(poisoned)  # delivered again
    [again] = poll("sftp", practice, django_capture_on_commit_callbacks)
    assert again.duplicate and again.quarantine_id == held[0].pk
    assert len(choking_reader) == reads and QuarantinedFile.objects.count() == 2
    assert not list((remote / "inbox").iterdir())


def test_staff_who_take_in_every_practice_see_the_quarantine_on_the_era_page(
    folders: Path, choking_reader: list[str], django_capture_on_commit_callbacks
):
    practice, batch, _ = submitted(1)
    (folders / "inbox" / "01.999").write_text(
        ack999_text(batch.interchange_control_number, control=POISON)
    )
    poll("folder", practice, django_capture_on_commit_callbacks)

    owner = resolve_actor(_user("olivia.owner"))
    assert owner is not None and owner.can_workspace(Capability.PAYMENTS_POST)
    body = verified_client("olivia.owner").get(reverse("eras:list")).content.decode()
    assert "Quarantined inbound files" in body and "01.999" in body
    assert "could not be read: ValueError: the reader tripped over" in body
    # The names and errors shown may quote a patient: the showing is a read, audited.
    from bureau.audit.models import AuditAction, AuditEvent
    from bureau.clearinghouse.models import QuarantinedFile

    shown = AuditEvent.objects.filter(action=AuditAction.QUARANTINE_LISTED).latest("id")
    [row] = QuarantinedFile.objects.filter(file_name="01.999")
    assert shown.record_ids == [str(row.pk)] and shown.user.username == "olivia.owner"

    # A poster of some practices only: a route's file may be any practice's.
    poster = resolve_actor(_user("priya.poster"))
    assert poster is not None and not poster.can_workspace(Capability.PAYMENTS_POST)
    body = verified_client("priya.poster").get(reverse("eras:list")).content.decode()
    assert "Quarantined inbound files" not in body and "01.999" not in body
    assert AuditEvent.objects.filter(action=AuditAction.QUARANTINE_LISTED).count() == 1


def _user(username: str) -> Any:
    from bureau.accounts.models import User

    return User.objects.get(username=username)


def test_failure_messages_are_one_line_and_bounded() -> None:
    assert quarantine.failure_message(X12Error(4, "SE01 '9' is not a count", segment_id="SE")) == (
        "segment 4 (SE): SE01 '9' is not a count"
    )
    assert quarantine.failure_message(RuntimeError()) == "could not be read: RuntimeError"
    long = quarantine.failure_message(ValueError("x" * 5000 + "\r\n"))
    assert len(long) == quarantine.ERROR_LENGTH and long.isprintable()


def test_a_file_name_that_is_not_utf8_does_not_stop_the_poll(
    folders: Path, django_capture_on_commit_callbacks
):
    # A drop agent (or a payer) leaves a file whose name has bytes that are not UTF-8: Python
    # names it with surrogates, which no database text column takes. The poll aborted with a
    # UnicodeEncodeError on that name before anything was tried (and again at every poll, so
    # the files after it were never taken in).
    import os

    practice, batch, _ = submitted(1)
    inbox = folders / "inbox"
    odd = os.fsdecode(b"01-\xff\xfe.999")
    (inbox / odd).write_text("not X12 at all")
    (inbox / "02.999").write_text(ack999_text(batch.interchange_control_number))

    first, second = poll("folder", practice, django_capture_on_commit_callbacks)

    assert first.quarantine_id and second.ok
    held = QuarantinedFile.objects.get()
    assert held.file_name == "01-\\xff\\xfe.999" and held.file_name.isprintable()
    assert not list(inbox.iterdir())
    assert sorted(os.fsencode(p.name) for p in (folders / "archive").iterdir()) == [
        b"01-\xff\xfe.999.error",
        b"02.999",
    ]


def test_a_file_name_too_long_for_its_error_suffix_is_still_moved_out(
    folders: Path, django_capture_on_commit_callbacks
):
    # 252 bytes is a legal name, but "<name>.error" is not (255 at most): the move out of the
    # inbox failed at every poll and the file stayed there for good.
    practice, _, _ = submitted(1)
    inbox = folders / "inbox"
    long_name = "A" * 248 + ".835"
    (inbox / long_name).write_text("not X12 at all")
    (inbox / ("B" * 251)).write_text("not X12 either")
    (folders / "archive").mkdir()
    (folders / "archive" / ("B" * 251)).write_text("an earlier delivery of that name")

    first, second = poll("folder", practice, django_capture_on_commit_callbacks)

    assert first.quarantine_id and second.quarantine_id
    assert not list(inbox.iterdir())
    archived = sorted(p.name for p in (folders / "archive").iterdir())
    assert len(archived) == 3 and all(len(n.encode()) <= 255 for n in archived)
    assert sum(n.endswith(".error") for n in archived) == 2
