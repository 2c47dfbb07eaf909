"""A failed ingest in the browser: the job's row stops polling and says why; Retry queues it
again and the row polls to Done without a reload. Screenshot: test-output/screenshots/."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import Page, expect

from bureau.conftest import TEST_PATIENTS_PER_PRACTICE
from bureau.demo import seed_demo
from bureau.directory.models import ContractRate
from bureau.remittance import tasks
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import era_text, paid_and_denied
from bureau.web.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[4] / "test-output" / "screenshots"


@pytest.fixture(scope="module", autouse=True)
def _restore_session_seed(django_db_blocker: Any) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
        connection.close()


def run_worker() -> None:
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0)


def test_a_failed_job_says_why_stops_polling_and_retries(
    page: Page, live_server: Any, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    seed_demo(patients_per_practice=8)
    SHOTS.mkdir(parents=True, exist_ok=True)
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    era_file = tmp_path / "remit.835"
    era_file.write_text(era_text(practice, payer, paid_and_denied(practice, payer)))
    real = tasks.run_ingest
    runs: list[int] = []

    def flaky(*args: Any, **kwargs: Any) -> Any:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("connection to the database lost")
        return real(*args, **kwargs)

    monkeypatch.setattr(tasks, "run_ingest", flaky)

    sign_in(page, live_server.url, "olivia.owner", next_path="/eras/")
    expect(page.get_by_role("heading", name=re.compile("^ERAs"))).to_be_visible()
    page.locator("#era-upload input[type=file]").set_input_files(str(era_file))
    page.get_by_role("button", name="Upload and ingest").click()
    job = page.locator("#ingest-jobs tbody tr").first
    expect(job).to_have_attribute("hx-trigger", "every 1s")

    run_worker()  # the first attempt fails on a fault that is not the file's
    expect(job).to_contain_text("Failed", timeout=10_000)
    expect(job).to_contain_text("connection to the database lost")
    expect(job).not_to_have_attribute("hx-trigger", "every 1s")  # polling stopped
    retry = job.get_by_role("button", name="Retry")
    expect(retry).to_be_visible()
    page.screenshot(path=str(SHOTS / "era-job-failed.png"), full_page=True)

    retry.click()  # the job's own page, polling again
    expect(page.locator(".messages")).to_contain_text("queued for ingest again")
    row = page.locator("#ingest-jobs tbody tr").first
    expect(row).to_have_attribute("hx-trigger", "every 1s")
    run_worker()
    expect(row).to_contain_text("Done", timeout=10_000)
    expect(row).to_contain_text("2 posted")
    expect(row).not_to_have_attribute("hx-trigger", "every 1s")
    assert len(runs) == 2
