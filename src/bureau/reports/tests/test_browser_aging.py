"""The owner drills the A/R aging report in a real browser: book → practice → payer → claim in
one page (htmx swaps the rows in), then to the claim's page. Screenshots in
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


def test_owner_drills_book_practice_payer_claim(page: Page, live_server: Any, seeded: None):
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "olivia.owner", next_path="/reports/aging/")
    table = page.locator("#aging-table")
    expect(table.locator("tr.lvl-practice").first).to_be_visible()
    expect(table.locator("tr.lvl-payer")).to_have_count(0)
    expect(page.locator("figure.report-chart svg")).to_be_visible()
    page.screenshot(path=str(SHOTS / "aging-book.png"), full_page=True)

    # Practice: its payers arrive in place (htmx), the URL says so, the rest stays.
    first = table.locator("tr.lvl-practice").first
    practice_name = first.locator("th a").inner_text().strip("▸▾ ").strip()
    page_url = page.url
    first.locator("th a").click()
    expect(table.locator("tr.lvl-payer").first).to_be_visible()
    assert page.url != page_url and "open=" in page.url
    expect(table.locator("tr.lvl-practice")).to_have_count(table.locator("tr.lvl-practice").count())
    expect(table.locator("tr.lvl-practice.open th")).to_contain_text(practice_name)

    # Payer: its claims, each a link to the claim's page.
    payer = table.locator("tr.lvl-payer").first
    payer.locator("th a").click()
    claim_rows = table.locator("tr.lvl-claim")
    expect(claim_rows.first).to_be_visible()
    claim_link = claim_rows.first.locator("th a")
    number = claim_link.inner_text().strip()
    expect(page.locator("tfoot tr.lvl-total")).to_contain_text("Total")
    page.screenshot(path=str(SHOTS / "aging-drilled.png"), full_page=True)

    claim_link.click()
    page.wait_for_url(lambda url: "/claims/" in url)
    expect(page.locator("body")).to_contain_text(number)
    # Opened under All practices, the bar stays All; the claim's page names its practice.
    expect(page.get_by_test_id("practice-context")).to_contain_text("All practices")
    expect(page.locator("main")).to_contain_text(practice_name)
    page.screenshot(path=str(SHOTS / "aging-claim.png"), full_page=True)

    # Without script the same drill is plain links: back to the report, reloaded, still open.
    page.go_back()
    page.reload()
    expect(page.locator("#aging-table tr.lvl-practice.open th")).to_contain_text(practice_name)
