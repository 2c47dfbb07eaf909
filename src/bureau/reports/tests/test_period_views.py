"""The period reports' pages and files: who may read them, what a bad filter answers, what is
audited, and that a CSV reads back as numbers and dates and a PDF carries the page's figures.
Figures on the KPIs' hand-built book (`kpi_fixture`, March 2026; see test_period_reports)."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
from django.test import Client

from bureau.accounts.models import User
from bureau.accounts.tests.conftest import make_user
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.reports.tests.kpi_fixture import Book, build_book
from bureau.reports.tests.test_period_reports import underpaid
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db
D = Decimal
REPORTS = {
    "mix": "payer_cpt_mix",
    "posting": "era_posting_volume",
    "writeoffs": "writeoffs_by_reason",
    "underpayments": "underpayments",
}
FILES = ("export.csv", "export.pdf")
NOBODY = "7b0b7b9a-0000-4222-9bf8-fb964f0de9bd"  # no practice has this id


@pytest.fixture
def book() -> Book:
    built = build_book()
    underpaid(built)
    return built


def march(book: Book) -> str:
    return f"practice={book.practice.public_id}&start=2026-03-01&end=2026-03-31"


def _events(before: int, action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=before, action=action).order_by("id"))


def _last_event() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _pdf_text(content: bytes) -> str:
    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


# What each page and its files must show for March on the book, its two underpaid ERAs (03-25:
# C7 paid 20; 03-26: C3 paid 35) included — worked in test_period_reports.
FIGURES = {
    "mix": ("480.00", "175.00", "81.3"),  # charges, payments 120 + 55, X's share of charges
    "posting": ("215.00", "175.00", "85.71"),  # paid, auto-posted, 6 of 7 loops (the KPI)
    "writeoffs": ("200.00", "Medical necessity lost on appeal"),
    "underpayments": ("15.00", "75.00", "60.00"),  # short, expected, allowed
}


@pytest.mark.parametrize("name", list(REPORTS))
def test_the_page_shows_the_figures_and_audits_the_read(book: Book, name: str) -> None:
    client = verified_client("olivia.owner")
    before = _last_event()
    response = client.get(f"/reports/{name}/?{march(book)}")
    assert response.status_code == 200
    body = response.content.decode()
    for figure in FIGURES[name]:
        assert figure in body, figure
    assert book.practice.name in body and "<svg" in body
    if name == "writeoffs":
        assert 'id="ledger-check" class="muted"' in body  # the ledger agrees
    assert f'href="/reports/{name}/export.csv?' in body
    (event,) = _events(before, AuditAction.REPORT_VIEWED)
    assert event.detail["report"] == REPORTS[name]
    assert (event.detail["start"], event.detail["end"]) == ("2026-03-01", "2026-03-31")
    assert event.practice_id == book.practice.pk


@pytest.mark.parametrize("name", list(REPORTS))
def test_the_pdf_carries_the_page_s_figures(book: Book, name: str) -> None:
    client = verified_client("olivia.owner")
    before = _last_event()
    response = client.get(f"/reports/{name}/export.pdf?{march(book)}")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;")
    text = _pdf_text(response.content)
    assert book.practice.name in text and "2026-03-01" in text
    for figure in FIGURES[name]:
        assert figure in text, figure
    (event,) = _events(before, AuditAction.REPORT_EXPORTED)
    assert event.detail["report"] == REPORTS[name] and event.detail["format"] == "pdf"


def _csv(client: Client, url: str) -> list[dict[str, str]]:
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_csv_files_read_back_as_numbers_and_dates(book: Book) -> None:
    client = verified_client("olivia.owner")
    q = march(book)
    mix = _csv(client, f"/reports/mix/export.csv?{q}")
    total = next(r for r in mix if r["mix"] == "total")
    assert (int(total["claims"]), D(total["charges"]), D(total["payments"])) == (
        6,
        D("480.00"),
        D("175.00"),
    )
    code = next(r for r in mix if r["mix"] == "procedure")
    # 175 paid on four one-unit lines (C1, C5, C7, C3).
    assert (D(code["units"]), D(code["paid per unit"])) == (D("6"), D("43.75"))
    assert date.fromisoformat(total["period start"]) == date(2026, 3, 1)
    posting = _csv(client, f"/reports/posting/export.csv?{q}")
    days = [r for r in posting if r["level"] == "day"]
    assert [date.fromisoformat(r["first day"]) for r in days] == [
        date(2026, 3, d) for d in (10, 12, 16, 20, 25, 26)
    ]
    total = posting[-1]
    assert (int(total["claim payments"]), int(total["auto-posted"])) == (7, 6)
    assert D(total["dollars posted"]) == D("175.00")
    writeoffs = _csv(client, f"/reports/writeoffs/export.csv?{q}")
    assert writeoffs[-1]["level"] == "book"
    assert (int(writeoffs[-1]["approved count"]), D(writeoffs[-1]["approved dollars"])) == (
        1,
        D("200.00"),
    )
    under = _csv(client, f"/reports/underpayments/export.csv?{q}")
    assert [r["level"] for r in under] == ["payer", "payer", "practice", "book"]
    assert sum(D(r["shortfall"]) for r in under if r["level"] == "payer") == D(
        under[-1]["shortfall"]
    )
    assert D(under[-1]["expected"]) == D("75.00")
    claims = _csv(client, f"/reports/underpayments/claims.csv?{q}")
    assert [(r["claim"], D(r["shortfall"])) for r in claims] == [
        (book.claims["C7"].number, D("10.00")),
        (book.claims["C3"].number, D("5.00")),
    ]
    assert date.fromisoformat(claims[0]["date of service"]) == date(2026, 3, 10)


def test_the_underpayments_drill_shows_and_audits_the_claims(book: Book) -> None:
    client = verified_client("olivia.owner")
    book_page = client.get("/reports/underpayments/?practice=all&start=2026-03-01&end=2026-03-31")
    body = book_page.content.decode()
    assert 'id="underpaid-claim-table"' not in body  # the book: payers, no claims
    drill = f"?practice={book.practice.public_id}&amp;payer={book.payer_x.public_id}"
    assert drill in body  # a payer row opens its claims
    before = _last_event()
    page = client.get(
        f"/reports/underpayments/?{march(book)}&payer={book.payer_x.public_id}"
    ).content.decode()
    assert book.claims["C7"].number in page and book.claims["C3"].number not in page
    assert "Pitest, Kay" in page and f"/claims/{book.claims['C7'].public_id}/" in page
    (event,) = _events(before, AuditAction.REPORT_VIEWED)
    assert event.record_ids == [str(book.claims["C7"].public_id)]
    assert event.model == "claims.Claim"


def test_the_claims_file_masks_names_without_demographics(book: Book) -> None:
    make_user(
        book.practice.workspace,
        "kpi.reviewer",
        (Role.DENIAL_SPECIALIST, book.practice),
        (Role.COMPLIANCE_OFFICER, book.practice),
    )
    client = verified_client("kpi.reviewer")
    rows = _csv(client, f"/reports/underpayments/claims.csv?{march(book)}")
    assert {r["patient"] for r in rows} == {"K. P."}
    page = client.get(f"/reports/underpayments/?{march(book)}").content.decode()
    assert "K. P." in page and "Pitest" not in page


def test_a_client_viewer_reads_their_practice_only(book: Book) -> None:
    viewer = resolve_actor(book.viewer)
    assert viewer is not None and set(viewer.access) == {book.practice.pk}
    client = verified_client("kpi.viewer")
    for name in REPORTS:
        before = _last_event()
        response = client.get(f"/reports/{name}/?practice=all&start=2026-03-01&end=2026-03-31")
        assert response.status_code == 200, name
        events = _events(before, AuditAction.REPORT_VIEWED)
        assert {e.practice_id for e in events} <= {book.practice.pk}, name
    # Lakeside's client sees Lakeside only, on the demo's own figures.
    cliff = resolve_actor(User.objects.get(username="cliff.client"))
    assert cliff is not None
    before = _last_event()
    verified_client("cliff.client").get("/reports/mix/?practice=all")
    seen = {e.practice_id for e in _events(before, AuditAction.REPORT_VIEWED)}
    assert seen and seen <= set(cliff.access)


@pytest.mark.parametrize("name", list(REPORTS))
def test_no_reports_capability_no_report(name: str) -> None:
    client = verified_client("bella.biller")
    for suffix in ("", *FILES):
        assert client.get(f"/reports/{name}/{suffix}").status_code in (403, 404)


HOSTILE = [
    ("start=2026-13-01", "Period start “2026-13-01” is not a day of the calendar"),
    ("end=yesterday", "Period end “yesterday” is not a date"),
    ("start=１９９９-01-01", "not a date"),
    ("end=9999-12-31", "is in the future"),
    ("start=1999-12-31", "is before 2000-01-01"),
    ("start=2026-03-31&end=2026-03-01", "The period starts (2026-03-31) after it ends"),
    ("start=2020-01-01&end=2026-01-01", "at most three years"),
    ("payer=not-a-uuid", "not a payer id"),
    ("payer=00000000-0000-0000-0000-000000000000", "No payer has this id"),
    ("start=" + "9" * 5000, "not a date"),
]


@pytest.mark.parametrize(("query", "message"), HOSTILE)
@pytest.mark.parametrize("name", list(REPORTS))
def test_unreadable_filters_are_named_never_a_500(name: str, query: str, message: str) -> None:
    client = verified_client("olivia.owner")
    for suffix in ("", "export.csv"):
        response = client.get(f"/reports/{name}/{suffix}?{query}")
        assert response.status_code == 400, (suffix, query)
        body = response.content.decode()
        assert message in body and 'name="start"' in body


@pytest.mark.parametrize("name", list(REPORTS))
def test_a_foreign_practice_answers_like_a_missing_one(name: str) -> None:
    cliff = verified_client("cliff.client")
    cliff_actor = resolve_actor(User.objects.get(username="cliff.client"))
    assert cliff_actor is not None
    foreign = Practice.objects.exclude(pk__in=list(cliff_actor.access)).order_by("id").first()
    assert foreign is not None
    for suffix in ("", *FILES):
        missing = cliff.get(
            f"/reports/{name}/{suffix}?practice=7b0b7b9a-0000-4222-9bf8-fb964f0de9bd"
        )
        other = cliff.get(f"/reports/{name}/{suffix}?practice={foreign.public_id}")
        assert missing.status_code == other.status_code == 404, suffix
        assert missing.content == other.content


@pytest.mark.parametrize("name", list(REPORTS))
def test_the_default_start_never_reaches_before_2000(name: str) -> None:
    # With an end only, the default start (two months back, 1999-11-01) would pass the year-2000
    # floor that a typed start is held to: it is clamped to the floor.
    response = verified_client("olivia.owner").get(f"/reports/{name}/?end=2000-01-15")
    assert response.status_code == 200
    filters = response.context["report"].filters
    assert (filters.start, filters.end) == (date(2000, 1, 1), date(2000, 1, 15))


@pytest.mark.parametrize("name", list(REPORTS))
def test_a_refused_page_keeps_the_period_that_could_be_read(name: str) -> None:
    # One unreadable filter (the payer) must not blank the dates the person typed correctly.
    query = "start=2026-02-01&end=2026-02-28&payer=not-a-uuid"
    response = verified_client("olivia.owner").get(f"/reports/{name}/?{query}")
    body = response.content.decode()
    assert response.status_code == 400 and "not a payer id" in body
    assert 'name="start" value="2026-02-01"' in body and 'name="end" value="2026-02-28"' in body
