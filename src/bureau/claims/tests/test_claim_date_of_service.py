"""The claim's own copy of its encounter's date of service (issue 12): every way a claim is made
sets it, and the claims list's default order (newest service first) uses it."""

from __future__ import annotations

import pytest
from django.db.models import F

from bureau.claims.models import Claim
from bureau.claims.selectors import SORTS
from bureau.conftest import verified_client
from bureau.workqueues.tests import helpers as h

pytestmark = pytest.mark.django_db


def _claims():
    return h.system(Claim, [p.pk for p in h.summit()])


def test_every_claim_carries_its_encounter_s_date_of_service():
    claims = _claims()
    assert claims.exists()
    assert not claims.exclude(date_of_service=F("encounter__date_of_service")).exists()


def test_a_claim_saved_without_the_date_takes_its_encounter_s():
    original = _claims().select_related("encounter").order_by("id").first()
    assert original is not None
    copy = Claim(
        workspace_id=original.workspace_id,
        practice_id=original.practice_id,
        encounter_id=original.encounter_id,
        patient_id=original.patient_id,
        coverage_id=original.coverage_id,
        payer_id=original.payer_id,
        number="COPY-1",
        state="closed",  # a closed correction: the one-open-correction rule stays out of it
        total_charge=original.total_charge,
        replaces=original,
    )
    copy.save(force_insert=True)
    copy.refresh_from_db()
    assert copy.date_of_service == original.encounter.date_of_service


def test_the_claims_list_sorts_by_the_claim_s_date_newest_first():
    assert SORTS["date"] == ("-date_of_service", "-id")
    response = verified_client("sam.supervisor").get("/claims/?practice=all")
    rows = response.context["page"].rows
    assert len(rows) > 1
    numbers = [r.number for r in rows]
    expected = list(
        _claims()
        .filter(number__in=numbers)
        .order_by("-date_of_service", "-id")
        .values_list("number", flat=True)
    )
    assert numbers == expected
    assert Claim._meta.indexes[-1].name == "claim_list_by_service"
