"""N+1 guards: a list page costs the same number of queries for one row as for a full page.

Each page is requested once to warm up (session, content types), then measured with a filter
that leaves one row and without it (a full page), and both counts must be equal and under a
bound. The bounds were measured (SQLite and PostgreSQL with RLS) and leave a little room; a
per-row or per-practice query breaks the equality long before it breaks the bound.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.selectors import PAGE_SIZE as AUDIT_PAGE_SIZE
from bureau.audit.services import audit_record
from bureau.conftest import verified_client
from bureau.patients.selectors import PAGE_SIZE as PATIENT_PAGE_SIZE
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db

# Measured: patient list 17 (SQLite) / 18 (PostgreSQL, RLS); audit log 20 (16 for a client
# viewer, whose filter form lists no staff) on both.
PATIENT_LIST_MAX_QUERIES = 20
AUDIT_LOG_MAX_QUERIES = 22


def measure(client: Client, url: str, **headers: str) -> tuple[list[str], Any]:
    client.get(url, headers=headers)  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, headers=headers)
    assert response.status_code == 200, url
    return [q["sql"][:160] for q in ctx.captured_queries], response


def same_count(one: list[str], many: list[str], what: str) -> str:
    return f"{what}: {len(many)} queries vs {len(one)}\n--- many:\n" + "\n".join(many)


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "htmx-partial"])
@pytest.mark.parametrize("username", ["olivia.owner", "dan.denials"])
def test_patient_list_queries_do_not_grow_with_rows(username, htmx):
    client = verified_client(username)
    headers = {"HX-Request": "true"} if htmx else {}
    one_sql, one = measure(client, "/patients/?q=LFM000001", **headers)
    assert len(one.context["page"].rows) == 1
    for url in ("/patients/", "/patients/?sort=practice", "/patients/?page=2"):
        many_sql, many = measure(client, url, **headers)
        rows = many.context["page"].rows
        assert len(rows) >= 40, url
        assert len({r.practice_name for r in rows}) >= 3, f"{url}: rows of several practices"
        if url == "/patients/":
            assert len(rows) == PATIENT_PAGE_SIZE
        if username == "dan.denials":
            assert all(r.masked for r in rows)
        assert len(many_sql) == len(one_sql), same_count(
            one_sql, many_sql, f"{username} {url} ({len(rows)} rows vs 1)"
        )
    assert len(one_sql) <= PATIENT_LIST_MAX_QUERIES, "\n".join(one_sql)


def _fill_audit_log(rows: int) -> str:
    """`rows` events at Lakeside by every Summit user (so a per-user or per-practice lookup
    would show), a few elsewhere, and one event with a unique record id; returns that id."""
    users = list(User.objects.filter(workspace__slug="summit").order_by("id"))
    actors = [a for a in (resolve_actor(u) for u in users) if a is not None]
    practices = list(Practice.objects.filter(workspace__slug="summit").order_by("id"))
    lakeside = practices[0]
    unique = str(uuid.uuid4())
    with transaction.atomic():
        for n in range(rows):
            actor = actors[n % len(actors)]
            audit_record(
                action=AuditAction.PATIENT_VIEWED,
                actor=actor,
                practice=lakeside,
                model="patients.Patient",
                record_ids=[uuid.uuid4()],
            )
        for n, practice in enumerate(practices[1:]):
            audit_record(
                action=AuditAction.PATIENT_LISTED,
                actor=actors[n % len(actors)],
                practice=practice,
                model="patients.Patient",
                record_ids=[uuid.uuid4() for _ in range(5)],
            )
        audit_record(
            action=AuditAction.PATIENT_VIEWED,
            actor=actors[0],
            practice=lakeside,
            model="patients.Patient",
            record_ids=[unique],
        )
    return unique


@pytest.mark.parametrize("username", ["olivia.owner", "carla.compliance", "cliff.client"])
def test_audit_log_queries_do_not_grow_with_rows(username):
    unique = _fill_audit_log(AUDIT_PAGE_SIZE + 10)
    client = verified_client(username)
    one_sql, one = measure(client, f"/audit/?record={unique}")
    assert len(one.context["page"].object_list) == 1
    many_sql, many = measure(client, "/audit/")
    events = many.context["page"].object_list
    assert len(events) == AUDIT_PAGE_SIZE
    assert len({e.user_id for e in events}) >= 5
    assert len(many_sql) == len(one_sql), same_count(
        one_sql, many_sql, f"{username} ({len(events)} events vs 1)"
    )
    assert len(one_sql) <= AUDIT_LOG_MAX_QUERIES, "\n".join(one_sql)
