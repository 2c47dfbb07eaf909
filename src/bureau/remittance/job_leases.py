"""Leases on ingest jobs: which process runs a job, whether it still lives, and the sweep that
ends or retries the jobs of a worker that died (a kill -9, an out-of-memory kill, a lost host).

A worker that claims a job writes its process identity (`worker_identity`: host, boot, pid,
process start time) and `heartbeat_at`. While the job runs, `Heartbeat` renews `heartbeat_at`
every quarter lease from a thread with its own connection, committed at once although the
posting transaction is still open (PostgreSQL). SQLite allows one writer, so there the lease is
renewed at each progress write the ingest makes outside its transaction, and the worker's
process is asked directly: SQLite's workers all run on the machine that holds the file.

A job is stale when its lease lapsed and its worker is not known to be alive: a worker of this
machine is looked up by pid and start time (a reused pid is not mistaken for it); a worker of
another machine is known by its heartbeat alone. Every worker sweeps when it starts and then
every half lease (`jobs_sweep`): a stale job is queued again once, keeping its upload, or failed
with a message saying so, deleting it; the dead worker's task row is marked failed; an upload
no job can still use is deleted.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from bureau.remittance.jobs import (
    ERROR_LENGTH,
    MAX_ATTEMPTS,
    RETRY_WINDOW,
    delete_upload,
    job_enqueue,
    uploads_dir,
)
from bureau.remittance.models import IngestJob, JobStatus

logger = logging.getLogger(__name__)
DEFAULT_LEASE_SECONDS = 60.0


def lease_seconds() -> float:
    """How long a running job may go without a sign of life (BUREAU_JOB_LEASE_SECONDS)."""
    return float(getattr(settings, "BUREAU_JOB_LEASE_SECONDS", DEFAULT_LEASE_SECONDS))


# -- which process, and is it alive ----------------------------------------------------------
def _boot_id() -> str:
    try:
        return Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return ""


def _start_time(pid: int) -> str | None:
    """The process's start time since boot (Linux /proc), None when it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()  # after "pid (command) "
    if len(fields) < 20 or fields[0] in ("Z", "X"):  # state; a zombie has stopped working
        return None
    return fields[19]  # field 22 of stat: starttime


def worker_identity(pid: int | None = None) -> str:
    pid = pid or os.getpid()
    return "/".join([socket.gethostname(), _boot_id(), str(pid), _start_time(pid) or ""])


def worker_alive(identity: str) -> bool | None:
    """True or False for a worker of this machine; None when it ran elsewhere (or unknown)."""
    parts = identity.split("/")
    if len(parts) != 4:
        return None
    host, boot, pid_text, start = parts
    if host != socket.gethostname() or boot != _boot_id() or not pid_text.isdecimal():
        return None
    pid = int(pid_text)
    if start:  # Linux: the same pid started at the same time is the same process
        return _start_time(pid) == start
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# -- the worker side: renew the lease while the job runs ------------------------------------
def renew(job_id: int, worker: str) -> None:
    IngestJob.objects.filter(pk=job_id, worker=worker, status=JobStatus.RUNNING).update(
        heartbeat_at=timezone.now()
    )


class Heartbeat:
    """`with Heartbeat(job_id, worker):` renews the job's lease every quarter lease until the
    block ends. PostgreSQL only (see the module doc); elsewhere it does nothing."""

    def __init__(self, job_id: int, worker: str) -> None:
        self.job_id, self.worker = job_id, worker
        self.every = max(lease_seconds() / 4, 0.05)
        self.stopped = threading.Event()
        self.thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        if connection.vendor == "postgresql":
            self.thread = threading.Thread(
                target=self._beat, name=f"ingest-job-{self.job_id}-lease", daemon=True
            )
            self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        if self.thread is not None:
            self.thread.join(timeout=30)

    def _beat(self) -> None:
        try:
            while not self.stopped.wait(self.every):
                try:
                    renew(self.job_id, self.worker)
                except DatabaseError:  # the next beat tries again; the lease is generous
                    logger.warning("Could not renew the lease of ingest job %s", self.job_id)
        finally:
            connections.close_all()  # this thread's own connection


# -- the sweep -------------------------------------------------------------------------------
@dataclass
class SweepResult:
    retried: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    uploads_deleted: int = 0

    def __bool__(self) -> bool:
        return bool(self.retried or self.failed or self.uploads_deleted)


def jobs_sweep(*, now: datetime | None = None) -> SweepResult:
    """End or retry every job whose worker was lost; delete uploads nothing can use (system
    work: no actor, every workspace)."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=lease_seconds())
    result = SweepResult()
    lapsed = IngestJob.objects.filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True),
        status__in=[JobStatus.QUEUED, JobStatus.RUNNING],
    )
    for job_id, status, worker in list(lapsed.values_list("pk", "status", "worker")):
        if status == JobStatus.RUNNING and _at_work(job_id, worker):
            continue  # asked without a transaction: SQLite's writer may be that very worker
        _sweep_job(job_id, now, cutoff, result)
    result.uploads_deleted = _delete_unused_uploads(now, cutoff)
    return result


def _task_lost(job: IngestJob, cutoff: datetime) -> bool:
    """A queued job's task is lost when no worker will run it: never queued, or taken by a
    worker that died before it claimed the job, or ended without running it."""
    try:
        task_id = uuid.UUID(job.task_id)
    except ValueError:
        return True  # the enqueue after commit never happened (the request's process died)
    task = DBTaskResult.objects.filter(id=task_id).values("status", "started_at").first()
    if task is None:
        return True
    if task["status"] == TaskResultStatus.READY:
        return False  # waiting its turn behind other work
    if task["status"] == TaskResultStatus.RUNNING:
        return task["started_at"] is None or task["started_at"] < cutoff
    return True


def _task_ended(job: IngestJob) -> bool:
    """The job's task ended (a worker alive, but it could not record the job's end)."""
    try:
        task_id = uuid.UUID(job.task_id)
    except ValueError:
        return False
    return DBTaskResult.objects.filter(
        id=task_id, status__in=[TaskResultStatus.FAILED, TaskResultStatus.SUCCESSFUL]
    ).exists()


def _at_work(job_id: int, worker: str) -> bool:
    """The running job's worker lives and its task has not ended."""
    if not worker_alive(worker):
        return False
    job = IngestJob.objects.filter(pk=job_id).only("task_id").first()
    return job is not None and not _task_ended(job)


