"""What a person does in the browser: sign in with password + TOTP, switch practice, see only what
their grants allow. Drives the system Chromium through Playwright against `live_server`.

Transactional tests flush the database, so every test seeds a small demo workspace itself.
Screenshots land in `test-output/screenshots/` at the repository root.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import FloatRect, Page, Request, expect

from bureau.conftest import TEST_PATIENTS_PER_PRACTICE
from bureau.demo import DEMO_PASSWORD, WORKSPACE_SLUG, seed_demo
from bureau.patients.models import Patient
from bureau.tenancy.models import Grant, Practice

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPO_ROOT = Path(__file__).resolve().parents[4]
SHOTS = REPO_ROOT / "test-output" / "screenshots"
PATIENTS_PER_PRACTICE = 15
SWITCH_BUDGET_SECONDS = 30.0


# -- fixtures and helpers -------------------------------------------------------------------
@pytest.fixture(scope="module", autouse=True)
def _restore_session_seed(django_db_blocker: Any) -> Iterator[None]:
    """Put the session-wide demo back once this module is done.

    Each transactional test ends with a flush. pytest-django runs them after the rollback tests,
    but pytest then groups the items of pytest-playwright's session-scoped `browser_name`
    parametrization, which can pull this module in front of rollback tests that expect the seed.
    """
    yield
    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
        # Playwright's greenlet gives this teardown its own context, hence its own connection:
        # close it, or PostgreSQL refuses to drop the test database at the end of the session.
        connection.close()


@pytest.fixture
def demo(transactional_db: Any) -> None:
    """The demo workspace. The first transactional test of a session may still find the
    session-wide seed (a flush only happens after each transactional test): `seed_demo` is
    idempotent, and the tests read counts and names from the database, not from constants."""
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)


@pytest.fixture
def shots() -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    return SHOTS


@pytest.fixture
def navigations(page: Page) -> list[str]:
    """Every document request the page makes, redirect hops included."""
    seen: list[str] = []

    def record(request: Request) -> None:
        if request.is_navigation_request():
            seen.append(request.url)

    page.on("request", record)
    return seen


def summit_practices() -> dict[str, Practice]:
    return {p.name: p for p in Practice.objects.filter(workspace__slug=WORKSPACE_SLUG)}


def patients_of(practices: list[Practice]) -> list[Patient]:
    """Patients read for the test itself (system access, as RLS requires on PostgreSQL)."""
    with transaction.atomic():
        return list(Patient.objects.for_system([p.pk for p in practices], reason="test"))


def current_totp(username: str) -> str:
    device = TOTPDevice.objects.get(user__username=username, confirmed=True)
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:0{device.digits}d}"


def sign_in(page: Page, base_url: str, username: str, next_path: str = "/") -> None:
    """The real two-step form: login name + password, then the 6-digit code."""
    page.goto(f"{base_url}/accounts/login/?next={next_path}")
    page.get_by_label("Login name").fill(username)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(re.compile(r"/accounts/mfa/verify/"))
    page.get_by_label("6-digit code").fill(current_totp(username))
    page.get_by_role("button", name="Verify").click()
    page.wait_for_url(lambda url: "/accounts/" not in url)


def switcher_summary(page: Page) -> Any:
    return page.get_by_test_id("practice-context")


def switch_menu_names(page: Page) -> list[str]:
    """The practice names in the open switcher menu (without their specialty)."""
    buttons = page.locator("#practice-switcher .switch-menu button")
    return [b.evaluate("b => b.firstChild.textContent.trim()") for b in buttons.all()]


def switch_to(page: Page, name: str) -> None:
    switcher_summary(page).click()
    button = page.locator("#practice-switcher .switch-menu button").filter(
        has_text=re.compile(rf"^\s*{re.escape(name)}\b")
    )
    expect(button).to_be_visible()
    with page.expect_navigation():
        button.click()


def table_accounts(page: Page) -> set[str]:
    return set(page.locator("#patient-table tbody td.mono a").all_inner_texts())


# -- tests ----------------------------------------------------------------------------------
@pytest.mark.usefixtures("demo")
def test_sign_in_with_password_and_totp(page: Page, live_server: Any) -> None:
    sign_in(page, live_server.url, "olivia.owner")

    assert page.url.rstrip("/") == live_server.url.rstrip("/")
    expect(page.get_by_role("heading", name="Your practices")).to_be_visible()
    topbar = page.locator("#topbar")
    expect(topbar.locator(".workspace")).to_have_text("Summit Billing Partners")
    expect(switcher_summary(page)).to_contain_text("All practices")
    expect(topbar.locator(".who")).to_have_text("Olivia Owens")
    expect(page.locator("#practice-summary tbody tr")).to_have_count(8)


@pytest.mark.usefixtures("demo")
def test_switch_three_practices_without_signing_in_again(
    page: Page, live_server: Any, navigations: list[str], shots: Path
) -> None:
    sign_in(page, live_server.url, "olivia.owner", next_path="/patients/")
    expect(page.locator("h1")).to_contain_text("All practices")
    practices = summit_practices()
    chosen = ["Lakeside Family Medicine", "Northgate Orthopedics", "Bayview Pediatrics"]
    expected = {name: {p.account_number for p in patients_of([practices[name]])} for name in chosen}
    before = len(navigations)

    started = time.perf_counter()
    for name in chosen:
        switch_to(page, name)
        assert "/accounts/" not in page.url, page.url
        assert page.url.endswith("/patients/"), page.url
        expect(switcher_summary(page)).to_contain_text(name)
        expect(page.locator("h1")).to_contain_text(name)
        expect(page.locator(".messages")).to_contain_text(f"Now working in {name}.")
        assert table_accounts(page) == expected[name]
        expect(page.locator(".pager")).to_contain_text(f"{len(expected[name])} patients ")
        expect(page.locator("#patient-table thead")).not_to_contain_text("Practice")
    elapsed = time.perf_counter() - started

    switched = navigations[before:]
    assert not [u for u in switched if "/accounts/" in u], switched
    assert sum("/context/" in u for u in switched) == len(chosen)
    print(f"\nthree practice switches (click, POST, redirect, render, checks): {elapsed:.2f} s")
    assert elapsed < SWITCH_BUDGET_SECONDS

    # Screenshots: the bar with a practice chosen, the bar with the menu open, the list.
    page.locator("#topbar").screenshot(path=str(shots / "topbar.png"))
    switcher_summary(page).click()
    menu = page.locator("#practice-switcher .switch-menu")
    expect(menu).to_be_visible()
    box, viewport = menu.bounding_box(), page.viewport_size
    assert box is not None and viewport is not None
    bar_and_menu: FloatRect = {
        "x": 0,
        "y": 0,
        "width": viewport["width"],
        "height": box["y"] + box["height"] + 12,
    }
    page.screenshot(path=str(shots / "topbar-switcher-open.png"), clip=bar_and_menu)
    page.keyboard.press("Escape")
    expect(menu).to_be_hidden()
    page.screenshot(path=str(shots / "patient-list.png"), full_page=True)


@pytest.mark.usefixtures("demo")
def test_payment_poster_sees_two_practices_and_404_elsewhere(
    page: Page, live_server: Any, shots: Path
) -> None:
    granted = set(
        Grant.objects.live()
        .filter(user__username="priya.poster")
        .values_list("practice__name", flat=True)
    )
    assert len(granted) == 2 and None not in granted
    sign_in(page, live_server.url, "priya.poster")

    switcher_summary(page).click()
    expect(page.locator("#practice-switcher .switch-menu")).to_be_visible()
    names = switch_menu_names(page)
    assert names[0] == "All practices"
    assert set(names[1:]) == granted and len(names) == 3

    practices = summit_practices()
    outside = next(p for name, p in practices.items() if name not in granted)
    inside = practices[sorted(granted)[0]]
    foreign = patients_of([outside])[0]
    own = patients_of([inside])[0]

    response = page.goto(f"{live_server.url}/patients/{foreign.public_id}/")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    assert foreign.last_name not in page.content()
    assert foreign.account_number not in page.content()
    page.screenshot(path=str(shots / "not-found.png"))

    # The same URL shape for one of her own patients opens: the 404 is about the grant.
    response = page.goto(f"{live_server.url}/patients/{own.public_id}/")
    assert response is not None and response.status == 200
    expect(page.locator("#patient-facts")).to_contain_text(own.last_name)


@pytest.mark.usefixtures("demo")
def test_denial_specialist_sees_masked_demographics(
    page: Page, live_server: Any, shots: Path
) -> None:
    patients = patients_of(list(summit_practices().values()))
    by_account = {p.account_number: p for p in patients}
    secrets = {p.last_name for p in patients} | {p.date_of_birth.isoformat() for p in patients}
    sign_in(page, live_server.url, "dan.denials", next_path="/patients/")

    # The list: initials and bullets only, and a notice saying why.
    expect(page.locator("#patient-table")).to_be_visible()
    rows = page.locator("#patient-table tbody tr")
    expect(rows).to_have_count(50)
    html = page.content()
    leaked = sorted(s for s in secrets if s in html)
    assert not leaked, f"unmasked demographics on the list: {leaked[:5]}"
    shown = []
    for row in rows.all():
        cells = row.locator("td")
        shown.append(cells.nth(1).inner_text().strip())
        patient = by_account[shown[-1]]
        assert cells.nth(2).inner_text().strip() == (
            f"{patient.first_name[0]}. {patient.last_name[0]}."
        )
        assert cells.nth(3).inner_text().strip() == "•••"
    expect(page.locator("#masked-notice")).to_contain_text("Demographics are masked for your role")
    # Ordering by name would leak the hidden names' order: the list says what it applied.
    expect(page.locator("select[name=sort]")).to_have_value("account")
    assert shown == sorted(shown)
    page.screenshot(path=str(shots / "patient-list-masked.png"), full_page=True)

    # The detail page of the first row.
    first = rows.first.locator("td.mono a")
    patient = by_account[first.inner_text().strip()]
    first.click()
    page.wait_for_url(re.compile(rf"/patients/{patient.public_id}/$"))
    facts = page.locator("#patient-facts")
    expect(facts).to_contain_text(f"{patient.first_name[0]}. {patient.last_name[0]}.")
    expect(page.locator(".notice")).to_contain_text("Demographics are masked for your role")
    html = page.content()
    assert patient.last_name not in html
    assert patient.date_of_birth.isoformat() not in html
    assert patient.phone not in html
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    page.screenshot(path=str(shots / "patient-detail-masked.png"), full_page=True)

    # Neither a demographic sort nor an unknown one orders the masked rows by name.
    for sort in ("dob", "name", "bogus"):
        page.goto(f"{live_server.url}/patients/?sort={sort}")
        expect(page.locator("select[name=sort]")).to_have_value("account")
        accounts = page.locator("#patient-table tbody td.mono a").all_inner_texts()
        assert len(accounts) == 50 and accounts == sorted(accounts), sort


@pytest.mark.usefixtures("demo")
def test_lockout_after_repeated_wrong_passwords(page: Page, live_server: Any) -> None:
    locked = page.get_by_role("heading", name="Login locked")
    page.goto(f"{live_server.url}/accounts/login/")
    attempts = 0
    while not locked.count() and attempts < settings.AXES_FAILURE_LIMIT + 2:
        page.get_by_label("Login name").fill("bella.biller")
        page.get_by_label("Password").fill("not-the-password")
        page.get_by_role("button", name="Continue").click()
        page.wait_for_load_state()
        attempts += 1
    expect(locked).to_be_visible()
    assert attempts == settings.AXES_FAILURE_LIMIT

    # Now even the right password is refused, and no code is asked for.
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Login name").fill("bella.biller")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_load_state()
    expect(page.get_by_role("heading", name="Login locked")).to_be_visible()
    assert "/accounts/mfa/" not in page.url
