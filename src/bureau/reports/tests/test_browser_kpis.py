"""The KPI dashboard in a real browser: the owner opens one practice's March, each figure
labelled with its variant; a figure's link lands on its written definition; a client viewer's
practice list holds her practice only. Screenshots in `test-output/screenshots/`."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.demo import seed_demo
from bureau.reports.tests.kpi_fixture import Book, build_book
from bureau.tenancy.models import Practice
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
    return build_book()


def test_owner_reads_a_practices_kpis_and_their_definitions(
    page: Page, live_server: Any, book: Book
) -> None:
    path = f"/reports/kpis/?practice={book.practice.public_id}&start=2026-03-01&end=2026-03-31"
    sign_in(page, live_server.url, "olivia.owner", next_path="/reports/kpis/")
    page.goto(f"{live_server.url}{path}")
    row = page.locator("#kpi-days_in_ar")
    # 380 × 31 / 480 (see test_kpis): the default variant, named.
    expect(row).to_contain_text("24.54 days")
    expect(row).to_contain_text("On gross charges")
    expect(page.locator("#kpi-clean_claim_rate")).to_contain_text("66.67 %")
    page.screenshot(path=str(SHOTS / "kpi-dashboard.png"), full_page=True)
    row.get_by_role("link", name="On gross charges").click()
    expect(page.locator("#days_in_ar")).to_contain_text("HFMA MAP Key")
    expect(page.locator("#days_in_ar--net_revenue")).to_be_visible()
    page.screenshot(path=str(SHOTS / "kpi-definitions.png"))

    page.goto(f"{live_server.url}/reports/kpis/?start=2026-04-01&end=2026-03-01")
    errors = page.locator("#kpi-errors")
    expect(errors).to_contain_text("The period starts (2026-04-01) after it ends")


def test_a_client_viewer_chooses_among_her_practice_only(
    page: Page, live_server: Any, book: Book
) -> None:
    sign_in(page, live_server.url, "cliff.client", next_path="/reports/kpis/")
    options = page.locator("select[name=practice] option").all_inner_texts()
    mine = Practice.objects.filter(grants__user__username="cliff.client").values_list(
        "name", flat=True
    )
    assert sorted(options) == sorted(["All practices", *mine])
    expect(page.locator("#kpi-table")).to_be_visible()
    page.screenshot(path=str(SHOTS / "kpi-dashboard-client.png"), full_page=True)
