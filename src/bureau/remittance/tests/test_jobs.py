"""Background ingest: upload → queued job → the database worker → done (or failed), with the
progress the bar reads, the uploaded file removed, and the uploader's posting rights kept."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django_tasks_db.management.commands import db_worker

from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.directory.models import ContractRate
from bureau.remittance import jobs
from bureau.remittance.models import Era, IngestJob, JobStatus
from bureau.remittance.tasks import ProgressWriter, posting_actor
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import (
    era_text,
    foreign_practice,
    paid_and_denied,
    practice_for,
)
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _var_dir(settings: Any, tmp_path: Path) -> Path:
    settings.VAR_DIR = tmp_path
    return tmp_path


@pytest.fixture(autouse=True)
def _keep_the_test_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker calls `close_old_connections()` around each task, which closes a connection
    inside a transaction: the test's own on PostgreSQL (SQLite's in-memory one never closes).
    The worker otherwise runs exactly as `bureau db_worker` does."""
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def run_worker() -> None:
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0)


def a_file(practice=None) -> tuple[str, Any]:
    practice = practice or b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    return era_text(practice, payer, paid_and_denied(practice, payer)), practice


def upload(client, text: str, name: str = "payer.835", capture=None):
    data = {"file": SimpleUploadedFile(name, text.encode(), content_type="text/plain")}
    if capture is None:
        return client.post(reverse("eras:upload"), data)
    with capture(execute=True):
        return client.post(reverse("eras:upload"), data)


def test_upload_queues_a_job_the_worker_posts(django_capture_on_commit_callbacks, tmp_path):
    text, practice = a_file()
    client = verified_client("olivia.owner")
    response = upload(client, text, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 302
    job = IngestJob.objects.get()
    assert job.status == JobStatus.QUEUED and job.file_name == "payer.835"
    assert Path(job.path).parent == tmp_path / "uploads" and Path(job.path).exists()
    assert AuditEvent.objects.filter(action=AuditAction.ERA_UPLOADED, user__username="olivia.owner")
    page = client.get(reverse("eras:list")).content.decode()
    assert f'hx-get="{reverse("eras:job", args=[job.pk])}"' in page and "every 1s" in page

    run_worker()

    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.error
    assert job.percent == 100 and job.finished_at is not None
    assert job.result["eras"] == 1 and job.result["posted"] == 2 and job.result["kind"] == "835"
    assert not Path(job.path).exists()
    partial = client.get(reverse("eras:job", args=[job.pk])).content.decode()
    assert "every 1s" not in partial and "100 %" in partial and "2 posted" in partial
    with rls.practice_scope([practice.pk]):
        era = Era.objects.for_system([practice.pk], reason="test").get()
    assert era.trace_number in client.get(reverse("eras:list")).content.decode()
    assert era.ingested_by.username == "olivia.owner"


def test_the_same_file_again_is_a_duplicate(django_capture_on_commit_callbacks):
    text, _ = a_file()
    client = verified_client("olivia.owner")
    upload(client, text, capture=django_capture_on_commit_callbacks)
    run_worker()
    upload(client, text, name="again.835", capture=django_capture_on_commit_callbacks)
    run_worker()
    again = IngestJob.objects.get(file_name="again.835")
    assert again.status == JobStatus.DONE
    assert again.result["duplicates"] == 1 and again.result["posted"] == 0
    assert "duplicate" in client.get(reverse("eras:job", args=[again.pk])).content.decode()


def test_malformed_x12_fails_the_job_with_the_reason(django_capture_on_commit_callbacks):
    client = verified_client("olivia.owner")
    upload(client, "ISA*00*garbage~", capture=django_capture_on_commit_callbacks)
    run_worker()
    job = IngestJob.objects.get()
    assert job.status == JobStatus.FAILED and job.error.startswith("X12Error")
    assert not Path(job.path).exists()
    assert job.error in client.get(reverse("eras:job", args=[job.pk])).content.decode()


def test_an_upload_never_posts_to_a_practice_the_uploader_may_not_post_to(
    django_capture_on_commit_callbacks,
):
    practice = foreign_practice("priya.poster", Capability.PAYMENTS_POST)
    text, _ = a_file(practice)
    upload(verified_client("priya.poster"), text, capture=django_capture_on_commit_callbacks)
    run_worker()
    job = IngestJob.objects.get()
    assert job.status == JobStatus.FAILED and "no practice you may post" in job.error
    with rls.practice_scope([practice.pk]):
        assert not Era.objects.for_system([practice.pk], reason="test").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"   \n", "empty"),
        (b"ISA*\xff\xfe*00~", "not text"),
    ],
)
def test_bad_uploads_are_refused_at_once(content, message):
    actor = resolve_actor(_user("olivia.owner"))
    with pytest.raises(jobs.UploadError, match=message):
        jobs.ingest_job_create(actor=actor, file_name="x.835", content=content)
    assert not IngestJob.objects.exists()


