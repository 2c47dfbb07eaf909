"""The folder route and the port factory."""

from __future__ import annotations

from pathlib import Path

import pytest

from bureau.clearinghouse.folder import FolderPort, folder_root
from bureau.clearinghouse.ports import (
    ClearinghouseError,
    ClearinghousePort,
    InboundFile,
    RejectingPort,
    port_for,
)
from bureau.clearinghouse.sftp import SftpPort


def test_folder_port_is_a_port(tmp_path: Path) -> None:
    port = FolderPort(tmp_path)
    assert isinstance(port, ClearinghousePort) and isinstance(port, RejectingPort)
    assert port.route == "folder"


def test_submit_is_atomic_and_idempotent(tmp_path: Path) -> None:
    port = FolderPort(tmp_path)
    port.submit("A-folder-000000001.x12", "ISA*00~")
    target = tmp_path / "outbox" / "A-folder-000000001.x12"
    assert target.read_text() == "ISA*00~"
    before = target.stat().st_mtime_ns
    port.submit("A-folder-000000001.x12", "ISA*00~")
    assert target.stat().st_mtime_ns == before
    assert [p.name for p in (tmp_path / "outbox").iterdir()] == ["A-folder-000000001.x12"]


@pytest.mark.parametrize("name", ["../escape.x12", "sub/a.x12", ".hidden", ""])
def test_names_that_leave_the_folder_are_refused(tmp_path: Path, name: str) -> None:
    with pytest.raises(ClearinghouseError, match="not a plain file name"):
        FolderPort(tmp_path).submit(name, "ISA~")


def test_poll_skips_hidden_and_partial_and_sorts(tmp_path: Path) -> None:
    port = FolderPort(tmp_path)
    assert port.poll() == []
    inbox = tmp_path / "inbox"
    (inbox / "b.999").write_text("B")
    (inbox / "a.835").write_text("A")
    (inbox / ".a.835.part").write_text("half")
    (inbox / "c.277.part").write_text("half")
    (inbox / "dir").mkdir()
    assert port.poll() == [InboundFile("a.835", "A"), InboundFile("b.999", "B")]


def test_acknowledge_and_reject_archive(tmp_path: Path) -> None:
    port = FolderPort(tmp_path)
    port.poll()
    inbox, archive = tmp_path / "inbox", tmp_path / "archive"
    (inbox / "a.835").write_text("A")
    (inbox / "b.999").write_text("B")
    port.acknowledge("a.835")
    port.acknowledge("a.835")  # twice: harmless
    port.reject("b.999")
    assert sorted(p.name for p in archive.iterdir()) == ["a.835", "b.999.error"]
    assert port.poll() == []
    (inbox / "a.835").write_text("again")
    port.acknowledge("a.835")
    assert (archive / "a.835.1").read_text() == "again"


def test_root_follows_settings(settings, tmp_path: Path) -> None:
    settings.BUREAU_FOLDER_ROUTE_DIR = None
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "ch")
    assert folder_root() == tmp_path / "ch" / "folder"
    settings.BUREAU_FOLDER_ROUTE_DIR = str(tmp_path / "drop")
    assert folder_root() == tmp_path / "drop"


@pytest.mark.django_db
def test_port_for_routes(settings, tmp_path: Path) -> None:
    from bureau.tenancy.models import Workspace

    workspace = Workspace.objects.get(slug="summit")
    settings.BUREAU_FOLDER_ROUTE_DIR = str(tmp_path)
    folder = port_for("folder", workspace)
    assert isinstance(folder, FolderPort) and folder.root == tmp_path
    sftp = port_for("sftp", workspace)
    assert isinstance(sftp, SftpPort) and sftp.route == "sftp"
    with pytest.raises(ClearinghouseError, match="unknown clearinghouse route"):
        port_for("fax", workspace)


def test_poll_drops_a_byte_order_mark_and_keeps_a_stray_byte_for_the_reader(
    tmp_path: Path,
) -> None:
    """Issue 10 item 3: one decoder for every entry point. A UTF-8 BOM is dropped (it read as
    "ï»¿" before, so the file failed at segment 1); a byte that is not UTF-8 does not stop
    the poll, it reaches the reader, which names the segment carrying it."""
    port = FolderPort(tmp_path)
    port.poll()
    inbox = tmp_path / "inbox"
    (inbox / "a.835").write_bytes(b"\xef\xbb\xbfISA*00~")
    (inbox / "b.835").write_bytes(b"ISA*\xe9~")
    assert port.poll() == [InboundFile("a.835", "ISA*00~"), InboundFile("b.835", "ISA*\xe9~")]
