"""A real worker killed with SIGKILL in the middle of an ERA upload's ingest (PostgreSQL).

Real `bureau db_worker` processes run against the test database as the runtime role; the
test-only fault injection (`BUREAU_FAULT_SLEEP_AFTER_CLAIMS`) pauses the ingest inside its
posting transaction, and the worker is killed there. Then a new worker (its start-up sweep), or
the sweep itself, ends the job: retried once, then failed with a message, and no upload file
remains either way. Last, `bureau serve`'s supervisor starts a new worker when its worker is
killed, and that worker ingests the next upload.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.urls import reverse
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from bureau.accounts.models import User
from bureau.conftest import ON_POSTGRES, TEST_PATIENTS_PER_PRACTICE, verified_client
from bureau.directory.models import ContractRate
from bureau.remittance import jobs
from bureau.remittance.job_leases import jobs_sweep
from bureau.remittance.models import Era, IngestJob, JobStatus
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_crash_pg import BUREAU, CLAIMS_PER_ERA, _env, _file
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.web.management.commands.serve import WorkerSupervisor

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="the worker crash test runs against PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]
LEASE = 2  # seconds: short, so the test waits little for a lease to lapse
PAUSE_AFTER = CLAIMS_PER_ERA + 5  # inside the posting transaction, the first ERA written


@pytest.fixture
def demo(transactional_db: Any, settings: Any, tmp_path: Path) -> Path:
    from bureau.demo import seed_demo

    seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
    settings.VAR_DIR = tmp_path / "var"
    settings.BUREAU_JOB_LEASE_SECONDS = LEASE
    return tmp_path


def worker_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The test database, the test's own var/ (its uploads), the same keys as this process."""
    env = _env(**extra)
    env.update(
        BUREAU_VAR_DIR=str(tmp_path / "var"),
        BUREAU_SECRET_KEY=settings.SECRET_KEY,
        BUREAU_JOB_LEASE_SECONDS=str(LEASE),
    )
    for name in ("BUREAU_AUDIT_KEY",):  # keys kept under var/ must stay this process's
        value = getattr(settings, name, None)
        if isinstance(value, bytes):
            value = value.decode()
        if value:
            env[name] = str(value)
    return env


def worker(tmp_path: Path, *, batch: bool = False, pause: bool = False) -> subprocess.Popen[str]:
    extra = (
        {"BUREAU_FAULT_SLEEP_AFTER_CLAIMS": str(PAUSE_AFTER), "BUREAU_FAULT_SLEEP_SECONDS": "300"}
        if pause
        else {}
    )
    argv = [BUREAU, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]
    return subprocess.Popen(  # noqa: S603 (our own command)
        argv + (["--batch"] if batch else []),
        env=worker_env(tmp_path, **extra),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def paused(process: subprocess.Popen[str], timeout: float = 180) -> None:
    """Wait until the worker's ingest pauses in its posting transaction."""
    assert process.stderr is not None
    deadline = time.monotonic() + timeout
    seen: list[str] = []
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stderr], [], [], 1)
        if not ready:
            continue
        line = process.stderr.readline()
        if not line:
            break  # the worker ended
        seen.append(line)
        if "fault injection" in line:
            return
    process.kill()
    raise AssertionError("the worker never paused:\n" + "".join(seen))


