"""The encounter form against hostile input: each field of an otherwise valid encounter in turn
takes each hostile value. The answer is the form with a message or a saved claim, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bureau.claims.tests.test_services import insure, practices, some_patient
from bureau.claims.tests.test_views import _form
from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db

HOSTILE = [
    "²",
    "٣",
    "9" * 5000,
    "1e30",
    "-1",
    "x" * 10_000,
    "[" * 5000,
    "1\x00",
    "9999-12-31",
    "0001-01-01",
]
FIELDS = [
    "patient_account",
    "rendering_provider",
    "billing_provider",
    "facility",
    "date_of_service",
    "place_of_service",
    "dx1",
    "dx2",
    "line1_code",
    "line1_modifiers",
    "line1_pointers",
    "line1_units",
    "line1_charge",
]


def test_pointer_in_another_script_is_a_message_not_a_500():
    practice = practices()[0]
    patient = some_patient(practice)
    insure(patient)
    client = verified_client("bella.biller")
    client.raise_request_exception = False
    response = client.post(
        reverse("claims:encounter_create"), _form(practice, patient, line1_pointers="²")
    )
    assert response.status_code == 200
    assert "Line 1: pointers are numbers such as 1 2." in response.content.decode()


@pytest.mark.parametrize("field", FIELDS)
def test_every_field_takes_every_hostile_value_without_a_500(field):
    practice = practices()[0]
    patient = some_patient(practice)
    insure(patient)
    client = verified_client("bella.biller")
    client.raise_request_exception = False
    url = reverse("claims:encounter_create")
    failures = []
    for value in HOSTILE:
        response = client.post(url, _form(practice, patient, **{field: value}))
        if response.status_code not in (200, 302):
            failures.append(f"{field}={value[:12]!r}: {response.status_code}")
    assert not failures, failures