def _sweep_job(job_id: int, now: datetime, cutoff: datetime, result: SweepResult) -> None:
    with transaction.atomic():
        job = IngestJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or (job.heartbeat_at is not None and job.heartbeat_at >= cutoff):
            return  # gone, or renewed since the first look
        if job.status == JobStatus.RUNNING:
            if _at_work(job.pk, job.worker):
                return  # a long SQLite posting transaction: its worker is still at work
            attempts = job.attempts
        elif job.status == JobStatus.QUEUED and _task_lost(job, cutoff):
            attempts = job.attempts + 1  # a worker took it and was lost before it began
        else:
            return
        _fail_task_row(job.task_id, now)
        if attempts < MAX_ATTEMPTS:
            IngestJob.objects.filter(pk=job.pk).update(
                status=JobStatus.QUEUED,
                attempts=attempts,
                worker="",
                heartbeat_at=now,
                stage=f"The worker stopped; retrying (attempt {attempts + 1} of {MAX_ATTEMPTS})",
                done=0,
                total=0,
                error="",
            )
            job_enqueue(job.pk)  # the task row commits with the job's new state, or neither
            result.retried.append(job.pk)
            logger.warning("Ingest job %s lost its worker (%s): queued again", job.pk, job.worker)
            return
        message = (
            f"The worker stopped before it finished this file (attempt {attempts} of "
            f"{MAX_ATTEMPTS}). An ingest that stops half-way posts nothing. The uploaded file "
            "has been deleted: upload it again to post it (payments already posted are "
            "recognised as duplicates)."
        )
        IngestJob.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            attempts=attempts,
            stage="Failed",
            error=message[:ERROR_LENGTH],
            finished_at=now,
        )
        transaction.on_commit(lambda: delete_upload(job))
        result.failed.append(job.pk)
        logger.warning("Ingest job %s lost its worker (%s) again: failed", job.pk, job.worker)


def _fail_task_row(task_id: str, now: datetime) -> None:
    """The dead worker's task row would say RUNNING forever: it failed."""
    try:
        key = uuid.UUID(task_id)
    except ValueError:
        return
    DBTaskResult.objects.filter(id=key, status=TaskResultStatus.RUNNING).update(
        status=TaskResultStatus.FAILED,
        finished_at=now,
        return_value=None,
        exception_class_path="bureau.remittance.job_leases.WorkerLost",
        traceback="WorkerLost: the worker running this task stopped (its lease lapsed)\n",
    )


def _delete_unused_uploads(now: datetime, cutoff: datetime) -> int:
    """Delete uploads no job can use any more: the job ended for good, its retry window closed,
    or no job was ever made for it (the upload request died before it committed)."""
    directory = uploads_dir()
    in_use: set[str] = {
        Path(path).name
        for path in IngestJob.objects.filter(
            Q(status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
            | Q(
                status=JobStatus.FAILED,
                attempts__lt=MAX_ATTEMPTS,
                finished_at__gte=now - RETRY_WINDOW,
            )
        ).values_list("path", flat=True)
    }
    deleted = 0
    for file in directory.iterdir():
        try:
            young = file.stat().st_mtime > cutoff.timestamp()  # an upload being made now
        except OSError:
            continue
        if file.name in in_use or young or not file.is_file():
            continue
        file.unlink(missing_ok=True)
        deleted += 1
    return deleted


def sweep_and_log(**kwargs: Any) -> SweepResult | None:
    """`jobs_sweep` for a worker: what it did is logged; a database that is busy or away
    now is tried again at the next sweep, never the end of the worker."""
    try:
        result = jobs_sweep(**kwargs)
    except (DatabaseError, OSError):
        logger.exception("The sweep of stale ingest jobs failed; it runs again later")
        return None
    if result:
        logger.info(
            "Swept ingest jobs: %d queued again, %d failed, %d uploads deleted",
            len(result.retried),
            len(result.failed),
            result.uploads_deleted,
        )
    return result


class Sweeper:
    """Sweeps every half lease from a daemon thread (a long-running worker)."""

    def __init__(self) -> None:
        self.every = max(lease_seconds() / 2, 0.1)
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, name="ingest-job-sweeper", daemon=True)

    def start(self) -> Sweeper:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.stopped.set()
        self.thread.join(timeout=30)

    def _run(self) -> None:
        while not self.stopped.wait(self.every):
            try:
                sweep_and_log()
            finally:
                connections.close_all()  # this thread's own connection, fresh each round
