"""The clearinghouse port: how Bureau hands 837P files to a route and picks up what comes back.

Every route — a folder drop, an SFTP account, the payer simulator — implements
`ClearinghousePort`. The contract that callers rely on:

- `submit(name, content)` puts one file in the route's outbox. Submitting the same name again is
  harmless (the file is simply there once), so a retried transmission never sends two files.
- `poll(as_of=...)` lists the files waiting for us (835, 999, 277CA), sorted by name. Real
  adapters ignore `as_of`; the simulator delivers only the responses due by that simulated day.
- `acknowledge(name)` moves a polled file out of the inbox into the archive so it is not polled
  again. Callers call it only after the file was ingested and committed: a crash in between
  leaves the file in the inbox and the next poll reprocesses it (ingest is idempotent).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from bureau.tenancy.models import Workspace


class ClearinghouseError(RuntimeError):
    """A route could not do what was asked (unreachable host, refused key, missing folder...)."""


@dataclass(frozen=True, slots=True)
class InboundFile:
    """One file the clearinghouse left for us: its name in the inbox and its text."""

    name: str
    content: str


@runtime_checkable
class ClearinghousePort(Protocol):
    route: str

    def submit(self, name: str, content: str) -> None: ...

    def poll(self, *, as_of: date | None = None) -> list[InboundFile]: ...

    def acknowledge(self, name: str) -> None: ...


@runtime_checkable
class RejectingPort(Protocol):
    """Optional: a port that can archive an unreadable inbound file under an `.error` name.

    `poll_and_ingest` calls `reject(name)` when the port has it, else `acknowledge(name)`."""

    def reject(self, name: str) -> None: ...


def port_for(route: str, workspace: Workspace) -> ClearinghousePort:
    """The adapter for a payer's route (`directory.ClearinghouseRoute`) in this workspace."""
    if route == "folder":
        from bureau.clearinghouse.folder import FolderPort, folder_root

        return FolderPort(folder_root())
    if route == "sftp":
        from bureau.clearinghouse.sftp import SftpPort, sftp_config

        return SftpPort(sftp_config(workspace.slug))
    if route == "simulator":
        from bureau.clearinghouse.simulator.port import SimulatorPort

        return SimulatorPort(workspace)
    raise ClearinghouseError(f"unknown clearinghouse route {route!r}")
