"""A real OpenSSH server for the SFTP adapter's tests, with throwaway keys in a temp dir."""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from bureau.clearinghouse.sftp import SftpConfig

SSHD = "/usr/sbin/sshd"


@dataclass(frozen=True)
class SshServer:
    port: int
    user: str
    host_key_pub: str  # "ssh-ed25519 AAAA..."
    client_key: Path
    known_hosts: Path
    home: Path  # where the remote dirs live (absolute paths on the server)
    tmp: Path

    def config(self, **overrides: object) -> SftpConfig:
        values: dict[str, object] = {
            "host": "127.0.0.1",
            "port": self.port,
            "username": self.user,
            "private_key": self.client_key,
            "known_hosts": self.known_hosts,
            "remote_dir": str(self.home),
            "timeout": 10.0,
        }
        values.update(overrides)
        return SftpConfig(**values)  # type: ignore[arg-type]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bureau-test", "-f", str(path)],
        check=True,
    )


def _wait_for_banner(port: int, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited {proc.returncode}: {log.read_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                if s.recv(4).startswith(b"SSH-"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"sshd did not answer on port {port}: {log.read_text()}")


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    if not os.path.exists(SSHD):
        pytest.fail(f"{SSHD} is missing: run scripts/system-deps.sh (installs openssh-server)")
    tmp = tmp_path_factory.mktemp("sshd")
    # sshd refuses keys and configs in group/world-writable places (StrictModes is off, but
    # the host key must still be private).
    os.chmod(tmp, 0o700)
    host_key, client_key = tmp / "host_ed25519", tmp / "client_ed25519"
    _keygen(host_key)
    _keygen(client_key)
    authorized = tmp / "authorized_keys"
    shutil.copy(client_key.with_suffix(".pub"), authorized)
    os.chmod(authorized, 0o600)
    port = _free_port()
    host_pub = " ".join(host_key.with_suffix(".pub").read_text().split()[:2])
    known_hosts = tmp / "known_hosts"
    known_hosts.write_text(f"[127.0.0.1]:{port} {host_pub}\n")
    home = tmp / "remote"
    home.mkdir()
    config = tmp / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"AuthorizedKeysFile {authorized}",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "UsePAM no",
                "StrictModes no",
                "PermitRootLogin prohibit-password",
                f"PidFile {tmp / 'sshd.pid'}",
                "Subsystem sftp internal-sftp",
                "LogLevel VERBOSE",
                "",
            ]
        )
    )
    Path("/run/sshd").mkdir(parents=True, exist_ok=True)  # privilege separation directory
    log = tmp / "sshd.log"
    with open(log, "wb") as log_fh:
        proc = subprocess.Popen(
            [SSHD, "-D", "-e", "-f", str(config)], stdout=log_fh, stderr=subprocess.STDOUT
        )
    try:
        _wait_for_banner(port, proc, log)
        yield SshServer(
            port=port,
            user=getpass.getuser(),
            host_key_pub=host_pub,
            client_key=client_key,
            known_hosts=known_hosts,
            home=home,
            tmp=tmp,
        )
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