def test_too_large_an_upload_is_refused(monkeypatch):
    monkeypatch.setattr(jobs, "MAX_UPLOAD_BYTES", 10)
    with pytest.raises(jobs.UploadError, match="limit"):
        jobs.ingest_job_create(
            actor=resolve_actor(_user("olivia.owner")), file_name="x.835", content=b"ISA" * 10
        )


def test_a_refused_upload_tells_the_user():
    client = verified_client("olivia.owner")
    response = upload(client, "")
    assert response.status_code == 302
    follow = client.get(reverse("eras:list")).content.decode()
    assert "Choose an 835" in follow or "empty" in follow
    assert not IngestJob.objects.exists()


def _user(username: str):
    from bureau.accounts.models import User

    return User.objects.get(username=username)


def test_jobs_are_visible_to_their_uploader_and_workspace_supervisors_only():
    priya = resolve_actor(_user("priya.poster"))
    job = jobs.ingest_job_create(actor=priya, file_name="p.835", content=b"ISA*00~")
    url = reverse("eras:job", args=[job.pk])
    assert verified_client("priya.poster").get(url).status_code == 200
    assert verified_client("olivia.owner").get(url).status_code == 200  # all-practices poster
    assert verified_client("bella.biller").get(url).status_code == 404  # another person's
    assert verified_client("hank.harbor").get(url).status_code == 404  # another workspace
    assert (
        verified_client("priya.poster").get(reverse("eras:job", args=[job.pk + 999])).status_code
        == 404
    )


class RecordingWriter(ProgressWriter):
    def __init__(self) -> None:
        super().__init__(0)
        self.written: list[dict[str, Any]] = []

    def write(self, **values: Any) -> None:
        self.written.append(values)


def test_progress_writer_clamps_and_throttles() -> None:
    progress = RecordingWriter()
    progress(0, 10, "posting 10 claims")
    progress(3, 10, "posting 10 claims")  # within the interval: skipped
    progress(15, 10, "posting 10 claims")  # the last one always goes, clamped to the total
    progress(1, 0, "x" * 500)  # a new stage always goes; no total means no count
    assert progress.written == [
        {"done": 0, "total": 10, "stage": "posting 10 claims"},
        {"done": 10, "total": 10, "stage": "posting 10 claims"},
        {"done": 0, "total": 0, "stage": "x" * 120},
    ]


def test_progress_reaches_the_job_row_outside_the_posting_transaction() -> None:
    job = IngestJob.objects.create(
        workspace=_user("olivia.owner").workspace, file_name="f", path="/nonexistent"
    )
    progress = ProgressWriter(job.pk)
    if connection.vendor == "postgresql":
        # Inside a transaction the row is written through a connection of its own (committed
        # at once); this test's uncommitted row is invisible to it, so only check it runs.
        progress(2, 4, "posting 4 claims")
    else:
        progress(2, 4, "posting 4 claims")
        job.refresh_from_db()
        assert (job.done, job.total, job.stage, job.percent) == (2, 4, "posting 4 claims", 50)
    progress.close()
    assert progress.side is None


def test_posting_actor_keeps_only_the_practices_it_may_post_to():
    bella = resolve_actor(_user("bella.biller"))  # biller: payments.view, not post
    assert bella.practices(Capability.PAYMENTS_VIEW)
    assert not posting_actor(bella).access
    olivia = resolve_actor(_user("olivia.owner"))
    assert posting_actor(olivia).practice_ids() == olivia.practice_ids()
    assert practice_for("priya.poster", Capability.PAYMENTS_POST)
