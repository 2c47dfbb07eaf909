"""`bureau clearinghouse send|poll|run`: the scheduled exchange, its lines and exit status."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bureau.clearinghouse.management.commands.clearinghouse import routes_in_use
from bureau.clearinghouse.models import InboundRecord, Transmission, TransmissionStatus
from bureau.directory.models import Payer
from bureau.tenancy.models import Workspace

from .golden import ack999_text
from .test_transmission import built

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.VAR_DIR = tmp_path / "var"  # where quarantined files are kept
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "clearinghouse")
    settings.BUREAU_FOLDER_ROUTE_DIR = None
    (tmp_path / "clearinghouse" / "folder" / "inbox").mkdir(parents=True)
    return tmp_path / "clearinghouse"


def run(*args: str) -> tuple[int, str, str]:
    out, err = StringIO(), StringIO()
    try:
        call_command("clearinghouse", *args, "--workspace", "summit", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def test_send_then_poll_takes_the_999_in(outbox: Path, django_capture_on_commit_callbacks):
    batch = built("folder")
    code, out, _ = run("send")
    assert code == 0
    assert f"send folder {batch.file_name}: sent" in out
    assert (outbox / "folder" / "outbox" / batch.file_name).read_text() == batch.content
    assert Transmission.objects.get(batch_public_id=batch.public_id).status == (
        TransmissionStatus.SENT
    )

    inbox = outbox / "folder" / "inbox"
    (inbox / "a.999").write_text(ack999_text(batch.interchange_control_number))
    with django_capture_on_commit_callbacks(execute=True):
        code, out, _ = run("poll", "--route", "folder")
    assert code == 0
    assert "poll folder a.999: 999" in out and "taken in 1, failed 0" in out
    assert InboundRecord.objects.filter(route="folder", kind="999").count() == 1
    assert not list(inbox.iterdir())

    # The same bytes again under another name: a duplicate, not a failure.
    (inbox / "b.999").write_text(ack999_text(batch.interchange_control_number))
    with django_capture_on_commit_callbacks(execute=True):
        code, out, _ = run("poll", "--route", "folder")
    assert code == 0 and "b.999: 999 duplicate" in out


def test_a_file_that_cannot_be_taken_in_fails_the_run(
    outbox: Path, django_capture_on_commit_callbacks
):
    (outbox / "folder" / "inbox" / "junk.txt").write_text("not X12")
    with django_capture_on_commit_callbacks(execute=True):
        code, out, _ = run("poll", "--route", "folder")
    assert code == 1
    assert "junk.txt: unknown not taken in" in out and "taken in 0, failed 1" in out
    assert (outbox / "folder" / "archive" / "junk.txt.error").exists()


def test_an_unreachable_route_fails_the_run_and_names_it(settings):
    settings.BUREAU_SFTP = {
        "default": {
            "host": "127.0.0.1",
            "port": 9,  # discard: nothing listens there
            "username": "nobody",
            "private_key": "/nonexistent/key",
            "known_hosts": "/nonexistent/known_hosts",
            "remote_dir": "/tmp",
            "timeout": 2,
        }
    }
    code, _, err = run("poll", "--route", "sftp")
    assert code == 1 and "poll sftp: unreachable" in err


def test_routes_in_use_follow_the_workspace_payers():
    workspace = Workspace.objects.get(slug="summit")
    payers = Payer.objects.filter(workspace=workspace)
    payers.update(route="simulator")
    assert routes_in_use(workspace) == ["simulator"]
    Payer.objects.filter(pk=payers.order_by("id")[0].pk).update(route="folder")
    assert routes_in_use(workspace) == ["folder", "simulator"]
    payers.filter(route="folder").update(is_active=False)
    assert routes_in_use(workspace) == ["simulator"]


def test_an_unknown_workspace_is_named():
    with pytest.raises(CommandError, match="no workspace 'nope'"):
        call_command("clearinghouse", "poll", "--workspace", "nope")
