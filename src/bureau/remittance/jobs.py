"""Background ingest jobs: an uploaded 835 (or 999/277CA) waits on disk, a worker posts it.

The upload is checked here (not empty, at most 50 MB, text) so a user hears about a bad file at
once; the content is written under VAR_DIR/uploads and only its path goes into `IngestJob`
(control data: what the progress bar reads). The task is queued when the upload commits, so a
worker never picks up a job whose row or file a rolled-back request never made.
"""

from __future__ import annotations

import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.remittance.models import IngestJob, JobStatus
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
RECENT_JOBS = 8


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
        return content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UploadError(
            f"The file is not text (byte {exc.start} is not ASCII or UTF-8); "
            "an X12 file is plain text."
        ) from exc


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
            )
            audit_record(
                action=AuditAction.ERA_UPLOADED,
                actor=actor,
                model="remittance.IngestJob",
                record_ids=[job.pk],
                detail={"file_name": job.file_name, "bytes": len(content)},
            )
            transaction.on_commit(lambda: _enqueue(job.pk))
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return job


def _enqueue(job_id: int) -> None:
    from bureau.remittance.tasks import ingest_job_run

    ingest_job_run.enqueue(job_id)


# -- reads (control data: the workspace's own jobs, never content) ---------------------------
def _visible_jobs(actor: Actor) -> QuerySet[IngestJob]:
    jobs = IngestJob.objects.filter(workspace=actor.workspace)
    # People who post see their own jobs; supervisors of every practice see everyone's.
    if not actor.can_workspace(Capability.PAYMENTS_POST):
        jobs = jobs.filter(created_by=actor.user)
    return jobs


def recent_jobs(*, actor: Actor, limit: int = RECENT_JOBS) -> list[IngestJob]:
    if not actor.can(Capability.PAYMENTS_VIEW):
        return []
    return list(_visible_jobs(actor).select_related("created_by")[:limit])


def job_get(*, actor: Actor, job_id: int) -> IngestJob | None:
    """The job if it belongs to the actor's workspace and the actor may see it."""
    return _visible_jobs(actor).filter(pk=job_id).first()
