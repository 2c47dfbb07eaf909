"""The practice bar in a real browser, second part: the top bar keeps Sign out on screen with a
long practice name, and choosing All in an htmx list filter under a specific bar moves the bar.

Drives the system Chromium through Playwright against `live_server`, like `test_browser.py`.
Screenshots land in `test-output/screenshots/`.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from bureau.conftest import TEST_PATIENTS_PER_PRACTICE
from bureau.demo import seed_demo
from bureau.web.tests.test_browser import (
    PATIENTS_PER_PRACTICE,
    SHOTS,
    sign_in,
    summit_practices,
    switch_to,
    switcher_summary,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RIVERBEND = "Riverbend Dermatology"
# The width of an element's text, and of its box: an ellipsis shows when the text is wider.
WIDTHS = """el => {
  const text = document.createRange();
  text.selectNodeContents(el);
  return [text.getBoundingClientRect().width, el.getBoundingClientRect().width];
}"""
SHOWN_WHOLE = f"el => {{ const [text, box] = ({WIDTHS})(el); return text <= box; }}"


@pytest.fixture(scope="module", autouse=True)
def _restore_session_seed(django_db_blocker: Any) -> Iterator[None]:
    """Put the session-wide demo back once this module is done (see test_browser.py)."""
    yield
    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
        connection.close()


@pytest.fixture
def demo(transactional_db: Any) -> None:
    seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE)
    SHOTS.mkdir(parents=True, exist_ok=True)


@pytest.mark.usefixtures("demo")
def test_sign_out_stays_on_screen_with_the_longest_practice_name(
    page: Page, live_server: Any
) -> None:
    """The owner has every menu entry; the bar names the longest practice name there is."""
    page.set_viewport_size({"width": 1280, "height": 800})
    longest = max(summit_practices(), key=len)
    sign_in(page, live_server.url, "olivia.owner", next_path="/claims/")
    name = page.locator("#practice-switcher .ctx-name")
    # Under All practices the bar's name is short enough to show whole (the workspace name
    # gives way first): not even a fraction of a pixel is cut.
    expect(name).to_have_text("All practices")
    assert name.evaluate(SHOWN_WHOLE), name.evaluate(WIDTHS)
    switch_to(page, longest)
    expect(switcher_summary(page)).to_contain_text(longest)
    page.screenshot(path=str(SHOTS / "topbar-longest-practice.png"))

    # The name is cut with an ellipsis if it must be, and the whole name is in its title.
    assert name.get_attribute("title") == longest
    sign_out = page.get_by_role("button", name="Sign out")
    expect(sign_out).to_be_visible()
    box = sign_out.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["y"] >= 0
    assert box["x"] + box["width"] <= 1280, box
    assert box["y"] + box["height"] <= 800, box
    # Nothing of the bar is pushed past the window (no sideways scrolling of the page).
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    # And the bar stays one row high.
    bar = page.locator("#topbar").bounding_box()
    assert bar is not None and bar["height"] <= 48, bar
    # The person can still sign out with it.
    sign_out.click()
    page.wait_for_url(lambda url: "/accounts/login" in url)


@pytest.mark.usefixtures("demo")
def test_choosing_all_in_the_patient_filter_under_a_specific_bar(
    page: Page, live_server: Any
) -> None:
    """The patients list filters with htmx: choosing All under a bar naming one practice
    reloads the whole page under All practices (the bar moved), showing every practice."""
    sign_in(page, live_server.url, "olivia.owner", next_path="/patients/")
    switch_to(page, RIVERBEND)
    expect(switcher_summary(page)).to_contain_text(RIVERBEND)
    heading = page.locator("h1")
    expect(heading).to_contain_text(RIVERBEND)

    with page.expect_navigation():
        page.locator("form.filters select[name=practice]").select_option(label="All practices")
    expect(switcher_summary(page)).to_contain_text("All practices")
    expect(heading).to_contain_text("All practices")
    expect(page.locator(".messages")).to_contain_text("Switched to All practices")
    shown = page.locator("#patient-table tbody tr td:first-child").all_inner_texts()
    assert RIVERBEND in shown and len(set(shown)) > 1, shown
    page.screenshot(path=str(SHOTS / "filter-patients-all.png"), full_page=True)
