"""The compliance officer's day with the workforce, in a real browser: she records a training
completion with its certificate (the person leaves the overdue list) and publishes a new version
of a policy; then a biller signs in, sees the policy to acknowledge from her home, and
acknowledges it. Screenshots of the training matrix and the policy list in
`test-output/screenshots/`."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from bureau.compliance.demo_workforce import pdf
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


def test_officer_records_training_and_publishes_a_policy_and_a_biller_acknowledges_it(
    page: Page, live_server: Any, seeded: None
) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "carla.compliance", next_path="/compliance/training/")
    matrix = page.locator("#training-matrix")
    expect(matrix).to_contain_text("Casey Cole")
    expect(page.locator("#training-summary")).to_contain_text("2 overdue")
    page.screenshot(path=str(SHOTS / "compliance-training-matrix.png"), full_page=True)

    # Casey's overdue course: the cell's own link opens the form for her and the course.
    casey = matrix.locator("tr", has_text="Casey Cole")
    casey.get_by_role("link", name="record").first.click()
    expect(page.get_by_label("Person").locator("option:checked")).to_have_text("Casey Cole")
    expect(page.get_by_label("Course").locator("option:checked")).to_have_text(
        "Annual HIPAA privacy and security"
    )
    page.get_by_label("Completed on").fill(timezone.localdate().isoformat())
    page.get_by_label("Certificate").set_input_files(
        files=[
            {
                "name": "casey-hipaa.pdf",
                "mimeType": "application/pdf",
                "buffer": pdf("Certificate", "Casey Cole, annual HIPAA."),
            }
        ]
    )
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(lambda url: "/compliance/training/people/" in url)
    expect(page.locator(".messages")).to_contain_text("Recorded Casey Cole's completion")
    expect(page.locator("#training-history")).to_contain_text("casey-hipaa.pdf")
    page.screenshot(path=str(SHOTS / "compliance-training-person.png"), full_page=True)
    page.goto(f"{live_server.url}/compliance/training/?status=overdue")
    expect(page.locator("#training-matrix")).not_to_contain_text("Casey Cole")
    expect(page.locator("#training-matrix")).to_contain_text("Dan")

    # A new version of the sanctions policy.
    page.goto(f"{live_server.url}/compliance/policies/")
    expect(page.locator("#policy-list")).to_contain_text("Security policy")
    page.screenshot(path=str(SHOTS / "compliance-policy-list.png"), full_page=True)
    page.get_by_role("link", name="Sanctions policy").click()
    page.get_by_role("link", name="Publish a new version").click()
    page.get_by_label("Effective on").fill(timezone.localdate().isoformat())
    page.get_by_label("What changed").fill("Sanctions scale for misdirected remittances.")
    page.get_by_label("Document").set_input_files(
        files=[
            {
                "name": "sanctions-v2.pdf",
                "mimeType": "application/pdf",
                "buffer": pdf("Sanctions policy", "Version 2."),
            }
        ]
    )
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Published version 2 of 'Sanctions policy'")
    expect(page.locator("#policy-versions")).to_contain_text("sanctions-v2.pdf")
    page.screenshot(path=str(SHOTS / "compliance-policy-detail.png"), full_page=True)

    # The biller's home says there is a policy to acknowledge.
    page.context.clear_cookies()
    sign_in(page, live_server.url, "bella.biller")
    home = page.locator("#home-workforce")
    expect(home).to_contain_text("1 policy to acknowledge")
    home.get_by_role("link", name="1 policy to acknowledge").click()
    rows = page.locator("#my-policies")
    expect(rows).to_contain_text("Sanctions policy")
    expect(rows.get_by_role("link", name="sanctions-v2.pdf")).to_be_visible()
    page.get_by_test_id("acknowledge").click()
    expect(page.locator(".messages")).to_contain_text(
        "You acknowledged version 2 of 'Sanctions policy'."
    )
    expect(page.locator("#policies-pending")).to_contain_text("You have acknowledged every")
    expect(page.get_by_test_id("acknowledge")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "compliance-my-policies.png"), full_page=True)
