"""An appeal in a real browser (issue 13): the denial specialist opens a claim denied on two
lines, opens a level-1 appeal, writes the rebuttal, previews the letter, downloads the PDF
(its text checked) and marks the appeal submitted. Screenshots in `test-output/screenshots/`.

Dan's role carries no demographics, and the letter's PDF cannot be masked: here he also holds a
read-only grant on the practice (demographics included), as a specialist who sends letters would.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from bureau.accounts.models import User
from bureau.demo import seed_demo
from bureau.denials.appeal_models import AppealMethod
from bureau.denials.tests.test_appeals import appeals_of, current, today_of
from bureau.denials.tests.test_views import denials_of
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.tenancy.models import Grant
from bureau.tenancy.roles import Role
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]
REBUTTAL = "The office visit was medically necessary; the progress note is enclosed."


@pytest.fixture
def denied(transactional_db: Any) -> Any:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    s = ingest_scenario(unmatched=False)
    dan = User.objects.get(username="dan.denials")
    Grant.objects.create(
        workspace_id=s.practice.workspace_id,
        user=dan,
        practice=s.practice,
        role=Role.READ_ONLY.value,
        read_only=True,
        reason="sends appeal letters",
    )
    return current(denials_of(s.practice)[0]), s


def test_specialist_writes_a_level_one_appeal_downloads_the_pdf_and_submits_it(
    page: Page, live_server: Any, denied: Any
) -> None:
    denial, s = denied
    sign_in(page, live_server.url, "dan.denials", next_path=f"/denials/{denial.public_id}/")
    expect(page.locator("#appeals")).to_contain_text("No appeal yet.")
    expect(page.locator("#appeal-next-deadline")).to_have_text(denial.appeal_deadline.isoformat())
    page.get_by_role("button", name="Open level 1 appeal").click()
    expect(page.locator("#appeal-table")).to_contain_text("Level 1 appeal")
    page.get_by_label("Rebuttal (why the denial should be reversed)").fill(REBUTTAL)
    page.get_by_label("Attachments (one per line)").fill("Progress note\nOrder")
    page.get_by_role("button", name="Save letter").click()
    expect(page.locator("ul.messages")).to_contain_text("Letter saved.")
    page.screenshot(path=str(SHOTS / "appeal-written.png"), full_page=True)

    page.get_by_role("link", name="Preview letter").click()
    preview = page.locator("#letter-preview")
    expect(preview).to_contain_text(REBUTTAL)
    expect(preview).to_contain_text(s.denied.number)
    page.screenshot(path=str(SHOTS / "appeal-letter-preview.png"), full_page=True)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download PDF").click()
    path = info.value.path()
    assert path is not None
    with open(path, "rb") as fh:
        text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(fh.read())).pages)
    assert s.denied.number in text and "medically necessary" in text and "Progress note" in text

    page.get_by_role("link", name="Back to the denial").click()
    page.get_by_label("Method").select_option(AppealMethod.FAX.value)
    page.get_by_label("Tracking / reference").fill("FAX-20261206")
    page.get_by_role("button", name="Mark submitted").click()
    table = page.locator("#appeal-table")
    expect(table).to_contain_text("FAX-20261206")
    expect(table).to_contain_text(today_of(denial.practice_id).isoformat())
    page.screenshot(path=str(SHOTS / "appeal-submitted.png"), full_page=True)
    (appeal,) = appeals_of(denial)
    assert appeal.submitted_on is not None and appeal.letter_sha256
