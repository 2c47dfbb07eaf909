"""A corrected claim in a real browser (issue 13): the biller opens a claim the payer denied
for coding (CO-4: the modifier is missing), sends a corrected claim from the claim's page, adds
the modifier on the replacement's form and saves it; the replacement is scrubbed clean and
queued for the next batch. Screenshots in the test's tmp dir and `test-output/screenshots/`."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.claims.models import Claim, ClaimFrequency, ClaimLine, ClaimState
from bureau.claims.tests import factories
from bureau.demo import seed_demo
from bureau.directory.models import ContractRate, Enrollment, EnrollmentStatus, Payer
from bureau.remittance.services import ingest_era_text
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import era_text
from bureau.tenancy import rls
from bureau.tenancy.models import Workspace
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]


@pytest.fixture
def coding_denial(transactional_db: Any) -> Claim:
    """A claim of the biller's first practice denied CO-4 on its office visit (payer PCN77)."""
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    practice = b.summit()[0]
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id")[2]
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()  # no overpayment exception
    (claim,) = b.submitted_claims(practice, payer)
    with rls.practice_scope([practice.pk]):
        Enrollment.objects.update_or_create(
            workspace_id=practice.workspace_id,
            practice=practice,
            provider=factories.provider(practice),
            payer=payer,
            defaults={"status": EnrollmentStatus.ACTIVE, "effective_date": date(2020, 1, 1)},
        )
    one, two = b.lines_of(claim)
    denial = b.paid_claim(
        claim,
        [b.svc(one, "0.00", ("CO", "4", "110.00"), rarcs=("N519",)), b.svc(two, "12.00")],
        payer_claim_number="PCN77",
    )
    ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        text=era_text(practice, payer, [denial]),
        file_name="coding-denial.835",
    )
    return Claim.objects.for_system([practice.pk], reason="test").get(pk=claim.pk)


def test_biller_sends_a_corrected_claim_for_a_coding_denial(
    page: Page, live_server: Any, coding_denial: Claim, tmp_path: Path
) -> None:
    original = coding_denial
    assert original.payer_claim_number == "PCN77"
    sign_in(page, live_server.url, "bella.biller", next_path=f"/claims/{original.public_id}/")
    expect(page.locator(".practice-badge")).to_contain_text(original.practice.name)
    page.get_by_role("button", name="Corrected claim").click()

    expect(page.locator("h1")).to_contain_text("Replacement claim")
    expect(page.locator("#replacement-of")).to_contain_text(original.number)
    expect(page.locator("#replacement-of")).to_contain_text("PCN77")
    assert page.get_by_label("Line 1 code").input_value() == "99213"
    page.get_by_label("Line 1 modifiers").fill("25")
    shot = tmp_path / "corrected-claim-form.png"
    page.screenshot(path=str(shot), full_page=True)
    page.get_by_role("button", name="Save and scrub").click()

    expect(page.locator("ul.messages")).to_contain_text("goes out with the next batch")
    expect(page.locator("#correction-of")).to_contain_text(original.number)
    expect(page.locator("#claim-lines")).to_contain_text("25")
    done = tmp_path / "corrected-claim-queued.png"
    page.screenshot(path=str(done), full_page=True)
    SHOTS.mkdir(parents=True, exist_ok=True)
    for path in (shot, done):
        shutil.copy(path, SHOTS / path.name)

    replacement = Claim.objects.for_system([original.practice_id], reason="test").get(
        replaces=original
    )
    assert replacement.frequency == ClaimFrequency.REPLACEMENT
    assert replacement.state == ClaimState.READY  # queued for the next batch
    modifiers = (
        ClaimLine.objects.for_system([original.practice_id], reason="test")
        .filter(claim=replacement)
        .order_by("line_number")
        .values_list("modifiers", flat=True)
    )
    assert list(modifiers) == [["25"], []]

    page.goto(f"{live_server.url}/claims/{original.public_id}/")
    expect(page.locator("#corrected-by")).to_contain_text(replacement.number)
