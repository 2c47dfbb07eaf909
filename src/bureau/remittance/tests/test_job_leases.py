"""Jobs whose worker died: the lease, the sweep (retried once, then failed with a message, the
upload deleted either way), the dead worker's task row, the Retry button, and uploads nothing
can use. The real kill -9 of a real worker is in test_worker_crash_pg.py."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.directory.models import ContractRate
from bureau.remittance import jobs, tasks
from bureau.remittance.job_leases import jobs_sweep, worker_alive, worker_identity
from bureau.remittance.models import IngestJob, JobStatus
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import era_text, paid_and_denied
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db
LEASE = 60


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    settings.BUREAU_JOB_LEASE_SECONDS = LEASE
    return tmp_path


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)  # see test_jobs


def run_worker() -> None:
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0)


def actor(username: str) -> Actor:
    found = resolve_actor(User.objects.get(username=username))
    assert found is not None
    return found


def a_file(username: str = "olivia.owner") -> str:
    practice = actor(username).practices(Capability.PAYMENTS_POST)[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    return era_text(practice, payer, paid_and_denied(practice, payer))


def uploaded(capture: Any, content: str | None = None, username: str = "olivia.owner"):
    with capture(execute=True):
        job = jobs.ingest_job_create(
            actor=actor(username),
            file_name="payer.835",
            content=(content or a_file(username)).encode(),
        )
    job.refresh_from_db()
    return job


def dead_worker() -> str:
    """The identity of a worker process of this machine that has ended."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])  # noqa: S603
    identity = worker_identity(child.pid)
    child.kill()
    child.wait(timeout=10)
    return identity


def claimed_by(job: IngestJob, worker: str, *, minutes_ago: float) -> IngestJob:
    """As a worker leaves a job it was running when it died (its task row RUNNING too)."""
    seen = timezone.now() - timedelta(minutes=minutes_ago)
    IngestJob.objects.filter(pk=job.pk).update(
        status=JobStatus.RUNNING, attempts=job.attempts + 1, worker=worker, heartbeat_at=seen
    )
    DBTaskResult.objects.filter(id=uuid.UUID(job.task_id)).update(
        status=TaskResultStatus.RUNNING, started_at=seen
    )
    job.refresh_from_db()
    return job


def task_row(task_id: str) -> DBTaskResult:
    return DBTaskResult.objects.get(id=uuid.UUID(task_id))


# -- who is alive --------------------------------------------------------------------------
def test_a_worker_of_this_machine_is_alive_until_its_process_ends():
    assert worker_alive(worker_identity()) is True
    assert worker_alive(dead_worker()) is False


def test_a_worker_of_another_machine_is_known_by_its_heartbeat_alone():
    host_pid_start = worker_identity().split("/")
    assert worker_alive("/".join(["elsewhere", *host_pid_start[1:]])) is None
    assert worker_alive("garbage") is None


# -- the sweep -----------------------------------------------------------------------------
def test_a_dead_workers_job_is_retried_once_then_failed_and_its_upload_deleted(
    django_capture_on_commit_callbacks,
):
    job = uploaded(django_capture_on_commit_callbacks)
    upload = Path(job.path)
    first_task = job.task_id
    job = claimed_by(job, dead_worker(), minutes_ago=5)

    with django_capture_on_commit_callbacks(execute=True):
        swept = jobs_sweep()
    job.refresh_from_db()
    assert swept.retried == [job.pk] and not swept.failed
    assert job.status == JobStatus.QUEUED and job.attempts == 1 and job.worker == ""
    assert "retrying (attempt 2 of 2)" in job.stage
    assert upload.exists()  # the retry needs it
    dead = task_row(first_task)  # the dead worker's task row no longer says RUNNING
    assert dead.status == TaskResultStatus.FAILED and "WorkerLost" in dead.exception_class_path
    assert job.task_id != first_task and task_row(job.task_id).status == TaskResultStatus.READY

    job = claimed_by(job, dead_worker(), minutes_ago=5)  # the retry's worker dies too
    with django_capture_on_commit_callbacks(execute=True):
        swept = jobs_sweep()
    job.refresh_from_db()
    assert swept.failed == [job.pk]
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert "worker stopped before it finished" in job.error and "upload it again" in job.error
    assert not upload.exists()
    assert task_row(job.task_id).status == TaskResultStatus.FAILED

    page = verified_client("olivia.owner").get(reverse("eras:job", args=[job.pk]))
    body = page.content.decode()
    assert "every 1s" not in body  # the page stops polling
    assert "worker stopped before it finished" in body
    assert "Retry is not possible" in body and "job-retry" not in body


