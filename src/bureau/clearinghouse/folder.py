"""The folder route: a local (or mounted) directory shared with a clearinghouse's drop agent.

Layout under the route's root: `outbox/` (837P files we send), `inbox/` (835, 999 and 277CA
files left for us) and `archive/` (inbound files already ingested). Every write goes to a dot
`.part` file first and is renamed into place, so an agent never picks up half a file; for the
same reason the inbox listing skips dot-files and `.part` files that another writer leaves.
"""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

from django.conf import settings

from bureau.clearinghouse.ports import ClearinghouseError, InboundFile
from bureau.x12.tokens import decode_x12

ROUTE = "folder"


def folder_root() -> Path:
    """BUREAU_FOLDER_ROUTE_DIR when set, else the parent of the folder route's batch outbox
    (VAR_DIR/clearinghouse/folder): batch_build's files are then already in place."""
    configured = getattr(settings, "BUREAU_FOLDER_ROUTE_DIR", None)
    if configured:
        return Path(configured)
    from bureau.claims.batches import outbox_dir

    return outbox_dir(ROUTE).parent


def safe_name(name: str) -> str:
    """A bare file name: nothing that could climb out of the folder or hide as a dot-file."""
    if not name or name != os.path.basename(name) or name.startswith(".") or "\x00" in name:
        raise ClearinghouseError(f"not a plain file name: {name!r}")
    return name


def is_waiting(name: str) -> bool:
    """Files a writer has finished: not hidden, not a partial upload."""
    return not name.startswith(".") and not name.endswith((".part", ".tmp", ".filepart"))


class FolderPort:
    route = ROUTE

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.outbox = self.root / "outbox"
        self.inbox = self.root / "inbox"
        self.archive = self.root / "archive"

    def _ensure(self) -> None:
        try:
            for folder in (self.outbox, self.inbox, self.archive):
                folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ClearinghouseError(
                f"folder route {self.root}: cannot create folders: {exc}"
            ) from exc

    def submit(self, name: str, content: str) -> None:
        self._ensure()
        target = self.outbox / safe_name(name)
        data = content.encode("ascii")
        # Idempotent: a batch already in the outbox (batch_build writes there, or an earlier
        # attempt did) is left alone when it is the same file.
        if target.is_file() and target.read_bytes() == data:
            return
        write_atomic(target, data)

    def poll(self, *, as_of: date | None = None) -> list[InboundFile]:
        self._ensure()
        files: list[InboundFile] = []
        for path in sorted(self.inbox.iterdir(), key=lambda p: p.name):
            if not path.is_file() or not is_waiting(path.name):
                continue
            try:
                content = decode_x12(path.read_bytes(), strict=False)
            except OSError as exc:
                raise ClearinghouseError(f"folder route: cannot read {path}: {exc}") from exc
            files.append(InboundFile(name=path.name, content=content))
        return files

    def acknowledge(self, name: str) -> None:
        self._archive(safe_name(name), safe_name(name))

    def reject(self, name: str) -> None:
        """Archive a file that could not be read, under an `.error` name."""
        self._archive(safe_name(name), f"{safe_name(name)}.error")

    def _archive(self, name: str, archived_as: str) -> None:
        self._ensure()
        source = self.inbox / name
        if not source.exists():
            return  # already archived by an earlier run: nothing left to do
        target = self.archive / _fitting(archived_as)
        if target.exists():
            # Same name delivered twice (a resend): keep both copies.
            stem = 1
            while (candidate := self.archive / _fitting(f"{archived_as}.{stem}")).exists():
                stem += 1
            target = candidate
        try:
            source.replace(target)
        except OSError as exc:
            raise ClearinghouseError(f"folder route: cannot archive {source}: {exc}") from exc


NAME_MAX = 255  # bytes of one file name (ext4, xfs, btrfs)


def _fitting(name: str) -> str:
    """`name` as an archive file name: a delivered name may already be as long as the file
    system allows, and `.error` or `.1` added to it would not be, so the move would fail at
    every poll. Such a name keeps its end (the suffix) and a hash of the whole."""
    raw = os.fsencode(name)
    if len(raw) <= NAME_MAX:
        return name
    digest = hashlib.sha256(raw).hexdigest()[:16]
    tail = raw[-(NAME_MAX - len(digest) - 1) :]
    return os.fsdecode(digest.encode() + b"~" + tail)


def write_atomic(target: Path, data: bytes | str) -> None:
    """Write `data` (text as UTF-8) to a dot `.part` file beside `target`, then rename it into
    place, so a reader never sees half a file; the folder is created when missing."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    partial = target.with_name(f".{target.name}.part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(partial, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        partial.replace(target)
    except OSError as exc:
        partial.unlink(missing_ok=True)
        raise ClearinghouseError(f"cannot write {target}: {exc}") from exc
