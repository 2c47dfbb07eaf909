"""The KPI pages: definitions generated from the registry, the dashboard's filters (errors
shown, never a 500), its labelled figures and their links, and its audit events."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.reports.kpis import REGISTRY, KpiScope, compute
from bureau.reports.kpis.scope import CAPABILITY
from bureau.reports.tests.kpi_fixture import Book, build_book
from bureau.tenancy.actor import resolve_actor

pytestmark = pytest.mark.django_db
MARCH = "start=2026-03-01&end=2026-03-31"
DEFINITIONS = reverse("reports:definitions")
KPIS = reverse("reports:kpis")


@pytest.fixture
def book() -> Book:
    return build_book()


def test_definitions_page_is_generated_from_the_registry() -> None:
    response = verified_client("olivia.owner").get(DEFINITIONS)
    assert response.status_code == 200
    text = response.content.decode()
    for key, kpi in REGISTRY.items():
        assert f'id="{key}"' in text
        assert kpi.definition.source.split("'")[0][:30] in text
        for variant in kpi.definition.variants:
            assert f'id="{key}--{variant.key}"' in text


def test_kpi_pages_need_reports_view() -> None:
    # A denial specialist holds no reports.view: the pages do not exist for him.
    client = verified_client("dan.denials")
    assert client.get(DEFINITIONS).status_code == 404
    assert client.get(KPIS).status_code == 404


def test_dashboard_shows_each_figure_with_its_variant_and_definition(book: Book) -> None:
    client = verified_client("olivia.owner")
    before = AuditEvent.objects.count()
    response = client.get(f"{KPIS}?practice={book.practice.public_id}&{MARCH}")
    assert response.status_code == 200
    figures = {f.definition.key: f for f in response.context["figures"]}
    assert set(figures) == set(REGISTRY)
    scope = KpiScope(book.owner, *_march(), practice_id=book.practice.pk)
    for key, figure in figures.items():
        assert figure.value == compute(key, scope), key  # the page shows what the KPI computes
    text = response.content.decode()
    # Days in A/R shows its default variant, named, linked to that variant's definition.
    assert f'href="{DEFINITIONS}#days_in_ar--gross_charges">On gross charges</a>' in text
    assert f'href="{DEFINITIONS}#days_in_ar">Days in A/R</a>' in text
    assert "24.54 days" in text and "66.67 %" in text
    # One audit event for the one practice counted, in the request.
    events = list(AuditEvent.objects.order_by("-id")[: AuditEvent.objects.count() - before])
    read = [e for e in events if e.action == AuditAction.KPIS_VIEWED]
    assert [e.practice_id for e in read] == [book.practice.pk]
    assert read[0].detail["kpis"]["days_in_ar"] == "gross_charges"
    assert read[0].detail["start"] == "2026-03-01"


def test_a_named_variant_is_shown_and_labelled(book: Book) -> None:
    client = verified_client("olivia.owner")
    response = client.get(
        f"{KPIS}?practice={book.practice.public_id}&{MARCH}"
        "&variant.days_in_ar=net_revenue&variant.initial_denial_rate=by_dollars"
    )
    assert response.status_code == 200
    figures = {f.definition.key: f.value for f in response.context["figures"]}
    # 380 × 31 / 460 and 260 / 400 (see test_kpis).
    assert figures["days_in_ar"].variant.key == "net_revenue"
    assert figures["days_in_ar"].value == Decimal("25.61")
    assert figures["initial_denial_rate"].value == Decimal("65.00")
    assert "On net revenue</a>" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("start=yesterday", "Period start “yesterday” is not a date: write it as YYYY-MM-DD."),
        ("end=2026-02-30", "Period end “2026-02-30” is not a day of the calendar."),
        ("start=1900-01-01", "Period start 1900-01-01 is before 2000-01-01."),
        ("end=2099-12-31", "Period end 2099-12-31 is in the future"),
        ("start=2026-04-01&end=2026-03-01", "The period starts (2026-04-01) after it ends"),
        ("start=2020-01-01&end=2026-03-01", "A period is at most three years long."),
        # The payer is read, and its mistakes worded, as on every other report.
        ("payer=00000000-0000-4000-8000-000000000000", "No payer has this id."),
        ("payer=%00nonsense", "Payer “nonsense” is not a payer id."),
        ("variant.days_in_ar=by_magic", "Days in A/R: there is no variant"),
    ],
)
def test_bad_filters_answer_with_a_clear_error(query: str, message: str) -> None:
    before = AuditEvent.objects.filter(action=AuditAction.KPIS_VIEWED).count()
    response = verified_client("olivia.owner").get(f"{KPIS}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["figures"] == []
    # Nothing was computed, so nothing was read.
    assert AuditEvent.objects.filter(action=AuditAction.KPIS_VIEWED).count() == before


def test_a_practice_she_cannot_see_answers_like_a_missing_one(book: Book) -> None:
    client = verified_client("cliff.client")
    foreign = client.get(f"{KPIS}?practice={book.practice.public_id}&{MARCH}")
    missing = client.get(f"{KPIS}?practice={uuid.uuid4()}&{MARCH}")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content


def test_a_client_viewer_sees_only_her_practice(book: Book) -> None:
    client = verified_client(book.viewer.username)
    response = client.get(f"{KPIS}?{MARCH}")  # all of her book
    assert response.status_code == 200
    assert [p.pk for p in response.context["practices"]] == [book.practice.pk]
    viewer = resolve_actor(book.viewer)
    assert viewer is not None
    mine = KpiScope(book.owner, *_march(), practice_id=book.practice.pk)
    for figure in response.context["figures"]:
        assert figure.value == compute(figure.definition.key, mine), figure.definition.key
    read = AuditEvent.objects.filter(action=AuditAction.KPIS_VIEWED, user=book.viewer)
    assert [e.practice_id for e in read] == [book.practice.pk]


def test_the_whole_book_is_audited_per_practice() -> None:
    client = verified_client("olivia.owner")
    response = client.get(KPIS)  # the default period: the last 90 days
    assert response.status_code == 200
    owner = resolve_actor(response.wsgi_request.user)  # type: ignore[arg-type]
    assert owner is not None
    read = AuditEvent.objects.filter(action=AuditAction.KPIS_VIEWED).order_by("id")
    assert sorted(e.practice_id for e in read) == sorted(owner.practice_ids(CAPABILITY))


def _march() -> tuple[date, date]:
    return date(2026, 3, 1), date(2026, 3, 31)


def test_the_dashboard_costs_the_same_queries_for_one_practice_or_the_book(book: Book) -> None:
    """Every KPI is one aggregate (or one grouped) query, whatever the rows: the whole book
    costs no more queries than one practice."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = verified_client("olivia.owner")
    client.get(f"{KPIS}?{MARCH}")  # warm the session and settings caches
    with CaptureQueriesContext(connection) as one:
        client.get(f"{KPIS}?practice={book.practice.public_id}&{MARCH}")
    with CaptureQueriesContext(connection) as every:
        client.get(f"{KPIS}?practice=all&{MARCH}")
    assert len(every) <= len(one) + 2, [q["sql"][:120] for q in every.captured_queries]


