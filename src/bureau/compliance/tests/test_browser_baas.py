"""The compliance officer in a real browser: the dashboard, the BAA that runs out within 30
days, its signed PDF uploaded and downloaded again (the download audited). Screenshots of the
dashboard, the inventory and the agreement in `test-output/screenshots/`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.demo_program import EXPIRING_PRACTICE, NO_BAA_PRACTICE, demo_pdf
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


def test_officer_uploads_and_downloads_the_expiring_baa(
    page: Page, live_server: Any, seeded: None, tmp_path: Path
) -> None:
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(page, live_server.url, "carla.compliance", next_path="/")
    # Her home says what needs action and leads to the program.
    expect(page.locator("#home-compliance")).to_contain_text("BAA obligations need action")
    page.locator("nav.mainnav").get_by_role("link", name="Compliance").click()
    page.wait_for_url(lambda url: url.endswith("/compliance/"))
    expect(page.locator("#block-baas")).to_contain_text(NO_BAA_PRACTICE)
    alert = page.locator("#baa-alerts tr", has_text=EXPIRING_PRACTICE)
    expect(alert.locator(".tag-suspended")).to_contain_text("21 days left")
    page.screenshot(path=str(SHOTS / "compliance-dashboard.png"), full_page=True)

    page.locator("#block-baas h2 a").click()
    page.wait_for_url(lambda url: url.endswith("/compliance/baas/"))
    expect(page.locator("#baa-missing")).to_contain_text(NO_BAA_PRACTICE)
    page.screenshot(path=str(SHOTS / "compliance-baa-list.png"), full_page=True)

    page.goto(f"{live_server.url}/compliance/")
    alert.get_by_role("link", name=EXPIRING_PRACTICE).click()
    page.wait_for_url(lambda url: "/compliance/baas/" in url)
    expect(page.locator("#baa-document")).to_contain_text("No signed document on file")

    # A file that is not a PDF is refused, naming what is wrong.
    fake = tmp_path / "not-really.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")
    page.locator("#baa-upload-form input[type=file]").set_input_files(str(fake))
    page.locator("#baa-upload-form button[type=submit]").click()
    expect(page.locator("#baa-upload-form")).to_contain_text("The file is not a PDF.")

    signed = tmp_path / "bayview-baa-signed.pdf"
    content = demo_pdf("Business Associate Agreement", ["Bayview Pediatrics", "signed"])
    signed.write_bytes(content)
    page.locator("#baa-upload-form input[type=file]").set_input_files(str(signed))
    page.locator("#baa-upload-form button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("Document bayview-baa-signed.pdf stored.")
    expect(page.locator("#baa-history")).to_contain_text("baa.document_uploaded")
    page.screenshot(path=str(SHOTS / "compliance-baa-detail.png"), full_page=True)

    before = AuditEvent.objects.filter(action=AuditAction.BAA_DOCUMENT_DOWNLOADED).count()
    with page.expect_download() as info:
        page.locator("#baa-document a").click()
    download = info.value
    assert download.suggested_filename == "bayview-baa-signed.pdf"
    assert Path(download.path()).read_bytes() == content
    after = AuditEvent.objects.filter(action=AuditAction.BAA_DOCUMENT_DOWNLOADED)
    assert after.count() == before + 1

    # The client viewer of Lakeside: her practice's own agreement, from her bar.
    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server.url, "cliff.client", next_path="/")
    page.locator("nav.mainnav").get_by_role("link", name="Compliance").click()
    page.wait_for_url(lambda url: url.endswith("/compliance/my-practice/"))
    expect(page.locator("main")).to_contain_text("Lakeside Family Medicine")
    expect(page.locator("main")).not_to_contain_text("ClaimBridge")
    page.screenshot(path=str(SHOTS / "compliance-my-practice.png"), full_page=True)