def kill(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL


def upload(tmp_path: Path, tag: str) -> IngestJob:
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    path, _ = _file(tmp_path, tag, practice, payer)
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    assert owner is not None
    # No transaction around it (a transactional test): the task is queued as the request commits.
    job = jobs.ingest_job_create(actor=owner, file_name=path.name, content=path.read_bytes())
    job.refresh_from_db()
    assert job.task_id  # queued on commit
    return job


def eras(tag: str) -> int:
    practice = b.summit()[0]
    with rls.practice_scope([practice.pk]):
        return (
            Era.objects.for_system([practice.pk], reason="test")
            .filter(trace_number__startswith=tag)
            .count()
        )


def uploads_left(tmp_path: Path) -> list[Path]:
    directory = tmp_path / "var" / "uploads"
    return sorted(directory.iterdir()) if directory.exists() else []


def task_status(task_id: str) -> str:
    return DBTaskResult.objects.get(id=uuid.UUID(task_id)).status


def test_a_killed_worker_leaves_nothing_half_done_and_the_next_worker_finishes_the_job(demo):
    tmp_path = demo
    job = upload(tmp_path, "KILL")
    first_task = job.task_id
    victim = worker(tmp_path, pause=True)
    try:
        paused(victim)
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING and job.attempts == 1
        assert f"/{victim.pid}/" in job.worker
        # The lease is renewed while the posting transaction is open, and a live worker's job
        # is never swept.
        before = job.heartbeat_at
        time.sleep(LEASE)
        job.refresh_from_db()
        assert job.heartbeat_at is not None and before is not None and job.heartbeat_at > before
        assert not jobs_sweep()
    finally:
        kill(victim)

    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING  # what the page showed for ever before the lease
    assert task_status(first_task) == TaskResultStatus.RUNNING
    assert Path(job.path).exists()
    assert eras("KILL") == 0  # nothing half-posted

    time.sleep(LEASE + 0.5)  # the dead worker's lease lapses
    successor = worker(tmp_path, batch=True)
    out, err = successor.communicate(timeout=300)
    assert successor.returncode == 0, out + err

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.attempts == 2 and job.result["posted"] == 2 * CLAIMS_PER_ERA
    assert task_status(first_task) == TaskResultStatus.FAILED
    assert task_status(job.task_id) == TaskResultStatus.SUCCESSFUL
    assert eras("KILL") == 2
    assert uploads_left(tmp_path) == []


def test_a_job_whose_worker_dies_twice_fails_with_a_message_and_its_upload_is_deleted(demo):
    tmp_path = demo
    job = upload(tmp_path, "TWICE")
    first = worker(tmp_path, pause=True)
    try:
        paused(first)
    finally:
        kill(first)
    time.sleep(LEASE + 0.5)
    second = worker(tmp_path, pause=True)  # sweeps at start, takes the retry, pauses again
    try:
        paused(second)
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING and job.attempts == 2
    finally:
        kill(second)
    time.sleep(LEASE + 0.5)

    swept = jobs_sweep()  # any worker's sweep (here: this process's)

    assert swept.failed == [job.pk]
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "worker stopped" in job.error
    assert uploads_left(tmp_path) == []
    assert eras("TWICE") == 0
    ingest_tasks = DBTaskResult.objects.filter(task_path__endswith="ingest_job_run")
    assert not ingest_tasks.filter(status=TaskResultStatus.RUNNING).exists()
    body = verified_client("olivia.owner").get(reverse("eras:job", args=[job.pk])).content
    page = body.decode()
    assert "every 1s" not in page and "worker stopped" in page
    assert "Retry is not possible" in page


def test_serves_supervisor_starts_a_new_worker_when_its_worker_is_killed(demo):
    tmp_path = demo
    argv = [BUREAU, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2"]
    supervisor = WorkerSupervisor(argv, env=worker_env(tmp_path), first_delay=0.2, poll=0.1)
    supervisor.start()
    try:
        first = supervisor.pid
        assert first is not None
        time.sleep(1)  # let it start up
        os.kill(first, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while supervisor.pid == first and time.monotonic() < deadline:
            time.sleep(0.1)
        assert supervisor.pid != first and supervisor.restarts == 1
        # The new worker does the work.
        job = upload(tmp_path, "AFTER")
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            job.refresh_from_db()
            if job.status in (JobStatus.DONE, JobStatus.FAILED):
                break
            time.sleep(0.5)
        assert job.status == JobStatus.DONE, job.error
        assert eras("AFTER") == 2 and uploads_left(tmp_path) == []
    finally:
        supervisor.stop()
    assert supervisor.process is not None and supervisor.process.poll() is not None
