"""The nightly snapshot of the owner's home: the stored figures are the live page's, the home
adds them up only when every practice has one of the same recent day the person may read, a
retake the same day replaces the day's row, and each is audited."""

from __future__ import annotations

import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.reports.book import ROW_KPIS, BookGlance
from bureau.reports.kpis.scope import CAPABILITY
from bureau.reports.snapshot import FRESH_DAYS, take_snapshot, take_snapshots
from bureau.reports.snapshot_models import GlanceSnapshot
from bureau.reports.tests.kpi_fixture import build_book
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.context import SESSION_KEY
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def actor(username: str) -> Actor:
    found = resolve_actor(User.objects.get(username=username))
    assert found is not None
    return found


def book_of(username: str) -> BookGlance:
    response = verified_client(username).get("/")
    assert response.status_code == 200
    book = response.context["book"]
    assert book is not None
    return book


def snapshot_all(today: Any = None) -> list[GlanceSnapshot]:
    practices = list(Practice.objects.filter(workspace__slug="summit").order_by("code"))
    return take_snapshots(practices, today=today)


def figures(book: BookGlance) -> dict[str, Any]:
    """Everything the page shows but when it was read."""
    return {
        "today": book.today,
        "ar": book.ar,
        "over_90": book.over_90,
        "months": [(m.month, m.charges, m.payments, m.link) for m in book.months],
        "trend": [
            (p.month, p.value.numerator, p.value.denominator, p.value.value)
            for p in book.denial_trend
        ],
        "practices": [
            (
                r.practice.pk,
                r.ar,
                r.over_90,
                r.breached,
                [(r.kpis[k].numerator, r.kpis[k].denominator, r.kpis[k].value) for k in ROW_KPIS],
            )
            for r in book.practices
        ],
    }


def test_the_home_from_snapshots_shows_the_live_figures() -> None:
    build_book()  # denials, rejections, payments: figures that are not all zero
    live = book_of("olivia.owner")
    assert live.taken_at is None
    snapshot_all()
    stored = book_of("olivia.owner")
    assert stored.taken_at is not None
    assert figures(stored) == figures(live)
    assert any(r.kpis[k].denominator for r in stored.practices for k in ROW_KPIS)
    assert stored.ar > 0
    body = verified_client("olivia.owner").get("/").content.decode()
    assert 'id="book-snapshot"' in body


def test_a_practice_without_a_snapshot_means_the_home_reads_live() -> None:
    practices = list(Practice.objects.filter(workspace__slug="summit").order_by("code"))
    take_snapshots(practices[1:])
    assert book_of("olivia.owner").taken_at is None


def test_only_a_day_every_practice_has_counts() -> None:
    today = timezone.localdate()
    snapshot_all(today - timedelta(days=2))
    practices = list(Practice.objects.filter(workspace__slug="summit").order_by("code"))
    take_snapshot(practices[0], today=today)  # today's run reached one practice only
    book = book_of("olivia.owner")
    assert book.taken_at is not None and book.today == today - timedelta(days=2)


def test_a_snapshot_a_week_old_is_not_shown() -> None:
    snapshot_all(timezone.localdate() - timedelta(days=FRESH_DAYS))
    assert book_of("olivia.owner").taken_at is None


def test_a_grant_limited_to_some_providers_sees_no_snapshot() -> None:
    """Lina bills two providers of one practice; given reports.view there on the same two
    providers, she reads her own figures live, never the practice's whole-book snapshot."""
    snapshot_all()
    user = User.objects.get(username="lina.limited")
    grant = Grant.objects.get(user=user)
    reporting = Grant.objects.create(
        workspace=grant.workspace,
        user=user,
        practice=grant.practice,
        role=Role.READ_ONLY,
        reason="reads her providers' figures",
    )
    reporting.providers.set(grant.providers.all())
    lina = actor("lina.limited")
    assert lina.practice_ids(CAPABILITY) == {grant.practice_id}
    assert not GlanceSnapshot.objects.visible_to(lina, CAPABILITY).exists()
    assert book_of("lina.limited").taken_at is None


def test_a_retake_the_same_day_replaces_the_row_and_each_take_is_audited() -> None:
    practice = Practice.objects.filter(workspace__slug="summit").order_by("code").first()
    assert practice is not None
    before = AuditEvent.objects.filter(action=AuditAction.KPI_SNAPSHOT_TAKEN).count()
    first = take_snapshot(practice)
    second = take_snapshot(practice)
    rls.activate([practice.pk])
    rows = GlanceSnapshot.objects.for_system([practice.pk], reason="test").filter(practice=practice)
    assert [r.pk for r in rows] == [first.pk] and second.pk == first.pk
    events = AuditEvent.objects.filter(action=AuditAction.KPI_SNAPSHOT_TAKEN).order_by("pk")
    assert events.count() - before == 2
    last = events.last()
    assert last is not None and last.practice_id == practice.pk and last.user_id is None


def test_the_command_snapshots_every_active_practice() -> None:
    out = StringIO()
    call_command("reports", "snapshot", "--workspace", "summit", stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    codes = sorted(
        Practice.objects.filter(workspace__slug="summit")
        .exclude(status="offboarded")
        .values_list("code", flat=True)
    )
    assert sorted(line["practice"] for line in lines) == codes
    assert all(line["taken_on"] == timezone.localdate().isoformat() for line in lines)


def test_the_home_from_snapshots_reads_no_ledger() -> None:
    build_book()
    snapshot_all()
    client = verified_client("olivia.owner")
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/")
    assert response.context["book"].taken_at is not None
    money_tables = ("remittance_ledgerentry", "ledger_claimbalance", "remittance_eraclaim")
    assert not [q["sql"] for q in ctx.captured_queries if any(t in q["sql"] for t in money_tables)]


def test_under_a_bar_naming_one_practice_the_home_adds_up_its_snapshot_alone() -> None:
    build_book()
    practices = list(Practice.objects.filter(workspace__slug="summit").order_by("code"))
    client = verified_client("olivia.owner")
    session = client.session
    session[SESSION_KEY] = str(practices[0].public_id)
    session.save()
    live = client.get("/").context["book"]
    take_snapshot(practices[0])  # the other practices have none: they do not matter here
    stored = client.get("/").context["book"]
    assert live.taken_at is None and stored.taken_at is not None
    assert figures(stored) == figures(live)
    assert [r.practice.pk for r in stored.practices] == [practices[0].pk]
