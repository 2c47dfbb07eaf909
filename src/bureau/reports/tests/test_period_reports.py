"""Payer and CPT mix, ERA posting volume, write-offs by reason and underpayments on the KPIs'
hand-built book (`kpi_fixture`: one practice, March 2026), each answer worked out here from the
fixture's docstring — for the owner, and for the grant limited to doctor A (no C5, no loop that
matches none of our claims).

    charged in March: C1 100 X · C2 200 X · C3 50 Y · C5 40 Y (doctor B) · C6 60 X · C7 30 X
                      (C4 went out in January)                          → 480, 6 claims
    paid in March:    C1 80 (03-10) · C5 40 (03-20)                     → 120
    ERAs paid:        03-10 C1 · 03-12 C2 (denied) · 03-16 C6 (denied) · 03-20 C5 + a stranger
    written off:      C2 200, medical necessity, auto-approved 03-20, on a denied claim
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bureau import clock
from bureau.accounts.tests.conftest import make_user
from bureau.billing.models import WriteOffStatus
from bureau.billing.services import writeoff_request
from bureau.directory.models import ContractRate
from bureau.remittance.tests import builders as b
from bureau.reports.kpis import compute
from bureau.reports.mix import payer_and_cpt_mix, share
from bureau.reports.period_reports import PeriodFilters
from bureau.reports.posting import posting_volume
from bureau.reports.tests.kpi_fixture import Book, _ingest, build_book
from bureau.reports.underpayment_report import underpaid_claims, underpayments_by_payer
from bureau.reports.writeoff_report import writeoffs_by_reason
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.roles import Role
from bureau.workqueues.models import WorkItem

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = (date(2026, 3, 1), date(2026, 3, 31))


@pytest.fixture
def book() -> Book:
    return build_book()


def march(book: Book, payer: object = None) -> PeriodFilters:
    return PeriodFilters(book.practice, payer, *MARCH)  # type: ignore[arg-type]


def limited(book: Book) -> Actor:
    actor = resolve_actor(book.limited)
    assert actor is not None
    return actor


# -- payer and CPT mix ---------------------------------------------------------------------------
def test_payer_mix_is_the_period_s_charges_and_payments_by_payer(book: Book) -> None:
    report = payer_and_cpt_mix(actor=book.owner, filters=march(book))
    rows = {r.label: r for r in report.payers}
    x, y = rows[book.payer_x.name], rows[book.payer_y.name]
    # X: C1 100 + C2 200 + C6 60 + C7 30 = 390, paid 80 (C1); Y: C3 50 + C5 40 = 90, paid 40.
    assert (x.claims, x.charges, x.payments) == (4, D("390.00"), D("80.00"))
    assert (y.claims, y.charges, y.payments) == (2, D("90.00"), D("40.00"))
    assert (report.total.claims, report.total.charges, report.total.payments) == (
        6,
        D("480.00"),
        D("120.00"),
    )
    # 390/480 = 81.25 % → 81.3 (half up), 90/480 = 18.75 % → 18.8; 80/120 → 66.7, 40/120 → 33.3.
    assert (x.charge_share, y.charge_share) == (D("81.3"), D("18.8"))
    assert (x.payment_share, y.payment_share) == (D("66.7"), D("33.3"))
    assert [r.label for r in report.payers] == [book.payer_x.name, book.payer_y.name]
    assert report.practice_ids == {book.practice.pk}


def test_cpt_mix_counts_units_and_paid_per_unit(book: Book) -> None:
    report = payer_and_cpt_mix(actor=book.owner, filters=march(book))
    (code,) = report.codes
    # Six one-unit 99213 lines charged; C1 and C5 paid (2 units) 120 → 60.00 a unit.
    assert (code.label, code.units, code.charges, code.payments) == (
        "99213",
        D("6.000"),
        D("480.00"),
        D("120.00"),
    )
    assert (code.paid_units, code.paid_per_unit) == (D("2.000"), D("60.00"))
    assert code.charge_share == D("100.0")


def test_mix_narrows_to_the_payer_and_to_the_provider_grant(book: Book) -> None:
    only_y = payer_and_cpt_mix(actor=book.owner, filters=march(book, book.payer_y))
    assert [r.label for r in only_y.payers] == [book.payer_y.name]
    assert only_y.total.charges == D("90.00") and only_y.payers[0].charge_share == D("100.0")
    # Doctor A only: C5 (doctor B, Y, 40 charged and paid) is not there.
    a_only = payer_and_cpt_mix(actor=limited(book), filters=march(book))
    rows = {r.label: r for r in a_only.payers}
    assert rows[book.payer_y.name].charges == D("50.00")
    assert rows[book.payer_y.name].payments == D("0.00")
    assert (a_only.total.claims, a_only.total.charges, a_only.total.payments) == (
        5,
        D("440.00"),
        D("80.00"),
    )
    assert a_only.codes[0].paid_per_unit == D("80.00")  # C1 alone: 80 for one unit


def test_a_share_of_nothing_is_no_share() -> None:
    assert share(D("0"), D("0")) is None
    assert share(D("1"), D("3")) == D("33.3")


# -- ERA posting volume --------------------------------------------------------------------------
def test_posting_volume_by_day_over_march(book: Book) -> None:
    report = posting_volume(actor=book.owner, filters=march(book))
    assert report.daily  # 31 days: day by day
    by_day = {
        r.label: (r.eras, r.claims, r.auto, r.exceptions, r.open, r.paid) for r in report.rows
    }
    assert by_day == {
        "2026-03-10": (1, 1, 1, 0, 0, D("80.00")),
        "2026-03-12": (1, 1, 1, 0, 0, D("0.00")),
        "2026-03-16": (1, 1, 1, 0, 0, D("0.00")),
        # C5 posted by itself; the stranger loop held as an exception (still open).
        "2026-03-20": (1, 2, 1, 1, 1, D("80.00")),
    }
    t = report.total
    assert (t.eras, t.claims, t.auto, t.exceptions) == (4, 5, 4, 1)
    assert (t.paid, t.auto_paid, t.posted_paid) == (D("160.00"), D("120.00"), D("120.00"))
    # The period's rate is the KPI's, and the rows add up to it.
    assert report.kpi_by_count.value == D("80.00") and t.auto_rate == D("80.0")
    assert report.kpi_by_dollars.value == D("75.00") and t.auto_dollar_rate == D("75.0")
    kpi = compute("era_auto_post_rate", march(book).scope(book.owner), "by_count")
    assert (kpi.numerator, kpi.denominator) == (t.auto, t.claims)


def test_posting_volume_by_month_and_for_doctor_a(book: Book) -> None:
    quarter = PeriodFilters(book.practice, None, date(2026, 1, 1), date(2026, 3, 31))
    report = posting_volume(actor=book.owner, filters=quarter)
    assert not report.daily
    assert [(r.label, r.eras, r.claims, r.auto) for r in report.rows] == [("2026-03", 4, 5, 4)]
    # Doctor A sees neither C5's loop nor the stranger: three ERAs, three loops, all auto.
    mine = posting_volume(actor=limited(book), filters=march(book))
    assert (mine.total.eras, mine.total.claims, mine.total.auto) == (3, 3, 3)
    assert mine.kpi_by_count.value == D("100.00")


# -- write-offs by reason ------------------------------------------------------------------------
def test_writeoffs_by_reason_and_the_ledger_check(book: Book) -> None:
    # C3 (50, Y) asked as a small balance above a lowered limit: it waits for an approver.
    b.configure(book.practice, "writeoffs.auto_approve_limit", "10.00")
    line = b.lines_of(book.claims["C3"])[0]
    with clock.business_day(date(2026, 3, 22)):
        waiting = writeoff_request(
            actor=book.owner,
            claim=book.claims["C3"],
            amounts={str(line.public_id): "50.00"},
            reason="small_balance",
            note="not worth chasing",
        )
    assert waiting.status == WriteOffStatus.PENDING
    report = writeoffs_by_reason(actor=book.owner, filters=march(book))
    (practice,) = report.book.children
    rows = {r.key: r for r in practice.children}
    medical, small = rows["medical_necessity"], rows["small_balance"]
    assert (medical.approved.count, medical.approved.amount) == (1, D("200.00"))
    assert (medical.denial.count, medical.denial.amount) == (1, D("200.00"))  # C2 was denied
    assert (medical.pending.count, small.approved.count) == (0, 0)
    assert (small.pending.count, small.pending.amount) == (1, D("50.00"))
    assert report.book.approved.amount == D("200.00")
    assert report.book.pending.amount == D("50.00")
    # The ledger: 200 written off in March (the pending 50 is not on it), nothing reversed.
    check = report.check
    assert (check.posted, check.reversed, check.requests, check.net) == (
        D("200.00"),
        D("0.00"),
        D("200.00"),
        D("200.00"),
    )
    assert check.holds
    assert report.denial_kpi.value == D("43.48")  # the KPI's own answer
    # April: nothing decided, nothing asked.
    april = PeriodFilters(book.practice, None, date(2026, 4, 1), date(2026, 4, 30))
    empty = writeoffs_by_reason(actor=book.owner, filters=april)
    assert empty.book.children == [] and empty.check.holds


# -- underpayments -------------------------------------------------------------------------------
def underpaid(book: Book) -> None:
    """Contract rates for 99213 — X 30.00, Y 45.00 — then C7 paid 20 by X (allowed 20: short
    10) on 03-25 and C3 paid 35 + 5 patient share by Y (allowed 40: short 5) on 03-26."""
    for payer, rate in ((book.payer_x, "30.00"), (book.payer_y, "45.00")):
        ContractRate.objects.create(
            workspace_id=book.practice.workspace_id,
            practice=book.practice,
            payer=payer,
            code="99213",
            allowed_amount=D(rate),
        )
    c7, c3 = b.lines_of(book.claims["C7"])[0], b.lines_of(book.claims["C3"])[0]
    _ingest(
        book.practice,
        book.payer_x,
        date(2026, 3, 25),
        b.paid_claim(book.claims["C7"], [b.svc(c7, "20.00", ("CO", "45", "10.00"))]),
    )
    _ingest(
        book.practice,
        book.payer_y,
        date(2026, 3, 26),
        b.paid_claim(
            book.claims["C3"], [b.svc(c3, "35.00", ("CO", "45", "10.00"), ("PR", "1", "5.00"))]
        ),
    )


def test_underpayments_by_payer_with_the_contract_s_expected(book: Book) -> None:
    underpaid(book)
    report = underpayments_by_payer(actor=book.owner, filters=march(book))
    (practice,) = report.book.children
    rows = {r.label: r for r in practice.children}
    x, y = rows[book.payer_x.name], rows[book.payer_y.name]
    assert (x.lines, x.claims, x.expected, x.allowed, x.paid, x.shortfall) == (
        1, 1, D("30.00"), D("20.00"), D("20.00"), D("10.00"),
    )  # fmt: skip
    assert (y.lines, y.claims, y.expected, y.allowed, y.paid, y.shortfall) == (
        1, 1, D("45.00"), D("40.00"), D("35.00"), D("5.00"),
    )  # fmt: skip
    assert [r.label for r in practice.children] == [book.payer_x.name, book.payer_y.name]
    assert report.book.shortfall == D("15.00") and report.book.expected == D("75.00")
    only_y = underpayments_by_payer(actor=book.owner, filters=march(book, book.payer_y))
    assert only_y.book.shortfall == D("5.00")
    before = PeriodFilters(book.practice, None, date(2026, 3, 1), date(2026, 3, 24))
    assert underpayments_by_payer(actor=book.owner, filters=before).book.lines == 0


def test_underpaid_claims_mask_names_without_demographics(book: Book) -> None:
    underpaid(book)
    claims, total = underpaid_claims(actor=book.owner, filters=march(book))
    assert total == 2
    assert [(c.number, c.shortfall) for c in claims] == [
        (book.claims["C7"].number, D("10.00")),
        (book.claims["C3"].number, D("5.00")),
    ]
    assert claims[0].patient_name == "Pitest, Kay" and not claims[0].masked
    # Denials and compliance: claims and reports, no demographics → initials.
    reviewer = make_user(
        book.practice.workspace,
        "kpi.reviewer",
        (Role.DENIAL_SPECIALIST, book.practice),
        (Role.COMPLIANCE_OFFICER, book.practice),
    )
    actor = resolve_actor(reviewer)
    assert actor is not None
    shown, _ = underpaid_claims(actor=actor, filters=march(book))
    assert [c.patient_name for c in shown] == ["K. P.", "K. P."] and shown[0].masked


def test_the_work_queue_and_the_report_read_the_same_lines(book: Book) -> None:
    """One rule: every underpaid line of the report is an item of the underpayments queue with
    the same shortfall (the queue's sync runs when the ERA posts)."""
    underpaid(book)
    with rls.practice_scope([book.practice.pk]):
        items = WorkItem.objects.for_system([book.practice.pk], reason="test").filter(
            practice=book.practice, function="underpayments"
        )
        amounts = sorted(i.amount for i in items)
    report = underpayments_by_payer(actor=book.owner, filters=march(book))
    assert amounts == sorted(r.shortfall for r in report.book.children[0].children)
