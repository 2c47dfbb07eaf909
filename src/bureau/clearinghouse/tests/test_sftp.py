"""The SFTP adapter against a real OpenSSH server (started by the `ssh_server` fixture)."""

from __future__ import annotations

import subprocess

import pytest

from bureau.clearinghouse.ports import ClearinghouseError, ClearinghousePort, InboundFile
from bureau.clearinghouse.sftp import SftpPort, sftp_config

from .conftest import SshServer


@pytest.fixture
def remote(ssh_server: SshServer, tmp_path_factory: pytest.TempPathFactory) -> SshServer:
    """A fresh remote directory per test on the shared server."""
    home = tmp_path_factory.mktemp("remote")
    return SshServer(**{**ssh_server.__dict__, "home": home})


def test_sftp_port_is_a_clearinghouse_port(remote: SshServer) -> None:
    assert isinstance(SftpPort(remote.config()), ClearinghousePort)


def test_submit_lands_in_remote_outbox_once(remote: SshServer) -> None:
    port = SftpPort(remote.config())
    port.submit("B-sftp-000000001.x12", "ISA*00~")
    target = remote.home / "outbox" / "B-sftp-000000001.x12"
    assert target.read_text() == "ISA*00~"
    first = target.stat().st_mtime_ns
    port.submit("B-sftp-000000001.x12", "ISA*00~")  # a retry: nothing new
    assert target.stat().st_mtime_ns == first
    assert sorted(p.name for p in (remote.home / "outbox").iterdir()) == ["B-sftp-000000001.x12"]


def test_poll_then_acknowledge_moves_to_archive(remote: SshServer) -> None:
    port = SftpPort(remote.config())
    assert port.poll() == []  # creates the inbox on first use
    inbox = remote.home / "inbox"
    (inbox / "b.999").write_text("ISA*999~")
    (inbox / "a.835").write_text("ISA*835~")
    (inbox / ".hidden").write_text("no")
    (inbox / "c.277.part").write_text("half")
    (inbox / "sub").mkdir()
    files = port.poll()
    assert files == [InboundFile("a.835", "ISA*835~"), InboundFile("b.999", "ISA*999~")]
    port.acknowledge("a.835")
    assert not (inbox / "a.835").exists()
    assert (remote.home / "archive" / "a.835").read_text() == "ISA*835~"
    assert [f.name for f in port.poll()] == ["b.999"]
    port.acknowledge("a.835")  # already archived: harmless
    port.reject("b.999")
    assert (remote.home / "archive" / "b.999.error").read_text() == "ISA*999~"
    assert port.poll() == []


def test_same_name_archived_twice_keeps_both(remote: SshServer) -> None:
    port = SftpPort(remote.config())
    port.poll()
    for body in ("first", "second"):
        (remote.home / "inbox" / "x.999").write_text(body)
        port.acknowledge("x.999")
    archive = remote.home / "archive"
    assert (archive / "x.999").read_text() == "first"
    assert (archive / "x.999.1").read_text() == "second"


def test_unknown_host_key_is_refused(remote: SshServer) -> None:
    empty = remote.tmp / "empty_known_hosts"
    empty.write_text("")
    with pytest.raises(ClearinghouseError, match=r"127\.0\.0\.1.*connection refused"):
        SftpPort(remote.config(known_hosts=empty)).poll()


def test_changed_host_key_is_refused(remote: SshServer, tmp_path) -> None:
    other = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    pub = " ".join(other.with_suffix(".pub").read_text().split()[:2])
    wrong = tmp_path / "known_hosts"
    wrong.write_text(f"[127.0.0.1]:{remote.port} {pub}\n")
    with pytest.raises(ClearinghouseError, match="host key does not match"):
        SftpPort(remote.config(known_hosts=wrong)).submit("a.x12", "ISA~")
    assert not (remote.home / "outbox").exists()


def test_wrong_client_key_is_refused(remote: SshServer, tmp_path) -> None:
    stranger = tmp_path / "stranger"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(stranger)], check=True)
    with pytest.raises(ClearinghouseError, match="login refused"):
        SftpPort(remote.config(private_key=stranger)).poll()


def test_missing_known_hosts_and_unreachable_host(remote: SshServer, tmp_path) -> None:
    with pytest.raises(ClearinghouseError, match="known_hosts file .* is missing"):
        SftpPort(remote.config(known_hosts=tmp_path / "nope")).poll()
    with pytest.raises(ClearinghouseError, match="cannot load private key"):
        SftpPort(remote.config(private_key=tmp_path / "nokey")).poll()
    closed = remote.config(port=1, timeout=2.0)
    with pytest.raises(ClearinghouseError, match=r"127\.0\.0\.1:1: cannot connect"):
        SftpPort(closed).poll()


def test_config_from_settings_per_workspace(settings, tmp_path) -> None:
    settings.BUREAU_SFTP = {
        "default": {
            "host": "sftp.example.test",
            "port": 22,
            "username": "bureau",
            "private_key": str(tmp_path / "k"),
            "known_hosts": str(tmp_path / "kh"),
        },
        "summit": {"username": "summit", "remote_dir": "/upload"},
    }
    assert sftp_config("other").username == "bureau"
    assert sftp_config("other").outbox == "clearinghouse/outbox"
    cfg = sftp_config("summit")
    assert (cfg.host, cfg.username, cfg.inbox, cfg.archive) == (
        "sftp.example.test",
        "summit",
        "/upload/inbox",
        "/upload/archive",
    )
    settings.BUREAU_SFTP = {"default": {"host": "h"}}
    with pytest.raises(ClearinghouseError, match="lacks username, private_key, known_hosts"):
        sftp_config("summit")
