"""The practice bar in a real browser: it follows the record a person opens, two tabs cannot
write under a bar that names another practice, and the practice filters work under the CSP.

Drives the system Chromium through Playwright against `live_server`, like `test_browser.py`.
Screenshots land in `test-output/screenshots/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from playwright.sync_api import ConsoleMessage, Page, expect

from bureau.claims.models import Claim, ClaimState, Encounter
from bureau.claims.tests import factories
from bureau.conftest import TEST_PATIENTS_PER_PRACTICE
from bureau.demo import seed_demo
from bureau.directory.models import Payer
from bureau.tenancy import rls
from bureau.tenancy.context import OPENED_UNDER
from bureau.web.tests.test_browser import (
    PATIENTS_PER_PRACTICE,
    SHOTS,
    sign_in,
    summit_practices,
    switch_to,
    switcher_summary,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RIVERBEND = "Riverbend Dermatology"
SUMMIT_PT = "Summit Physical Therapy"


@pytest.fixture(scope="module", autouse=True)
def _restore_session_seed(django_db_blocker: Any) -> Iterator[None]:
    """Put the session-wide demo back once this module is done (see test_browser.py)."""
    yield
    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
        connection.close()


@pytest.fixture
def demo(transactional_db: Any) -> None:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.fixture
def csp_errors(page: Page) -> list[str]:
    """Console errors of the page: a blocked inline handler shows up here."""
    seen: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if message.type == "error":
            seen.append(message.text)

    page.on("console", record)
    return seen


def draft_claim_of(name: str) -> Claim:
    practice = summit_practices()[name]
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id").first()
    assert payer is not None
    with transaction.atomic(), rls.practice_scope([practice.pk]):
        return factories.claim(
            practice,
            factories.coverage(factories.patient(practice), payer),
            state=ClaimState.DRAFT,
        )


def diagnoses_of(claim: Claim) -> list[str]:
    with transaction.atomic(), rls.practice_scope([claim.practice_id]):
        encounter = Encounter.objects.for_system([claim.practice_id], reason="test").get(
            pk=claim.encounter_id
        )
        return list(encounter.diagnosis_codes)


@pytest.mark.usefixtures("demo")
def test_two_tabs_write_under_the_bar_they_show(page: Page, live_server: Any) -> None:
    claim = draft_claim_of(SUMMIT_PT)
    riverbend = summit_practices()[RIVERBEND]
    claim_url = f"{live_server.url}/claims/{claim.public_id}/"
    sign_in(page, live_server.url, "olivia.owner", next_path="/claims/")

    # Tab A works in Riverbend, then opens a Summit PT claim by link: the bar follows it.
    switch_to(page, RIVERBEND)
    expect(switcher_summary(page)).to_contain_text(RIVERBEND)
    page.goto(claim_url)
    expect(switcher_summary(page)).to_contain_text(SUMMIT_PT)
    expect(page.locator(".messages")).to_contain_text(
        f"Switched to {SUMMIT_PT} to show this claim."
    )
    page.screenshot(path=str(SHOTS / "context-followed-record.png"), full_page=True)

    # Tab B switches the session to Riverbend in between.
    tab_b = page.context.new_page()
    tab_b.goto(f"{live_server.url}/claims/")
    switch_to(tab_b, RIVERBEND)
    expect(switcher_summary(tab_b)).to_contain_text(RIVERBEND)
    tab_b.screenshot(path=str(SHOTS / "context-tab-b-switched.png"))

    # Tab A still shows Summit PT, and its form says so: the correction goes ahead, under the
    # practice the claim belongs to, and the bar shows it again.
    fix = page.locator("#correct-diagnoses")
    expect(fix.locator(f"input[name={OPENED_UNDER}]")).to_have_value(
        str(summit_practices()[SUMMIT_PT].public_id)
    )
    assert diagnoses_of(claim) == ["E119", "I10"]
    fix.get_by_label("Correct diagnoses").fill("J06.9 E11.9")
    fix.get_by_role("button", name="Save diagnoses").click()
    expect(page.locator(".messages")).to_contain_text("Diagnoses corrected")
    expect(switcher_summary(page)).to_contain_text(SUMMIT_PT)
    assert diagnoses_of(claim) == ["J069", "E119"]
    page.screenshot(path=str(SHOTS / "context-two-tabs-write.png"), full_page=True)

    # A page opened under Riverbend that writes to this claim (a tab left open from before,
    # a hand-made form): refused, nothing changes, the claim shows again under its own bar.
    fix = page.locator("#correct-diagnoses")
    fix.locator(f"input[name={OPENED_UNDER}]").evaluate(
        "(el, value) => { el.value = value; }", str(riverbend.public_id)
    )
    fix.get_by_label("Correct diagnoses").fill("M54.5")
    fix.get_by_role("button", name="Save diagnoses").click()
    expect(page.locator(".messages")).to_contain_text(
        f"This page was opened under {RIVERBEND}; the claim belongs to {SUMMIT_PT}. "
        "Reload and try again."
    )
    expect(switcher_summary(page)).to_contain_text(SUMMIT_PT)
    assert diagnoses_of(claim) == ["J069", "E119"]
    page.screenshot(path=str(SHOTS / "context-write-refused.png"), full_page=True)

    # A form that carries no practice (an old page) is held to the session: tab B has switched
    # it to Riverbend again, so tab A's write is refused.
    switch_to(tab_b, RIVERBEND)
    fix = page.locator("#correct-diagnoses")
    fix.locator(f"input[name={OPENED_UNDER}]").evaluate("el => el.remove()")
    fix.get_by_label("Correct diagnoses").fill("M54.5")
    fix.get_by_role("button", name="Save diagnoses").click()
    expect(page.locator(".messages")).to_contain_text(
        f"You are working in {RIVERBEND}; the claim belongs to {SUMMIT_PT}. Reload and try again."
    )
    assert diagnoses_of(claim) == ["J069", "E119"]


# -- practice filters (no inline handlers: bureau.js submits data-autosubmit selects) ----------
FILTERS = {
    "settings": ("/settings/", "All practices (workspace defaults)", "All practices"),
    "setup-providers": ("/setup/", "All practices", "All practices"),
    "setup-enrollments": ("/setup/enrollments/", "All practices", "All practices"),
    "batches": ("/batches/", "All practices", "All practices"),
}


@pytest.mark.usefixtures("demo")
@pytest.mark.parametrize("which", sorted(FILTERS))
def test_choosing_a_practice_in_a_filter_reloads_the_page_filtered(
    page: Page, live_server: Any, csp_errors: list[str], which: str
) -> None:
    path, all_label, all_heading = FILTERS[which]
    summit_pt = summit_practices()[SUMMIT_PT]
    sign_in(page, live_server.url, "olivia.owner", next_path=path)
    heading = page.locator("h1")
    expect(heading).to_contain_text(all_heading)
    select = page.locator("form.filters select[name=practice]")
    assert select.get_attribute("onchange") is None

    with page.expect_navigation():
        select.select_option(label=SUMMIT_PT)
    assert page.url.endswith(f"{path}?practice={summit_pt.public_id}"), page.url
    expect(heading).to_contain_text(SUMMIT_PT)
    expect(page.locator("form.filters select[name=practice]")).to_have_value(
        str(summit_pt.public_id)
    )
    if which == "batches":
        practices = page.locator("table.table tbody tr td:first-child").all_inner_texts()
        assert practices and set(practices) == {SUMMIT_PT}, practices
    if which == "setup-providers":
        practices = page.locator("table tbody tr td:nth-child(5)").all_inner_texts()
        assert practices and set(practices) == {SUMMIT_PT}, practices
    page.screenshot(path=str(SHOTS / f"filter-{which}.png"), full_page=True)

    with page.expect_navigation():
        page.locator("form.filters select[name=practice]").select_option(label=all_label)
    assert re.search(r"\?practice=all$", page.url), page.url
    expect(heading).to_contain_text(all_heading)
    assert not [e for e in csp_errors if "Content Security Policy" in e], csp_errors
