"""The client viewer signs in to her dashboard and downloads her monthly report in a real
browser (issue 14): her home shows her practice's KPIs against targets, the list shows
her practice only, the preview states the roll-forward, the PDF downloads (its text checked)
and its first page is rendered to PNG in `test-output/screenshots/` to be looked at."""

from __future__ import annotations

import io
import shutil
import subprocess
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.demo import seed_demo
from bureau.reports.aging import aging_by_bucket
from bureau.reports.filters import AgingBasis, ReportFilters
from bureau.reports.monthly_models import Trigger
from bureau.reports.monthly_services import monthly_report_generate
from bureau.reports.tests.monthly_helpers import MONTH, build_book
from bureau.tenancy.actor import resolve_actor
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
    # Her home is her practice's dashboard: KPIs against the targets, trends, aging, SLA.
    sign_in(page, live_server.url, "cliff.client")
    dashboard = page.locator("#client-dashboard")
    expect(dashboard.get_by_role("heading", level=1)).to_have_text("Lakeside Family Medicine")
    targets = page.locator("#client-targets")
    for name in ("Clean claim rate", "Days in A/R", "Initial denial rate", "Net collection rate"):
        expect(targets).to_contain_text(name)
    expect(targets).to_contain_text("≥ 95 %")
    expect(targets).to_contain_text("≤ 35 days")
    # One trend per target KPI: drawn, or said to have nothing to measure in the seed's months.
    expect(page.locator("#client-trends > figure, #client-trends > p")).to_have_count(4)
    expect(page.locator("#client-trend-table tbody tr")).to_have_count(4)
    # The aging summary is the aging report's own total for her practice.
    aging = aging_by_bucket(
        actor=resolve_actor(User.objects.get(username="cliff.client")),  # type: ignore[arg-type]
        filters=ReportFilters(book.practice, None, timezone.localdate(), AgingBasis.SERVICE),
    ).book
    assert aging.insurance.total > 0
    expect(page.locator("#client-aging")).to_contain_text(f"{aging.insurance.total:,.2f}")
    expect(dashboard).not_to_contain_text(foreign.figures["practice"]["name"])
    expect(dashboard.get_by_role("link", name="Who accessed your data")).to_be_visible()
    page.screenshot(path=str(SHOTS / "client-dashboard.png"), full_page=True)

    dashboard.get_by_role("link", name="Monthly reports").click()
    page.wait_for_url(lambda url: "/reports/monthly/" in url)
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
