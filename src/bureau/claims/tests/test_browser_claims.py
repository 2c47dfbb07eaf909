"""The claim flow a biller walks in the browser: enter an encounter, scrub the claim, fix the
error the scrubber finds, scrub again, build the 837P batch and download it.

Drives the system Chromium through Playwright against `live_server`, like
`bureau/web/tests/test_browser.py`. Screenshots land in `test-output/screenshots/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from playwright.sync_api import Page, expect

from bureau.claims.models import Claim, ClaimState
from bureau.conftest import TEST_PATIENTS_PER_PRACTICE
from bureau.demo import WORKSPACE_SLUG, seed_demo
from bureau.directory.models import Enrollment, EnrollmentStatus
from bureau.patients.models import Coverage
from bureau.tenancy.models import Practice
from bureau.web.tests.test_browser import sign_in, switch_to
from bureau.x12.tests.oracle import pyx12_errors

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[4]
SHOTS = REPO_ROOT / "test-output" / "screenshots"
PATIENTS_PER_PRACTICE = 15
NONBILLABLE_DX = "E11"  # a valid ICD-10-CM category, not a billable leaf
BILLABLE_DX = "E11.9"
CPT = "99213"


@pytest.fixture(scope="module", autouse=True)
def _restore_session_seed(django_db_blocker: Any) -> Iterator[None]:
    """Put the session-wide demo back once this module is done (see test_browser.py)."""
    yield
    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
        connection.close()


def _encounter_target(dos: Any) -> tuple[Practice, str, str]:
    """A practice, a patient account with exactly one coverage in force on `dos` and no claim
    on that day, and a provider actively enrolled with that coverage's payer."""
    practices = list(Practice.objects.filter(workspace__slug=WORKSPACE_SLUG).order_by("name"))
    with transaction.atomic():
        for practice in practices:
            ids = [practice.pk]
            coverages = list(
                Coverage.objects.for_system(ids, reason="test")
                .filter(effective_date__lte=dos)
                .filter(Q(end_date__isnull=True) | Q(end_date__gte=dos))
                .select_related("patient")
            )
            per_patient: dict[int, list[Coverage]] = {}
            for c in coverages:
                per_patient.setdefault(c.patient_id, []).append(c)
            busy = set(
                Claim.objects.for_system(ids, reason="test")
                .filter(encounter__date_of_service=dos)
                .values_list("patient_id", flat=True)
            )
            enrolled = {
                e.payer_id: e.provider
                for e in Enrollment.objects.filter(
                    practice=practice, status=EnrollmentStatus.ACTIVE, provider__is_active=True
                )
                .filter(Q(effective_date__isnull=True) | Q(effective_date__lte=dos))
                .filter(Q(end_date__isnull=True) | Q(end_date__gte=dos))
                .select_related("provider")
            }
            for patient_id, covs in sorted(per_patient.items()):
                if len(covs) == 1 and patient_id not in busy and covs[0].payer_id in enrolled:
                    provider = enrolled[covs[0].payer_id]
                    return practice, covs[0].patient.account_number, f"{provider.name} ("
    raise AssertionError("no patient with one coverage and an enrolled provider in the demo")


def test_enter_scrub_fix_and_batch_a_claim(
    page: Page, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    dos = timezone.localdate() - timedelta(days=5)
    practice, account, provider_label = _encounter_target(dos)

    # Sign in (password + TOTP) and work in one practice.
    sign_in(page, live_server.url, "olivia.owner", next_path="/claims/")
    switch_to(page, practice.name)
    expect(page.get_by_test_id("practice-context")).to_contain_text(practice.name)

    # Enter the encounter with a category code where a billable code belongs.
    page.get_by_role("link", name="New encounter").click()
    expect(page.get_by_role("heading", name=re.compile("New encounter"))).to_contain_text(
        practice.name
    )
    form = page.locator("#encounter-form")
    form.get_by_label("Patient account #").fill(account)
    for label in ("Rendering provider", "Billing provider"):
        select = form.get_by_label(label)
        option = select.locator("option").filter(has_text=provider_label).first
        select.select_option(value=option.get_attribute("value"))
    form.get_by_label("Date of service").fill(dos.isoformat())
    page.locator("#id_dx1").fill(NONBILLABLE_DX)
    page.locator("#id_line1_code").fill(CPT)
    page.locator("#id_line1_units").fill("1")
    page.locator("#id_line1_charge").fill("125.00")
    page.get_by_role("button", name="Save encounter").click()
    expect(page.locator("body")).to_contain_text(f"Encounter of {dos:%Y-%m-%d} saved")

    with transaction.atomic():
        claim = (
            Claim.objects.for_system([practice.pk], reason="test")
            .filter(patient__account_number=account, encounter__date_of_service=dos)
            .get()
        )
    assert claim.state == ClaimState.DRAFT
    page.goto(f"{live_server.url}/claims/{claim.public_id}/")
    expect(page.get_by_role("heading", name=re.compile(claim.number))).to_be_visible()

    # Scrub: the category code is an error, the claim is scrubbed (not ready).
    page.get_by_role("button", name="Scrub").click()
    hits = page.locator("#scrub-hits")
    expect(hits).to_contain_text(
        f"Diagnosis 1 ({NONBILLABLE_DX}) is a category; code to full specificity."
    )
    expect(hits.locator(".severity-error").first).to_be_visible()
    expect(page.locator("h1 .badge.state-scrubbed")).to_have_text("Scrubbed (errors)")
    page.screenshot(path=str(SHOTS / "claim-scrub-hit.png"), full_page=True)

    # Fix: correct the diagnosis on the claim page, scrub again -> ready.
    fix = page.locator("#correct-diagnoses")
    fix.get_by_label("Correct diagnoses").fill(BILLABLE_DX)
    fix.get_by_role("button", name="Save diagnoses").click()
    expect(page.locator("#claim-facts")).to_contain_text("1: E119")
    page.get_by_role("button", name="Scrub").click()
    expect(page.locator("h1 .badge.state-ready")).to_have_text("Ready")
    expect(page.locator("#scrub-hits .severity-error")).to_have_count(0)

    # Build the batches and download the one that carries this claim.
    page.goto(f"{live_server.url}/batches/")
    page.get_by_role("button", name="Build batches").click()
    expect(page.locator("body")).to_contain_text("Built ")
    rows = page.locator("table.table tbody tr").filter(has_text=practice.name)
    expect(rows.first).to_be_visible()
    page.screenshot(path=str(SHOTS / "batches.png"), full_page=True)

    found = None
    for i in range(rows.count()):
        with page.expect_download() as info:
            rows.nth(i).get_by_role("link", name="Download").click()
        target = tmp_path / f"batch-{i}.x12"
        info.value.save_as(target)
        text = target.read_text()
        if claim.number in text:
            found = text
            break
    assert found is not None, f"no downloaded batch carries claim {claim.number}"
    assert found.startswith("ISA*")
    assert pyx12_errors(found) == []
    with transaction.atomic():
        state = (
            Claim.objects.for_system([practice.pk], reason="test")
            .values_list("state", flat=True)
            .get(pk=claim.pk)
        )
    assert state == ClaimState.SUBMITTED
