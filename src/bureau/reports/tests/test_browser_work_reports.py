"""The work reports in a real browser, as the owner: productivity, SLA, and her own day in the
activity report (picked from the list, as a person would). Screenshots in
`test-output/screenshots/`."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.demo import seed_demo
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)


def test_owner_reads_the_work_reports(page: Page, live_server: Any, seeded: None) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "olivia.owner", next_path="/reports/productivity/")
    expect(page.locator("#productivity-table")).to_be_visible()
    expect(page.locator("#productivity-table tfoot")).to_contain_text("All practices shown")
    page.screenshot(path=str(SHOTS / "productivity.png"), full_page=True)

    page.goto(f"{live_server.url}/reports/sla/")
    expect(page.locator("#sla-table tfoot")).to_contain_text("All functions")
    page.screenshot(path=str(SHOTS / "sla.png"), full_page=True)

    page.goto(f"{live_server.url}/reports/activity/")
    page.locator("select[name=person]").select_option(label="Olivia Owens <olivia.owner>")
    page.locator("form.filters button[type=submit]").click()
    table = page.locator("#activity-table")
    expect(table).to_be_visible()
    expect(table).to_contain_text("Looked at a report")  # her productivity and SLA reads
    page.screenshot(path=str(SHOTS / "activity.png"), full_page=True)
