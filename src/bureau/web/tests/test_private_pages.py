"""Signed-in pages stay out of caches, and a request Django refuses to read gets a plain page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db

SIGNED_IN_PAGES = ["web:home", "reports:aging", "reports:kpis", "patients:list", "audit:log"]


@pytest.mark.parametrize("name", SIGNED_IN_PAGES)
def test_a_signed_in_page_is_private_and_not_stored(name):
    response = verified_client("olivia.owner").get(reverse(name))
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"


def test_a_download_keeps_its_own_no_store():
    response = verified_client("olivia.owner").get(reverse("reports:aging_csv"))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"


def test_a_refused_page_is_not_stored_either():
    response = verified_client("olivia.owner").get(reverse("reports:kpis"), {"end": "1999-01-01"})
    assert response.status_code == 400
    assert response["Cache-Control"] == "private, no-store"


def test_the_sign_in_page_of_a_stranger_is_left_alone():
    response = Client().get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")


def test_too_many_fields_answer_a_plain_bad_request_page():
    query = "&".join(f"field{i}=secret{i}" for i in range(1200))
    response = verified_client("olivia.owner").get(f"{reverse('reports:aging')}?{query}")
    assert response.status_code == 400
    body = response.content.decode()
    assert "<h1>Bad request</h1>" in body
    assert "malformed" in body and "more fields" in body
    assert "field1199" not in body and "secret" not in body  # nothing sent is echoed
