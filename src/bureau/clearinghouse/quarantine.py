"""The quarantine: inbound files a route delivered that could not be taken in.

One bad file never stops a poll (`inbound.poll_and_ingest`). Whatever reading or ingesting it
raised, its own transaction is rolled back (nothing of it is posted), a copy of its text is
kept under VAR_DIR, a `QuarantinedFile` row records the route, name, time and why, with an
audit event in the same transaction, and the route moves the file out of the inbox under an
`.error` name. A delivery already quarantined (same name, same content) is not read again.
"""

from __future__ import annotations

import re
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.clearinghouse.folder import write_atomic
from bureau.clearinghouse.models import QuarantinedFile
from bureau.clearinghouse.ports import InboundFile
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability
from bureau.x12.errors import X12Error

ERROR_LENGTH = QuarantinedFile._meta.get_field("error").max_length or 500
NAME_LENGTH = QuarantinedFile._meta.get_field("file_name").max_length or 200
RECENT = 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def quarantine_dir(workspace: Workspace) -> Path:
    return Path(settings.VAR_DIR) / "clearinghouse" / "quarantine" / str(workspace.slug)


def failure_message(exc: BaseException) -> str:
    """What staff read. An X12Error as it is: it names the segment and element. Anything
    else is a fault of ours, not the file's grammar: its type says what, the log has the
    traceback."""
    text = str(exc) if isinstance(exc, X12Error) else f"could not be read: {_type_and(exc)}"
    return one_line(text, ERROR_LENGTH)


def _type_and(exc: BaseException) -> str:
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def one_line(text: str, limit: int) -> str:
    """Control characters shown escaped (a message may quote the file), cut to `limit`."""
    if not text.isprintable():
        text = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def quarantined_earlier(
    *, workspace: Workspace, route: str, file_name: str, digest: str
) -> QuarantinedFile | None:
    return QuarantinedFile.objects.filter(
        workspace=workspace, route=route, file_name=file_name[:NAME_LENGTH], sha256=digest
    ).first()


def quarantine_file(
    *, workspace: Workspace, route: str, file: InboundFile, digest: str, error: str
) -> QuarantinedFile:
    """Keep the file's text, then record it (and its audit event) in one transaction.

    Raises (ClearinghouseError for the copy, a DatabaseError for the row) when the file could
    not be kept: the caller then leaves it in the inbox, so no delivery is ever lost."""
    stem = _UNSAFE.sub("_", file.name)[:80] or "file"
    target = quarantine_dir(workspace) / f"{uuid.uuid4().hex}-{stem}"
    write_atomic(target, file.content.encode("utf-8", errors="surrogateescape"))
    try:
        with transaction.atomic():
            held, created = QuarantinedFile.objects.get_or_create(
                workspace=workspace,
                route=route,
                file_name=file.name[:NAME_LENGTH],
                sha256=digest,
                defaults={
                    "error": one_line(error, ERROR_LENGTH),
                    "path": str(target),
                    "size": len(file.content),
                },
            )
            if created:
                audit_record(
                    action=AuditAction.INBOUND_QUARANTINED,
                    workspace=workspace,
                    model="clearinghouse.QuarantinedFile",
                    record_ids=[held.pk],
                    detail={"route": route, "file_name": held.file_name, "sha256": digest},
                )
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    if not created:  # a concurrent poll quarantined it first: its copy is the one kept
        target.unlink(missing_ok=True)
    return held


def quarantine_list(*, actor: Actor, limit: int = RECENT) -> list[QuarantinedFile]:
    """The workspace's quarantined files, newest first. A route's file may belong to any of
    the workspace's practices, so only those who take in files for every practice see them
    (payments.post through an all-practices grant); the list is names and errors, never
    content."""
    if not actor.can_workspace(Capability.PAYMENTS_POST):
        return []
    rows = list(QuarantinedFile.objects.filter(workspace=actor.workspace)[:limit])
    if rows:  # a file's name and error may quote a patient: showing them is a read
        audit_record(
            action=AuditAction.QUARANTINE_LISTED,
            actor=actor,
            model="clearinghouse.QuarantinedFile",
            record_ids=[row.pk for row in rows],
        )
    return rows
