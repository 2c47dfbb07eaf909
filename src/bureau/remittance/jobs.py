"""Background ingest jobs: an uploaded 835 (or 999/277CA) waits on disk, a worker posts it.

The upload is checked here (not empty, at most 50 MB, text) so a user hears about a bad file at
once; the content is written under VAR_DIR/uploads and only its path goes into `IngestJob`
(control data: what the progress bar reads). The task is queued when the upload commits, so a
worker never picks up a job whose row or file a rolled-back request never made.

A job runs at most MAX_ATTEMPTS times. The upload (PHI) stays on disk only while another
attempt is possible: a job whose worker died is retried once by the sweep (`job_leases`), a job
that failed on an unexpected error may be retried once by a person (the Retry button) within
RETRY_WINDOW. It is deleted when the job ends for good: done, failed for a reason a retry cannot
change (bad X12, refused), failed on its last attempt, or the retry window closed.
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.remittance.models import IngestJob, JobStatus
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.x12.errors import X12Error
from bureau.x12.tokens import decode_x12

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
RECENT_JOBS = 8
MAX_ATTEMPTS = 2  # the first run and one retry (by the sweep or by a person)
RETRY_WINDOW = timedelta(hours=24)  # how long a retryable failed job keeps its upload
ERROR_LENGTH = IngestJob._meta.get_field("error").max_length or 500

logger = logging.getLogger(__name__)


class UploadError(ValueError):
    """The uploaded file cannot be ingested; the message says why, for the person."""


def uploads_dir() -> Path:
    path = Path(settings.VAR_DIR) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def decode_upload(content: bytes) -> str:
    """The file as text: UTF-8 (ASCII is a subset), a byte-order mark allowed."""
    if not content or not content.strip():
        raise UploadError("The file is empty.")
    if len(content) > MAX_UPLOAD_BYTES:
        raise UploadError(
            f"The file is {len(content) / 1024 / 1024:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 1024 // 1024} MB."
        )
    try:
        return decode_x12(content)
    except X12Error as exc:
        raise UploadError(f"The file is not text: {exc.reason}.") from exc


def _safe_name(file_name: str) -> str:
    name = Path(file_name.replace("\\", "/")).name.strip() or "upload.x12"
    return name[:200]


def ingest_job_create(*, actor: Actor, file_name: str, content: bytes) -> IngestJob:
    """Check the upload, store it, record the job (queued) and queue the task on commit."""
    if not actor.can(Capability.PAYMENTS_POST):
        raise CapabilityDenied(Capability.PAYMENTS_POST)
    if not actor.whole_practice_ids(Capability.PAYMENTS_POST):
        raise UploadError(
            "your access is limited to some providers, and a file pays or answers for every "
            "provider of a practice: it is taken in by someone with access to the whole practice."
        )
    decode_upload(content)  # refuse bad files now, not in the worker
    path = uploads_dir() / f"{uuid.uuid4()}.x12"
    path.write_bytes(content)
    try:
        with transaction.atomic():
            job = IngestJob.objects.create(
                workspace=actor.workspace,
                file_name=_safe_name(file_name),
                path=str(path),
                status=JobStatus.QUEUED,
                stage="Waiting for a worker",
                created_by=actor.user,
                heartbeat_at=timezone.now(),
            )
            audit_record(
                action=AuditAction.ERA_UPLOADED,
                actor=actor,
                model="remittance.IngestJob",
                record_ids=[job.pk],
                detail={"file_name": job.file_name, "bytes": len(content)},
            )
            transaction.on_commit(lambda: job_enqueue(job.pk))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job


def job_enqueue(job_id: int) -> None:
    """Queue the job's task and remember its row, so the sweep can tell a lost task."""
    from bureau.remittance.tasks import ingest_job_run

    result = ingest_job_run.enqueue(job_id)
    IngestJob.objects.filter(pk=job_id).update(task_id=str(result.id))


# -- a job's life: claimed by a worker, ended by it (or by the sweep) ------------------------
def job_claim(job_id: int, worker: str) -> IngestJob | None:
    """Take a queued job for `worker` (one statement: two workers never both take it)."""
    claimed = IngestJob.objects.filter(pk=job_id, status=JobStatus.QUEUED).update(
        status=JobStatus.RUNNING,
        attempts=F("attempts") + 1,
        worker=worker,
        heartbeat_at=timezone.now(),
        stage="Reading the file",
        done=0,
        total=0,
        error="",
        finished_at=None,
    )
    if not claimed:
        return None
    return IngestJob.objects.select_related("created_by").get(pk=job_id)


