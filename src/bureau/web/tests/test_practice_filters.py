"""Every list's practice filter is one select (`web/_practice_select.html`) sending the same
values, and it agrees with the practice bar.

Found: the patients list's "All practices" option sent an empty value, so under a bar naming one
practice choosing All did nothing (the empty value fell back to the bar); the audit log answered
`?practice=all` with a 404 and its "All my practices" fell back to the bar too; the batches list
ignored the bar. The class tests open every list page with a practice filter (discovered from the
authorization matrix's CLASSIFICATION) under a bar naming one practice, and choose the page's own
All option.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bureau.conftest import verified_client
from bureau.tenancy.context import ALL
from bureau.tenancy.models import Practice, Workspace
from bureau.web.tests.test_authorization_matrix import CLASSIFICATION
from bureau.web.tests.test_practice_context import (
    OWNER,
    RIVERBEND,
    SUMMIT_PT,
    _bar,
    a_patient,
    context_of,
    practice,
    set_context,
)
from bureau.workqueues.tests.pages import MOVED_LISTS, workspace_reader

pytestmark = pytest.mark.django_db

LIST_PAGES = sorted(name for name, spec in CLASSIFICATION.items() if spec.list_filter)


def practice_selects(response: Any) -> list[str]:
    """Every <select name="practice"> of the page, whole."""
    page = response.content.decode()
    return re.findall(r'<select name="practice"[^>]*>.*?</select>', page, re.DOTALL)


def options(select: str) -> list[tuple[str, str, bool]]:
    """(value, label, selected) of each option."""
    return [
        (value, html.unescape(label).strip(), "selected" in attrs)
        for value, attrs, label in re.findall(
            r'<option value="([^"]*)"([^>]*)>(.*?)</option>', select, re.DOTALL
        )
    ]


def the_filter(response: Any) -> list[tuple[str, str, bool]]:
    selects = practice_selects(response)
    assert len(selects) == 1, f"{len(selects)} practice selects"
    return options(selects[0])


def heading(response: Any) -> str:
    found = re.search(r"<h1>(.*?)</h1>", response.content.decode(), re.DOTALL)
    assert found, "no heading"
    return html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))


def summit_names() -> list[str]:
    return list(Practice.objects.filter(workspace__slug="summit").values_list("name", flat=True))


def lister(name: str) -> Client:
    """The owner; for a list whose workers the queue took, a reader of every practice."""
    if name in MOVED_LISTS:
        return workspace_reader(Workspace.objects.get(slug="summit"))
    return verified_client(OWNER)


@pytest.mark.parametrize("name", LIST_PAGES)
def test_every_list_filters_practices_with_the_shared_select(name: str) -> None:
    response = lister(name).get(reverse(name))
    assert response.status_code == 200
    selects = practice_selects(response)
    assert len(selects) == 1, selects
    assert "data-practice-filter" in selects[0], f"{name}: not web/_practice_select.html"
    values = [value for value, _label, _selected in options(selects[0])]
    assert values[0] == ALL, f"{name}: the All option sends {values[0]!r}"
    assert sorted(label for _v, label, _s in options(selects[0])[1:]) == sorted(summit_names())


@pytest.mark.parametrize("name", LIST_PAGES)
def test_choosing_all_under_a_specific_bar_shows_all_practices(name: str) -> None:
    riverbend = practice(RIVERBEND)
    client = lister(name)
    set_context(client, riverbend)

    # The list follows the bar: it shows Riverbend, and its filter says so.
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert _bar(response) == RIVERBEND
    assert response.context["practice"] == riverbend
    chosen = [label for _v, label, selected in the_filter(response) if selected]
    assert chosen == [RIVERBEND]

    # The person picks the filter's All option: whatever it sends, the page shows every
    # practice and the bar says All practices.
    all_value = the_filter(response)[0][0]
    response = client.get(reverse(name), {"practice": all_value})
    assert response.status_code == 200, f"{name}?practice={all_value!r}"
    assert response.context["practice"] is None, f"{name}: still filtered under All"
    assert _bar(response) == "All practices"
    assert context_of(client) == ALL
    assert not [label for _v, label, selected in the_filter(response) if selected]
    assert not [n for n in summit_names() if n in heading(response)], heading(response)


# -- the audit log --------------------------------------------------------------------------------
def audit_practices(response: Any) -> set[str]:
    """The Practice column of the audit table."""
    table = re.search(
        r'<table class="grid" id="audit-table">(.*?)</table>', response.content.decode(), re.DOTALL
    )
    assert table, "no audit table"
    rows = re.findall(
        r"<tr>\s*<td[^>]*>.*?</td>\s*<td>.*?</td>\s*<td>(.*?)</td>", table.group(1), re.DOTALL
    )
    return {html.unescape(cell).strip() for cell in rows}


def read_patients_of(*names: str) -> None:
    """PHI reads in several practices, so the log holds events of each."""
    reader: Client = verified_client(OWNER)
    for n in names:
        response = reader.get(
            reverse("patients:detail", kwargs={"public_id": a_patient(practice(n))})
        )
        assert response.status_code == 200


def test_the_audit_log_shows_all_practices_when_asked_under_a_specific_bar() -> None:
    read_patients_of(RIVERBEND, SUMMIT_PT)
    client = verified_client(OWNER)
    set_context(client, practice(RIVERBEND))

    assert audit_practices(client.get(reverse("audit:log"))) == {RIVERBEND}

    response = client.get(reverse("audit:log"), {"practice": ALL})
    assert response.status_code == 200
    assert {RIVERBEND, SUMMIT_PT} <= audit_practices(response)
    assert context_of(client) == ALL
    # A filter the form refuses (a bad day) drops that filter, not the practice.
    response = client.get(reverse("audit:log"), {"practice": ALL, "date_to": "not a date"})
    assert response.status_code == 200
    assert {RIVERBEND, SUMMIT_PT} <= audit_practices(response)
    set_context(client, practice(RIVERBEND))
    response = client.get(reverse("audit:log"), {"date_to": "not a date"})
    assert audit_practices(response) == {RIVERBEND}


# -- the batches list -----------------------------------------------------------------------------
def batch_practices(response: Any) -> list[str]:
    table = re.search(r'<table class="table">(.*?)</table>', response.content.decode(), re.DOTALL)
    assert table, "no batch table"
    body = table.group(1).split("<tbody>", 1)[1]
    return [html.unescape(c).strip() for c in re.findall(r"<tr>\s*<td>(.*?)</td>", body)]


def test_the_batches_list_follows_the_bar() -> None:
    riverbend, summit_pt = practice(RIVERBEND), practice(SUMMIT_PT)
    client = verified_client(OWNER)
    set_context(client, riverbend)

    response = client.get(reverse("batches:list"))
    assert _bar(response) == RIVERBEND
    assert set(batch_practices(response)) == {RIVERBEND}

    response = client.get(reverse("batches:list"), {"practice": str(summit_pt.public_id)})
    assert _bar(response) == SUMMIT_PT
    assert set(batch_practices(response)) == {SUMMIT_PT}
    assert context_of(client) == str(summit_pt.public_id)

    response = client.get(reverse("batches:list"), {"practice": ALL})
    assert _bar(response) == "All practices"
    assert {RIVERBEND, SUMMIT_PT} <= set(batch_practices(response))
