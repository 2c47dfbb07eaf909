"""The owner copies a sibling practice's setup onto a new client in a real browser: the list
of changes first, nothing written, then applied in one step with a reason. Screenshots in
`test-output/screenshots/`."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.configuration import services as settings_services
from bureau.configuration.models import SettingValue
from bureau.demo import seed_demo
from bureau.directory.models import FeeSchedule
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice
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


def test_owner_copies_setup_from_a_sibling(page: Page, live_server: Any, seeded: None):
    summit = list(Practice.objects.filter(workspace__slug="summit").order_by("id"))
    sibling, target = summit[0], summit[1]
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    settings_services.setting_set(
        actor=owner, practice=sibling, key="claims.timely_filing_days", value=77, reason="contract"
    )
    page.set_viewport_size({"width": 1440, "height": 1000})
    sign_in(
        page, live_server.url, "olivia.owner", next_path=f"/setup/practices/{target.public_id}/"
    )
    page.get_by_test_id("setup-copy").click()
    page.wait_for_url(lambda url: "/setup/copy/" in url)
    page.select_option("#id_source", label=sibling.name)
    page.get_by_test_id("copy-preview").click()

    plan = page.get_by_test_id("setup-changes")
    expect(plan).to_contain_text("claims.timely_filing_days")
    expect(page.get_by_test_id("setup-plan")).to_contain_text(f"from {sibling.name}")
    page.screenshot(path=str(SHOTS / "practice-setup-copy-preview.png"), full_page=True)
    # Listed, not yet written.
    assert not SettingValue.objects.filter(practice=target, key="claims.timely_filing_days")
    assert not AuditEvent.objects.filter(action=AuditAction.PRACTICE_SETUP_COPIED).exists()

    page.fill("#id_reason", "same contract terms as the sister clinic")
    page.get_by_test_id("copy-apply").click()
    page.wait_for_url(lambda url: url.rstrip("/").endswith(str(target.public_id)))
    expect(page.locator("body")).to_contain_text(f"setup copied from {sibling.name}")
    page.screenshot(path=str(SHOTS / "practice-setup-copied.png"), full_page=True)
    value = SettingValue.objects.get(practice=target, payer=None, key="claims.timely_filing_days")
    assert value.value == 77
    sibling_lines = FeeSchedule.objects.filter(practice=sibling).first()
    if sibling_lines is not None:
        assert FeeSchedule.objects.get(practice=target).lines.count() == sibling_lines.lines.count()
    event = AuditEvent.objects.get(action=AuditAction.PRACTICE_SETUP_COPIED)
    assert event.practice_id == target.pk and event.reason.startswith("same contract terms")
