"""Money in, in the browser: a poster uploads an 835 on /eras/, the database worker ingests it
while the page polls the job's progress bar to 100 %, the ERA opens with its claims and CARCs,
the paid claim's page shows its remittance and ledger, and the exception and the denial are
worked from their items in the work queue.

Drives the system Chromium through Playwright against `live_server`, like the claims flow.
Screenshots land in `test-output/screenshots/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from playwright.sync_api import ConsoleMessage, Page, expect

from bureau.conftest import TEST_PATIENTS_PER_PRACTICE
from bureau.demo import seed_demo
from bureau.directory.models import ContractRate, Payer
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import era_text, paid_and_denied
from bureau.web.tests.test_browser import sign_in
from bureau.x12.remit835 import ClaimPayment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[4]
SHOTS = REPO_ROOT / "test-output" / "screenshots"
PATIENTS_PER_PRACTICE = 8


@pytest.fixture(scope="module", autouse=True)
def _restore_session_seed(django_db_blocker: Any) -> Iterator[None]:
    """Put the session-wide demo back once this module is done (see test_browser.py)."""
    yield
    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
        connection.close()


def test_upload_an_era_watch_it_post_and_read_the_ledger(
    page: Page, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    practice = b.summit()[0]
    payer = list(Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id"))[2]
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    payments = paid_and_denied(practice, payer)
    payments.append(  # a claim that is not ours: an exception for the queue
        ClaimPayment(
            patient_control_number="NOTOURS999",
            status="1",
            charge=Decimal("50.00"),
            paid=Decimal("50.00"),
            patient_responsibility=Decimal("0"),
            payer_claim_number="PCN3",
        )
    )
    paid_number = payments[0].patient_control_number
    era_file = tmp_path / "payer-remit.835"
    era_file.write_text(era_text(practice, payer, payments))
    csp_errors: list[str] = []  # anything the policy blocked (inline style, script)
    page.on(
        "console",
        lambda m: (
            csp_errors.append(m.text)
            if isinstance(m, ConsoleMessage) and "Refused to" in m.text
            else None
        ),
    )

    sign_in(page, live_server.url, "olivia.owner", next_path="/eras/")
    expect(page.get_by_role("heading", name=re.compile("^ERAs"))).to_be_visible()
    expect(page.locator("select[name=practice]").first).to_be_focused()

    # Upload: the job is queued and its row polls for progress.
    page.locator("#era-upload input[type=file]").set_input_files(str(era_file))
    page.get_by_role("button", name="Upload and ingest").click()
    expect(page.locator(".messages")).to_contain_text("payer-remit.835 is queued for ingest")
    job = page.locator("#ingest-jobs tbody tr").first
    expect(job).to_contain_text("Queued")
    expect(job).to_have_attribute("hx-trigger", "every 1s")

    # The worker runs; the bar the page polls reaches 100 % without a reload.
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0)
    expect(job).to_contain_text("100 %", timeout=10_000)
    expect(job).to_contain_text("Done")
    expect(job).to_contain_text("1 ERA, 2 posted, 1 exception")
    assert job.locator("progress").get_attribute("value") == "100"
    page.reload()
    era_row = page.locator("#era-table tbody tr").filter(has_text=practice.name).first
    expect(era_row).to_contain_text(payer.name)
    page.screenshot(path=str(SHOTS / "era-list.png"), full_page=True)

    # The ERA: claims, lines with CAS codes and their descriptions.
    era_row.locator("a").first.click()
    expect(page.get_by_role("heading", name=re.compile("^ERA"))).to_be_visible()
    claims = page.locator("#era-claims")
    expect(claims).to_contain_text(paid_number)
    expect(claims).to_contain_text("CO-45")
    expect(claims).to_contain_text("CO-50")
    expect(claims).to_contain_text("Not medically necessary")
    expect(page.locator("#era-exceptions")).to_contain_text("NOTOURS999")
    page.screenshot(path=str(SHOTS / "era-detail.png"), full_page=True)

    # The paid claim: its remittance and its ledger down to a zero insurance balance.
    claims.get_by_role("link", name=paid_number).click()
    expect(page.get_by_role("heading", name=re.compile(paid_number))).to_be_visible()
    expect(page.locator("#claim-remittances")).to_contain_text(payer.name)
    ledger = page.locator("#claim-ledger")
    for kind in ("Charge", "Payment", "Adjustment", "Transfer to patient"):
        expect(ledger).to_contain_text(kind)
    expect(page.locator("#insurance-balance")).to_have_text("0.00")
    page.screenshot(path=str(SHOTS / "claim-ledger.png"), full_page=True)

    # The exception list is the work queue's ERA exceptions for a poster: open the claim that
    # is not ours and dismiss it there, with a note.
    page.goto(f"{live_server.url}/eras/exceptions/")
    page.wait_for_url(re.compile(r"/queue/\?function=era_exceptions$"))
    row = page.locator("#queue-table tbody tr").filter(has_text="NOTOURS999")
    expect(row).to_contain_text("Unmatched claim")
    expect(row).to_contain_text(practice.name)
    page.screenshot(path=str(SHOTS / "era-exceptions.png"), full_page=True)
    row.get_by_role("link").first.click()
    page.wait_for_url(re.compile(r"/queue/[0-9a-f-]{36}/"))
    item_path = page.url.removeprefix(live_server.url)  # with the queue's filters (?q=)
    expect(page.locator("#item-era")).to_contain_text(payer.name)
    row = page.locator("#item-exceptions tbody tr").filter(has_text="NOTOURS999")
    expect(row).to_contain_text("Unmatched claim")
    expect(row).to_contain_text(re.compile(r"\b\d+ d\b"))  # its age, from the payment date
    # Matching it to a claim we do not have is refused and says why; the row stays open.
    row.get_by_label("Match to claim number").fill("NOPE-000001")
    row.get_by_label("Note", exact=True).fill("payer typo?")
    row.get_by_role("button", name="Match & post").click()
    expect(page.locator(".messages")).to_contain_text("Not matched: no claim NOPE-000001")
    assert page.url.removeprefix(live_server.url) == item_path  # back on the item
    row = page.locator("#item-exceptions tbody tr").filter(has_text="NOTOURS999")
    row.get_by_label("Dismissal note").fill("Not our patient; payer notified")
    row.get_by_role("button", name="Dismiss").click()
    expect(page.locator(".messages")).to_contain_text("Exception dismissed")
    assert page.url.removeprefix(live_server.url) == item_path
    expect(page.locator("h1 .badge")).to_have_text("Done")
    expect(page.locator("#item-exceptions")).to_contain_text("Not our patient; payer notified")
    page.locator(".pagehead").get_by_role("link", name="Queue", exact=True).click()
    expect(page.locator("#queue-table")).not_to_contain_text("NOTOURS999")

    # The denial worklist is the work queue's denials: the denied claim, its CARC, category
    # and deadline on its item; work the denial from there.
    nav = page.locator("#topbar .mainnav").get_by_role("link", name="Denials")
    expect(nav).to_have_attribute("accesskey", "4")
    nav.click()
    page.wait_for_url(re.compile(r"/queue/\?function=denials$"))
    denied_number = payments[1].patient_control_number
    denial = page.locator("#queue-table tbody tr").filter(has_text=denied_number)
    expect(denial.first).to_contain_text("CO-50")
    expect(denial.first).to_contain_text("medical necessity")
    page.screenshot(path=str(SHOTS / "denials.png"), full_page=True)
    denial.first.get_by_role("link").first.click()
    lines = page.locator("#item-denials")
    expect(lines).to_contain_text("CO-50")
    expect(lines).to_contain_text("Medical necessity")
    expect(lines).to_contain_text("Not medically necessary")
    expect(page.locator("#item-deadlines")).to_contain_text("Appeal")
    lines.get_by_role("link", name="CO-50").first.click()
    form = page.locator("#denial-update")
    form.get_by_label("Status").select_option("in_progress")
    form.get_by_label("Note (required)").fill("Requesting records for the appeal")
    form.get_by_role("button", name="Save").click()
    expect(page.locator(".messages")).to_contain_text("Denial updated")
    expect(page.locator("h1 .badge")).to_have_text("In progress")
    assert not csp_errors, csp_errors
