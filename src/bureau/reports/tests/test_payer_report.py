"""Payer performance: the KPI book's March 2026 worked out by hand per payer, each payer's
figure equal to the KPI registry's over `KpiScope(payer_id=…)`, one query per measure, the
underpayment rule of the work queue, and the page and its exports."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.remittance.models import EraLine
from bureau.reports.filters import AgingBasis, ReportFilters
from bureau.reports.kpis import registry
from bureau.reports.kpis.scope import KpiScope
from bureau.reports.month_window import MonthWindow
from bureau.reports.payer_report import PayerFigures, payer_performance
from bureau.reports.tests.kpi_fixture import Book, build_book
from bureau.reports.tests.window_checks import (
    NOBODY,
    assert_a_foreign_practice_is_missing,
    assert_aging_parameters_are_not_read,
    assert_refused,
    book_query,
    page_and_files,
    window_filters,
)
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = MonthWindow(date(2026, 3, 1), 1)


def _filters(book: Book) -> ReportFilters:
    return window_filters(book.practice)


def _query(book: Book) -> str:
    return book_query(book, MARCH.months)


def _underpay(book: Book) -> None:
    """The book has no contract rates; the posting's underpayment check is set by hand on its
    835 lines: C1 (payer X) contracted at 100.00, allowed 80.00 — underpaid by 20.00; C5
    (payer Y) contracted at 40.00 and paid it — not underpaid; the loop that matches none of
    our claims (payer Y's ERA) contracted at 45.00, underpaid by 5.00."""
    pid = book.practice.pk
    with rls.practice_scope([pid]):
        lines = EraLine.objects.for_system([pid], reason="test").filter(practice_id=pid)
        lines.filter(era_claim__claim=book.claims["C1"]).update(
            expected=D("100.00"), underpaid_by=D("20.00")
        )
        lines.filter(era_claim__claim=book.claims["C5"]).update(expected=D("40.00"))
        lines.filter(era_claim__claim__isnull=True).update(
            expected=D("45.00"), underpaid_by=D("5.00")
        )


def _row(report: Any, payer: Any) -> PayerFigures:
    return next(r.figures for r in report.payers if r.label == payer.name)


def test_the_book_s_march_per_payer_by_hand():
    """March 2026, first 835s: payer X answered C1 (03-10, paid 80), C2 (03-12, denied) and C6
    (03-16, denied); payer Y answered C5 (03-20, paid 40).

    payer X: 3 adjudicated, 2 denied on their first 835 (C2, C6): 66.67 %; first pass C1 only:
    33.33 %; days to first 835 (9 + 9 + 10) / 3 = 9.33 (C1 03-01→03-10, C2 03-03→03-12,
    C6 03-06→03-16); days to pay: C1 only, 9.00; underpaid 1 of 1 contracted line, 20.00;
    denials 2, 260.00.
    payer Y: 1 adjudicated, none denied, first pass 100 %; C5 03-04→03-20: 16 days to the first
    835 and to pay; contracted lines 2 (C5 and the stranger loop), 1 underpaid (5.00): 50 %."""
    book = build_book()
    _underpay(book)
    report = payer_performance(actor=book.owner, filters=_filters(book), window=MARCH)
    x, y = _row(report, book.payer_x), _row(report, book.payer_y)
    assert (x.adjudicated, x.initially_denied, x.first_pass) == (3, 2, 1)
    assert x.initial_denial_rate == D("66.67") and x.first_pass_rate == D("33.33")
    assert x.days_to_answer == D("9.33") and x.days_to_pay == D("9.00")
    assert (x.contracted_lines, x.underpaid_lines, x.underpaid) == (1, 1, D("20.00"))
    assert x.underpayment_rate == D("100.00")
    assert (x.denials, x.denied) == (2, D("260.00"))
    assert (y.adjudicated, y.initially_denied, y.first_pass) == (1, 0, 1)
    assert y.initial_denial_rate == D("0.00") and y.first_pass_rate == D("100.00")
    assert y.days_to_answer == y.days_to_pay == D("16.00")
    assert (y.contracted_lines, y.underpaid_lines, y.underpaid) == (2, 1, D("5.00"))
    assert y.underpayment_rate == D("50.00")
    # The practice's row and the book add the payers; every rate is recomputed from the sums.
    [block] = report.practices
    assert block.figures.adjudicated == 4 and block.figures.initial_denial_rate == D("50.00")
    assert report.total.underpaid == D("25.00") and report.total.days_to_pay == D("12.50")


def test_each_payer_s_figures_are_the_kpi_registry_s():
    """The grouped queries answer what the registry's one implementation answers per payer."""
    book = build_book()
    report = payer_performance(actor=book.owner, filters=_filters(book), window=MARCH)
    for payer in (book.payer_x, book.payer_y):
        scope = KpiScope(book.owner, MARCH.start, MARCH.end, book.practice.pk, payer.pk)
        mine = _row(report, payer)
        assert mine.days_to_pay == registry.compute("days_to_pay", scope).value, payer.name
        denial = registry.compute("initial_denial_rate", scope)
        assert (mine.initially_denied, mine.adjudicated) == (denial.numerator, denial.denominator)
        assert mine.initial_denial_rate == denial.value
        first_pass = registry.compute("first_pass_resolution", scope)
        assert mine.first_pass == first_pass.numerator
        assert mine.first_pass_rate == first_pass.value


def test_the_provider_grant_narrows_the_figures():
    """The manager limited to doctor A does not see C5 (doctor B) nor the unmatched loop
    (it reaches no provider): payer Y has nothing for them."""
    book = build_book()
    _underpay(book)
    limited = resolve_actor(book.limited)
    assert limited is not None
    report = payer_performance(actor=limited, filters=_filters(book), window=MARCH)
    assert [r.label for r in report.payers] == [book.payer_x.name]
    assert _row(report, book.payer_x).adjudicated == 3


def test_one_query_per_measure_whatever_the_number_of_payers():
    book = build_book()
    payer_performance(actor=book.owner, filters=_filters(book), window=MARCH)  # warm caches
    with CaptureQueriesContext(connection) as one_practice:
        payer_performance(actor=book.owner, filters=_filters(book), window=MARCH)
    every = ReportFilters(None, None, timezone.localdate(), AgingBasis.SERVICE)
    with CaptureQueriesContext(connection) as book_wide:
        report = payer_performance(actor=book.owner, filters=every, window=MonthWindow(
            date(2026, 3, 1), 12
        ))  # fmt: skip
    assert len(report.payers) >= 2
    assert len(book_wide.captured_queries) == len(one_practice.captured_queries) <= 8


# -- the page and its exports ----------------------------------------------------------------------
def test_the_page_shows_each_payer_and_audits_the_read():
    book = build_book()
    client = verified_client("olivia.owner")
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(f"/reports/payers/?{_query(book)}")
    assert response.status_code == 200
    body = response.content.decode()
    assert book.practice.name in body and book.payer_x.name in body and book.payer_y.name in body
    assert "66.67 %" in body and "9.33" in body and 'id="payers-by-practice"' in body
    events = AuditEvent.objects.filter(pk__gt=before, action=AuditAction.REPORT_VIEWED)
    assert [(e.practice_id, e.detail["report"]) for e in events] == [(book.practice.pk, "payers")]


def test_the_client_viewer_sees_his_practice_and_a_foreign_one_is_missing():
    book = build_book()
    client = verified_client(book.viewer.username)
    page = client.get(f"/reports/payers/?{_query(book)}")
    assert page.status_code == 200 and book.payer_x.name in page.content.decode()
    assert_a_foreign_practice_is_missing(book, "payers")


@pytest.mark.parametrize("url", page_and_files("payers"))
@pytest.mark.parametrize(
    ("query", "message"),
    [("month=2026-3", "write it as YYYY-MM"), (f"payer={NOBODY}", "No payer has this id")],
)
def test_bad_filters_answer_400_naming_them(url, query, message):
    assert_refused(url, query, message)


def test_csv_reads_back_with_numbers_and_is_audited():
    book = build_book()
    _underpay(book)
    client = verified_client("olivia.owner")
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(f"/reports/payers/export.csv?{_query(book)}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    x = next(r for r in rows if r["level"] == "payer" and r["payer"] == book.payer_x.name)
    assert int(x["claims first adjudicated"]) == 3
    assert D(x["initial denial rate %"]) == D("66.67") and D(x["days to pay"]) == D("9.00")
    assert D(x["underpaid dollars"]) == D("20.00") and D(x["denied dollars"]) == D("260.00")
    book_row = rows[-1]
    assert book_row["level"] == "book" and D(book_row["underpaid dollars"]) == D("25.00")
    assert date.fromisoformat(book_row["from"]) == date(2026, 3, 1)
    assert {r["practice"] for r in rows} == {"", book.practice.name}
    events = AuditEvent.objects.filter(pk__gt=before, action=AuditAction.REPORT_EXPORTED)
    assert [(e.practice_id, e.detail["format"]) for e in events] == [(book.practice.pk, "csv")]


def test_pdf_carries_the_figures_of_the_page():
    from pypdf import PdfReader

    book = build_book()
    response = verified_client("olivia.owner").get(f"/reports/payers/export.pdf?{_query(book)}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Payer performance" in text and book.practice.name in text
    assert book.payer_x.name in text and "66.67" in text and "260.00" in text


# -- the simulated demo: the money of the denials report and of the underpayment queue ----------
def test_on_the_demo_underpaid_dollars_are_the_work_queue_s_and_denied_the_denials_report_s(
    settings: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One rule for an underpayment: the report's underpaid dollars over the whole simulated
    period are the amounts of the underpayment work items the queue opened (one per underpaid
    835 line), and its denied dollars are the denials report's."""
    from django.db import transaction
    from django.db.models import Sum

    from bureau.accounts.models import User
    from bureau.demo import WORKSPACE_SLUG
    from bureau.demo_claims import simulate_demo
    from bureau.reports.denial_report import denial_analytics
    from bureau.workqueues.models import Function, WorkItem

    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    monkeypatch.setattr(transaction, "on_commit", lambda func, *a, **k: func())
    simulate_demo(WORKSPACE_SLUG, days=45, seed=2026)
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    assert owner is not None
    window = MonthWindow(timezone.localdate().replace(day=1), 12)
    every = ReportFilters(None, None, timezone.localdate(), AgingBasis.SERVICE)
    report = payer_performance(actor=owner, filters=every, window=window)
    ids = sorted(owner.practice_ids())
    with rls.practice_scope(ids):
        items = WorkItem.objects.for_system(ids, reason="test").filter(
            function=Function.UNDERPAYMENTS
        )
        queued = D(items.aggregate(s=Sum("amount"))["s"] or 0).quantize(D("0.01"))
        lines = EraLine.objects.for_system(ids, reason="test").filter(underpaid_by__gt=0)
        assert items.count() == lines.exclude(era_claim__status_code="22").count()
    assert queued > 0 and report.total.underpaid == queued
    assert report.total.underpaid_lines == items.count()
    denials = denial_analytics(actor=owner, filters=every, window=window)
    assert denials.total.count > 0
    assert (report.total.denials, report.total.denied) == (
        denials.total.count,
        denials.total.dollars,
    )
    assert report.total.adjudicated > 0 and report.total.paid > 0


def test_the_aging_report_s_as_of_and_basis_are_not_read():
    assert_aging_parameters_are_not_read("payers")
