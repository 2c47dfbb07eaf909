"""Denials analytics: the KPI book's denials worked out by hand, the month window's filter, the
page and its exports (scope, 400s, audit, CSV read back, PDF text), and denied dollars equal to
the ledger's denying adjustments on the simulated demo."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum
from django.test import RequestFactory
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.denials.models import Denial
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.reports.denial_report import denial_analytics, denial_chart
from bureau.reports.filters import AgingBasis, ReportFilters
from bureau.reports.month_window import MonthWindow, parse_month_window
from bureau.reports.tests.kpi_fixture import Book, build_book
from bureau.reports.tests.window_checks import (
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
MARCH = MonthWindow(date(2026, 3, 1), 12)  # April 2025 – March 2026


_filters = window_filters


# -- the month window ------------------------------------------------------------------------------
def test_the_window_is_whole_months_ending_at_the_chosen_one():
    assert MARCH.start == date(2025, 4, 1) and MARCH.end == date(2026, 3, 31)
    assert MARCH.labels[0] == "2025-04" and MARCH.labels[-1] == "2026-03"
    assert MonthWindow(date(2026, 2, 1), 1).end == date(2026, 2, 28)
    assert MonthWindow(date(2024, 12, 1), 3).firsts == [
        date(2024, 10, 1),
        date(2024, 11, 1),
        date(2024, 12, 1),
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("month=2026-13", "is not a month of the calendar"),
        ("month=26-03", "write it as YYYY-MM"),
        ("month=2099-01", "is in the future"),
        ("month=1999-12", "is before 2000-01"),
        ("month=0000-05", "is before 2000-01"),  # year 0 is no date: never a 500
        ("months=0", "from 1 to 36"),
        ("months=abc", "from 1 to 36"),
        ("months=١٢", "from 1 to 36"),  # Arabic-Indic digits are not read as 12
        ("month=2000-06&months=12", "would start before 2000-01"),
    ],
)
def test_an_unreadable_window_is_named(query, message):
    request = RequestFactory().get(f"/?{query}")
    _, errors = parse_month_window(request, date(2026, 12, 6))
    assert errors and message in errors[0]


def test_no_window_asked_is_the_last_twelve_months_to_date():
    window, errors = parse_month_window(RequestFactory().get("/"), date(2026, 12, 6))
    assert not errors and window == MonthWindow(date(2026, 12, 1), 12)


# -- the KPI book by hand --------------------------------------------------------------------------
def test_the_book_s_denials_by_category_reason_payer_and_root_cause():
    """The book has two denials, both CO-50 (medical necessity) from payer X on claims of
    doctor A: C2's 200.00 on 2026-03-12, written off with root cause "coding", and C6's 60.00
    on 2026-03-16, still being worked (no root cause yet). 260.00 in all, all in March."""
    book = build_book()
    report = denial_analytics(actor=book.owner, filters=_filters(book.practice), window=MARCH)
    assert report.total.count == 2 and report.total.dollars == D("260.00")
    [category] = report.categories
    assert category.label == "Medical necessity / non-covered"
    assert [t.dollars for t in category.months] == [D(0)] * 11 + [D("260.00")]
    assert report.months[-1].count == 2 and report.months[0].count == 0
    [reason] = report.reasons
    assert (reason.carc, reason.count, reason.dollars) == ("50", 2, D("260.00"))
    assert reason.description.startswith("Payer does not deem the service medically necessary")
    assert reason.count_share == reason.dollar_share == D("100.00")
    [by_payer] = report.payer_reasons
    assert by_payer.payer == book.payer_x.name and by_payer.carc == "50"
    assert [t.count for t in by_payer.months][-1] == 2 and by_payer.total.dollars == D("260.00")
    # 200 / 260 = 76.92 %, 60 / 260 = 23.08 %
    coding, pending = report.root_causes
    assert (coding.label, coding.recorded, coding.count, coding.dollars) == (
        "Coding",
        True,
        1,
        D("200.00"),
    )
    assert coding.dollar_share == D("76.92")
    assert (pending.recorded, pending.category, pending.dollars) == (
        False,
        "Medical necessity / non-covered",
        D("60.00"),
    )
    assert pending.dollar_share == D("23.08")
    assert book.practice.pk in report.practice_ids
    # A window that ends before March has none of them.
    february = denial_analytics(
        actor=book.owner, filters=_filters(book.practice), window=MonthWindow(date(2026, 2, 1))
    )
    assert february.total.count == 0 and february.reasons == []


def test_the_payer_filter_and_the_provider_grant_narrow_the_rows():
    book = build_book()
    only_y = ReportFilters(book.practice, book.payer_y, timezone.localdate(), AgingBasis.SERVICE)
    assert denial_analytics(actor=book.owner, filters=only_y, window=MARCH).total.count == 0
    # The limited manager sees doctor A only: both denials are doctor A's, so both are seen;
    # a grant limited to doctor B sees none.
    limited = resolve_actor(book.limited)
    assert limited is not None
    seen = denial_analytics(actor=limited, filters=_filters(book.practice), window=MARCH)
    assert seen.total.dollars == D("260.00")
    from bureau.accounts.tests.conftest import make_user
    from bureau.tenancy.models import Workspace
    from bureau.tenancy.roles import Role

    b_only = make_user(
        Workspace.objects.get(slug="summit"),
        "kpi.b_only",
        (Role.ACCOUNT_MANAGER, book.practice, {"providers": (book.doctor_b.pk,)}),
    )
    actor_b = resolve_actor(b_only)
    assert actor_b is not None
    assert (
        denial_analytics(actor=actor_b, filters=_filters(book.practice), window=MARCH).total.count
        == 0
    )


def test_the_chart_stacks_the_categories_per_month():
    book = build_book()
    report = denial_analytics(actor=book.owner, filters=_filters(book.practice), window=MARCH)
    chart = denial_chart(report)
    assert [bar.label for bar in chart.bars] == MARCH.labels
    assert chart.bars[-1].total == D("260.00") and not chart.bars[0].segments
    assert [item.label for item in chart.legend] == ["Med. necessity"]


# -- the page and its exports ----------------------------------------------------------------------
def _book_query(book: Book) -> str:
    return book_query(book, MARCH.months)


def test_the_page_shows_the_figures_and_audits_the_read():
    book = build_book()
    client = verified_client("olivia.owner")
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(f"/reports/denials/?{_book_query(book)}")
    assert response.status_code == 200
    body = response.content.decode()
    assert book.practice.name in body and "Medical necessity / non-covered" in body
    assert "260.00" in body and "76.92 %" in body and "<svg" in body
    assert 'id="denials-root-causes"' in body and "Not recorded yet" in body
    events = AuditEvent.objects.filter(pk__gt=before, action=AuditAction.REPORT_VIEWED)
    assert {e.practice_id for e in events} == {book.practice.pk}
    assert all(e.detail["report"] == "denials" for e in events)


def test_the_client_viewer_sees_his_practice_and_a_foreign_one_is_missing():
    book = build_book()
    client = verified_client(book.viewer.username)
    assert client.get(f"/reports/denials/?{_book_query(book)}").status_code == 200
    assert_a_foreign_practice_is_missing(book, "denials")


@pytest.mark.parametrize("url", page_and_files("denials"))
@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("month=2026-00", "is not a month of the calendar"),
        ("months=99", "from 1 to 36"),
        ("payer=not-a-payer", "is not a payer id"),
    ],
)
def test_bad_filters_answer_400_naming_them(url, query, message):
    assert_refused(url, query, message)


def test_csv_reads_back_with_numbers_and_is_audited():
    book = build_book()
    client = verified_client("olivia.owner")
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    response = client.get(f"/reports/denials/export.csv?{_book_query(book)}")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    total = next(r for r in rows if r["section"] == "total")
    assert int(total["denials"]) == 2 and D(total["dollars denied"]) == D("260.00")
    reason = next(r for r in rows if r["section"] == "reason")
    assert reason["carc"] == "50" and D(reason["share of dollars %"]) == D("100.00")
    march = [
        r for r in rows if r["section"] == "category by month" and r["dollars denied"] != "0.00"
    ]
    assert [date.fromisoformat(r["month"]) for r in march] == [date(2026, 3, 1)]
    for row in rows:  # every figure is a number, every date a date
        int(row["denials"])
        D(row["dollars denied"])
        date.fromisoformat(row["from"])
    causes = {r["root cause"]: D(r["dollars denied"]) for r in rows if r["section"] == "root cause"}
    assert causes == {"Coding": D("200.00"), "Not recorded yet": D("60.00")}
    events = AuditEvent.objects.filter(pk__gt=before, action=AuditAction.REPORT_EXPORTED)
    assert [(e.practice_id, e.detail["format"], e.detail["report"]) for e in events] == [
        (book.practice.pk, "csv", "denials")
    ]


def test_pdf_carries_the_figures_of_the_page():
    from pypdf import PdfReader

    book = build_book()
    response = verified_client("olivia.owner").get(
        f"/reports/denials/export.pdf?{_book_query(book)}"
    )
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Denials analytics" in text and book.practice.name in text
    assert "260.00" in text and "Coding" in text and book.payer_x.name in text


# -- the demo: denied dollars are the ledger's -----------------------------------------------------
def test_denied_dollars_are_the_ledger_s_denying_adjustments_on_the_demo(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On the simulated demo, each practice's dollars denied in the window equal the sum of
    the ledger adjustments its denials stand for: the entries of the denied lines posted by
    the denying 835 that are not patient responsibility (a whole-claim denial takes every
    non-PR reason), in the window — but for the denials whose 835 loop is held as an
    exception, which the report counts apart (`unposted`)."""
    from bureau.demo import WORKSPACE_SLUG
    from bureau.demo_claims import simulate_demo

    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    monkeypatch.setattr(transaction, "on_commit", lambda func, *a, **k: func())
    simulate_demo(WORKSPACE_SLUG, days=45, seed=2026)
    owner = resolve_actor(
        __import__("bureau.accounts.models", fromlist=["User"]).User.objects.get(
            username="olivia.owner"
        )
    )
    assert owner is not None
    window = MonthWindow(timezone.localdate().replace(day=1), 12)
    report = denial_analytics(actor=owner, filters=_filters(), window=window)
    assert report.total.count > 0  # not vacuous
    ids = sorted(owner.practice_ids())
    with rls.practice_scope(ids):
        denials = Denial.objects.for_system(ids, reason="test").filter(
            denied_on__gte=window.start, denied_on__lte=window.end
        )
        entries = LedgerEntry.objects.for_system(ids, reason="test").filter(
            kind=EntryKind.ADJUSTMENT,
            effective_date__gte=window.start,
            effective_date__lte=window.end,
        )
        ledger = D(0)
        for era_id, line_id in denials.values_list("era_id", "claim_line_id").distinct():
            posted = entries.filter(era_id=era_id, claim_line_id=line_id).exclude(group_code="PR")
            ledger -= D(posted.aggregate(s=Sum("amount"))["s"] or 0)
    # Denials on loops held as exceptions are the payer's word, not on the ledger yet.
    with rls.practice_scope(ids):
        held = denials.filter(era_claim__outcome__in=["exception", "dismissed"])
        held_dollars = D(held.aggregate(s=Sum("amount"))["s"] or 0).quantize(D("0.01"))
    assert report.unposted.dollars == held_dollars
    assert report.total.dollars - report.unposted.dollars == ledger.quantize(D("0.01"))
    assert ledger > 0
    assert sum((p.dollars for p in report.practices), D(0)) == report.total.dollars
    assert sum((c.total.dollars for c in report.categories), D(0)) == report.total.dollars
    assert sum((r.dollars for r in report.reasons), D(0)) == report.total.dollars


def test_the_aging_report_s_as_of_and_basis_are_not_read():
    assert_aging_parameters_are_not_read("denials")


def test_a_refused_page_keeps_the_window_that_could_be_read():
    query = "month=2026-03&months=6&payer=not-a-uuid"
    response = verified_client("olivia.owner").get(f"/reports/denials/?{query}")
    body = response.content.decode()
    assert response.status_code == 400 and "not a payer id" in body
    assert 'name="month" value="2026-03"' in body and '<option value="6" selected>' in body
