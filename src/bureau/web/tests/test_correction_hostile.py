"""The replacement form against hostile input: each field of an otherwise valid replacement in
turn takes each hostile value. The answer is the form with a message (or a saved replacement),
never a 500; digits of other scripts are refused, not read as ASCII digits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from bureau.claims.models import Claim, ClaimLine
from bureau.conftest import verified_client
from bureau.remittance.tests.test_views import ingest_scenario

pytestmark = pytest.mark.django_db

HOSTILE = [
    "٣",
    "３",
    "1_0",
    "1e30",
    "99999999999999",
    "-1",
    "NaN",
    "Infinity",
    "9" * 5000,
    "x" * 100_000,
    "<script>x</script>",
    "{{ 7|add:1 }}",
    "1\x00",
]
FIELDS = ["code", "modifiers", "pointers", "units", "charge", "source"]
GOOD = {
    "rows": "1",
    "diagnoses": "E11.9 I10",
    "line-1-code": "99213",
    "line-1-modifiers": "25",
    "line-1-pointers": "1 2",
    "line-1-units": "1",
    "line-1-charge": "110.00",
    "line-1-source": "1",
}


@pytest.fixture
def replacement(settings: Any, tmp_path: Path) -> tuple[Any, Claim]:
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    s = ingest_scenario(unmatched=False)
    client = verified_client("bella.biller")
    client.raise_request_exception = False
    client.post(reverse("claims:replace", args=[s.denied.public_id]))
    made = Claim.objects.for_system([s.practice.pk], reason="t").get(replaces=s.denied)
    return client, made


def saved_lines(claim: Claim) -> list[ClaimLine]:
    return list(
        ClaimLine.objects.for_system([claim.practice_id], reason="t")
        .filter(claim=claim)
        .order_by("line_number")
    )


@pytest.mark.parametrize("field", FIELDS)
def test_every_field_takes_every_hostile_value_without_a_500(replacement, field):
    client, made = replacement
    url = reverse("claims:replacement", args=[made.public_id])
    for value in HOSTILE:
        response = client.post(url, {**GOOD, f"line-1-{field}": value})
        assert response.status_code in (200, 302), (field, value[:20], response.status_code)
        assert b"<script>x" not in response.content


@pytest.mark.parametrize("field", ["units", "charge"])
@pytest.mark.parametrize("value", ["٣", "３", "1_0"])
def test_numbers_in_other_scripts_are_refused_naming_the_line(replacement, field, value):
    client, made = replacement
    before = [(ln.units, ln.charge) for ln in saved_lines(made)]
    url = reverse("claims:replacement", args=[made.public_id])
    response = client.post(url, {**GOOD, f"line-1-{field}": value})
    assert response.status_code == 200, (field, value)
    assert f"Line 1: {field}".encode() in response.content
    assert [(ln.units, ln.charge) for ln in saved_lines(made)] == before


def test_hostile_diagnoses_never_500(replacement):
    client, made = replacement
    url = reverse("claims:replacement", args=[made.public_id])
    for value in HOSTILE:
        response = client.post(url, {**GOOD, "diagnoses": value})
        assert response.status_code in (200, 302), value[:20]


def test_the_void_message_names_the_state_the_scrub_left_it_in(settings: Any, tmp_path: Path):
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    s = ingest_scenario(unmatched=False)
    client = verified_client("bella.biller")
    page = client.post(reverse("claims:void", args=[s.denied.public_id]), follow=True)
    made = Claim.objects.for_system([s.practice.pk], reason="t").get(replaces=s.denied)
    assert made.state != "draft"
    assert f"created and scrubbed ({made.get_state_display().lower()})" in page.content.decode()


def test_opening_the_replacement_form_is_an_audited_read(replacement):
    from bureau.audit.models import AuditAction, AuditEvent

    client, made = replacement
    before = AuditEvent.objects.filter(action=AuditAction.CLAIM_VIEWED).count()
    assert client.get(reverse("claims:replacement", args=[made.public_id])).status_code == 200
    event = AuditEvent.objects.filter(action=AuditAction.CLAIM_VIEWED).order_by("-id").first()
    assert AuditEvent.objects.filter(action=AuditAction.CLAIM_VIEWED).count() == before + 1
    assert event is not None and event.record_ids == [str(made.public_id)]
    assert event.user is not None and event.user.username == "bella.biller"
