"""Under *All practices* a page shows all of the user's practices, never one of them silently.

Found: `/setup/enrollments/` (and contract rates) under All practices showed the first practice
(Bayview) only. The class test opens every list page with a practice filter under All and checks
its heading names no single practice; the enrollment tests check the rows themselves.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.urls import reverse

from bureau.conftest import verified_client
from bureau.directory.models import ContractRate, Payer, Provider
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.context import ALL
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability
from bureau.web.tests.test_authorization_matrix import CLASSIFICATION
from bureau.workqueues.tests.pages import MOVED_LISTS, workspace_reader

pytestmark = pytest.mark.django_db

LIST_PAGES = sorted(name for name, spec in CLASSIFICATION.items() if spec.list_filter)


def heading(response: Any) -> str:
    found = re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.DOTALL)
    assert found, "no heading"
    return re.sub(r"<[^>]+>", " ", found.group(1))


def first_cells(response: Any, table_class: str) -> list[str]:
    """The text of each body row's first cell (<td> or <th>) of the table."""
    page = response.content.decode()
    table = re.search(rf'<table class="{table_class}">(.*?)</table>', page, re.DOTALL)
    assert table, f"no table.{table_class}"
    body = table.group(1).split("<tbody>", 1)[1]
    return [
        html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
        for cell in re.findall(r"<tr>\s*<t[dh][^>]*>(.*?)</t[dh]>", body, re.DOTALL)
    ]


@pytest.mark.parametrize("name", LIST_PAGES)
def test_a_list_under_all_practices_names_no_single_practice(name: str) -> None:
    client = (
        workspace_reader(Workspace.objects.get(slug="summit"))
        if name in MOVED_LISTS  # the owner works these in the queue; a reader keeps the list
        else verified_client("olivia.owner")
    )
    names = list(Practice.objects.filter(workspace__slug="summit").values_list("name", flat=True))
    for query in [{}, {"practice": ALL}]:
        response = client.get(reverse(name), query)
        assert response.status_code == 200, query
        shown = heading(response)
        assert not [n for n in names if n in shown], f"{name} {query}: {shown!r}"


@pytest.mark.parametrize("query", [{}, {"practice": ALL}], ids=["context", "chosen"])
@pytest.mark.parametrize("username", ["olivia.owner", "hank.harbor"])
def test_enrollments_under_all_practices_show_every_practice_of_the_user(
    username: str, query: dict[str, str]
) -> None:
    actor = resolve_actor(_user(username))
    assert actor is not None
    mine = {p.name for p in actor.practices(Capability.SETUP_VIEW)}
    providers = Provider.objects.filter(practice__name__in=mine, workspace=actor.workspace)
    with_providers = set(providers.values_list("practice__name", flat=True))
    assert len(with_providers) > 1, "the seed gives several practices providers"

    response = verified_client(username).get(reverse("directory:enrollments"), query)

    assert response.status_code == 200
    assert "All practices" in heading(response)
    assert "<th>Practice</th>" in response.content.decode()
    shown = set(first_cells(response, "enrollment-matrix"))
    assert shown == with_providers
    rows = len(first_cells(response, "enrollment-matrix"))
    assert rows == providers.count()
    others = set(Practice.objects.values_list("name", flat=True)) - mine
    assert not [n for n in others if html.escape(n) in response.content.decode()]


def test_enrollments_of_one_practice_stay_one_practice() -> None:
    bayview = Practice.objects.get(workspace__slug="summit", name="Bayview Pediatrics")
    client = verified_client("olivia.owner")
    response = client.get(reverse("directory:enrollments"), {"practice": str(bayview.public_id)})
    assert "Bayview Pediatrics" in heading(response)
    assert "<th>Practice</th>" not in response.content.decode()
    providers = set(Provider.objects.filter(practice=bayview).values_list("name", flat=True))
    shown = {cell.rsplit(" ", 1)[0] for cell in first_cells(response, "enrollment-matrix")}
    assert shown == providers


def test_contract_rates_under_all_practices_show_every_practice() -> None:
    practices = list(Practice.objects.filter(workspace__slug="summit").order_by("name")[:2])
    payer = Payer.objects.filter(workspace__slug="summit").first()
    assert payer is not None
    for p in practices:
        ContractRate.objects.create(
            workspace_id=p.workspace_id, practice=p, payer=payer, code="99213", allowed_amount=90
        )
    response = verified_client("olivia.owner").get(reverse("directory:contracts"))
    assert "All practices" in heading(response)
    assert all(p.name in response.content.decode() for p in practices)


def _user(username: str) -> Any:
    from bureau.accounts.models import User

    return User.objects.get(username=username)
