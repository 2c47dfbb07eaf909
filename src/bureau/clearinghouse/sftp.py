"""The SFTP route: the clearinghouse's SFTP account, reached with a key and a pinned host key.

Security stance: the server's host key must already be in our known_hosts file (RejectPolicy);
an unknown or changed key is refused, never added — a spoofed server would otherwise receive
every claim we send. We log in with a private key only (no passwords, no agent, no key search).

Remote layout under `remote_dir`: `outbox/` (we upload 837P files there, via a temporary dot
name renamed into place so the clearinghouse never picks up half a file), `inbox/` (835, 999,
277CA for us) and `archive/` (where we move inbound files once ingested).
Each call opens one connection and closes it before returning.
"""

from __future__ import annotations

import posixpath
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import paramiko
from django.conf import settings

from bureau.clearinghouse.folder import is_waiting, safe_name
from bureau.clearinghouse.ports import ClearinghouseError, InboundFile
from bureau.x12.tokens import decode_x12

ROUTE = "sftp"


@dataclass(frozen=True, slots=True)
class SftpConfig:
    host: str
    port: int
    username: str
    private_key: Path
    known_hosts: Path
    remote_dir: str = "clearinghouse"
    timeout: float = 20.0

    @property
    def outbox(self) -> str:
        return posixpath.join(self.remote_dir, "outbox")

    @property
    def inbox(self) -> str:
        return posixpath.join(self.remote_dir, "inbox")

    @property
    def archive(self) -> str:
        return posixpath.join(self.remote_dir, "archive")


def sftp_config(workspace_slug: str) -> SftpConfig:
    """settings.BUREAU_SFTP["default"] overlaid with the workspace's own entry, if any."""
    table: dict[str, dict[str, Any]] = getattr(settings, "BUREAU_SFTP", {}) or {}
    merged: dict[str, Any] = {**table.get("default", {}), **table.get(workspace_slug, {})}
    missing = [k for k in ("host", "username", "private_key", "known_hosts") if not merged.get(k)]
    if missing:
        raise ClearinghouseError(
            f"SFTP route for {workspace_slug}: settings.BUREAU_SFTP lacks {', '.join(missing)}"
        )
    return SftpConfig(
        host=str(merged["host"]),
        port=int(merged.get("port", 22)),
        username=str(merged["username"]),
        private_key=Path(str(merged["private_key"])),
        known_hosts=Path(str(merged["known_hosts"])),
        remote_dir=str(merged.get("remote_dir") or "clearinghouse"),
        timeout=float(merged.get("timeout", 20.0)),
    )


def _load_key(path: Path) -> paramiko.PKey:
    try:
        return paramiko.PKey.from_path(path)
    except (OSError, paramiko.SSHException, ValueError) as exc:
        raise ClearinghouseError(f"SFTP: cannot load private key {path}: {exc}") from exc


