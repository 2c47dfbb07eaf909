"""The home page's book at a glance (owner, supervisor, biller: the practices each may report
on) and a client viewer's dashboard (her practice only): the figures are the KPI and aging
functions' own, every one links to its report, and the read is audited per practice."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.demo import WORKSPACE_SLUG
from bureau.demo_claims import simulate_demo
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.reports.aging import aging_by_bucket
from bureau.reports.book import ROW_KPIS, over_90_share
from bureau.reports.client_dashboard import TARGET_KPIS
from bureau.reports.filters import AgingBasis, ReportFilters
from bureau.reports.kpis import REGISTRY, KpiScope, compute
from bureau.reports.kpis.scope import CAPABILITY
from bureau.reports.monthly import Month
from bureau.reports.tests.kpi_fixture import build_book
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.context import SESSION_KEY
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db
LAKESIDE = "Lakeside Family Medicine"
DAYS = 20  # replayed days of the payer simulator: reaches into last month


def actor(username: str) -> Actor:
    found = resolve_actor(User.objects.get(username=username))
    assert found is not None
    return found


def home(username: str, query: str = "") -> Any:
    response = verified_client(username).get("/" + query)
    assert response.status_code == 200
    return response


def section(response: Any, element_id: str) -> str:
    html = response.content.decode()
    found = re.search(rf'id="{element_id}".*?</(table|section|div)>', html, re.S)
    assert found, element_id
    return found.group(0)


def test_the_owner_sees_every_practice_with_the_kpi_and_aging_functions_figures() -> None:
    build_book()  # a practice with denials, rejections, payments in it
    owner = actor("olivia.owner")
    response = home("olivia.owner")
    book = response.context["book"]
    assert response.context["client"] is None
    assert [r.practice.pk for r in book.practices] == [p.pk for p in owner.practices(CAPABILITY)]
    today = timezone.localdate()
    aging = aging_by_bucket(
        actor=owner, filters=ReportFilters(None, None, today, AgingBasis.SERVICE)
    ).book
    assert book.ar == aging.insurance.total > 0
    assert book.over_90 == over_90_share(aging)
    by_public = {row.public_id: row for row in aging.children}
    measured = 0
    for row in book.practices:
        scope = KpiScope(owner, today - timedelta(days=89), today, practice_id=row.practice.pk)
        for key in ROW_KPIS:
            assert row.kpis[key].value == compute(key, scope).value, (row.practice.name, key)
            measured += row.kpis[key].value is not None
        aged = by_public.get(str(row.practice.public_id))
        assert row.ar == (aged.insurance.total if aged else Decimal("0.00"))
    assert measured > 0  # not vacuous
    table = section(response, "book-practices")
    for row in book.practices:
        public = row.practice.public_id
        assert f"/reports/aging/?practice={public}" in table
        assert f"/reports/kpis/?practice={public}" in table
        assert f"/queue/?practice={public}&amp;sla=breached" in table


def test_this_month_and_last_are_the_ledger_sums() -> None:
    owner = actor("olivia.owner")
    book = home("olivia.owner").context["book"]
    ids = sorted(owner.practice_ids(CAPABILITY))
    today = timezone.localdate()
    for m in book.months:
        with transaction.atomic(), rls.practice_scope(ids):
            entries = LedgerEntry.objects.for_system(ids, reason="test").filter(
                effective_date__gte=m.month.first, effective_date__lte=min(m.month.last, today)
            )
            charges = entries.filter(kind=EntryKind.CHARGE).aggregate(s=Sum("amount"))["s"]
            paid = entries.filter(kind=EntryKind.PAYMENT).aggregate(s=Sum("amount"))["s"]
        assert m.charges == Decimal(charges or 0).quantize(Decimal("0.01"))
        assert m.payments == -Decimal(paid or 0).quantize(Decimal("0.01"))
    assert [m.month for m in book.months] == [Month.of(today).previous(), Month.of(today)]
    assert sum(m.charges for m in book.months) > 0  # the demo has charges: not vacuous


def test_the_denial_trend_is_six_months_each_the_kpi_over_its_month(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The payer simulator's replayed days: 835s with denials in this month and the last.
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    monkeypatch.setattr(transaction, "on_commit", lambda func, *a, **k: func())
    simulate_demo(WORKSPACE_SLUG, days=DAYS, seed=2026)
    owner = actor("olivia.owner")
    response = home("olivia.owner")
    book = response.context["book"]
    today = timezone.localdate()
    assert len(book.denial_trend) == 6 and book.denial_trend[-1].month == Month.of(today)
    for point in book.denial_trend:
        end = min(point.month.last, today)
        expected = compute("initial_denial_rate", KpiScope(owner, point.month.first, end))
        assert point.value.value == expected.value, point.month
        assert f"start={point.month.first.isoformat()}" in point.link
    assert any(p.value.denominator for p in book.denial_trend)  # adjudicated: not vacuous
    assert "<svg" in section(response, "book-denial-trend")


def test_a_biller_sees_her_practices_only() -> None:
    """Bella bills four practices and reports on none: her home is her work, no book. Given
    reports.view on one of them (a read-only grant), the book is that practice alone."""
    response = home("bella.biller")
    assert response.context["book"] is None and response.context["work"] is not None
    assert 'id="home-book"' not in response.content.decode()
    user = User.objects.get(username="bella.biller")
    practice = actor("bella.biller").practices()[0]
    Grant.objects.create(
        workspace=practice.workspace,
        user=user,
        practice=practice,
        role=Role.READ_ONLY,
        reason="reads her practice's figures",
    )
    bella = actor("bella.biller")
    assert bella.practice_ids(CAPABILITY) == {practice.pk}
    response = home("bella.biller")
    book = response.context["book"]
    assert [r.practice.pk for r in book.practices] == [practice.pk]
    assert response.context["work"] is not None  # the work-queue counts stay
    others = Practice.objects.filter(workspace=bella.workspace).exclude(pk=practice.pk)
    table = section(response, "book-practices")
    for other in others:
        assert other.name not in table and str(other.public_id) not in table
    # The book's total is her one practice's A/R, not the workspace's.
    today = timezone.localdate()
    aging = aging_by_bucket(
        actor=bella, filters=ReportFilters(practice, None, today, AgingBasis.SERVICE)
    ).book
    assert book.ar == aging.insurance.total


def test_the_read_is_audited_once_per_practice() -> None:
    owner = actor("olivia.owner")
    before = AuditEvent.objects.filter(action=AuditAction.KPIS_VIEWED).count()
    home("olivia.owner")
    events = AuditEvent.objects.filter(action=AuditAction.KPIS_VIEWED).order_by("-pk")[
        : len(owner.practice_ids(CAPABILITY))
    ]
    assert AuditEvent.objects.filter(action=AuditAction.KPIS_VIEWED).count() - before == len(
        owner.practice_ids(CAPABILITY)
    )
    assert {e.practice_id for e in events} == set(owner.practice_ids(CAPABILITY))
    assert all(e.detail["report"] == "home" for e in events)


# -- the client viewer ---------------------------------------------------------------------------
def test_the_client_viewer_sees_her_practice_against_its_targets_and_nothing_else() -> None:
    build_book()  # another practice with figures in it, which she must never see
    cliff = actor("cliff.client")
    lakeside = Practice.objects.get(workspace=cliff.workspace, name=LAKESIDE)
    assert cliff.practice_ids(CAPABILITY) == {lakeside.pk}
    response = home("cliff.client")
    assert response.context["book"] is None
    client = response.context["client"]
    assert client.practice == lakeside
    today = timezone.localdate()
    scope = KpiScope(cliff, today - timedelta(days=89), today, practice_id=lakeside.pk)
    assert [t.definition.key for t in client.targets] == list(TARGET_KPIS)
    for t in client.targets:
        assert t.value.value == compute(t.definition.key, scope).value
        assert t.definition.target is not None
        assert t.met == REGISTRY[t.definition.key].definition.met(t.value.value)
    aging = aging_by_bucket(
        actor=cliff, filters=ReportFilters(lakeside, None, today, AgingBasis.SERVICE)
    ).book
    assert client.ar == aging.insurance.total
    assert [a for _, a in client.buckets] == list(aging.children[0].insurance.amounts)
    assert len(client.months) == 12 and client.months[-1][0] == Month.of(today).previous()
    html = response.content.decode()
    for other in Practice.objects.exclude(pk=lakeside.pk):
        assert other.name not in html and str(other.public_id) not in html
    # The figures of the other practices of the workspace appear nowhere on her page.
    owner = actor("olivia.owner")
    others = aging_by_bucket(
        actor=owner, filters=ReportFilters(None, None, today, AgingBasis.SERVICE)
    ).book.children
    for row in others:
        if row.public_id != str(lakeside.public_id) and row.insurance.total:
            assert f"{row.insurance.total:,.2f}" not in section(response, "client-aging")
    for link in (
        f"/reports/aging/?practice={lakeside.public_id}",
        f"/audit/?practice={lakeside.public_id}",
        f"/reports/monthly/?practice={lakeside.public_id}",
    ):
        assert link in html
    event = AuditEvent.objects.filter(
        action=AuditAction.KPIS_VIEWED, user__username="cliff.client"
    ).latest("pk")
    assert event.practice_id == lakeside.pk and event.detail["report"] == "client dashboard"


def test_the_client_viewer_asking_for_another_practice_gets_a_404() -> None:
    cliff = actor("cliff.client")
    other = Practice.objects.filter(workspace=cliff.workspace).exclude(pk__in=cliff.practice_ids())[
        0
    ]
    client = verified_client("cliff.client")
    assert client.get(f"/?practice={other.public_id}").status_code == 404
    assert client.get("/?practice=00000000-0000-0000-0000-000000000000").status_code == 404


def test_a_client_of_two_practices_sees_the_one_her_bar_names() -> None:
    cliff = User.objects.get(username="cliff.client")
    lakeside = Practice.objects.get(workspace=cliff.workspace, name=LAKESIDE)
    second = Practice.objects.filter(workspace=cliff.workspace).exclude(pk=lakeside.pk).first()
    assert second is not None
    Grant.objects.create(
        workspace=second.workspace,
        user=cliff,
        practice=second,
        role=Role.CLIENT_VIEWER,
        reason="the group's second practice",
    )
    client = verified_client("cliff.client")
    session = client.session
    session[SESSION_KEY] = str(second.public_id)
    session.save()
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["client"].practice == second
    # Asked for the other one, the page shows it and the bar follows.
    response = client.get(f"/?practice={lakeside.public_id}")
    assert response.context["client"].practice == lakeside
    assert client.session[SESSION_KEY] == str(lakeside.public_id)


def test_the_book_follows_the_practice_bar() -> None:
    """Under a bar naming one practice the owner's home shows that practice alone — its A/R,
    its row, links to its reports — and records a read of it only."""
    build_book()
    owner = actor("olivia.owner")
    practice = owner.practices(CAPABILITY)[1]
    client = verified_client("olivia.owner")
    session = client.session
    session[SESSION_KEY] = str(practice.public_id)
    session.save()
    before = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    response = client.get("/")
    book = response.context["book"]
    assert book.practice == practice
    assert [r.practice.pk for r in book.practices] == [practice.pk]
    today = timezone.localdate()
    aging = aging_by_bucket(
        actor=owner, filters=ReportFilters(practice, None, today, AgingBasis.SERVICE)
    ).book
    assert book.ar == aging.insurance.total
    figures = section(response, "book-figures")
    assert f"?practice={practice.public_id}" in figures and "practice=all" not in figures
    assert all(f"practice={practice.public_id}" in m.link for m in book.months)
    read = AuditEvent.objects.filter(pk__gt=before, action=AuditAction.KPIS_VIEWED)
    assert {e.practice_id for e in read} == {practice.pk}
    # All practices in the bar: the whole book again.
    session = client.session
    session[SESSION_KEY] = "all"
    session.save()
    book = client.get("/").context["book"]
    assert book.practice is None and len(book.practices) == len(owner.practices(CAPABILITY))
