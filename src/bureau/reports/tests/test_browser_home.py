"""The owner's home in a real browser (issue 14): the book at a glance, every practice's row,
the denial trend drawn, and a figure followed to the report behind it. A screenshot is saved
in `test-output/screenshots/` to be looked at."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.demo import seed_demo
from bureau.reports.tests.kpi_fixture import build_book
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]


def test_the_owner_reads_the_book_and_follows_a_practice_to_its_aging(
    page: Page, live_server: Any, transactional_db: Any
) -> None:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    book = build_book()
    SHOTS.mkdir(parents=True, exist_ok=True)
    sign_in(page, live_server.url, "olivia.owner")
    glance = page.locator("#home-book")
    expect(glance).to_contain_text("The book at a glance")
    rows = page.locator("#book-practices tbody tr")
    expect(rows).to_have_count(9)  # the demo's eight and the KPI test clinic
    expect(page.locator("#book-practices")).to_contain_text(book.practice.name)
    expect(page.locator("#book-denial-trend")).to_be_visible()
    expect(page.locator("#work-summary")).to_be_visible()  # the owner's queue counts stay
    page.screenshot(path=str(SHOTS / "owner-home.png"), full_page=True)

    row = page.locator(f'#book-practices tr[data-practice="{book.practice.public_id}"]')
    row.locator("td").nth(1).get_by_role("link").click()
    page.wait_for_url(lambda url: "/reports/aging/" in url)
    expect(page.locator("h1").first).to_contain_text("aging", ignore_case=True)