class SftpPort:
    route = ROUTE

    def __init__(self, config: SftpConfig) -> None:
        self.config = config

    def _where(self) -> str:
        return f"SFTP {self.config.username}@{self.config.host}:{self.config.port}"

    @contextmanager
    def _session(self, doing: str) -> Iterator[paramiko.SFTPClient]:
        cfg = self.config
        if not cfg.known_hosts.is_file():
            raise ClearinghouseError(
                f"{self._where()}: known_hosts file {cfg.known_hosts} is missing; "
                "add the server's host key before connecting"
            )
        key = _load_key(cfg.private_key)
        client = paramiko.SSHClient()
        try:
            client.load_host_keys(str(cfg.known_hosts))
        except (OSError, paramiko.SSHException) as exc:
            raise ClearinghouseError(
                f"{self._where()}: cannot read {cfg.known_hosts}: {exc}"
            ) from exc
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        try:
            try:
                client.connect(
                    cfg.host,
                    port=cfg.port,
                    username=cfg.username,
                    pkey=key,
                    timeout=cfg.timeout,
                    banner_timeout=cfg.timeout,
                    auth_timeout=cfg.timeout,
                    channel_timeout=cfg.timeout,
                    allow_agent=False,
                    look_for_keys=False,
                )
            except paramiko.BadHostKeyException as exc:
                raise ClearinghouseError(
                    f"{self._where()}: host key does not match known_hosts "
                    f"(possible impersonation); refused: {exc}"
                ) from exc
            except paramiko.AuthenticationException as exc:
                raise ClearinghouseError(
                    f"{self._where()}: login refused for key {cfg.private_key}: {exc}"
                ) from exc
            except paramiko.SSHException as exc:
                # RejectPolicy raises a plain SSHException for a host not in known_hosts.
                raise ClearinghouseError(f"{self._where()}: connection refused: {exc}") from exc
            except (TimeoutError, OSError) as exc:
                raise ClearinghouseError(f"{self._where()}: cannot connect: {exc}") from exc
            try:
                sftp = client.open_sftp()
            except (OSError, paramiko.SSHException) as exc:
                raise ClearinghouseError(f"{self._where()}: cannot open SFTP: {exc}") from exc
            channel = sftp.get_channel()
            if channel is not None:
                channel.settimeout(cfg.timeout)
            try:
                yield sftp
            except (OSError, paramiko.SSHException) as exc:
                raise ClearinghouseError(f"{self._where()}: {doing} failed: {exc}") from exc
            finally:
                sftp.close()
        finally:
            client.close()

    def submit(self, name: str, content: str) -> None:
        name = safe_name(name)
        data = content.encode("ascii")
        with self._session(f"upload of {name}") as sftp:
            _makedirs(sftp, self.config.outbox)
            target = posixpath.join(self.config.outbox, name)
            if _read_if_exists(sftp, target) == data:
                return  # already there: a retried transmission sends nothing new
            partial = posixpath.join(self.config.outbox, f".{name}.part")
            with sftp.open(partial, "wb") as fh:
                fh.write(data)
            # posix_rename (OpenSSH extension) replaces an existing target atomically; plain
            # SFTP rename refuses to overwrite.
            sftp.posix_rename(partial, target)

    def poll(self, *, as_of: date | None = None) -> list[InboundFile]:
        files: list[InboundFile] = []
        with self._session("inbox listing") as sftp:
            _makedirs(sftp, self.config.inbox)
            entries = sorted(sftp.listdir_attr(self.config.inbox), key=lambda a: a.filename)
            for entry in entries:
                if entry.st_mode is None or not stat.S_ISREG(entry.st_mode):
                    continue
                if not is_waiting(entry.filename):
                    continue
                with sftp.open(posixpath.join(self.config.inbox, entry.filename), "rb") as fh:
                    fh.prefetch(entry.st_size)  # pipelined reads: large 835s come in fast
                    content = decode_x12(fh.read(), strict=False)
                files.append(InboundFile(name=entry.filename, content=content))
        return files

    def acknowledge(self, name: str) -> None:
        self._archive(safe_name(name), safe_name(name))

    def reject(self, name: str) -> None:
        """Archive a file that could not be read, under an `.error` name."""
        self._archive(safe_name(name), f"{safe_name(name)}.error")

    def _archive(self, name: str, archived_as: str) -> None:
        with self._session(f"archiving of {name}") as sftp:
            _makedirs(sftp, self.config.archive)
            source = posixpath.join(self.config.inbox, name)
            if not _exists(sftp, source):
                return  # archived by an earlier run
            target = posixpath.join(self.config.archive, archived_as)
            suffix = 0
            while _exists(sftp, target):
                suffix += 1
                target = posixpath.join(self.config.archive, f"{archived_as}.{suffix}")
            sftp.rename(source, target)


def _exists(sftp: paramiko.SFTPClient, path: str) -> bool:
    try:
        sftp.stat(path)
    except FileNotFoundError:
        return False
    return True


def _read_if_exists(sftp: paramiko.SFTPClient, path: str) -> bytes | None:
    try:
        with sftp.open(path, "rb") as fh:
            data: bytes = fh.read()
            return data
    except FileNotFoundError:
        return None


def _makedirs(sftp: paramiko.SFTPClient, path: str) -> None:
    """mkdir -p on the server (the account may start empty)."""
    parts = [p for p in path.split("/") if p]
    current = "/" if path.startswith("/") else ""
    for part in parts:
        current = posixpath.join(current, part) if current else part
        if not _exists(sftp, current):
            try:
                sftp.mkdir(current)
            except OSError:
                if not _exists(sftp, current):  # another client made it meanwhile: fine
                    raise
