"""A demo practice offboarded in the browser: the owner starts it and watches the export's
progress, downloads the bundle (checked against the database), the compliance officer
approves the purge, the certificate is issued; 0 rows left, the other seven practices as they
were. Screenshots: test-output/screenshots/."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from playwright.sync_api import Page, expect

from bureau.conftest import TEST_PATIENTS_PER_PRACTICE
from bureau.demo import seed_demo
from bureau.offboarding.models import Offboarding, OffboardingStatus
from bureau.offboarding.verify import counts_by_practice
from bureau.tenancy.models import Practice, PracticeStatus
from bureau.web.tests.test_browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[4] / "test-output" / "screenshots"


@pytest.fixture(scope="module", autouse=True)
def _restore_session_seed(django_db_blocker: Any) -> Iterator[None]:
    yield
    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
        connection.close()


def run_worker() -> None:
    call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0)


def counts() -> dict[str, dict[int, int]]:
    with transaction.atomic():
        return counts_by_practice()


def test_a_demo_practice_is_offboarded_by_two_people(
    page: Page, live_server: Any, settings: Any, tmp_path: Path
) -> None:
    settings.BUREAU_OFFBOARDING_DIR = str(tmp_path / "offboarding")
    seed_demo(patients_per_practice=6)
    SHOTS.mkdir(parents=True, exist_ok=True)
    summit = list(Practice.objects.filter(workspace__slug="summit").order_by("id"))
    practice, others = summit[0], summit[1:]
    assert len(others) == 7
    before = counts()
    mine = {label: rows.get(practice.pk, 0) for label, rows in before.items()}
    assert mine["patients.Patient"] > 0

    # The owner starts the offboarding; the export is queued and its row polls.
    url = f"/setup/practices/{practice.public_id}/offboarding/"
    sign_in(page, live_server.url, "olivia.owner", next_path=url)
    page.get_by_label("Reason").fill("The client gave 60 days notice")
    page.get_by_test_id("start-offboarding").click()
    row = page.get_by_test_id("export-progress")
    expect(row).to_have_attribute("hx-trigger", "every 1s")
    run_worker()
    expect(row).to_have_attribute("data-state", "exported", timeout=10_000)
    expect(row).not_to_have_attribute("hx-trigger", "every 1s")  # polling stopped
    page.reload()
    page.screenshot(path=str(SHOTS / "offboarding-export-ready.png"), full_page=True)

    # The bundle, downloaded, is the one Bureau hashed, and holds the practice's rows.
    ob = Offboarding.objects.get(practice=practice)
    with page.expect_download() as caught:
        page.get_by_test_id("download-bundle").click()
    content = Path(caught.value.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == ob.bundle_sha256
    expect(page.get_by_test_id("bundle-sha256")).to_have_text(ob.bundle_sha256)
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        manifest = json.loads(zf.read("manifest.json"))
        for info in manifest["files"].values():
            if info["table"] and info["rows"] is not None and info["table"] in mine:
                assert info["rows"] == mine[info["table"]], info["table"]
        assert zf.read("data/patients.patient.jsonl").count(b"\n") == mine["patients.Patient"]
    # The requester may not approve her own purge.
    expect(page.get_by_test_id("approval-refusal")).to_contain_text("A second person approves")

    # The waiting period passes; the compliance officer approves.
    Offboarding.objects.filter(pk=ob.pk).update(
        exported_at=ob.exported_at - timedelta(days=31),
        requested_at=ob.requested_at - timedelta(days=31),
    )
    page.context.clear_cookies()
    sign_in(page, live_server.url, "carla.compliance", next_path="/setup/offboardings/")
    page.get_by_test_id(f"open-{practice.code}").click()
    expect(page.get_by_test_id("open-work")).to_be_visible()
    page.get_by_label("Reason to purge despite open work").fill(
        "The client's A/R went to its new biller"
    )
    page.get_by_label(re.compile("I approve deleting")).check()
    page.screenshot(path=str(SHOTS / "offboarding-approve.png"), full_page=True)
    page.get_by_test_id("approve-purge").click()
    page.wait_for_url(re.compile(r"/setup/offboardings/[0-9a-f-]+/certificate/"))
    expect(page.get_by_test_id("cert-approved")).to_contain_text("carla.compliance")
    expect(page.get_by_test_id("cert-requested")).to_contain_text("olivia.owner")
    expect(page.get_by_test_id("cert-sha256")).to_have_text(ob.bundle_sha256)
    page.screenshot(path=str(SHOTS / "offboarding-certificate.png"), full_page=True)
    with page.expect_download() as pdf:
        page.get_by_test_id("certificate-pdf").click()
    assert Path(pdf.value.path()).read_bytes().startswith(b"%PDF")

    # 0 rows left of the practice; the other seven practices untouched.
    after = counts()
    for label, rows in after.items():
        assert rows.get(practice.pk, 0) == 0, label
        for other in others:
            assert rows.get(other.pk, 0) == before[label].get(other.pk, 0), (label, other.code)
    practice.refresh_from_db()
    ob.refresh_from_db()
    assert practice.status == PracticeStatus.OFFBOARDED
    assert ob.status == OffboardingStatus.PURGED and ob.verified_at is not None
    assert not list((tmp_path / "offboarding").rglob("*.zip"))
