"""The owner reads denials analytics and payer performance in a real browser on the simulated
demo: the filters, the chart, the tables, and a practice drill on the payer page, with no
script error (the pages carry none of their own). Screenshots in `test-output/screenshots/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from playwright.sync_api import Page, expect

from bureau.demo import WORKSPACE_SLUG, seed_demo
from bureau.demo_claims import simulate_demo
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]


@pytest.fixture
def simulated(
    transactional_db: Any, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    with monkeypatch.context() as m:
        m.setattr(transaction, "on_commit", lambda func, *a, **k: func())
        simulate_demo(WORKSPACE_SLUG, days=45, seed=2026)
    SHOTS.mkdir(parents=True, exist_ok=True)


def test_owner_reads_denials_and_payer_performance(page: Page, live_server: Any, simulated: None):
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "olivia.owner", next_path="/reports/denials/?practice=all")
    expect(page.locator("figure.report-chart svg")).to_be_visible()
    expect(page.locator("#denials-by-category tbody tr").first).to_be_visible()
    expect(page.locator("#denials-reasons tbody tr").first).not_to_contain_text("No denials")
    page.screenshot(path=str(SHOTS / "denials-book.png"), full_page=True)

    # Three months ending this month, through the form.
    page.locator("select[name=months]").select_option("3")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(lambda url: "months=3" in url)
    expect(page.locator("#denials-by-category thead th")).to_have_count(3 + 3)

    page.goto(f"{live_server.url}/reports/payers/?practice=all")
    expect(page.locator("#payers-by-payer tbody tr").first).to_be_visible()
    page.screenshot(path=str(SHOTS / "payers-book.png"), full_page=True)
    first = page.locator("#payers-by-practice tr.lvl-practice th a").first
    name = first.inner_text().strip()
    first.click()
    page.wait_for_url(lambda url: "practice=" in url and "practice=all" not in url)
    expect(page.locator("h1")).to_contain_text(name)
    page.screenshot(path=str(SHOTS / "payers-practice.png"), full_page=True)
    assert not errors, errors
