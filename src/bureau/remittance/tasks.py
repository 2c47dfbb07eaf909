"""The ingest task the database worker runs (`bureau db_worker`).

It runs as the uploader, narrowed to the practices where they hold `payments.post`: an ERA for a
practice they may not post to is never posted by their upload. Progress goes to the `IngestJob`
row; on PostgreSQL a second connection writes it while the posting transaction is open, so the
bar moves during a long post. SQLite allows one writer, so there the row is written by the posting
connection itself and the bar moves at each stage the ingest reports outside its transaction.
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

from bureau.remittance.jobs import decode_upload
from bureau.remittance.models import IngestJob, JobStatus
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

    def __init__(self, job_id: int) -> None:
        self.job_id = job_id
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
        if connection.in_atomic_block and connection.vendor == "postgresql":
            self._write_aside(values)
        else:
            IngestJob.objects.filter(pk=self.job_id).update(**values)

    def _write_aside(self, values: dict[str, Any]) -> None:
        """Through a connection of its own, committed at once, so the page sees it now."""
        if self.side is None:
            self.side = connections.create_connection(connection.alias)
        table = IngestJob._meta.db_table
        assignments = ", ".join(f"{name} = %s" for name in values)
        with self.side.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET {assignments} WHERE id = %s",  # noqa: S608 (names are ours)
                [*values.values(), self.job_id],
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


def _finish(job_id: int, **values: Any) -> None:
    IngestJob.objects.filter(pk=job_id).update(finished_at=timezone.now(), **values)


@task()
def ingest_job_run(job_id: int) -> str:
    """Run one queued ingest job to done or failed; the uploaded file is removed either way."""
    job = IngestJob.objects.select_related("created_by").filter(pk=job_id).first()
    if job is None or job.status not in (JobStatus.QUEUED, JobStatus.RUNNING):
        return "skipped"
    path = Path(job.path)
    progress = ProgressWriter(job.pk)
    IngestJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, stage="Reading the file", done=0, total=0, error=""
    )
    try:
        user = job.created_by
        actor = resolve_actor(user) if user is not None else None
        if actor is None or actor.workspace.pk != job.workspace_id:
            raise CapabilityDenied("the uploader can no longer post payments")
        actor = posting_actor(actor)
        if not actor.access:
            raise CapabilityDenied("the uploader can no longer post payments")
        text = decode_upload(path.read_bytes())
        progress(0, 0, "Parsing")
        result = run_ingest(actor, job.file_name, text, progress)
    except (X12Error, CapabilityDenied, OSError, UnicodeDecodeError, ValueError) as exc:
        message = str(exc) if not isinstance(exc, CapabilityDenied) else f"Refused: {exc}"
        if isinstance(exc, X12Error):
            message = f"X12Error: {exc}"
        _finish(job.pk, status=JobStatus.FAILED, stage="Failed", error=message[:500])
        return "failed"
    except Exception as exc:
        _finish(
            job.pk,
            status=JobStatus.FAILED,
            stage="Failed",
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
        raise
    finally:
        progress.close()
        path.unlink(missing_ok=True)
    error = getattr(result, "error", "")
    if error:  # the clearinghouse ingest reports unreadable X12 instead of raising
        _finish(job.pk, status=JobStatus.FAILED, stage="Failed", error=f"X12Error: {error}"[:500])
        return "failed"
    summary = result_summary(result)
    job.refresh_from_db(fields=["total"])
    _finish(
        job.pk,
        status=JobStatus.DONE,
        stage="Done",
        done=job.total,
        result=summary,
    )
    return "done"
