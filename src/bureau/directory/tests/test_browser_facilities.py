"""Adding a service facility in a real browser, from the practice's page: a five-digit ZIP is
refused on the form naming the ZIP+4, the nine digits are saved, then the facility is
deactivated with a reason and leaves the active list. Screenshots of the form with its error
and of the list in `test-output/screenshots/`."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.audit.models import AuditAction, AuditEvent
from bureau.demo import seed_demo
from bureau.directory.models import ServiceFacility
from bureau.tenancy.models import Practice
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


def test_owner_adds_a_facility_zip_plus_four_then_deactivates_it(
    page: Page, live_server: Any, seeded: None
) -> None:
    practice = Practice.objects.filter(workspace__slug="summit").order_by("id").first()
    assert practice is not None
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(
        page, live_server.url, "olivia.owner", next_path=f"/setup/practices/{practice.public_id}/"
    )

    # From the practice's page to its facilities, then "Add a facility" keeps the practice.
    page.get_by_test_id("practice-facilities").click()
    page.wait_for_url(lambda url: "/setup/facilities/" in url)
    expect(page.get_by_test_id("facility-list")).to_contain_text(f"{practice.name} main office")
    page.get_by_test_id("add-facility").click()
    page.wait_for_url(lambda url: "/setup/facilities/new/" in url)
    form = page.get_by_test_id("facility-form")
    expect(form.locator("select[name=practice]")).to_have_value(str(practice.public_id))

    form.get_by_label("Name").fill("Westside Clinic")
    form.get_by_label("Street").fill("2200 West Main St")
    form.get_by_label("City").fill("Springfield")
    form.get_by_label("State").fill("IL")
    form.get_by_label("ZIP+4").fill("62704")
    form.get_by_label("Reason").fill("second clinic opened")
    form.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("facility-form")).to_contain_text("is not a ZIP+4")
    page.screenshot(path=str(SHOTS / "setup-facility-zip-refused.png"), full_page=True)
    assert not ServiceFacility.objects.filter(name="Westside Clinic").exists()

    form = page.get_by_test_id("facility-form")
    form.get_by_label("ZIP+4").fill("62704-2210")
    form.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda url: "/setup/facilities/?practice=" in url)
    expect(page.locator(".messages")).to_contain_text("Facility Westside Clinic added")
    row = page.get_by_test_id("facility-list").locator("tr", has_text="Westside Clinic")
    expect(row).to_contain_text("62704-2210")
    page.screenshot(path=str(SHOTS / "setup-facilities.png"), full_page=True)

    # Deactivate it with a reason: gone from the active list, shown under Inactive.
    row.get_by_role("link", name="Edit Westside Clinic").click()
    active = page.get_by_test_id("active-form")
    active.get_by_label("Reason").fill("clinic closed for good")
    active.get_by_role("button", name="Deactivate").click()
    expect(page.locator(".messages")).to_contain_text("Facility Westside Clinic deactivated.")
    page.goto(f"{live_server.url}/setup/facilities/?practice={practice.public_id}")
    expect(page.get_by_test_id("facility-list")).not_to_contain_text("Westside Clinic")
    page.get_by_label("Active or inactive").select_option("inactive")  # bureau.js submits it
    page.wait_for_url(lambda url: "active=inactive" in url)
    expect(page.get_by_test_id("facility-list")).to_contain_text("Westside Clinic")
    page.screenshot(path=str(SHOTS / "setup-facilities-inactive.png"), full_page=True)

    facility = ServiceFacility.objects.get(name="Westside Clinic")
    assert (facility.postal_code, facility.is_active) == ("62704-2210", False)
    event = AuditEvent.objects.filter(action=AuditAction.FACILITY_UPDATED).latest("id")
    assert event.reason == "clinic closed for good"
