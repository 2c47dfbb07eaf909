"""Hostile insider review of issue 13 on the denial pages: the categories page's override form
and the appeal forms take hostile input without a 500 and write nothing half-way."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bureau.conftest import verified_client
from bureau.denials.models import CategoryOverride

pytestmark = pytest.mark.django_db

HOSTILE = [
    "99999999999999999999999",
    "9" * 5000,
    "٣",
    "-1",
    "1e30",
    "x" * 100_000,
    "<script>x</script>",
    "\x00",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_override_removal_with_a_hostile_id_is_a_message(value):
    owner = verified_client("olivia.owner")
    owner.raise_request_exception = False
    response = owner.post(
        reverse("denials:categories"), {"action": "remove", "override": value, "reason": "r"}
    )
    assert response.status_code == 200, value[:20]
    body = response.content.decode()
    assert "override" in body.lower() and "<script>x" not in body


@pytest.mark.parametrize("field", ["carc", "group_code", "category", "reason"])
@pytest.mark.parametrize("value", HOSTILE)
def test_override_set_with_hostile_fields_is_a_message(field, value):
    owner = verified_client("olivia.owner")
    owner.raise_request_exception = False
    data = {"carc": "50", "group_code": "CO", "category": "coding", "reason": "payer mix"}
    data[field] = value
    response = owner.post(reverse("denials:categories"), data)
    assert response.status_code in (200, 302), (field, value[:20])
    assert b"<script>x" not in response.content
    if response.status_code == 200:
        assert not CategoryOverride.objects.exists()