def test_the_retried_job_runs_to_done_and_its_upload_goes(django_capture_on_commit_callbacks):
    job = uploaded(django_capture_on_commit_callbacks)
    claimed_by(job, dead_worker(), minutes_ago=5)
    run_worker()  # a new worker: its first act is the sweep, then it runs the retry
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.attempts == 2 and job.result["posted"] == 2
    assert not Path(job.path).exists()


def test_a_live_workers_job_is_left_alone_however_old_its_heartbeat(
    django_capture_on_commit_callbacks,
):
    """SQLite writes no heartbeat during a long posting transaction: its worker's process is
    asked instead. And a lease renewed in time is never swept."""
    job = uploaded(django_capture_on_commit_callbacks)
    claimed_by(job, worker_identity(), minutes_ago=30)
    other = uploaded(django_capture_on_commit_callbacks)
    elsewhere = "/".join(["elsewhere", *dead_worker().split("/")[1:]])
    claimed_by(other, elsewhere, minutes_ago=LEASE / 60 / 2)  # half a lease ago
    assert not jobs_sweep()
    for j in (job, other):
        j.refresh_from_db()
        assert j.status == JobStatus.RUNNING and Path(j.path).exists()


def test_a_job_of_another_machine_is_stale_when_its_lease_lapsed(
    django_capture_on_commit_callbacks,
):
    job = uploaded(django_capture_on_commit_callbacks)
    elsewhere = "/".join(["elsewhere", *dead_worker().split("/")[1:]])
    claimed_by(job, elsewhere, minutes_ago=2 * LEASE / 60)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().retried == [job.pk]


def test_a_queued_job_waits_its_turn_but_a_lost_task_is_queued_again(
    django_capture_on_commit_callbacks,
):
    waiting = uploaded(django_capture_on_commit_callbacks)
    lost = uploaded(django_capture_on_commit_callbacks)
    long_ago = timezone.now() - timedelta(hours=1)
    IngestJob.objects.update(heartbeat_at=long_ago)  # both queued for an hour
    # `lost`: a worker took its task and died before it could claim the job.
    DBTaskResult.objects.filter(id=uuid.UUID(lost.task_id)).update(
        status=TaskResultStatus.RUNNING, started_at=long_ago
    )
    with django_capture_on_commit_callbacks(execute=True):
        swept = jobs_sweep()
    assert swept.retried == [lost.pk]
    waiting.refresh_from_db()
    lost.refresh_from_db()
    assert waiting.status == JobStatus.QUEUED and waiting.attempts == 0
    assert lost.status == JobStatus.QUEUED and lost.attempts == 1
    assert task_row(lost.task_id).status == TaskResultStatus.READY
    run_worker()
    lost.refresh_from_db()
    assert lost.status == JobStatus.DONE and lost.attempts == 2


def test_a_finished_task_whose_job_still_says_running_is_swept(
    django_capture_on_commit_callbacks,
):
    """The worker lives, but its task ended without recording the job's end (the database went
    away at that moment): the job must not say "running" for as long as the worker lives."""
    job = uploaded(django_capture_on_commit_callbacks)
    claimed_by(job, worker_identity(), minutes_ago=5)
    DBTaskResult.objects.filter(id=uuid.UUID(job.task_id)).update(status=TaskResultStatus.FAILED)
    with django_capture_on_commit_callbacks(execute=True):
        assert jobs_sweep().retried == [job.pk]


# -- uploads no job can use ------------------------------------------------------------------
def test_uploads_no_job_can_use_are_deleted(django_capture_on_commit_callbacks, tmp_path):
    import os

    kept = uploaded(django_capture_on_commit_callbacks)
    uploads = tmp_path / "uploads"
    orphan = uploads / f"{uuid.uuid4()}.x12"  # the upload request died before it committed
    orphan.write_text("ISA*...")
    fresh = uploads / f"{uuid.uuid4()}.x12"  # an upload being made right now
    fresh.write_text("ISA*...")
    old = (timezone.now() - timedelta(hours=1)).timestamp()
    os.utime(orphan, (old, old))
    os.utime(kept.path, (old, old))
    assert jobs_sweep().uploads_deleted == 1
    assert not orphan.exists() and fresh.exists() and Path(kept.path).exists()


