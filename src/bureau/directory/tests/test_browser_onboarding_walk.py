"""Issue 16's walk, in a real browser: the owner adds a new client practice, "Eleventh Street
Pediatrics", and takes it from nothing to a batched claim through the pages alone.

Olivia adds the practice (a bad NPI refused first), sees the checklist's blocking steps, copies
setup from Lakeside Family Medicine (fee schedule, contract rates, scrub rules, settings: listed
first, then applied), adds a clinic (a five-digit ZIP refused, ZIP+4 saved), a provider and an
active enrollment with each payer the practice will bill, imports a three-patient roster and
grants Bella (biller). Every blocking step is then done. She enters an encounter at the new
clinic, scrubs its claim to Ready; with the clinic deactivated the batch is refused with the
step named, reactivated the claim goes out in an 837P that passes pyx12 and carries the
practice's own billing address (2010AA) and the clinic (2310C). Screenshots in
`test-output/screenshots/walk-*.png`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from bureau.claims.models import Claim
from bureau.demo import seed_demo
from bureau.directory.npi import make_npi
from bureau.directory.onboarding import checklist, payers_to_bill
from bureau.tenancy.models import Practice
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in, switch_to
from bureau.x12.tests.oracle import pyx12_errors

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]
NAME = "Eleventh Street Pediatrics"
CLINIC = "Eleventh Street Clinic"
SIBLING = "Lakeside Family Medicine"
PROVIDER = "Nora Quinn MD"
REASON = "New client signed: onboarding"


@pytest.fixture
def seeded(transactional_db: Any, settings: Any, tmp_path: Path) -> None:
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)


def shot(page: Page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"walk-{name}.png"), full_page=True)


def the_practice() -> Practice:
    return Practice.objects.get(workspace__slug="summit", name=NAME)


def add_practice(page: Page, base: str) -> Practice:
    page.goto(f"{base}/setup/practices/")
    page.get_by_test_id("add-practice").click()
    form = page.get_by_test_id("practice-form")
    values = {
        "#id_name": NAME,
        "#id_code": "ESP",
        "#id_npi": "1234567890",  # the check digit is wrong
        "#id_tax_id": "36-4455667",
        "#id_address_line1": "1100 Eleventh St",
        "#id_address_line2": "Suite 200",
        "#id_city": "Springfield",
        "#id_state": "IL",
        "#id_postal_code": "62701-4455",
        "#id_specialty": "Pediatrics",
        "#id_reason": REASON,
    }
    for selector, value in values.items():
        page.fill(selector, value)
    page.select_option("#id_timezone", "America/Chicago")
    form.get_by_role("button", name=re.compile("Save|Add")).click()
    expect(form).to_contain_text("is not valid")
    shot(page, "01-bad-npi")
    page.fill("#id_npi", make_npi("145678912"))
    page.fill("#id_reason", REASON)
    page.get_by_test_id("practice-form").get_by_role("button", name=re.compile("Save|Add")).click()
    expect(page.get_by_test_id("blocking-notice")).to_contain_text(f"Claims of {NAME}")
    shot(page, "02-new-practice")
    return the_practice()


def copy_setup(page: Page, base: str, practice: Practice) -> None:
    page.goto(f"{base}/setup/practices/{practice.public_id}/")
    page.get_by_test_id("setup-copy").click()
    page.select_option("#id_source", label=SIBLING)
    page.get_by_test_id("copy-preview").click()
    changes = page.get_by_test_id("setup-changes").locator("tbody tr")
    expect(changes.first).to_be_visible()
    expect(page.locator("[data-section=contract_rates]").first).to_be_visible()
    shot(page, "03-copy-preview")
    page.fill("#id_reason", "Same payers and fees as Lakeside")
    page.get_by_test_id("copy-apply").click()
    expect(page.locator("body")).to_contain_text(f"{NAME}: setup copied from {SIBLING}, 12 changes")


def add_clinic(page: Page, base: str, practice: Practice) -> None:
    page.goto(f"{base}/setup/facilities/?practice={practice.public_id}")
    page.get_by_test_id("add-facility").click()
    page.fill("#id_name", CLINIC)
    page.fill("#id_address_line1", "1102 Eleventh St")
    page.fill("#id_city", "Springfield")
    page.fill("#id_state", "IL")
    page.fill("#id_postal_code", "62701")
    page.fill("#id_reason", REASON)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_test_id("facility-form")).to_contain_text("not a ZIP+4")
    shot(page, "04-zip-refused")
    page.fill("#id_postal_code", "62701-5566")
    page.fill("#id_reason", REASON)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text(f"Facility {CLINIC} added to {NAME}.")


def add_provider(page: Page, base: str, practice: Practice) -> None:
    page.goto(f"{base}/setup/?practice={practice.public_id}")
    page.get_by_test_id("add-provider").click()
    expect(page.locator("#id_practice")).to_have_value(str(practice.public_id))
    page.fill("#id_name", PROVIDER)
    page.fill("#id_last_name", "Quinn")
    page.fill("#id_first_name", "Nora")
    page.fill("#id_npi", make_npi("167890123"))
    page.fill("#id_taxonomy", "208000000X")
    page.fill("#id_reason", REASON)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("body")).to_contain_text(f"Provider {PROVIDER} created.")


def choose(select: Locator, text: str) -> None:
    """Select the first option whose label holds `text`."""
    option = select.locator("option").filter(has_text=text).first
    select.select_option(value=option.get_attribute("value"))


def enroll(page: Page, base: str, practice: Practice) -> list[str]:
    """An active enrollment of the new provider with each payer the practice will bill."""
    payers = payers_to_bill(practice)
    assert payers, "the copied contract rates name the payers to bill"
    since = (timezone.localdate() - timedelta(days=365)).isoformat()
    for payer in payers:
        page.goto(f"{base}/setup/enrollments/new/?practice={practice.public_id}")
        form = page.get_by_test_id("enrollment-new-form")
        choose(form.locator("#id_provider"), PROVIDER)
        choose(form.locator("#id_payer"), payer.name)
        form.locator("#id_status").select_option("active")
        page.fill("#id_effective_date", since)
        page.fill("#id_reason", "Credentialing approved")
        form.get_by_role("button", name="Create").click()
        expect(page.locator("body")).to_contain_text(payer.name)
    return [p.payer_id for p in payers]


def import_roster(page: Page, base: str, payer_ids: list[str], tmp_path: Path) -> None:
    columns = (
        "account_number,last_name,first_name,date_of_birth,sex,address_line1,city,state,"
        "postal_code,payer_id,member_id,relationship,subscriber_last_name,"
        "subscriber_first_name,subscriber_date_of_birth,subscriber_sex,effective_date"
    )
    street = "40 Elm St,Springfield,IL,62704"
    rows = [
        columns,
        # A child on a parent's policy: the 837P carries the subscriber and the patient (2010CA).
        f"ES-0001,Testkid,Avery,2019-05-01,F,{street},{payer_ids[0]},ES-M-1,child,"
        "Testparent,Jordan,1988-03-03,F,2025-01-01",
        f"ES-0002,Testkid,Blake,2017-09-12,M,{street},{payer_ids[-1]},ES-M-2,self,,,,,2025-01-01",
        f"ES-0003,Testkid,Casey,2021-02-03,F,{street},,,,,,,,",
    ]
    roster = tmp_path / "eleventh.csv"
    roster.write_text("\n".join(rows) + "\n")
    page.goto(f"{base}/patients/import/")
    page.select_option("#id_practice", label=NAME)
    page.set_input_files("#id_file", str(roster))
    page.locator("#roster-form button[type=submit]").click()
    expect(page.locator("body")).to_contain_text(
        f"Imported 3 patients and 2 coverages into {NAME}."
    )


def grant_bella(page: Page, base: str) -> None:
    page.goto(f"{base}/accounts/users/")
    page.get_by_role("link", name=re.compile("bella.biller|Bella")).first.click()
    form = page.locator("#grant-form")
    expect(form.locator("#id_role")).to_have_value("")  # nothing chosen for her
    form.locator("#id_role").select_option("biller")
    form.locator("#id_practice").select_option(label=NAME)
    form.locator("#id_reason").fill("Bella works the new client")
    form.locator("button[type=submit]").click()
    expect(page.locator("body")).to_contain_text(NAME)


def enter_encounter(page: Page, base: str, practice: Practice) -> Claim:
    dos = timezone.localdate() - timedelta(days=5)
    page.goto(f"{base}/claims/")
    switch_to(page, NAME)
    page.get_by_role("link", name="New encounter").click()
    form = page.locator("#encounter-form")
    form.get_by_label("Patient account #").fill("ES-0001")
    for label in ("Rendering provider", "Billing provider"):
        choose(form.get_by_label(label), PROVIDER)
    form.get_by_label("Service facility").select_option(label=f"{CLINIC}, Springfield")
    form.get_by_label("Date of service").fill(dos.isoformat())
    page.locator("#id_dx1").fill("J06.9")
    page.locator("#id_line1_code").fill("99213")
    page.locator("#id_line1_units").fill("1")
    page.locator("#id_line1_charge").fill("125.00")
    page.get_by_role("button", name="Save encounter").click()
    expect(page.locator("body")).to_contain_text(f"Encounter of {dos:%Y-%m-%d} saved")
    with transaction.atomic():
        return (
            Claim.objects.for_system([practice.pk], reason="test")
            .filter(patient__account_number="ES-0001", encounter__date_of_service=dos)
            .get()
        )


def set_clinic_active(page: Page, base: str, practice: Practice, active: bool) -> None:
    page.goto(f"{base}/setup/facilities/?practice={practice.public_id}&active=all")
    page.get_by_test_id("facility-list").get_by_role("link", name=f"Edit {CLINIC}").click()
    form = page.get_by_test_id("active-form")
    form.locator("input[name=reason], textarea[name=reason]").fill(
        "Clinic reopened" if active else "Clinic closed for renovation"
    )
    form.get_by_role("button", name="Reactivate" if active else "Deactivate").click()
    expect(page.locator("body")).to_contain_text("active" if active else "inactive")


def build_batches(page: Page, base: str) -> str:
    page.goto(f"{base}/batches/")
    page.get_by_role("button", name="Build batches").click()
    page.wait_for_load_state()
    return page.locator("main").inner_text()


def test_a_new_client_practice_from_nothing_to_a_batched_claim(
    page: Page, live_server: Any, seeded: None, tmp_path: Path
) -> None:
    base = live_server.url
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, base, "olivia.owner", next_path="/setup/practices/")

    practice = add_practice(page, base)
    blocking = {s.key for s in checklist(practice).blocking_open}
    assert blocking == {"facility", "enrollments", "route"}, blocking
    copy_setup(page, base, practice)
    add_clinic(page, base, practice)
    add_provider(page, base, practice)
    payer_ids = enroll(page, base, practice)
    import_roster(page, base, payer_ids, tmp_path)
    grant_bella(page, base)

    page.goto(f"{base}/setup/practices/{practice.public_id}/")
    expect(page.get_by_test_id("blocking-notice")).to_have_count(0)
    shot(page, "05-checklist-done")
    assert checklist(the_practice()).blocking_open == []

    claim = enter_encounter(page, base, practice)
    page.goto(f"{base}/claims/{claim.public_id}/")
    page.get_by_role("button", name="Scrub").click()
    expect(page.locator("h1 .badge.state-ready")).to_have_text("Ready")
    shot(page, "06-claim-ready")

    set_clinic_active(page, base, practice, active=False)
    said = build_batches(page, base)
    assert f"Claims of {NAME} were not batched" in said and "Service facility" in said, said
    shot(page, "07-batch-refused")
    set_clinic_active(page, base, practice, active=True)
    said = build_batches(page, base)
    assert f"Claims of {NAME} were not batched" not in said
    shot(page, "08-batched")

    with transaction.atomic():
        sent = Claim.objects.for_system([practice.pk], reason="test").get(pk=claim.pk)
        content = sent.batch.content
    assert pyx12_errors(content) == []
    assert "N3*1100 ELEVENTH ST*SUITE 200~" in content.upper()
    assert "N4*SPRINGFIELD*IL*627014455~" in content.upper()
    assert f"NM1*77*2*{CLINIC.upper()}" in content.upper()
    assert "N4*SPRINGFIELD*IL*627015566~" in content.upper()
