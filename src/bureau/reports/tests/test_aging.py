"""A/R aging: bucket edges on a hand-built book, totals against the ledger on the demo seed,
the drill-down page, and filters that cannot be read."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims import services as claim_services
from bureau.claims.models import Claim, ClaimLine
from bureau.claims.tests.test_services import actor, encounter_data, practices, some_patient
from bureau.conftest import verified_client
from bureau.directory.models import Payer
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.ledger.services import LedgerAppender, post_charges
from bureau.patients.services import CoverageData, coverage_create
from bureau.reports.aging import aging_by_bucket, aging_claims, bucket_of
from bureau.reports.filters import AgingBasis, ReportFilters
from bureau.tenancy import rls

pytestmark = pytest.mark.django_db
D = Decimal
ZERO = D("0.00")


# -- a hand-built book: one payer of its own, four claims on the bucket edges --------------------
EDGE_DAYS = (30, 31, 120, 121)  # days from service to the as-of date


def edge_book():
    """Four claims of practice 0 billed to a payer no other claim has, dated 30, 31, 120 and
    121 days before today, charged the day after service; the 120-day one moved 20.00 to the
    patient. Returns (practice, payer, as_of, claims by age in days, charge of each claim)."""
    practice = practices()[0]
    owner = actor("olivia.owner")
    payer = Payer.objects.create(workspace=practice.workspace, name="Edge Mutual", payer_id="EDGE1")
    patient = some_patient(practice)
    coverage_create(
        actor=owner,
        patient=patient,
        data=CoverageData(
            payer_id=payer.pk, member_id="EDGE001", effective_date=timezone.localdate().replace(
                year=2020
            ), cob_order=1,
        ),
    )  # fmt: skip
    as_of = timezone.localdate()
    claims = {}
    for days in EDGE_DAYS:
        dos = as_of - timedelta(days=days)
        encounter = claim_services.encounter_create(
            actor=owner,
            practice=practice,
            data=encounter_data(practice, patient, date_of_service=dos),
        )
        with rls.practice_scope([practice.pk]):
            claim = Claim.objects.for_system([practice.pk], reason="test").get(encounter=encounter)
            post_charges(claims=[claim], effective_date=dos + timedelta(days=1))
        claims[days] = claim
    with rls.practice_scope([practice.pk]):
        line = (
            ClaimLine.objects.for_system([practice.pk], reason="test")
            .filter(claim=claims[120])
            .order_by("line_number")
            .first()
        )
        appender = LedgerAppender([practice.pk], [line.pk])
        appender.append(
            line,
            EntryKind.PATIENT_RESPONSIBILITY,
            D("-20.00"),
            effective_date=as_of - timedelta(days=60),
            group_code="PR",
            reason_code="2",
        )
        appender.flush()
    return practice, payer, as_of, claims, claims[30].total_charge


def test_bucket_edges_day_30_is_young_day_31_is_not():
    as_of = timezone.localdate()
    ages = {
        days: bucket_of(as_of - timedelta(days=days), as_of)
        for days in (0, 30, 31, 60, 61, 90, 91, 120, 121, 400)
    }
    assert ages == {0: 0, 30: 0, 31: 1, 60: 1, 61: 2, 90: 2, 91: 3, 120: 3, 121: 4, 400: 4}


def test_sql_buckets_put_the_edge_claims_where_the_rule_says():
    practice, payer, as_of, claims, charge = edge_book()
    owner = actor("olivia.owner")
    filters = ReportFilters(practice, payer, as_of, AgingBasis.SERVICE)
    report = aging_by_bucket(actor=owner, filters=filters)
    [prow] = report.book.children
    [row] = prow.children
    assert row.label == "Edge Mutual" and row.claims == 4
    # Day 30 → 0–30, day 31 → 31–60, day 120 → 91–120 (less 20.00 moved to the patient),
    # day 121 → 120+.
    assert row.insurance.amounts == (charge, charge, ZERO, charge - D("20.00"), charge)
    assert row.patient.amounts == (ZERO, ZERO, ZERO, D("20.00"), ZERO)
    assert report.book.insurance.total == 4 * charge - D("20.00")
    # By first submission (the day after service): 29, 30, 119, 120 days.
    by_submission = aging_by_bucket(
        actor=owner, filters=ReportFilters(practice, payer, as_of, AgingBasis.SUBMISSION)
    )
    assert by_submission.book.insurance.amounts == (
        2 * charge, ZERO, ZERO, 2 * charge - D("20.00"), ZERO
    )  # fmt: skip
    # Claim rows: the same buckets, computed per shown row.
    rows, total = aging_claims(actor=owner, filters=filters)
    assert total == 4
    assert {r.number: (r.days, r.bucket) for r in rows} == {
        claims[d].number: (d, b) for d, b in zip(EDGE_DAYS, (0, 1, 3, 4), strict=True)
    }


def test_as_of_date_reads_the_ledger_as_it_stood():
    """Before the charges were posted nothing was owed; the day before the patient transfer
    the 120-day claim owed its whole charge to the payer."""
    practice, payer, as_of, claims, charge = edge_book()
    owner = actor("olivia.owner")
    early = aging_by_bucket(
        actor=owner,
        filters=ReportFilters(practice, payer, as_of - timedelta(days=125), AgingBasis.SERVICE),
    )
    assert early.book.claims == 0 and early.book.total == ZERO
    before = aging_by_bucket(
        actor=owner,
        filters=ReportFilters(practice, payer, as_of - timedelta(days=61), AgingBasis.SERVICE),
    )
    assert before.book.claims == 2  # the 120- and 121-day claims were charged by then
    assert before.book.insurance.total == 2 * charge
    assert before.book.patient.total == ZERO


# -- the demo: totals are the ledger's -----------------------------------------------------------
def _ledger_sums(practice_ids):
    with rls.practice_scope(practice_ids):
        entries = LedgerEntry.objects.for_system(practice_ids, reason="test")
        insurance = entries.aggregate(s=Sum("amount"))["s"] or ZERO
        moved = entries.filter(kind=EntryKind.PATIENT_RESPONSIBILITY).aggregate(s=Sum("amount"))
    return D(insurance).quantize(D("0.01")), -D(moved["s"] or ZERO).quantize(D("0.01"))


@pytest.mark.parametrize("basis", list(AgingBasis))
def test_report_totals_are_the_ledger_sums_on_the_demo(basis):
    owner = actor("olivia.owner")
    ids = sorted(owner.practice_ids())
    report = aging_by_bucket(
        actor=owner, filters=ReportFilters(None, None, timezone.localdate(), basis)
    )
    insurance, patient = _ledger_sums(ids)
    assert report.book.claims > 0 and insurance > 0  # not vacuous
    assert report.book.insurance.total == insurance
    assert report.book.patient.total == patient
    # Each practice's row is its own ledger's sum, and the book is the sum of its practices.
    for prow in report.book.children:
        pid = next(p.pk for p in owner.practices() if str(p.public_id) == prow.public_id)
        assert prow.insurance.total == _ledger_sums([pid])[0], prow.label
        assert prow.insurance.total == sum((y.insurance.total for y in prow.children), ZERO)


def test_claim_rows_add_up_to_their_payer_row():
    owner = actor("olivia.owner")
    report = aging_by_bucket(
        actor=owner, filters=ReportFilters(None, None, timezone.localdate(), AgingBasis.SERVICE)
    )
    prow = report.book.children[0]
    practice = next(p for p in owner.practices() if str(p.public_id) == prow.public_id)
    for yrow in prow.children:
        payer = Payer.objects.get(public_id=yrow.public_id)
        rows, total = aging_claims(
            actor=owner,
            filters=ReportFilters(practice, payer, timezone.localdate(), AgingBasis.SERVICE),
        )
        assert total == yrow.claims == len(rows)
        assert sum((r.insurance for r in rows), ZERO) == yrow.insurance.total
        for i in range(5):
            assert (
                sum((r.insurance for r in rows if r.bucket == i), ZERO)
                == (yrow.insurance.amounts[i])
            )


# -- the page --------------------------------------------------------------------------------------
def test_the_page_drills_book_practice_payer_claim_and_audits_what_it_showed():
    client = verified_client("olivia.owner")
    owner = actor("olivia.owner")
    book = client.get("/reports/aging/?practice=all")
    assert book.status_code == 200
    body = book.content.decode()
    practice = owner.practices()[0]
    assert practice.name in body and 'id="aging-table"' in body and "<svg" in body
    assert "lvl-payer" not in body  # closed: practices only
    opened = client.get(f"/reports/aging/?practice=all&open={practice.public_id}")
    assert "lvl-payer" in opened.content.decode() and "lvl-claim" not in opened.content.decode()
    report = aging_by_bucket(
        actor=owner, filters=ReportFilters(None, None, timezone.localdate(), AgingBasis.SERVICE)
    )
    prow = next(r for r in report.book.children if r.public_id == str(practice.public_id))
    payer_id = prow.children[0].public_id
    before = AuditEvent.objects.order_by("-id").first().pk
    claims = client.get(
        f"/reports/aging/?practice=all&open={practice.public_id}&open_payer={payer_id}"
    )
    text = claims.content.decode()
    assert "lvl-claim" in text and "/claims/" in text
    events = AuditEvent.objects.filter(pk__gt=before, action=AuditAction.REPORT_VIEWED)
    shown = [i for e in events.filter(practice=practice) for i in e.record_ids]
    assert len(shown) == prow.children[0].claims and all(i in text for i in shown)
    # The htmx partial answers the same rows without the page around them.
    partial = client.get(
        f"/reports/aging/rows/?practice=all&open={practice.public_id}&open_payer={payer_id}"
    )
    assert partial.status_code == 200 and "<html" not in partial.content.decode()
    assert all(i in partial.content.decode() for i in shown)


HOSTILE = [
    ("as_of=2026-13-01", "not a day of the calendar"),
    ("as_of=yesterday", "not a date"),
    ("as_of=１９９９-01-01", "not a date"),  # fullwidth digits
    ("as_of=٢٠٢٦-٠١-٠١", "not a date"),  # Arabic-Indic digits
    ("as_of=1899-12-31", "is before 2000-01-01"),
    ("as_of=9999-12-31", "is in the future"),
    ("as_of=2026-01-01%00", "not a date"),
    ("basis=yesterday", "Aging basis"),
    ("payer=not-a-uuid", "not a payer id"),
    ("payer=00000000-0000-0000-0000-000000000000", "No payer has this id"),
    ("open_payer=%F0%9F%92%A5", "not a payer id"),
    ("as_of=" + "9" * 5000, "not a date"),
]


@pytest.mark.parametrize(("query", "message"), HOSTILE)
@pytest.mark.parametrize(
    "url", ["/reports/aging/", "/reports/aging/rows/", "/reports/aging/export.csv"]
)
def test_unreadable_filters_are_named_never_a_500(url, query, message):
    response = verified_client("olivia.owner").get(f"{url}?{query}")
    if url.endswith(".csv") and query.startswith("open_payer"):
        assert response.status_code == 200  # exports do not drill
        return
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/reports/aging/",
        "/reports/aging/rows/",
        "/reports/aging/export.csv",
        "/reports/aging/export.pdf",
        "/reports/aging/claims.csv",
        "/reports/aging/claims.pdf",
    ],
)
def test_a_foreign_practice_answers_like_a_missing_one(url):
    """cliff.client sees one practice: another one's id, and an id of nobody, answer the
    same 404, word for word — as the practice filter and as a row to open."""
    owner = actor("olivia.owner")
    cliff = actor("cliff.client")
    foreign = next(p for p in owner.practices() if p.pk not in cliff.access)
    client = verified_client("cliff.client")
    for name in ("practice",) if url.endswith((".csv", ".pdf")) else ("practice", "open"):
        missing = client.get(f"{url}?{name}=7b0b7b9a-0000-4222-9bf8-fb964f0de9bd")
        other = client.get(f"{url}?{name}={foreign.public_id}")
        assert missing.status_code == other.status_code == 404, name
        assert missing.content == other.content


# -- exports ---------------------------------------------------------------------------------------
def _pdf_text(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    return "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_pdf_carries_the_figures_of_the_page():
    client = verified_client("olivia.owner")
    owner = actor("olivia.owner")
    response = client.get("/reports/aging/export.pdf?practice=all")
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    assert response["Content-Disposition"].startswith("attachment;")
    text = _pdf_text(response.content)
    report = aging_by_bucket(
        actor=owner, filters=ReportFilters(None, None, timezone.localdate(), AgingBasis.SERVICE)
    )
    assert "A/R aging" in text and f"{report.book.insurance.total:,.2f}" in text
    for prow in report.book.children:
        assert prow.label in text and f"{prow.insurance.total:,.2f}" in text
    claims = _pdf_text(client.get("/reports/aging/claims.pdf?practice=all").content)
    rows, _ = aging_claims(
        actor=owner, filters=ReportFilters(None, None, timezone.localdate(), AgingBasis.SERVICE)
    )
    assert rows[0].number in claims and rows[-1].number in claims


def test_a_claims_pdf_carries_the_largest_balances_and_says_the_csv_has_the_rest(monkeypatch):
    from bureau.reports import aging

    monkeypatch.setattr(aging, "PDF_CLAIMS", 3)
    owner = actor("olivia.owner")
    everything, total = aging_claims(
        actor=owner,
        filters=ReportFilters(None, None, timezone.localdate(), AgingBasis.SERVICE),
        limit=aging.EXPORT_CLAIMS,
    )
    assert total > 3  # the demo owes on more claims than the PDF takes: not vacuous
    client = verified_client("olivia.owner")
    text = _pdf_text(client.get("/reports/aging/claims.pdf?practice=all").content)
    assert f"3 of {total} claims, largest balances first" in text
    assert all(c.number in text for c in everything[:3])
    assert everything[3].number not in text
    event = AuditEvent.objects.filter(action=AuditAction.REPORT_EXPORTED).order_by("-pk").first()
    assert event is not None and event.detail["rows"] == 3 and event.detail["of"] == total
    csv_rows = client.get("/reports/aging/claims.csv?practice=all").content.decode().splitlines()
    assert len(csv_rows) == total + 1  # the CSV: every claim, and its header


def test_csv_reads_back_with_numbers_and_dates():
    import csv
    import io
    from datetime import date

    client = verified_client("olivia.owner")
    response = client.get("/reports/aging/export.csv?practice=all&basis=submission")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    header, body = rows[0], rows[1:]
    assert header[:4] == ["level", "practice", "payer", "claims"]
    book = body[-1]
    assert book[0] == "book" and book[-1] == "submission"
    assert date.fromisoformat(book[-2]) == timezone.localdate()
    numbers = [D(v) for v in book[3:-2]]  # every figure parses as a number
    owner = actor("olivia.owner")
    report = aging_by_bucket(
        actor=owner,
        filters=ReportFilters(None, None, timezone.localdate(), AgingBasis.SUBMISSION),
    )
    assert numbers[0] == report.book.claims and numbers[6] == report.book.insurance.total
    # Practice rows add their payers; the book adds the practices.
    practices = [r for r in body if r[0] == "practice"]
    assert sum(D(r[9]) for r in practices) == D(book[9])


def test_a_formula_in_a_name_stays_text():
    from bureau.reports.export import csv_cell

    assert csv_cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert csv_cell(D("-12.50")) == "-12.50"  # a credit is a number, not a formula


def test_a_file_names_the_one_practice_it_covers_not_the_book():
    """'All' for a client viewer is her practice: the file says so. The owner's 'all' covers
    the book."""
    from bureau.tenancy.models import Practice

    lakeside = Practice.objects.get(workspace__slug="summit", name__startswith="Lakeside")
    client_files = verified_client("cliff.client").get("/reports/aging/export.csv?practice=all")
    owner_files = verified_client("olivia.owner").get("/reports/aging/export.csv?practice=all")
    assert client_files.status_code == owner_files.status_code == 200
    assert lakeside.name in client_files["Content-Disposition"]
    assert "book" not in client_files["Content-Disposition"]
    assert "-book-" in owner_files["Content-Disposition"]


def test_a_refused_page_keeps_the_as_of_date_and_basis_that_could_be_read():
    query = "as_of=2026-02-15&basis=submission&payer=not-a-uuid"
    response = verified_client("olivia.owner").get(f"/reports/aging/?{query}")
    body = response.content.decode()
    assert response.status_code == 400 and "not a payer id" in body
    assert 'name="as_of" value="2026-02-15"' in body
    assert '<option value="submission" selected>' in body
