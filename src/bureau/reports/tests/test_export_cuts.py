"""A capped export says so in its name (issue 14, second hostile review): the claims CSVs carry
at most EXPORT_CLAIMS claims and the activity CSV EXPORT_EVENTS events; a file cut there was
indistinguishable from the whole, and its sums from the report's."""

from __future__ import annotations

import csv
import io
import re

import pytest
from django.urls import reverse

from bureau.accounts.models import User
from bureau.conftest import verified_client
from bureau.reports import activity_views, aging
from bureau.reports.report_views import cut_name

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode())))[1:]


def test_a_name_says_when_the_file_is_cut():
    assert cut_name("claims-book-2026-12-07.csv", 10, 10) == "claims-book-2026-12-07.csv"
    assert cut_name("claims-book-2026-12-07.csv", 10, 25) == (
        "claims-book-2026-12-07-first-10-of-25.csv"
    )


def test_the_aging_claims_csv_cut_at_its_cap_says_first_n_of_all(monkeypatch):
    client = verified_client("olivia.owner")
    url = reverse("reports:aging_claims_csv")
    whole = client.get(url, {"practice": "all"})
    total = len(_rows(whole))
    assert total > 3, "the seeded book owes on more than three claims"
    assert "-first-" not in whole["Content-Disposition"]
    monkeypatch.setattr(aging, "EXPORT_CLAIMS", 3)
    cut = client.get(url, {"practice": "all"})
    assert len(_rows(cut)) == 3
    assert f"-first-3-of-{total}.csv" in cut["Content-Disposition"]


def test_the_activity_csv_cut_at_its_cap_says_first_n_of_all(monkeypatch):
    client = verified_client("olivia.owner")
    for _ in range(3):  # her own events today, in the practices' audit log
        client.get(reverse("reports:aging"), {"practice": "all"})
    person = str(User.objects.get(username="olivia.owner").public_id)
    url = reverse("reports:activity_csv")
    whole = client.get(url, {"person": person, "practice": "all"})
    total = len(_rows(whole))
    assert total > 2 and "-first-" not in whole["Content-Disposition"]
    monkeypatch.setattr(activity_views, "EXPORT_EVENTS", 2)
    cut = client.get(url, {"person": person, "practice": "all"})
    assert len(_rows(cut)) == 2
    # The whole export was itself audited (an event per practice) before this one counted.
    found = re.search(r"-first-2-of-([0-9]+)\.csv", cut["Content-Disposition"])
    assert found is not None, cut["Content-Disposition"]
    assert int(found.group(1)) > total
