"""The owner reads the period reports in a real browser on the KPIs' hand-built book (March
2026): the filter form, each page's chart and table, and the underpayments drill from a payer
row to its claims and on to a claim. Screenshots in `test-output/screenshots/`."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.demo import seed_demo
from bureau.reports.tests.kpi_fixture import Book, build_book
from bureau.reports.tests.test_period_reports import underpaid
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]


@pytest.fixture
def book(transactional_db: Any) -> Book:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    built = build_book()
    underpaid(built)
    return built


def test_owner_reads_the_period_reports_and_drills_underpayments(
    page: Page, live_server: Any, book: Book
) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "olivia.owner", next_path="/reports/mix/")
    # The form: a practice, the period; Show reloads with them.
    page.select_option("select[name=practice]", str(book.practice.public_id))
    page.fill("input[name=start]", "2026-03-01")
    page.fill("input[name=end]", "2026-03-31")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#payer-mix tfoot")).to_contain_text("480.00")
    expect(page.locator("#cpt-mix")).to_contain_text("99213")
    page.screenshot(path=str(SHOTS / "report-mix.png"), full_page=True)
    query = page.url.split("?", 1)[1]
    for name, table, text in (
        ("posting", "#posting-table", "2026-03-20"),
        ("writeoffs", "#writeoff-table", "Medical necessity"),
    ):
        page.goto(f"{live_server.url}/reports/{name}/?{query}")
        expect(page.locator(table)).to_contain_text(text)
        expect(page.locator("figure.report-chart svg")).to_be_visible()
        page.screenshot(path=str(SHOTS / f"report-{name}.png"), full_page=True)

    page.goto(
        f"{live_server.url}/reports/underpayments/?practice=all&start=2026-03-01&end=2026-03-31"
    )
    expect(page.locator("#underpaid-claim-table")).to_have_count(0)
    page.locator("#underpayment-table tr.lvl-payer a", has_text=book.payer_x.name).click()
    claims = page.locator("#underpaid-claim-table tr.lvl-claim")
    expect(claims).to_have_count(1)
    expect(claims.first).to_contain_text(book.claims["C7"].number)
    page.screenshot(path=str(SHOTS / "report-underpayments.png"), full_page=True)
    claims.first.locator("a").click()
    page.wait_for_url(lambda url: "/claims/" in url)
    expect(page.locator("body")).to_contain_text(book.claims["C7"].number)
