"""The encounter form offers the practice's active service facilities, so the claim's 837P
names where the patient was seen (loop 2310C). An inactive facility, or another practice's,
is refused exactly like one that does not exist."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bureau.claims.batches import _bundles
from bureau.claims.models import Claim, Encounter
from bureau.claims.tests.test_services import insure, practices, some_patient
from bureau.claims.tests.test_views import _form
from bureau.claims.x12_mapping import claim_837
from bureau.conftest import verified_client
from bureau.directory.models import ServiceFacility
from bureau.patients.models import Patient
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
URL = "/claims/encounters/new/"


def clinic(practice: Practice, name: str, *, active: bool = True) -> ServiceFacility:
    return ServiceFacility.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        name=name,
        address_line1="77 Satellite Rd",
        city="Chatham",
        state="IL",
        postal_code="62629-1001",
        is_active=active,
    )


def test_the_url_is_the_encounter_form():
    assert reverse("claims:encounter_create") == URL


def test_the_form_offers_only_the_practices_active_facilities():
    practice, other = practices()[0], practices()[1]
    satellite = clinic(practice, "Satellite clinic")
    closed = clinic(practice, "Closed annex", active=False)
    elsewhere = clinic(other, "Other practice clinic")
    response = verified_client("bella.biller").get(URL, {"practice": str(practice.public_id)})
    choices = dict(response.context["form"].fields["facility"].choices)
    assert satellite.pk in choices and closed.pk not in choices and elsewhere.pk not in choices
    assert '<select name="facility"' in response.content.decode()


def test_a_chosen_facility_is_the_claims_service_facility():
    practice = practices()[0]
    patient = some_patient(practice)
    insure(patient)
    satellite = clinic(practice, "Satellite clinic")
    client = verified_client("bella.biller")
    before = set(
        Encounter.objects.for_system([practice.pk], reason="test").values_list("pk", flat=True)
    )
    response = client.post(URL, _form(practice, patient, facility=str(satellite.pk)))
    assert response.status_code == 302
    [encounter] = Encounter.objects.for_system([practice.pk], reason="test").exclude(pk__in=before)
    assert encounter.facility_id == satellite.pk
    claim = (
        Claim.objects.for_system([practice.pk], reason="test").filter(encounter=encounter).first()
    )
    assert claim is not None
    # The claim needs the rest of an 837P too: the test patient's address.
    Patient.objects.for_system([practice.pk], reason="test").filter(pk=patient.pk).update(
        address_line1="1 Main St", city="Springfield", state="IL", postal_code="627011234"
    )
    [bundle] = _bundles(None, practice, [claim.pk])
    facility = claim_837(bundle).service_facility
    rls.activate([])
    assert facility is not None and facility.name == "Satellite clinic"
    assert facility.address.postal_code == "626291001"


@pytest.mark.parametrize("which", ["inactive", "other practice", "missing"])
def test_an_unoffered_facility_is_refused_like_a_missing_one(which):
    practice, other = practices()[0], practices()[1]
    patient = some_patient(practice)
    insure(patient)
    pk = {
        "inactive": lambda: clinic(practice, "Closed annex", active=False).pk,
        "other practice": lambda: clinic(other, "Other practice clinic").pk,
        "missing": lambda: 2**31 - 1,
    }[which]()
    client = verified_client("bella.biller")
    before = Encounter.objects.for_system([practice.pk], reason="test").count()
    response = client.post(URL, _form(practice, patient, facility=str(pk)))
    assert response.status_code == 200
    errors = response.context["form"].errors["facility"]
    assert errors == [f"Select a valid choice. {pk} is not one of the available choices."]
    assert Encounter.objects.for_system([practice.pk], reason="test").count() == before


def test_without_a_facility_the_encounter_is_at_the_billing_address():
    practice = practices()[0]
    patient = some_patient(practice)
    insure(patient)
    client = verified_client("bella.biller")
    response = client.post(URL, _form(practice, patient))
    assert response.status_code == 302
