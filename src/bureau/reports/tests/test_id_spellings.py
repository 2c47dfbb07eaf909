"""Found by a hostile review: a practice id is a UUID in any spelling (as payer and person ids
already were), and the KPI dashboard reads only YYYY-MM-DD dates, like every other report."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from bureau.conftest import verified_client
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db


def _lakeside() -> Practice:
    return Practice.objects.get(workspace__slug="summit", name__startswith="Lakeside")


@pytest.mark.parametrize("spell", [str.upper, lambda s: s.replace("-", ""), lambda s: f"{{{s}}}"])
def test_her_own_practice_in_any_uuid_spelling_is_her_practice(spell):
    client = verified_client("cliff.client")
    own = str(_lakeside().public_id)
    assert client.get(reverse("reports:aging"), {"practice": spell(own)}).status_code == 200
    # Another practice, spelled the same way, is still the missing practice's 404.
    other = Practice.objects.filter(workspace__slug="summit").exclude(pk=_lakeside().pk).first()
    foreign = client.get(reverse("reports:aging"), {"practice": spell(str(other.public_id))})
    missing = client.get(reverse("reports:aging"), {"practice": spell(str(uuid.uuid4()))})
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


@pytest.mark.parametrize("value", ["2026-W01-1", "２０２６-01-01", "20260101", "2026-01-01x"])
def test_the_kpi_dashboard_reads_only_iso_dates(value):
    response = verified_client("olivia.owner").get(reverse("reports:kpis"), {"end": value})
    assert response.status_code == 400
    assert b"is not a date: write it as YYYY-MM-DD." in response.content
