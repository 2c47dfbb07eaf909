"""The compliance officer's month of exclusion screening in a real browser: she imports OIG's
monthly exclusions supplement through the upload form, screens everyone, opens the possible
match the file brought and resolves it as a false positive with her reason. Screenshots in
`test-output/screenshots/` (screening-*.png)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.compliance.models.screening import HitStatus, ScreeningHit
from bureau.compliance.tests.helpers import leie_bytes
from bureau.demo import seed_demo
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]

# This month's supplement: a listed Lina Lindgren, a namesake of the demo's biller (85: the
# same name, no date of birth of ours to tell them apart).
SUPPLEMENT = leie_bytes(
    {
        "LASTNAME": "LINDGREN",
        "FIRSTNAME": "LINA",
        "GENERAL": "SYNTHETIC DEMO ROW",
        "SPECIALTY": "NURSING PROFESSION",
        "DOB": "19790305",
        "STATE": "ZZ",
        "EXCLDATE": "20261119",
    }
)
REASON = (
    "HR file: our Lina Lindgren was born 1991-08-14, not 1979-03-05, and never worked as a nurse."
)


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)


def test_officer_imports_screens_and_resolves_a_possible_match(
    page: Page, live_server: Any, seeded: None, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "carla.compliance", next_path="/compliance/screening/")
    expect(page.get_by_test_id("open-hits")).to_contain_text("Dr. Leif Kilbride")
    expect(page.get_by_test_id("open-hits")).not_to_contain_text("Lina Lindgren")

    # Import the month's exclusions supplement through the form on the page.
    supplement = tmp_path / "LEIE-2026-11-exclusions.csv"
    supplement.write_bytes(SUPPLEMENT)
    form = page.get_by_test_id("leie-upload")
    form.get_by_label("Kind of list").select_option("exclusions")
    form.get_by_label("LEIE file").set_input_files(str(supplement))
    form.get_by_role("button", name="Import").click()
    expect(page.locator(".messages")).to_contain_text(
        "Imported LEIE-2026-11-exclusions.csv (Monthly supplement: exclusions): 1 row read, 1 added"
    )
    expect(page.get_by_test_id("imports")).to_contain_text("LEIE-2026-11-exclusions.csv")

    # Screen now: the run's page says what it found.
    page.get_by_test_id("screen-now").click()
    page.wait_for_url(lambda url: "/compliance/screening/runs/" in url)
    expect(page.locator(".messages")).to_contain_text("new hit")
    expect(page.get_by_test_id("run-hits")).to_contain_text("Lina Lindgren")
    expect(page.get_by_test_id("run-files")).to_contain_text("LEIE-2026-11-exclusions.csv")
    page.screenshot(path=str(SHOTS / "screening-run.png"), full_page=True)

    # Back to the work list: the new possible match is there; open it.
    page.goto(f"{live_server.url}/compliance/screening/")
    row = page.get_by_test_id("open-hits").locator("tr", has_text="Lina Lindgren")
    expect(row).to_contain_text("Possible · 85")
    # Last month's confirmed exclusion is raised again, and the work list says so.
    greywood = page.get_by_test_id("open-hits").locator("tr", has_text="Dr. Mira Greywood")
    expect(greywood.get_by_test_id("resolved-before")).to_contain_text("Confirmed: excluded on")
    page.screenshot(path=str(SHOTS / "screening-page.png"), full_page=True)
    row.get_by_role("link", name="Resolve").click()
    page.wait_for_url(lambda url: "/compliance/screening/hits/" in url)
    compare = page.get_by_test_id("compare")
    expect(compare).to_contain_text("Lina Lindgren")
    expect(compare).to_contain_text("1979-03-05")
    page.screenshot(path=str(SHOTS / "screening-hit.png"), full_page=True)

    # Resolved as a false positive, with her reason.
    resolve = page.get_by_test_id("resolve-form")
    resolve.get_by_label("False positive: not the listed person").check()
    resolve.locator("textarea").fill(REASON)
    resolve.get_by_role("button", name="Resolve").click()
    page.wait_for_url(lambda url: url.endswith("/compliance/screening/#open-hits"))
    expect(page.locator(".messages")).to_contain_text(
        "Lina Lindgren: resolved as False positive. It will not be raised again"
    )
    expect(page.get_by_test_id("open-hits")).not_to_contain_text("Lina Lindgren")
    expect(page.get_by_test_id("open-hits")).to_contain_text("Dr. Leif Kilbride")
    page.screenshot(path=str(SHOTS / "screening-resolved.png"), full_page=True)

    hit = ScreeningHit.objects.get(subject_label="Lina Lindgren")
    assert (hit.status, hit.resolution_reason) == (HitStatus.FALSE_POSITIVE, REASON)
    assert hit.resolved_by is not None and hit.resolved_by.username == "carla.compliance"

    # The hit's page now shows the resolution, and that it will not come back.
    page.goto(f"{live_server.url}/compliance/screening/hits/{hit.public_id}/")
    expect(page.get_by_test_id("resolution")).to_contain_text(REASON)
    expect(page.get_by_test_id("not-again")).to_be_visible()
    page.screenshot(path=str(SHOTS / "screening-hit-resolved.png"), full_page=True)
