"""Claim pages: list, detail, encounter entry through the browser's forms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bureau.claims import selectors
from bureau.claims.tests.test_services import (
    actor,
    insure,
    make_claims,
    practices,
    some_patient,
)
from bureau.conftest import verified_client
from bureau.directory.models import Provider

pytestmark = pytest.mark.django_db


def test_list_and_detail_render():
    _, _, _, [claim] = make_claims()
    client = verified_client("bella.biller")
    page = client.get(reverse("claims:list"), {"sort": "number", "state": "draft"})
    assert page.status_code == 200 and claim.number in page.content.decode()
    assert b'href="/claims/"' in page.content  # the nav link
    detail = client.get(reverse("claims:detail", kwargs={"public_id": claim.public_id}))
    body = detail.content.decode()
    assert detail.status_code == 200 and "99213" in body and "Claimsworth" in body
    assert ">Scrub</button>" in body  # bella may edit claims there
    viewer = verified_client("dan.denials").get(
        reverse("claims:detail", kwargs={"public_id": claim.public_id})
    )
    assert viewer.status_code == 200 and ">Scrub</button>" not in viewer.content.decode()


def test_masked_list_for_denial_specialist():
    make_claims()
    body = verified_client("dan.denials").get(reverse("claims:list")).content.decode()
    assert "Q. C." in body and "Claimsworth" not in body


def test_foreign_claim_is_404():
    _, _, _, [claim] = make_claims()
    url = reverse("claims:detail", kwargs={"public_id": claim.public_id})
    assert verified_client("priya.poster").get(url).status_code == 404
    assert verified_client("hank.harbor").get(url).status_code == 404


def test_list_filter_of_foreign_practice_is_404():
    foreign = practices()[6]
    client = verified_client("bella.biller")
    response = client.get(reverse("claims:list"), {"practice": str(foreign.public_id)})
    assert response.status_code == 404


def _form(practice, patient, **overrides):
    doctor = Provider.objects.filter(practice=practice).order_by("id").first()
    data = {
        "practice": str(practice.public_id),
        "patient_account": patient.account_number,
        "rendering_provider": str(doctor.pk),
        "billing_provider": str(doctor.pk),
        "date_of_service": (timezone.localdate() - timedelta(days=1)).isoformat(),
        "place_of_service": "11",
        "dx1": "E11.9",
        "dx2": "I10",
        "line1_code": "99214",
        "line1_pointers": "1 2",
        "line1_units": "1",
        "line2_code": "36415",
        "line2_pointers": "1",
    }
    data.update(overrides)
    return data


def test_encounter_form_creates_claims():
    practice = practices()[0]
    patient = some_patient(practice)
    insure(patient)
    client = verified_client("bella.biller")
    url = reverse("claims:encounter_create")
    assert client.get(url, {"practice": str(practice.public_id)}).status_code == 200
    response = client.post(url, _form(practice, patient))
    assert response.status_code == 302
    # Lands on the new (primary) claim, the next thing to work.
    claim = client.get(response["Location"])
    assert claim.status_code == 200 and "Encounter of" in claim.content.decode()
    assert patient.account_number in claim.content.decode()
    page = selectors.claim_list(
        actor=actor("bella.biller"),
        filters=selectors.ClaimFilters(practice_id=practice.pk),
        page_size=10_000,
    )
    [row] = [r for r in page.rows if r.patient_account == patient.account_number]
    assert str(row.total_charge) == "187.00"  # 175.00 override + 12.00


def test_encounter_form_shows_service_errors_on_the_field():
    practice = practices()[0]
    patient = some_patient(practice)
    insure(patient)
    client = verified_client("bella.biller")
    response = client.post(
        reverse("claims:encounter_create"), _form(practice, patient, dx2="ZZZ.9")
    )
    assert response.status_code == 200
    assert "ZZZ9 is not a valid ICD-10-CM" in response.content.decode()
    response = client.post(
        reverse("claims:encounter_create"), _form(practice, patient, patient_account="NOPE")
    )
    assert "No patient with that account" in response.content.decode()


def test_encounter_form_refuses_foreign_practice():
    foreign = practices()[6]
    client = verified_client("bella.biller")
    url = reverse("claims:encounter_create")
    assert client.get(url, {"practice": str(foreign.public_id)}).status_code == 404
    assert verified_client("dan.denials").get(url).status_code == 404


def test_patient_detail_lists_coverages():
    practice = practices()[0]
    patient = some_patient(practice)
    insure(patient, 1, 2)
    url = reverse("patients:detail", kwargs={"public_id": patient.public_id})
    body = verified_client("bella.biller").get(url).content.decode()
    assert f"MEM1{patient.pk}" in body and f"MEM2{patient.pk}" in body and "Secondary" in body


def test_claim_search_by_number_and_by_patient_where_demographics_are_seen():
    _, practice, _, [claim] = make_claims()
    _, _, _, [other] = make_claims()
    url = reverse("claims:list")
    biller = verified_client("bella.biller")
    by_number = biller.get(url, {"q": claim.number.lower()}).content.decode()
    assert claim.number in by_number and other.number not in by_number
    by_name = biller.get(url, {"q": f"{claim.patient.last_name}, {claim.patient.first_name}"})
    assert claim.number in by_name.content.decode()
    assert "0 claims" in biller.get(url, {"q": "Nobody-At-All"}).content.decode()
    # The denial specialist sees initials only: a name search must not find (and so reveal) it,
    # while the claim number still does.
    dan = verified_client("dan.denials")
    masked = dan.get(url, {"q": claim.patient.last_name}).content.decode()
    assert claim.number not in masked and "0 claims" in masked
    assert claim.number in dan.get(url, {"q": claim.number}).content.decode()


@pytest.mark.parametrize("hostile", ["\x00", "²" * 5, "x" * 10_000, "%", "_", "' OR 1=1 --"])
def test_claim_search_takes_any_text(hostile):
    make_claims()
    assert (
        verified_client("bella.biller").get(reverse("claims:list"), {"q": hostile}).status_code
        == 200
    )
