"""The compliance officer works an incident in a real browser: records it, sets it contained,
assesses the four factors and decides; the log shows it with its clock. Screenshots in
`test-output/screenshots/` (incidents-*.png)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from bureau.compliance.models.incidents import BreachDecision, Incident
from bureau.demo import seed_demo
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]
TITLE = "Unencrypted USB stick lost"


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)


def test_officer_records_contains_assesses_and_decides(
    page: Page, live_server: Any, seeded: None
) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "carla.compliance", next_path="/compliance/incidents/")
    expect(page.locator("h1")).to_contain_text("Incident log")
    page.screenshot(path=str(SHOTS / "incidents-log-demo.png"), full_page=True)

    # Record: ten days ago (so the 60 days have 50 left), by the officer.
    page.get_by_role("link", name="Record an incident").click()
    found = timezone.localdate() - timedelta(days=10)
    page.locator("#id_title").fill(TITLE)
    page.locator("#id_description").fill("A USB stick with a month of 837 files was lost.")
    page.locator("#id_systems_affected").fill("USB stick; claim export")
    page.locator("#id_discovered_on").fill(found.isoformat())
    page.locator("#id_discovered_time").fill("09:15")
    page.locator("#id_discovered_by").select_option(label="Carla Castillo")
    page.get_by_role("button", name="Record the incident").click()
    expect(page.locator("h1")).to_contain_text(TITLE)
    expect(page.locator(".messages")).to_contain_text("recorded")
    expect(page.locator("#clock ~ table").first).to_contain_text("50 days left")

    # Contained today, by the officer (the form offers the next step, already chosen).
    expect(page.locator("#id_moment")).to_have_value("reported")
    page.locator("#id_moment").select_option("contained")
    page.locator("#id_on").fill(timezone.localdate().isoformat())
    page.locator("#id_at").fill("00:05")
    page.get_by_role("button", name="Record the step").click()
    expect(page.locator(".messages")).to_contain_text("Contained: recorded")

    # "Not a breach" before the assessment: refused, the error on the page.
    page.locator("#id_decision").select_option("not_breach")
    page.locator("#id_reasoning").fill("Stick was found.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator("#decision-form")).to_contain_text("Assess and rate all four factors")

    # The four factors.
    page.get_by_text("Assess the four factors").click()
    for factor, text, risk in (
        ("phi_nature", "Names, member ids and codes of 300 patients.", "high"),
        ("unauthorized_person", "Unknown finder.", "high"),
        ("acquired_or_viewed", "Unknown: the stick was not recovered.", "medium"),
        ("mitigation", "None possible; the files were not encrypted.", "high"),
    ):
        page.locator(f"#id_{factor}").fill(text)
        page.locator(f"#id_{factor}_risk").select_option(risk)
    page.get_by_role("button", name="Save the assessment").click()
    expect(page.locator(".messages")).to_contain_text("risk assessment is saved")

    # Decided a breach, with the reasoning.
    page.locator("#id_decision").select_option("breach")
    page.locator("#id_reasoning").fill("Unencrypted, not recovered: compromise is not unlikely.")
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".messages")).to_contain_text("Decision recorded: breach")
    expect(page.locator("h1 .badge").nth(1)).to_have_text("breach")
    page.screenshot(path=str(SHOTS / "incidents-detail.png"), full_page=True)

    incident = Incident.objects.get(title=TITLE)
    assert incident.decision == BreachDecision.BREACH and incident.contained_at is not None
    assert incident.mitigation_risk == "high"

    # The log: open, its clock, before the closed one.
    page.goto(f"{live_server.url}/compliance/incidents/")
    row = page.locator("table.incidents tbody tr").filter(has_text=TITLE)
    expect(row).to_contain_text("50 days left")
    expect(row).to_contain_text("contained")
    page.screenshot(path=str(SHOTS / "incidents-log.png"), full_page=True)

    # The demo's incident tied to a window: the proposal, counts only for the officer.
    page.get_by_role("link", name="Biller's password entered on a phishing page").click()
    expect(page.locator("#confirm-form table")).to_contain_text("Lakeside Family Medicine")
    expect(page.locator("main")).to_contain_text("counted, not named")
    page.screenshot(path=str(SHOTS / "incidents-proposal.png"), full_page=True)