# -- a failure a retry may cure: the Retry button ------------------------------------------
@pytest.fixture
def broken_ingest(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The first ingest fails on a fault of ours (not the file's); the next one works."""
    calls: list[int] = []
    real = tasks.run_ingest

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "run_ingest", flaky)
    return calls


def test_a_job_that_failed_on_our_fault_keeps_its_upload_and_offers_retry(
    django_capture_on_commit_callbacks, broken_ingest
):
    job = uploaded(django_capture_on_commit_callbacks, username="priya.poster")
    job_page = reverse("eras:job", args=[job.pk])
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "RuntimeError" in job.error
    assert "you can retry it" in job.error
    assert Path(job.path).exists()  # kept for the retry
    assert task_row(job.task_id).status == TaskResultStatus.FAILED

    priya = verified_client("priya.poster")
    body = priya.get(job_page).content.decode()
    assert "every 1s" not in body and "RuntimeError" in body
    assert f'action="{reverse("eras:job_retry", args=[job.pk])}"' in body
    retry = reverse("eras:job_retry", args=[job.pk])
    # The same capability, and a job the person may see; otherwise a 404 like any other.
    assert verified_client("bella.biller").post(retry).status_code == 404  # no payments.post
    assert verified_client("hank.harbor").post(retry).status_code == 404  # another workspace

    with django_capture_on_commit_callbacks(execute=True):
        response = priya.post(retry)
    assert response.status_code == 302 and response.url == job_page
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.error == ""
    assert "every 1s" in priya.get(job_page).content.decode()  # polling again
    retried = AuditEvent.objects.filter(
        action=AuditAction.ERA_UPLOADED, user__username="priya.poster", detail__retry=True
    )
    assert retried.count() == 1

    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.attempts == 2 and len(broken_ingest) == 2
    assert not Path(job.path).exists()
    # Done: nothing to retry.
    again = priya.post(retry, follow=True)
    assert b"only a failed job can be retried" in again.content


def test_a_retry_after_the_upload_is_gone_is_refused_and_says_so(
    django_capture_on_commit_callbacks, broken_ingest
):
    job = uploaded(django_capture_on_commit_callbacks)
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and Path(job.path).exists()
    # The retry window closes: the sweep deletes the upload.
    IngestJob.objects.filter(pk=job.pk).update(
        finished_at=timezone.now() - jobs.RETRY_WINDOW - timedelta(minutes=1)
    )
    import os

    old = (timezone.now() - timedelta(days=2)).timestamp()
    os.utime(job.path, (old, old))
    assert jobs_sweep().uploads_deleted == 1
    assert not Path(job.path).exists()
    owner = verified_client("olivia.owner")
    body = owner.get(reverse("eras:job", args=[job.pk])).content.decode()
    assert "Retry is not possible" in body and "job-retry" not in body
    response = owner.post(reverse("eras:job_retry", args=[job.pk]), follow=True)
    assert b"the uploaded file has been deleted" in response.content
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED


def test_a_job_that_failed_on_its_last_attempt_deletes_its_upload(
    django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr(tasks, "run_ingest", lambda *a, **k: (_ for _ in ()).throw(KeyError("x")))
    job = uploaded(django_capture_on_commit_callbacks)
    run_worker()
    with django_capture_on_commit_callbacks(execute=True):
        jobs.ingest_job_retry(actor=actor("olivia.owner"), job_id=job.pk)
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.attempts == 2
    assert "you can retry it" not in job.error
    assert not Path(job.path).exists()


def test_a_bad_file_fails_for_good_at_once(django_capture_on_commit_callbacks):
    job = uploaded(django_capture_on_commit_callbacks, content="ISA*00*garbage~")
    run_worker()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error.startswith("X12Error")
    assert not Path(job.path).exists()
    assert not jobs.can_retry(job)