def test_the_audit_event_names_the_report_and_the_payer_by_its_public_id(book: Book) -> None:
    client = verified_client("olivia.owner")
    kpis = AuditEvent.objects.filter(action=AuditAction.KPIS_VIEWED)
    before = kpis.count()
    asked = f"{KPIS}?practice={book.practice.public_id}&{MARCH}&payer={book.payer_x.public_id}"
    assert client.get(asked).status_code == 200
    assert client.get(f"{KPIS}?practice={book.practice.public_id}&{MARCH}").status_code == 200
    one_payer, every_payer = kpis.order_by("id")[before:]
    assert one_payer.detail["report"] == "kpis" and every_payer.detail["report"] == "kpis"
    assert one_payer.detail["payer"] == str(book.payer_x.public_id)  # never the database id
    assert every_payer.detail["payer"] == ""


def test_the_default_start_never_reaches_before_2000() -> None:
    # 90 days back from 2000-01-15 would be 1999-10-18: the period starts at the floor instead,
    # as the period reports' default does.
    response = verified_client("olivia.owner").get(f"{KPIS}?end=2000-01-15")
    assert response.status_code == 200
    assert response.context["asked"].start == date(2000, 1, 1)
    assert "Period 2000-01-01 to 2000-01-15" in response.content.decode()


def test_the_refused_form_shows_what_was_typed() -> None:
    response = verified_client("olivia.owner").get(f"{KPIS}?start=yesterday&end=2026-02-30")
    assert response.status_code == 400
    text = response.content.decode()
    assert 'name="start" value="yesterday"' in text
    assert 'name="end" value="2026-02-30"' in text


def test_the_form_shows_the_period_read() -> None:
    response = verified_client("olivia.owner").get(f"{KPIS}?{MARCH}")
    text = response.content.decode()
    assert 'name="start" value="2026-03-01"' in text and 'name="end" value="2026-03-31"' in text
