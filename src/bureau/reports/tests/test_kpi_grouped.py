"""The grouped KPIs (one query for every practice, or every month) equal `compute` over each
group's own scope: on the hand-built book (its months November 2025 to March 2026, worked out
in test_kpis.py) and on the seeded demo (every practice)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bureau.accounts.models import User
from bureau.reports.kpis import KpiScope, compute
from bureau.reports.kpis.grouped import GROUPED, By, by_month, grouped, months_between
from bureau.reports.kpis.scope import CAPABILITY
from bureau.reports.tests.kpi_fixture import build_book
from bureau.tenancy.actor import Actor, resolve_actor

pytestmark = pytest.mark.django_db


def actor(username: str) -> Actor:
    found = resolve_actor(User.objects.get(username=username))
    assert found is not None
    return found


def month_scope(who: Actor, first: date, practice_id: int | None = None) -> KpiScope:
    last = first.replace(day=calendar.monthrange(first.year, first.month)[1])
    return KpiScope(who, first, last, practice_id=practice_id)


@pytest.mark.parametrize("key", sorted(GROUPED))
def test_per_month_equals_compute_on_each_month_of_the_hand_built_book(key: str) -> None:
    book = build_book()
    whole = KpiScope(book.owner, date(2025, 11, 1), date(2026, 3, 31), practice_id=book.practice.pk)
    table = by_month(whole)[key]
    assert list(table) == months_between(whole.start, whole.end)
    for month, value in table.items():
        expected = compute(key, month_scope(book.owner, month, book.practice.pk))
        assert value.value == expected.value, (key, month)
        assert round(value.numerator, 2) == round(expected.numerator, 2), (key, month)
    # March is the book's busy month: not vacuous.
    assert table[date(2026, 3, 1)].value is not None


@pytest.mark.parametrize("key", sorted(GROUPED))
@pytest.mark.parametrize("username", ["olivia.owner", "bella.biller", "cliff.client"])
def test_per_practice_equals_compute_on_each_practice_of_the_demo(key: str, username: str) -> None:
    build_book()  # a practice with every kind of row, beside the seeded demo's
    who = actor(username)
    today = timezone.localdate()
    scope = KpiScope(who, today - timedelta(days=89), today)
    found = grouped(key, scope, By.PRACTICE)
    assert set(found) <= who.practice_ids(CAPABILITY)
    for pid in who.practice_ids(CAPABILITY):
        expected = compute(key, KpiScope(who, scope.start, scope.end, practice_id=pid))
        value = found.get(pid)
        assert (value.value if value else None) == expected.value, (key, pid)


def test_one_query_per_measure_whatever_the_number_of_practices() -> None:
    who = actor("olivia.owner")
    today = timezone.localdate()
    scope = KpiScope(who, today - timedelta(days=89), today)
    assert len(who.practice_ids()) > 1
    for key in GROUPED:
        with CaptureQueriesContext(connection) as ctx:
            grouped(key, scope, By.PRACTICE)
        # PostgreSQL's RLS setting for the transaction is not a read of the KPI's.
        reads = [
            q
            for q in ctx.captured_queries
            if q["sql"].lstrip().upper().startswith("SELECT")
            and not q["sql"].lstrip().upper().startswith("SELECT SET_CONFIG")
        ]
        # initial denials: the adjudicated claims and their denials, two statements.
        assert len(reads) == (2 if key == "initial_denial_rate" else 1), key
