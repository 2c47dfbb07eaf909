"""The compliance officer runs an access review in a real browser: starts one over Bayview
Pediatrics with the supervisor as its reviewer, revokes the biller's grant (the biller, signed
in in a second browser, loses the practice at her next request), confirms the rest, locks the
review and downloads its evidence bundle. Screenshots in `test-output/screenshots/`."""

from __future__ import annotations

import hashlib
import io
import re
import zipfile
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from bureau.compliance.models.access_review import AccessReview, AccessReviewStatus
from bureau.demo import seed_demo
from bureau.tenancy.models import Grant, Practice
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]
PRACTICE = "Bayview Pediatrics"


@pytest.fixture
def seeded(transactional_db: Any) -> None:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)


def test_officer_revokes_a_grant_locks_the_review_and_takes_the_evidence(
    page: Page, browser: Browser, live_server: Any, seeded: None
) -> None:
    bayview = Practice.objects.get(workspace__slug="summit", name=PRACTICE)
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "carla.compliance", next_path="/compliance/access-reviews/")
    expect(page.locator("#review-table")).to_contain_text("locked")  # last quarter's, seeded
    expect(page.locator("#review-next")).to_contain_text("Next review of the whole workspace")
    page.screenshot(path=str(SHOTS / "access-review-list.png"), full_page=True)

    page.get_by_role("link", name="Start a review").click()
    page.get_by_label("Title").fill("Bayview access check")
    page.get_by_label("The practices chosen below").check()
    page.get_by_role("checkbox", name=PRACTICE, exact=True).check()
    page.get_by_label(f"Reviewer of {PRACTICE}").select_option(
        label="Sam Sutherland (sam.supervisor)"
    )
    page.get_by_role("button", name="Start the review").click()
    page.wait_for_url(re.compile(r"/compliance/access-reviews/[0-9a-f-]{36}/$"))
    expect(page.locator(".messages")).to_contain_text("Opened Bayview access check")
    campaign_url = page.url
    page.screenshot(path=str(SHOTS / "access-review-open.png"), full_page=True)

    # The biller, in a browser of her own, works Bayview's patients.
    other = browser.new_context(viewport={"width": 1280, "height": 800})
    bella = other.new_page()
    patients = f"/patients/?practice={bayview.public_id}"
    sign_in(bella, live_server.url, "bella.biller", next_path=patients)
    expect(bella.locator("h1").first).to_contain_text("Patients")

    row = page.locator('tr[data-username="bella.biller"]')
    row.get_by_label("Comment on bella.biller's access").fill("Moved to the Lakeside team")
    row.get_by_role("button", name="Revoke").click()
    expect(page.locator(".messages")).to_contain_text("Revoked bella.biller's biller access")
    expect(page.locator('tr[data-username="bella.biller"]')).to_contain_text("revoked")

    # Her next request: Bayview is gone, as if it never existed.
    response = bella.goto(f"{live_server.url}{patients}")
    assert response is not None and response.status == 404
    bella.goto(f"{live_server.url}/")
    expect(bella.locator("#practice-summary")).not_to_contain_text(PRACTICE)
    bella.screenshot(path=str(SHOTS / "access-review-revoked-user.png"), full_page=True)
    other.close()

    # The rest: each practice's remaining grants at once, then her own with a reason.
    page.get_by_role("button", name=re.compile(rf"Confirm all \d+ remaining in {PRACTICE}")).click()
    expect(page.locator(".messages")).to_contain_text(f"remaining grant(s) on {PRACTICE}")
    page.get_by_role(
        "button", name=re.compile(r"Confirm all \d+ remaining in All practices")
    ).click()
    own = page.locator('tr[data-username="carla.compliance"]')
    own.get_by_label("Comment on carla.compliance's access").fill("I run the compliance program")
    own.get_by_role("button", name="Confirm").click()
    expect(page.locator("#lock-form")).to_contain_text("Every grant is decided.")
    page.get_by_role("button", name="Lock the review and store its evidence").click()
    expect(page.locator("#review-evidence")).to_contain_text("Evidence bundle SHA-256")
    page.screenshot(path=str(SHOTS / "access-review-locked.png"), full_page=True)

    with page.expect_download() as caught:
        page.locator("#evidence-link").click()
    download = caught.value
    data = open(download.path(), "rb").read()  # noqa: SIM115 (a temporary file of Playwright's)
    review = AccessReview.objects.get(title="Bayview access check")
    assert review.status == AccessReviewStatus.LOCKED
    assert hashlib.sha256(data).hexdigest() == review.evidence_sha256
    assert download.suggested_filename.endswith(".zip")
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        changes = bundle.read("changes.csv").decode()
    assert "bella.biller" in changes and "revoked" in changes
    revoked = Grant.objects.get(user__username="bella.biller", practice=bayview)
    assert revoked.revoked_at is not None
    assert page.url == campaign_url

    # Last quarter's seeded review as one of its reviewers sees it: his two practices alone.
    seeded = AccessReview.objects.get(workspace__slug="summit", whole_workspace=True)
    mine = browser.new_context(viewport={"width": 1440, "height": 900})
    alex = mine.new_page()
    sign_in(
        alex,
        live_server.url,
        "alex.manager",
        next_path=f"/compliance/access-reviews/{seeded.public_id}/",
    )
    expect(alex.locator("#review-summary")).to_contain_text("your grants decided")
    expect(alex.locator("main")).to_contain_text("Lakeside Family Medicine")
    expect(alex.locator("main")).not_to_contain_text(PRACTICE)
    alex.screenshot(path=str(SHOTS / "access-review-reviewer.png"), full_page=True)
    mine.close()
