"""The program's tabs: on each part's list page for whole-program readers, the page's own tab
marked; never shown to a client viewer (every tab but her incidents would answer 404)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db
PARTS = {
    "compliance:dashboard": "Overview",
    "compliance:baa_list": "BAAs",
    "compliance:incident_list": "Incidents",
    "compliance:screening": "Exclusion screening",
    "compliance:training": "Training",
    "compliance:policy_list": "Policies",
    "compliance:review_list": "Access reviews",
}


@pytest.mark.parametrize(("route", "tab"), PARTS.items())
def test_each_part_s_list_marks_its_own_tab(route: str, tab: str) -> None:
    body = verified_client("carla.compliance").get(reverse(route)).content.decode()
    nav = re.search(r'<nav class="tabs" id="program-tabs".*?</nav>', body, re.S)
    assert nav is not None
    current = re.findall(r'<a href="([^"]+)" aria-current="page">([^<]+)</a>', nav.group(0))
    assert current == [(reverse(route), tab)]
    assert all(reverse(r) in nav.group(0) for r in PARTS)


def test_a_client_viewer_sees_no_program_tabs() -> None:
    response = verified_client("cliff.client").get(reverse("compliance:incident_list"))
    assert response.status_code == 200
    assert 'id="program-tabs"' not in response.content.decode()
