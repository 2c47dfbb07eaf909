"""Productivity and SLA reports on the KPIs' hand-built book (`kpi_fixture`, March 2026): the
answers are worked out here from its docstring's table, and must agree with the KPIs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.reports.kpis import compute
from bureau.reports.period_reports import PeriodFilters
from bureau.reports.productivity import productivity_report
from bureau.reports.sla_report import QUESTIONS, sla_report
from bureau.reports.tests.kpi_fixture import Book, build_book
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.workqueues.models import PracticeQuestion, WorkItem

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = "start=2026-03-01&end=2026-03-31"


@pytest.fixture
def book() -> Book:
    return build_book()


def march(book: Book, **kw: object) -> PeriodFilters:
    kw.setdefault("practice", book.practice)
    kw.setdefault("payer", None)
    return PeriodFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), **kw)  # type: ignore[arg-type]


def _at(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


# -- productivity ----------------------------------------------------------------------
def test_productivity_per_person_on_the_hand_built_book(book: Book) -> None:
    report = productivity_report(actor=book.owner, filters=march(book))
    assert report.days == 22  # March 2026: 22 business days
    (practice,) = report.practices
    people = {w.label: w for w in practice.people}
    una, uli, uwe = (book.workers[n].full_name for n in ("una", "uli", "uwe"))
    # una closed C6's hand item (60 at stake) after one attempt; uli closed C3 (50) and C5 (40);
    # uwe logged an attempt on C4 and closed nothing; the owner's write-off closed C2's item.
    assert (people[una].items, people[una].dollars, people[una].attempts) == (1, D("60.00"), 1)
    assert (people[uli].items, people[uli].dollars, people[uli].attempts) == (2, D("90.00"), 0)
    assert (people[uwe].items, people[uwe].dollars, people[uwe].attempts) == (0, D("0.00"), 1)
    assert len(people) == 4
    # Per business day: uli 2 / 22 = 0.09; una's dollars 60 / 22 = 2.73.
    assert people[uli].items_per_day == D("0.09")
    assert people[una].dollars_per_day == D("2.73")
    # The practice: 4 items by 4 people over 22 days = 4 / 88 = 0.05 — the KPI's own figure.
    kpi = compute("productivity", march(book).scope(book.owner))
    assert practice.total.items == report.book.items == 4 == kpi.numerator
    assert practice.total.items_per_day == kpi.value == D("0.05")
    assert practice.total.attempts == 2
    # The dollars are the amounts at stake on the items people closed in March.
    with rls.practice_scope([book.practice.pk]):
        closed = WorkItem.objects.for_system([book.practice.pk], reason="test").filter(
            practice=book.practice, status="done", resolved_by__isnull=False
        )
        at_stake = sum((i.amount for i in closed), D("0.00"))
    assert report.book.dollars == at_stake


def test_productivity_narrowed_to_the_provider_grant(book: Book) -> None:
    limited = resolve_actor(book.limited)
    assert limited is not None
    report = productivity_report(actor=limited, filters=march(book, practice=None))
    people = {w.label: w for w in report.people}
    # Doctor A only: uli's C5 (doctor B) is not counted → C3 alone, 50 at stake.
    assert people[book.workers["uli"].full_name].items == 1
    assert people[book.workers["uli"].full_name].dollars == D("50.00")
    assert report.book.items == 3


# -- SLA ----------------------------------------------------------------------
def _questions(book: Book) -> None:
    """One question answered late (asked 03-03, due 03-06, answered 03-09) and one never
    answered (asked 03-10, due 03-13)."""
    with rls.practice_scope([book.practice.pk]):
        items = {
            i.title: i
            for i in WorkItem.objects.for_system([book.practice.pk], reason="test").filter(
                practice=book.practice, title__in=("followup C4", "denials C6")
            )
        }
        for title, asked, due, answered in (
            ("followup C4", date(2026, 3, 3), date(2026, 3, 6), date(2026, 3, 9)),
            ("denials C6", date(2026, 3, 10), date(2026, 3, 13), None),
        ):
            PracticeQuestion.objects.create(
                workspace_id=book.practice.workspace_id,
                practice=book.practice,
                item=items[title],
                question="Op note?",
                asked_by=book.workers["una"],
                asked_at=_at(asked),
                practice_due=due,
                answer="here" if answered else "",
                answered_by=book.viewer if answered else None,
                answered_at=_at(answered) if answered else None,
            )


def test_sla_by_function_on_the_hand_built_book(book: Book) -> None:
    _questions(book)
    report = sla_report(actor=book.owner, filters=march(book), today=date(2026, 4, 1))
    (practice,) = report.practices
    rows = {
        s.key: (s.opened, s.closed, s.on_time, s.late, s.open_due, s.breached_now)
        for s in practice.functions
    }
    assert rows == {
        # C2's posted item (03-12, closed 03-20 by the write-off, due 03-26 ✓), C6's posted
        # item (03-16, due 03-30, open), C6 by hand (03-02, due 03-20, closed 03-24 ✗).
        "denials": (3, 2, 1, 1, 1, 1),
        "rejections": (2, 2, 2, 0, 0, 0),  # C3 and C5, both on time
        "era_exceptions": (1, 0, 0, 0, 1, 1),  # the stranger loop, due 03-26, open
        "followup": (1, 0, 0, 0, 1, 1),  # C4, due 03-15, open
    }
    denials = next(s for s in practice.functions if s.key == "denials")
    assert denials.compliance == D("50.00") and denials.compliance_with_open == D("33.33")
    # The practice: 3 of 4 closed on time = 75 %; with the 3 open breaches 3 of 7 = 42.86 % —
    # the KPI's two variants, to the cent.
    scope = march(book).scope(book.owner)
    assert practice.total.compliance == compute("sla_compliance", scope, "closed_items").value
    assert practice.total.compliance == D("75.00")
    assert (
        practice.total.compliance_with_open
        == D("42.86")
        == (compute("sla_compliance", scope, "with_open_breaches").value)
    )
    assert practice.total.opened == 7
    # The practice's clock: asked 2, answered 1 (late), 1 unanswered past its day.
    q = practice.questions
    assert q is not None and q.key == QUESTIONS
    assert (q.opened, q.closed, q.on_time, q.late, q.open_due, q.breached_now) == (2, 1, 0, 1, 1, 1)
    assert practice.total.opened == 7  # the practice's clock is not in the vendor's totals


def test_sla_breached_now_counts_only_what_is_past_due_today(book: Book) -> None:
    report = sla_report(actor=book.owner, filters=march(book), today=date(2026, 3, 28))
    rows = {s.key: s.breached_now for s in report.practices[0].functions}
    # On 03-28: C6's posted denial (due 03-30) is not yet late; the exception (03-26) is.
    assert rows["denials"] == 0 and rows["era_exceptions"] == 1 and rows["followup"] == 1


def test_sla_narrowed_to_the_provider_grant(book: Book) -> None:
    limited = resolve_actor(book.limited)
    assert limited is not None
    report = sla_report(actor=limited, filters=march(book, practice=None), today=date(2026, 4, 1))
    keys = {s.key: s for s in report.practices[0].functions}
    # Doctor A: no C5 rejection, no ERA exception (it reaches no provider): the KPI's 2 of 3.
    assert keys["rejections"].closed == 1 and "era_exceptions" not in keys
    assert (report.book.on_time, report.book.closed) == (2, 3)


# -- the pages ------------------------------------------------------------------------------------
@pytest.mark.parametrize("report", ["productivity", "sla"])
def test_page_shows_and_audits_the_practice(book: Book, report: str) -> None:
    client = verified_client("olivia.owner")
    response = client.get(f"/reports/{report}/?practice={book.practice.public_id}&{MARCH}")
    assert response.status_code == 200
    body = response.content.decode()
    assert book.practice.name in body and "<svg" in body
    if report == "productivity":
        assert book.workers["uli"].full_name in body
    event = AuditEvent.objects.filter(
        action=AuditAction.REPORT_VIEWED, practice=book.practice
    ).latest("id")
    assert event.detail["report"] == report and event.detail["start"] == "2026-03-01"


@pytest.mark.parametrize("report", ["productivity", "sla"])
def test_a_client_viewer_sees_only_their_practice(book: Book, report: str) -> None:
    client = verified_client(book.viewer.username)
    response = client.get(f"/reports/{report}/?practice=all&{MARCH}")
    assert response.status_code == 200
    practices = response.context["report"].practices
    assert [p.name for p in practices] == [book.practice.name]


@pytest.mark.parametrize(
    "url", ["/reports/productivity/", "/reports/productivity/export.csv", "/reports/sla/",
            "/reports/sla/export.pdf"],
)  # fmt: skip
def test_a_foreign_practice_answers_like_a_missing_one(book: Book, url: str) -> None:
    client = verified_client("cliff.client")
    missing = client.get(f"{url}?practice=7b0b7b9a-0000-4222-9bf8-fb964f0de9bd")
    other = client.get(f"{url}?practice={book.practice.public_id}")
    assert missing.status_code == other.status_code == 404
    assert missing.content == other.content


def test_no_report_for_someone_without_reports_view() -> None:
    client = verified_client("bella.biller")
    for url in ("/reports/productivity/", "/reports/sla/export.csv"):
        assert client.get(url).status_code in (403, 404)


HOSTILE = [
    ("start=2026-13-01", "not a day of the calendar"),
    ("end=0206-01-01", "is before 2000-01-01"),
    ("end=2999-01-01", "is in the future"),
    ("start=2026-03-31&end=2026-03-01", "after it ends"),
    ("start=2001-01-01&end=2026-03-01", "at most three years"),
    ("start=" + "9" * 5000, "not a date"),
    ("payer=nope", "not a payer id"),
]


@pytest.mark.parametrize(("query", "message"), HOSTILE)
@pytest.mark.parametrize(
    "url", ["/reports/productivity/", "/reports/sla/", "/reports/sla/export.csv"]
)
def test_unreadable_filters_are_named_never_a_500(url: str, query: str, message: str) -> None:
    response = verified_client("olivia.owner").get(f"{url}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


# -- exports ----------------------------------------------------------------------
def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_productivity_csv_reads_back_as_numbers_and_dates(book: Book) -> None:
    client = verified_client("olivia.owner")
    response = client.get(
        f"/reports/productivity/export.csv?practice={book.practice.public_id}&{MARCH}"
    )
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    uli = next(r for r in rows if r["level"] == "person" and r["person"].startswith("Kpi.Uli"))
    assert int(uli["items resolved"]) == 2 and D(uli["dollars resolved"]) == D("90.00")
    assert D(uli["items per person-day"]) == D("0.09")
    book_row = rows[-1]
    assert book_row["level"] == "book" and int(book_row["items resolved"]) == 4
    assert date.fromisoformat(book_row["period start"]) == date(2026, 3, 1)
    event = AuditEvent.objects.filter(action=AuditAction.REPORT_EXPORTED).latest("id")
    assert event.detail["report"] == "productivity" and event.detail["format"] == "csv"


def test_sla_csv_and_pdf(book: Book) -> None:
    client = verified_client("olivia.owner")
    query = f"practice={book.practice.public_id}&{MARCH}"
    rows = list(
        csv.DictReader(io.StringIO(client.get(f"/reports/sla/export.csv?{query}").content.decode()))
    )
    practice = next(r for r in rows if r["level"] == "practice")
    assert int(practice["closed"]) == 4 and int(practice["closed within SLA"]) == 3
    assert D(practice["compliance %"]) == D("75.00")
    assert date.fromisoformat(practice["period end"]) == date(2026, 3, 31)
    pdf = client.get(f"/reports/sla/export.pdf?{query}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    text = _pdf_text(pdf.content)
    assert "SLA report" in text and "Denials" in text and "75.00 %" in text
    event = AuditEvent.objects.filter(action=AuditAction.REPORT_EXPORTED).latest("id")
    assert event.detail["report"] == "sla" and event.detail["format"] == "pdf"


def test_productivity_pdf_names_the_people(book: Book) -> None:
    client = verified_client("olivia.owner")
    pdf = client.get(f"/reports/productivity/export.pdf?practice={book.practice.public_id}&{MARCH}")
    assert pdf.status_code == 200
    text = _pdf_text(pdf.content)
    assert "Productivity" in text and book.workers["uli"].full_name in text and "90.00" in text
