"""A write-off above the limit in a real browser (issue 13): a biller asks to write off a
denied line from the denial's page; it waits (pending, in the approver's queue); the biller
cannot approve it; the supervisor approves it from the queue; the claim's ledger shows the
write-off. Screenshots in `test-output/screenshots/`."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.demo import seed_demo
from bureau.denials.tests.test_views import denials_of
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.web.tests.test_browser import PATIENTS_PER_PRACTICE, SHOTS, sign_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),  # put the session's demo back after
]


@pytest.fixture
def denied(transactional_db: Any) -> Any:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    s = ingest_scenario(unmatched=False)
    return denials_of(s.practice)[0], s


def test_write_off_above_the_limit_waits_for_a_supervisor(
    page: Page, live_server: Any, denied: Any
) -> None:
    denial, s = denied
    sign_in(page, live_server.url, "bella.biller", next_path=f"/denials/{denial.public_id}/")
    page.get_by_role("link", name="Request write-off").click()
    expect(page.locator("#writeoff-form-lines")).to_contain_text("110.00")
    page.get_by_label("Write off on line 1").fill("110.00")
    page.get_by_label("Reason").select_option("timely_filing")
    page.get_by_label("Root cause (closes the open denial)").select_option("charge_entry")
    page.get_by_label("Note (required)").fill("Filed past the limit; no proof of timely filing.")
    page.screenshot(path=str(SHOTS / "writeoff-request-form.png"), full_page=True)
    page.get_by_role("button", name="Request write-off").click()
    expect(page.locator("#writeoff-status")).to_have_text("Waiting for approval")
    # The biller cannot approve it: no decision form, and the page says who decides.
    expect(page.locator("#writeoff-approve")).to_have_count(0)
    expect(page.locator("#writeoff-waiting")).to_contain_text("another approver decides it")
    detail_path = page.url.removeprefix(live_server.url)
    approve = page.request.post(f"{live_server.url}{detail_path}approve/", form={"note": "x"})
    assert approve.status in (403, 404)  # no approve capability (nor a CSRF token)
    page.screenshot(path=str(SHOTS / "writeoff-pending.png"), full_page=True)

    page.context.clear_cookies()
    sign_in(page, live_server.url, "sam.supervisor", next_path="/queue/?function=writeoff_approval")
    row = page.get_by_role("link", name="Write-off 110.00 (timely filing) requested by bella")
    expect(row).to_be_visible()
    page.screenshot(path=str(SHOTS / "writeoff-queue.png"), full_page=True)
    row.click()
    page.get_by_role("link", name="Approve or refuse the request").click()
    page.get_by_label("Note (optional)").fill("Agreed: past the limit.")
    page.get_by_role("button", name="Approve and post").click()
    expect(page.locator("#writeoff-status")).to_have_text("Approved")
    page.get_by_role("link", name=s.denied.number).first.click()
    expect(page.locator("body")).to_contain_text("Write-off")
    expect(page.locator("body")).to_contain_text("-110.00")
    page.screenshot(path=str(SHOTS / "writeoff-claim-ledger.png"), full_page=True)
