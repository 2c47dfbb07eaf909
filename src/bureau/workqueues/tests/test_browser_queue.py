"""The denial specialist works denials across every practice in one queue, by keyboard: move the
cursor (j/k), assign a row to herself (a), take the next item (n), log an attempt with a
reference number, pend until a date (p) and the next item comes up.

The denials come from real 835s (written with `write_835`, ingested with `ingest_era_text`), one
per practice Dan works denials in, then `refresh` derives the work items from them. Drives the
system Chromium through Playwright against `live_server`; screenshots land in
`test-output/screenshots/`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from bureau import clock
from bureau.accounts.models import User
from bureau.conftest import TEST_PATIENTS_PER_PRACTICE
from bureau.demo import WORKSPACE_SLUG, seed_demo
from bureau.patients.models import Patient
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability
from bureau.web.tests.test_browser import sign_in
from bureau.workqueues.functions import Function
from bureau.workqueues.models import WorkItem
from bureau.workqueues.sync import refresh

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[4]
SHOTS = REPO_ROOT / "test-output" / "screenshots"
PATIENTS_PER_PRACTICE = 4
QUEUE = "/queue/?function=denials"


@pytest.fixture(scope="module", autouse=True)
def _restore_session_seed(django_db_blocker: Any) -> Iterator[None]:
    """Put the session-wide demo back once this module is done (see web/tests/test_browser.py)."""
    yield
    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
        connection.close()


@pytest.fixture
def denial_practices(transactional_db: Any) -> list[Practice]:
    """The demo, plus one ERA with a denied claim in every practice Dan works denials in."""
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    dan = resolve_actor(User.objects.get(username="dan.denials"))
    assert dan is not None
    practices = sorted(dan.practices(Capability.DENIALS_WORK), key=lambda p: p.pk)
    for practice in practices:
        ingest_scenario(practice, unmatched=False)
    refresh(workspace=Workspace.objects.get(slug=WORKSPACE_SLUG))
    return practices


def free_denials() -> list[WorkItem]:
    with transaction.atomic():
        return list(
            WorkItem.objects.for_system(
                list(Practice.objects.values_list("pk", flat=True)), reason="test"
            ).filter(function=Function.DENIALS, assignee__isnull=True)
        )


def patient_secrets(practices: list[Practice]) -> set[str]:
    with transaction.atomic():
        patients = Patient.objects.for_system([p.pk for p in practices], reason="test")
        return {p.last_name for p in patients} | {p.date_of_birth.isoformat() for p in patients}


def item_id(url: str) -> str:
    found = re.search(r"/queue/([0-9a-f-]{36})/", url)
    assert found, url
    return found.group(1)


def row_ids(rows: Locator) -> list[str]:
    return [item_id(href or "") for href in rows.evaluate_all("rs => rs.map(r => r.dataset.href)")]


def test_denial_specialist_works_the_queue_by_keyboard(
    page: Page, live_server: Any, denial_practices: list[Practice]
) -> None:
    assert len(denial_practices) >= 8
    names = {p.name for p in denial_practices}
    items = free_denials()
    assert {i.practice_id for i in items} == {p.pk for p in denial_practices}
    secrets = patient_secrets(denial_practices)
    SHOTS.mkdir(parents=True, exist_ok=True)
    blocked: list[str] = []  # anything the CSP refused (inline script or style)
    page.on(
        "console",
        lambda m: (
            blocked.append(m.text)
            if isinstance(m, ConsoleMessage) and "Refused to" in m.text
            else None
        ),
    )

    errors: list[str] = []  # script errors (a key handler that throws)
    page.on("pageerror", lambda e: errors.append(str(e)))
    sign_in(page, live_server.url, "dan.denials")
    page.goto(f"{live_server.url}{QUEUE}")

    # One queue across the book: every practice, the practice on every row, names masked.
    rows = page.locator("#queue-table tbody tr[data-href]")
    expect(rows).to_have_count(len(items))
    practice_cells = rows.locator("td:nth-child(2)").all_inner_texts()
    assert all(cell.strip() in names for cell in practice_cells), practice_cells
    assert {cell.strip() for cell in practice_cells} == names
    patients = rows.locator("td:nth-child(6)")
    for cell in patients.all():
        expect(cell).to_have_class("masked")
        assert re.fullmatch(r"\w\. \w\.", cell.inner_text().strip()), cell.inner_text()
    expect(page.locator("#queue-table thead")).to_contain_text("(masked)")
    html = page.content()
    assert not [s for s in secrets if s in html], "unmasked demographics in the queue"
    page.screenshot(path=str(SHOTS / "workqueue-denials.png"), full_page=True)
    # The key hint on the primary button is legible (not the button's white ink on a pale cap).
    key = page.locator("#take-next kbd")
    expect(key).to_have_text("n")
    ink, cap = key.evaluate("k => [getComputedStyle(k).color, getComputedStyle(k).backgroundColor]")
    assert ink != "rgb(255, 255, 255)" and ink != cap, (ink, cap)

    # j/k move the cursor row.
    expect(rows.nth(0)).to_have_class(re.compile(r"\bcursor\b"))
    page.keyboard.press("j")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bcursor\b"))
    expect(rows.nth(0)).not_to_have_class(re.compile(r"\bcursor\b"))
    page.keyboard.press("j")
    page.keyboard.press("k")
    expect(rows.nth(1)).to_have_class(re.compile(r"\bcursor\b"))
    expect(page.locator("#queue-table tr.cursor")).to_have_count(1)

    # a: the cursor row is assigned to me, and its page opens.
    assigned = row_ids(rows)[1]
    page.keyboard.press("a")
    page.wait_for_url(re.compile(rf"/queue/{assigned}/"))
    expect(page.locator(".messages")).to_contain_text("The item is yours.")
    expect(page.locator("#item-facts")).to_contain_text("Dan Delaney")

    # n on the queue: the highest-priority free item, held by me (not the one I already hold).
    page.goto(f"{live_server.url}{QUEUE}")
    expect(rows.nth(1)).to_contain_text("Dan Delaney")
    page.keyboard.press("n")
    page.wait_for_url(re.compile(r"/queue/[0-9a-f-]{36}/"))
    taken = item_id(page.url)
    assert taken != assigned
    facts = page.locator("#item-facts")
    expect(facts).to_contain_text("Dan Delaney")
    expect(facts).to_contain_text("until")
    expect(page.locator(".practice-badge")).to_contain_text(re.compile("|".join(names)))
    expect(page.locator("#item-denials, #item-claim").first).to_be_visible()

    # Log an attempt, typing only: channel and outcome by type-ahead, Enter submits.
    page.locator("#attempt-channel").focus()
    page.keyboard.type("Payer")
    expect(page.locator("#attempt-channel")).to_have_value("portal")
    page.keyboard.press("Tab")
    page.keyboard.type("P2")
    expect(page.locator("#attempt-outcome")).to_have_value("P2")
    page.keyboard.press("Tab")
    page.keyboard.type("12")
    page.keyboard.press("Tab")
    page.keyboard.type("Rita at the payer")
    page.keyboard.press("Tab")
    page.keyboard.type("REF-4711")
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Attempt recorded.")
    attempt = page.locator("#item-attempts tbody tr").filter(has_text="REF-4711")
    expect(attempt).to_have_count(1)
    for text in ("Dan Delaney", "Payer portal", "Rita at the payer", "P2 Pending", "12"):
        expect(attempt).to_contain_text(text)
    expect(page.locator("#item-history tbody tr").filter(has_text="REF-4711")).to_contain_text(
        "Attempt"
    )
    page.screenshot(path=str(SHOTS / "workqueue-item.png"), full_page=True)

    # p: focus lands in the pend date; pend two weeks out, and the next item comes up.
    page.keyboard.press("p")
    until = page.locator("#pend-until")
    expect(until).to_be_focused()
    back_on = clock.now().date() + timedelta(days=14)
    page.keyboard.type(back_on.strftime("%m%d%Y"))  # Chromium's en-US date field: mm/dd/yyyy
    expect(until).to_have_value(back_on.isoformat())
    reason = page.locator("#pend-reason")
    for _ in range(3):  # out of the date field (its calendar button takes a Tab of its own)
        page.keyboard.press("Tab")
        if reason.evaluate("r => r === document.activeElement"):
            break
    expect(reason).to_be_focused()
    page.keyboard.type("Payer promised a reprocess")
    page.keyboard.press("Enter")
    page.wait_for_url(lambda url: "/queue/" in url and taken not in url)
    following = item_id(page.url)
    assert following not in (taken, assigned)
    expect(page.locator(".messages")).to_contain_text(f"Pended until {back_on.isoformat()}.")
    expect(page.locator("#item-facts")).to_contain_text("Dan Delaney")

    # The pended item is out of the free pool, and says so where it is listed.
    page.goto(f"{live_server.url}{QUEUE}&assignee=unassigned")
    free = row_ids(rows)
    assert taken not in free and assigned not in free and following not in free
    assert len(free) == len(items) - 3
    page.goto(f"{live_server.url}{QUEUE}&status=pended")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(f"pended to {back_on.strftime('%m-%d')}")
    assert row_ids(rows) == [taken]

    # Enter opens the cursor row; / goes to the filters.
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/queue/{taken}/"))
    expect(page.locator("#item-facts")).to_contain_text("Payer promised a reprocess")
    page.goto(f"{live_server.url}{QUEUE}")
    page.keyboard.press("/")
    expect(page.locator("#queue-filters select[name=function]")).to_be_focused()
    assert not blocked, blocked
    assert not errors, errors
