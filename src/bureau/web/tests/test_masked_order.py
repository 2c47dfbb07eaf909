"""The order of a list must not tell a masked actor what the mask hides.

Every list page is discovered (as the authorization matrix discovers URLs) with every sort it
offers (`?sort=` options and links, found in the page itself). For an actor without
`patients.demographics` on some practices, the hidden names and birth dates of those practices'
patients are then reversed in the database: whatever the actor sees, and in whatever order,
must not change. Sorting by a hidden name (`?sort=practice` ordered by practice, then by
name) fails here.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bureau.conftest import verified_client
from bureau.patients.models import Patient
from bureau.tenancy import rls
from bureau.tenancy.roles import Capability, Role
from bureau.web.access import FILE_CARRIES_ATTR
from bureau.web.tests.test_authorization_matrix import CLASSIFICATION, World, build_world, served
from bureau.web.tests.test_file_downloads import Person, _make_person

C = Capability
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SORT_SELECT = re.compile(r'<select[^>]*name="sort".*?</select>', re.DOTALL)
OPTION = re.compile(r'<option[^>]*value="([^"]*)"')
SORT_LINK = re.compile(r"[?&;]sort=([\w-]+)")
HIDDEN = ("last_name", "first_name", "date_of_birth")


def list_urls() -> list[str]:
    """Pages without a record argument that a verified person opens with GET: the lists
    (not the exports of a report: files, not pages)."""
    found = served()
    return sorted(
        name
        for name, spec in ((n, CLASSIFICATION[n]) for n in found)
        if spec.method == "GET"
        and spec.record is None
        and spec.access in ("verified", "capability")
        and getattr(found[name].pattern.callback, FILE_CARRIES_ATTR, None) is None
    )


def offered_sorts(body: str) -> set[str]:
    found = set(SORT_LINK.findall(body))
    for select in SORT_SELECT.findall(body):
        found |= set(OPTION.findall(select))
    return found - {""}


def _variants(client: Client, world: World) -> list[tuple[str, dict[str, str]]]:
    """(list, query) for each list the person may open: with each sort it offers, page 1 and
    2, across all practices and within one practice where names are hidden and one where
    they are not."""
    masked = [p for p in world.practices if p.pk in world.caps and p.pk in _masked(world)]
    named = [p for p in world.practices if p.pk in world.caps and p.pk not in _masked(world)]
    practices = [None, *masked[:1], *named[:1]]
    variants = []
    for name in list_urls():
        spec = CLASSIFICATION[name]
        if spec.access == "capability" and not world.holds_anywhere(spec.needs):
            continue
        if spec.workers_redirected is not None and world.holds_anywhere((spec.workers_redirected,)):
            continue  # the queue's own order is checked in workqueues/tests/test_queue_views.py
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        sorts = [None, *sorted(offered_sorts(response.content.decode()))]
        for practice in practices if spec.list_filter else [None]:
            if practice is not None and not world.holds(spec.needs, practice.pk):
                continue
            for sort in sorts:
                for page in ("1", "2"):
                    query = {"page": page}
                    if sort:
                        query["sort"] = sort
                    if practice is not None:
                        query["practice"] = str(practice.public_id)
                    variants.append((name, query))
    return variants


def _masked(world: World) -> set[int]:
    return {pid for pid, caps in world.caps.items() if C.PATIENTS_DEMOGRAPHICS not in caps}


def _shown(client: Client, name: str, query: dict[str, str]) -> list[str]:
    """The records a page shows, in order (their public ids)."""
    response = client.get(reverse(name), query)
    assert response.status_code == 200, (name, query)
    return UUID.findall(response.content.decode())


def reverse_hidden_demographics(practice_ids: set[int]) -> int:
    """In each practice, give the patients their names and birth dates in reverse order:
    any order built on them turns around. Returns how many patients changed."""
    changed = 0
    for pid in sorted(practice_ids):
        patients = list(Patient.objects.for_system([pid], reason="test").order_by(*HIDDEN, "id"))
        values = [tuple(getattr(p, f) for f in HIDDEN) for p in patients]
        for patient, value in zip(patients, reversed(values), strict=True):
            for field, v in zip(HIDDEN, value, strict=True):
                setattr(patient, field, v)
        Patient.objects.for_system([pid], reason="test").bulk_update(patients, list(HIDDEN))
        changed += sum(a != b for a, b in zip(values, reversed(values), strict=True))
    rls.activate([])
    return changed


def check_order(username: str) -> tuple[int, list[str]]:
    world = build_world(username)
    masked = _masked(world)
    assert masked, f"{username} sees every name: nothing to test"
    client = verified_client(username)
    variants = _variants(client, world)
    before: list[Any] = [_shown(client, name, query) for name, query in variants]
    assert reverse_hidden_demographics(masked) > 0
    failures = [
        f"{name}?{'&'.join(f'{k}={v}' for k, v in query.items())}"
        for (name, query), shown in zip(variants, before, strict=True)
        if _shown(client, name, query) != shown
    ]
    return len(variants), failures


MIXED = Person("denial specialist beside a biller", ((Role.BILLER, 0), (Role.DENIAL_SPECIALIST, 1)))


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["dan.denials", "mixed"])
def test_no_list_orders_rows_by_what_the_actor_cannot_see(who):
    username = _make_person(MIXED) if who == "mixed" else who
    checked, failures = check_order(username)
    assert not failures, "order follows hidden demographics:\n" + "\n".join(failures)
    assert checked > 20, checked


@pytest.mark.django_db
def test_the_sorts_are_found():
    """Not vacuous: the crawl finds the lists that offer sorts, and each one it finds."""
    client = verified_client("olivia.owner")
    sorts = {
        name: offered_sorts(client.get(reverse(name)).content.decode()) for name in list_urls()
    }
    assert {"name", "account", "practice", "dob"} <= sorts["patients:list"]
    assert {"date", "number", "practice"} <= sorts["claims:list"]


@pytest.mark.django_db
def test_the_check_sees_an_order_by_name():
    """The same check, on an actor who may see names, notices the reversal: a name sort
    turns around (so a masked actor's unchanged page means something)."""
    world = build_world("olivia.owner")
    client = verified_client("olivia.owner")
    practice = world.practices[0]
    query = {"sort": "name", "practice": str(practice.public_id)}
    before = _shown(client, "patients:list", query)
    reverse_hidden_demographics({practice.pk})
    assert _shown(client, "patients:list", query) != before
