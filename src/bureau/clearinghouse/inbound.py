"""Inbound files: poll a route, recognise each file, hand it to its service, archive it.

One file, one transaction: the service's rows (ERA, acknowledgements, claim moves) and the
`InboundRecord` that marks the content as taken in commit together. Only after that commit is
the file moved out of the inbox, so a crash in between leaves it there and the next poll sees
it again — and recognises the content by its hash, so nothing is posted twice.

A file that cannot be taken in (not readable X12, not something we take in, or a reader or
service that fails on it in any other way) posts nothing. On a route's poll it goes to the
quarantine (`quarantine.py`): kept with its error, moved to the archive under an `.error` name,
and the poll goes on with the next file. One bad file never stops a poll.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import InterfaceError, OperationalError, transaction

from bureau.clearinghouse import quarantine
from bureau.clearinghouse.models import InboundKind, InboundRecord, QuarantinedFile
from bureau.clearinghouse.ports import (
    ClearinghouseError,
    ClearinghousePort,
    InboundFile,
    RejectingPort,
    port_for,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Workspace
from bureau.x12.errors import X12Error

log = logging.getLogger(__name__)
UPLOAD_ROUTE = "upload"  # files a person hands in through the pages rather than a route


@dataclass
class InboundResult:
    file_name: str
    kind: str = ""  # "835", "999", "277CA"; "" when it could not be told
    duplicate: bool = False  # the same content was taken in before; nothing done now
    error: str = ""  # why the file was not taken in (nothing was posted)
    summary: dict[str, Any] = field(default_factory=dict)  # counts, never PHI
    record_id: int | None = None  # the InboundRecord
    quarantine_id: int | None = None  # the QuarantinedFile (a route's file that failed)
    left_in_inbox: bool = False  # not quarantined either: the next poll tries it again

    @property
    def ok(self) -> bool:
        return not self.error


def content_sha256(content: str) -> str:
    return hashlib.sha256(content.encode("utf-8", errors="surrogateescape")).hexdigest()


def _summarize(result: Any) -> dict[str, Any]:
    """Counts and flags of a service result, for control data: no strings that could carry
    PHI (names, claim numbers) make it into the InboundRecord."""
    if hasattr(result, "summary") and callable(result.summary):
        summary = result.summary()
        if isinstance(summary, dict):
            return {k: _plain(v) for k, v in summary.items()}
    if is_dataclass(result) and not isinstance(result, type):
        out: dict[str, Any] = {}
        for f in fields(result):
            value = getattr(result, f.name)
            if isinstance(value, bool | int | Decimal):
                out[f.name] = _plain(value)
            elif isinstance(value, list | tuple):
                out[f.name] = len(value)
        # Totals a result exposes as properties (EraIngestResult: posted, exceptions, ...).
        for name in ("posted", "exceptions", "duplicates"):
            value = getattr(result, name, None)
            if isinstance(value, int):
                out[name] = value
        return out
    return {}


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, Decimal) else value


def _dispatch(
    *,
    actor: Actor | None,
    workspace: Workspace,
    kind: str,
    file: InboundFile,
    progress: Callable[..., Any] | None,
) -> Any:
    if kind == InboundKind.ERA:
        from bureau.remittance.services import ingest_era_text

        return ingest_era_text(
            actor=actor,
            workspace=workspace,
            text=file.content,
            file_name=file.name,
            progress=progress,
        )
    if kind == InboundKind.IMPLEMENTATION:
        from bureau.claims.acknowledgements import ingest_999
        from bureau.x12.reader999 import read_999

        return ingest_999(
            actor=actor, workspace=workspace, acks=read_999(file.content), file_name=file.name
        )
    if kind == InboundKind.CLAIM_ACK:
        from bureau.claims.acknowledgements import ingest_277ca
        from bureau.x12.reader277 import read_277ca

        return ingest_277ca(
            actor=actor, workspace=workspace, acks=read_277ca(file.content), file_name=file.name
        )
    raise X12Error(None, f"a {kind or 'file of unknown kind'} is not something Bureau takes in")


def ingest_inbound(
    *,
    actor: Actor | None,
    workspace: Workspace,
    file: InboundFile,
    progress: Callable[..., Any] | None = None,
    route: str = UPLOAD_ROUTE,
    digest: str | None = None,
) -> InboundResult:
    """Take in one 835, 999 or 277CA (one transaction). The same content again returns the
    earlier outcome with `duplicate=True`; unreadable X12 returns `error` and posts nothing.
    Any other exception rolls the file's transaction back and propagates (an upload job
    decides about retries; a route's poll quarantines the file)."""
    from bureau.x12.sniff import identify

    digest = digest or content_sha256(file.content)
    earlier = InboundRecord.objects.filter(workspace=workspace, route=route, sha256=digest).first()
    if earlier is not None:
        return _duplicate(file, earlier)
    try:
        kind = identify(file.content)
        with transaction.atomic():
            # Under the lock of the insert below a concurrent poll of the same content fails
            # on the unique constraint and rolls back whole; check again inside.
            earlier = InboundRecord.objects.filter(
                workspace=workspace, route=route, sha256=digest
            ).first()
            if earlier is not None:
                return _duplicate(file, earlier)
            detail = _dispatch(
                actor=actor, workspace=workspace, kind=kind, file=file, progress=progress
            )
            summary = _summarize(detail)
            record = InboundRecord.objects.create(
                workspace=workspace,
                route=route,
                file_name=file.name[:200],
                sha256=digest,
                kind=kind,
                outcome=summary,
            )
    except X12Error as exc:
        log.warning("inbound %s on %s not taken in: %s", file.name, route, exc)
        return InboundResult(file_name=file.name, error=str(exc))
    return InboundResult(file_name=file.name, kind=kind, summary=summary, record_id=record.pk)


