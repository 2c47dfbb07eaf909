"""The ingest task the database worker runs (`bureau db_worker`).

It runs as the uploader, narrowed to the practices where they hold `payments.post`: an ERA for a
practice they may not post to is never posted by their upload, and what it posts is credited to
them. Progress goes to the `IngestJob` row; on PostgreSQL a second connection writes it while
the posting transaction is open, so the bar moves during a long post. SQLite allows one writer,
so there the row is written by the posting connection itself and the bar moves at each stage
the ingest reports outside its transaction. Every progress write also renews the job's lease,
which a heartbeat thread renews besides (`job_leases`); a job the sweep has taken from this
worker is never written by it again.
"""

from __future__ import annotations

import dataclasses
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django_tasks import task

from bureau.remittance.job_leases import Heartbeat, worker_identity
from bureau.remittance.jobs import decode_upload, job_claim, job_done, job_fail
from bureau.remittance.models import IngestJob
from bureau.tenancy.actor import Actor, CapabilityDenied, resolve_actor
from bureau.tenancy.roles import Capability
from bureau.x12.errors import X12Error

MIN_INTERVAL = 0.25  # seconds between progress writes within one stage
STAGE_LENGTH = IngestJob._meta.get_field("stage").max_length or 120
SUMMARY_KEYS = ("eras", "posted", "exceptions", "duplicates", "acknowledgements")


def posting_actor(actor: Actor) -> Actor:
    """The actor with only the practices where it may post payments, for every provider: an 835
    pays claims of all the practice's providers, so a provider-limited grant posts none."""
    whole = actor.whole_practice_ids(Capability.PAYMENTS_POST)
    access = {pid: a for pid, a in actor.access.items() if pid in whole}
    return dataclasses.replace(actor, access=access)


class ProgressWriter:
    """The `progress(done, total, stage)` callback: writes the job row, throttled."""

    def __init__(self, job_id: int, worker: str = "") -> None:
        self.job_id = job_id
        self.worker = worker  # the lease holder; its writes renew the lease
        self.stage = ""
        self.last = 0.0
        self.side: BaseDatabaseWrapper | None = None

    def __call__(self, done: int, total: int, stage: str) -> None:
        now = time.monotonic()
        if stage == self.stage and now - self.last < MIN_INTERVAL and done < total:
            return
        self.stage, self.last = stage, now
        total = max(int(total), 0)
        done = max(0, min(int(done), total)) if total else 0
        self.write(done=done, total=total, stage=stage[:STAGE_LENGTH])

    def write(self, **values: Any) -> None:
        values["heartbeat_at"] = timezone.now()
        if connection.in_atomic_block and connection.vendor == "postgresql":
            self._write_aside(values)
        else:
            IngestJob.objects.filter(pk=self.job_id, worker=self.worker).update(**values)

    def _write_aside(self, values: dict[str, Any]) -> None:
        """Through a connection of its own, committed at once, so the page sees it now."""
        if self.side is None:
            self.side = connections.create_connection(connection.alias)
        table = IngestJob._meta.db_table
        assignments = ", ".join(f"{name} = %s" for name in values)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments} WHERE id = %s AND worker = %s",  # noqa: S608 (names are ours)
                [*values.values(), self.job_id, self.worker],
            )

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def summarize(result: Any) -> dict[str, Any]:
    """A JSON summary of whatever the ingest returned: counts, and lists counted."""
    if result is None:
        return {}
    if isinstance(result, dict):
        items = list(result.items())
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        items = [(f.name, getattr(result, f.name)) for f in dataclasses.fields(result)]
    else:
        items = list(getattr(result, "__dict__", {}).items())
    for key in SUMMARY_KEYS:  # properties the dataclass fields do not cover
        if key not in dict(items) and hasattr(result, key):
            items.append((key, getattr(result, key)))
    summary: dict[str, Any] = {}
    for key, value in items:
        if isinstance(value, bool | int | str):
            summary[key] = value
        elif isinstance(value, Decimal):
            summary[key] = str(value)
        elif isinstance(value, list | tuple | set | frozenset):
            summary[key] = len(value)
    return summary


def result_summary(result: Any) -> dict[str, Any]:
    """What the job page says: ERAs, posted, exceptions, duplicates (and the file's kind)."""
    if hasattr(result, "summary") and isinstance(result.summary, dict):  # InboundResult
        summary = {k: v for k, v in result.summary.items() if not isinstance(v, dict | list)}
        if result.kind:
            summary["kind"] = result.kind
        if result.duplicate:  # the whole file was taken in before: nothing new was posted
            summary.update(posted=0, exceptions=0, duplicates=summary.get("eras") or 1)
        return summary
    return summarize(result)


def run_ingest(actor: Actor, name: str, text: str, progress: ProgressWriter) -> Any:
    """The clearinghouse's sniffing ingest: an upload may be an 835, a 999 or a 277CA."""
    # Imported here: the clearinghouse's inbound dispatch imports this app's services.
    from bureau.clearinghouse.inbound import ingest_inbound
    from bureau.clearinghouse.ports import InboundFile

    return ingest_inbound(
        actor=actor,
        workspace=actor.workspace,
        file=InboundFile(name=name, content=text),
        progress=progress,
    )


@task()
def ingest_job_run(job_id: int) -> str:
    """Run one queued ingest job to done or failed (see `jobs` for when the upload goes)."""
    worker = worker_identity()
    job = job_claim(job_id, worker)
    if job is None:  # not queued: done, failed, or taken by another worker meanwhile
        return "skipped"
    progress = ProgressWriter(job.pk, worker)
    with Heartbeat(job.pk, worker):
        try:
            result = _ingest(job, progress)
        except (X12Error, CapabilityDenied, OSError, UnicodeDecodeError, ValueError) as exc:
            # The same file would fail the same way: the job ends, the upload goes.
            if isinstance(exc, X12Error):
                message = f"X12Error: {exc}"
            elif isinstance(exc, CapabilityDenied):
                message = f"Refused: {exc}"
            elif isinstance(exc, OSError):  # never the server's path in the message
                message = "The uploaded file could not be read; upload it again."
            else:
                message = str(exc)
            job_fail(job, worker, message, retryable=False)
            return "failed"
        except Exception as exc:
            # A fault of ours or of the database: worth one more attempt, so the upload stays.
            job_fail(job, worker, f"{type(exc).__name__}: {exc}", retryable=True)
            raise
        finally:
            progress.close()
    error = getattr(result, "error", "")
    if error:  # the clearinghouse ingest reports unreadable X12 instead of raising
        job_fail(job, worker, f"X12Error: {error}", retryable=False)
        return "failed"
    summary = result_summary(result)
    job.refresh_from_db(fields=["total"])
    job_done(job, worker, done=job.total, result=summary)
    return "done"


def _ingest(job: IngestJob, progress: ProgressWriter) -> Any:
    """The upload ingested as its uploader (what they may post, credited to them)."""
    user = job.created_by
    actor = resolve_actor(user) if user is not None else None
    if actor is None or actor.workspace.pk != job.workspace_id:
        raise CapabilityDenied("the uploader can no longer post payments")
    actor = posting_actor(actor)
    if not actor.access:
        raise CapabilityDenied("the uploader can no longer post payments")
    text = decode_upload(Path(job.path).read_bytes())
    progress(0, 0, "Parsing")
    return run_ingest(actor, job.file_name, text, progress)
