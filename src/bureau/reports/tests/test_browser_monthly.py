"""The client viewer downloads her monthly report in a real browser (issue 14): the list shows
her practice only, the preview states the roll-forward, the PDF downloads (its text checked)
and its first page is rendered to PNG in `test-output/screenshots/` to be looked at."""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from bureau.audit.models import AuditAction, AuditEvent
from bureau.demo import seed_demo
from bureau.reports.monthly_models import Trigger
from bureau.reports.monthly_services import monthly_report_generate
from bureau.reports.tests.monthly_helpers import MONTH, build_book
from bureau.tenancy.models import Practice
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]
IDENTITY = "$110.00 + $134.00 − $70.00 − $20.00 − $30.00 − $12.00 + $10.00 = $122.00"


@pytest.fixture
def reported(transactional_db: Any) -> Any:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    lakeside = Practice.objects.get(workspace__slug="summit", name="Lakeside Family Medicine")
    book = build_book(lakeside)
    other = Practice.objects.filter(workspace__slug="summit").exclude(pk=lakeside.pk).first()
    assert other is not None
    foreign = monthly_report_generate(practice=other, month=MONTH, trigger=Trigger.SCHEDULE)
    mine = monthly_report_generate(practice=lakeside, month=MONTH, trigger=Trigger.SCHEDULE)
    return book, mine, foreign


def test_the_client_viewer_downloads_her_monthly_report(page: Page, live_server: Any, reported):
    book, mine, foreign = reported
    sign_in(page, live_server.url, "cliff.client", next_path="/reports/monthly/")
    table = page.locator("#monthly-table")
    expect(table).to_contain_text("Lakeside Family Medicine")
    expect(table).to_contain_text("$122.00")
    expect(table).not_to_contain_text(foreign.figures["practice"]["name"])
    page.screenshot(path=str(SHOTS / "monthly-list.png"), full_page=True)

    page.get_by_role("link", name="2020-03").click()
    preview = page.locator("#monthly-preview")
    expect(preview).to_contain_text(IDENTITY)
    expect(preview).to_contain_text(book.payer_a.name)
    page.screenshot(path=str(SHOTS / "monthly-preview.png"), full_page=True)

    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    download = info.value
    assert download.suggested_filename == f"monthly-report-{book.practice.code}-2020-03-v1.pdf"
    path = download.path()
    assert path is not None
    with open(path, "rb") as fh:
        pdf = fh.read()
    assert pdf == bytes(mine.pdf)
    text = " ".join(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages).split())
    assert IDENTITY in text and "A/R at the end $122.00" in text
    assert AuditEvent.objects.filter(
        action=AuditAction.MONTHLY_REPORT_DOWNLOADED,
        user__username="cliff.client",
        record_ids=[str(mine.public_id)],
    ).exists()

    # Her first page as an image, to be looked at (pdftoppm: scripts/system-deps.sh).
    if shutil.which("pdftoppm"):
        saved = SHOTS / "monthly-report.pdf"
        saved.write_bytes(pdf)
        subprocess.run(  # noqa: S603 - a fixed program on a file this test wrote
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(saved),
             str(SHOTS / "monthly-report-page1")],
            check=True,
        )  # fmt: skip
        assert (SHOTS / "monthly-report-page1.png").stat().st_size > 1000