def _duplicate(file: InboundFile, earlier: InboundRecord) -> InboundResult:
    return InboundResult(
        file_name=file.name,
        kind=earlier.kind,
        duplicate=True,
        summary=dict(earlier.outcome),
        record_id=earlier.pk,
    )


def _archive(port: ClearinghousePort, name: str, *, failed: bool) -> None:
    """Move the file out of the inbox; a failure here only means it is polled again."""
    try:
        if failed and isinstance(port, RejectingPort):
            port.reject(name)
        else:
            port.acknowledge(name)
    except ClearinghouseError as exc:
        log.warning("inbound %s stays in the %s inbox: %s", name, port.route, exc)
    except Exception:  # an adapter's unexpected failure (paramiko's EOFError...) must not
        # stop the poll either: the file is polled again and recognised by its hash.
        log.exception("inbound %s stays in the %s inbox", name, port.route)


def poll_and_ingest(
    *, actor: Actor | None, workspace: Workspace, route: str, as_of: date | None = None
) -> list[InboundResult]:
    """Everything waiting on the route, each file in its own transaction, archived after its
    commit; a file that fails is quarantined and the poll goes on. A route that cannot be
    reached raises ClearinghouseError."""
    port = port_for(route, workspace)
    results: list[InboundResult] = []
    for file in port.poll(as_of=as_of):
        # Recorded and shown under a name a database column takes; moved under its own.
        named = InboundFile(name=stored_name(file.name), content=file.content)
        result = _take_in(actor=actor, workspace=workspace, route=route, file=named)
        results.append(result)
        if result.left_in_inbox:
            continue
        # In autocommit (a command, a job) this runs now: ingest_inbound has committed. Inside
        # a caller's transaction it waits for that commit.
        transaction.on_commit(partial(_archive, port, file.name, failed=bool(result.error)))
    return results


def stored_name(name: str) -> str:
    """A route's file name as the database keeps it: bytes of the name that are not UTF-8
    (which Python carries as surrogates and no text column takes) written as `\\xff`."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        return name.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return name


def _take_in(
    *, actor: Actor | None, workspace: Workspace, route: str, file: InboundFile
) -> InboundResult:
    """One polled file: taken in, or quarantined with why, or (when even that fails) left in
    the inbox. Never raises for the file's sake."""
    digest = content_sha256(file.content)
    held = quarantine.quarantined_earlier(
        workspace=workspace, route=route, file_name=file.name, digest=digest
    )
    if held is not None:
        # Its move out of the inbox failed last time: not read again, archived again.
        return _quarantined(file, held, duplicate=True)
    try:
        result = ingest_inbound(
            actor=actor, workspace=workspace, file=file, route=route, digest=digest
        )
    except (OperationalError, InterfaceError) as exc:
        # The database, not the file (a lost connection, a lock timeout): nothing was
        # written, and the file waits in the inbox for the next poll.
        log.exception("inbound %s on %s left in the inbox: database error", file.name, route)
        return InboundResult(
            file_name=file.name,
            error=f"left in the inbox for the next poll: database error {type(exc).__name__}",
            left_in_inbox=True,
        )
    except Exception as exc:  # whatever the file makes fail, the poll goes on
        # A reader or service failed in a way X12Error does not describe: a bug the file
        # exposes. The transaction of `ingest_inbound` rolled back; the log has the traceback.
        log.exception("inbound %s on %s could not be read", file.name, route)
        error = quarantine.failure_message(exc)
    else:
        if result.ok:
            return result
        error = result.error  # an X12Error's message, verbatim
    try:
        held = quarantine.quarantine_file(
            workspace=workspace, route=route, file=file, digest=digest, error=error
        )
    except Exception:  # keeping the file failed: leave it where it is
        log.exception("inbound %s on %s could not be quarantined", file.name, route)
        return InboundResult(
            file_name=file.name,
            error=f"{error} (not quarantined: left in the inbox)",
            left_in_inbox=True,
        )
    log.warning("inbound %s on %s quarantined: %s", file.name, route, held.error)
    return _quarantined(file, held, duplicate=False)


def _quarantined(file: InboundFile, held: QuarantinedFile, *, duplicate: bool) -> InboundResult:
    return InboundResult(
        file_name=file.name, duplicate=duplicate, error=held.error, quarantine_id=held.pk
    )