def delete_upload(job: IngestJob) -> None:
    if job.path:
        Path(job.path).unlink(missing_ok=True)


def job_done(job: IngestJob, worker: str, **values: Any) -> bool:
    """The worker finished the job: record it and delete the upload. False (and nothing
    written) when the job is no longer this worker's (the sweep gave it to another)."""
    ended = (
        IngestJob.objects.filter(pk=job.pk, worker=worker, status=JobStatus.RUNNING).update(
            status=JobStatus.DONE, stage="Done", finished_at=timezone.now(), **values
        )
        > 0
    )
    if ended:
        delete_upload(job)
    return ended


def job_fail(job: IngestJob, worker: str, message: str, *, retryable: bool) -> bool:
    """The attempt failed. A failure a retry might cure keeps the upload while an attempt is
    left (the page offers Retry); anything else ends the job and deletes the upload."""
    keep = retryable and job.attempts < MAX_ATTEMPTS
    if keep:
        message = f"{message} (attempt {job.attempts} of {MAX_ATTEMPTS}; you can retry it)"
    ended = (
        IngestJob.objects.filter(pk=job.pk, worker=worker, status=JobStatus.RUNNING).update(
            status=JobStatus.FAILED,
            stage="Failed",
            error=message[:ERROR_LENGTH],
            finished_at=timezone.now(),
        )
        > 0
    )
    if ended and not keep:
        delete_upload(job)
    return ended


class RetryError(ValueError):
    """The job cannot be retried; the message says why, for the person."""


def can_retry(job: IngestJob) -> bool:
    """A failed job with an attempt left whose upload is still on disk."""
    return (
        job.status == JobStatus.FAILED
        and job.attempts < MAX_ATTEMPTS
        and bool(job.path)
        and Path(job.path).is_file()
    )


def ingest_job_retry(*, actor: Actor, job_id: int) -> IngestJob | None:
    """Queue a failed job again (payments.post, the job visible to the actor). It runs as the
    uploader, as the first attempt did; the audit event names who retried it. None when the
    actor may not see the job."""
    if not actor.can(Capability.PAYMENTS_POST):
        raise CapabilityDenied(Capability.PAYMENTS_POST)
    with transaction.atomic():
        job = _visible_jobs(actor).select_for_update().filter(pk=job_id).first()
        if job is None:
            return None
        if job.status != JobStatus.FAILED:
            raise RetryError("only a failed job can be retried")
        if not can_retry(job):
            raise RetryError(
                "the uploaded file has been deleted (it holds patient data and the job has "
                "ended); upload the file again"
            )
        IngestJob.objects.filter(pk=job.pk).update(
            status=JobStatus.QUEUED,
            stage="Waiting for a worker (retry)",
            error="",
            finished_at=None,
            worker="",
            heartbeat_at=timezone.now(),
        )
        audit_record(
            action=AuditAction.ERA_UPLOADED,  # the file submitted for ingest again
            actor=actor,
            model="remittance.IngestJob",
            record_ids=[job.pk],
            detail={"file_name": job.file_name, "retry": True, "attempt": job.attempts + 1},
        )
        job_enqueue(job.pk)  # the task row commits with the job's new state, or neither
        job.refresh_from_db()
    return job


# -- reads (control data: the workspace's own jobs, never content) ---------------------------
def _visible_jobs(actor: Actor) -> QuerySet[IngestJob]:
    jobs = IngestJob.objects.filter(workspace=actor.workspace)
    # People who post see their own jobs; supervisors of every practice see everyone's.
    if not actor.can_workspace(Capability.PAYMENTS_POST):
        jobs = jobs.filter(created_by=actor.user)
    return jobs


def _with_retry(job: IngestJob) -> IngestJob:
    job.retry_possible = can_retry(job)  # type: ignore[attr-defined]  # for the page
    return job


def recent_jobs(*, actor: Actor, limit: int = RECENT_JOBS) -> list[IngestJob]:
    if not actor.can(Capability.PAYMENTS_VIEW):
        return []
    return [_with_retry(j) for j in _visible_jobs(actor).select_related("created_by")[:limit]]


def job_get(*, actor: Actor, job_id: int) -> IngestJob | None:
    """The job if it belongs to the actor's workspace and the actor may see it."""
    job = _visible_jobs(actor).select_related("created_by").filter(pk=job_id).first()
    return _with_retry(job) if job is not None else None
