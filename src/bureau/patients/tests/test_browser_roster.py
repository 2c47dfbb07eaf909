"""The owner imports a small roster in a real browser (a bad file first: every problem listed,
nothing written), then gives an imported child a second policy held by a parent and ends it.
Screenshots in `test-output/screenshots/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.demo import seed_demo
from bureau.patients import roster
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]
SAMPLE = Path(roster.__file__).parent / "data" / "roster_sample.csv"


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)


def test_owner_imports_a_roster_and_adds_and_ends_a_policy(
    page: Page, live_server: Any, seeded: None, tmp_path: Path
):
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "olivia.owner", next_path="/patients/")
    page.locator("#import-roster").click()
    page.wait_for_url(lambda url: "/patients/import/" in url)
    practice = page.locator("#id_practice option").nth(0).inner_text()

    bad = tmp_path / "bad.csv"
    text = SAMPLE.read_text()
    bad.write_text(text.replace("1958-03-14", "1958-02-30").replace("BLUPK,,BPK-55013", "NO,,X1"))
    page.set_input_files("#id_file", str(bad))
    page.locator("#roster-form button[type=submit]").click()
    errors = page.locator("#roster-errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("date_of_birth")
    expect(errors.nth(1)).to_contain_text("payer_id")
    page.screenshot(path=str(SHOTS / "roster-errors.png"), full_page=True)

    page.set_input_files("#id_file", str(SAMPLE))
    page.locator("#roster-form button[type=submit]").click()
    expect(page.locator("body")).to_contain_text(
        f"Imported 5 patients and 4 coverages into {practice}."
    )
    page.fill("#q", "RS-0003")
    page.locator("#patient-table a", has_text="RS-0003").first.click()
    expect(page.locator("#patient-coverages")).to_contain_text("Placeholder, Jordan")

    page.locator("#add-coverage").click()
    page.select_option("#id_payer", label="Cardinal Mutual (demo) (CRDML)")
    page.fill("#id_member_id", "CM-1234")
    page.select_option("#id_cob_order", "2")
    page.select_option("#id_relationship", "19")
    page.fill("#id_subscriber_last_name", "Placeholder")
    page.fill("#id_subscriber_first_name", "Sam")
    page.fill("#id_effective_date", "2025-01-01")
    page.locator("#coverage-form button[type=submit]").click()
    # The subscriber's birth date is missing: said on its field, nothing saved.
    expect(page.locator("#coverage-form")).to_contain_text("Subscriber's date of birth is required")
    page.screenshot(path=str(SHOTS / "coverage-form-error.png"), full_page=True)
    page.fill("#id_subscriber_date_of_birth", "1986-07-07")
    page.locator("#coverage-form button[type=submit]").click()
    table = page.locator("#patient-coverages")
    expect(table).to_contain_text("CM-1234")

    table.locator("tr", has_text="CM-1234").get_by_role("link", name="End").click()
    page.fill("#id_end_date", "2025-12-31")
    page.locator("#coverage-end-form button[type=submit]").click()
    row = page.locator("#patient-coverages tr", has_text="CM-1234")
    expect(row).to_contain_text("2025-12-31")
    expect(row).to_contain_text("Ended")
    page.screenshot(path=str(SHOTS / "patient-coverages.png"), full_page=True)
