"""A hand-built ledger for the monthly report's tests: two payers, entries on a month's first
and last day and just outside it, a reversal; every figure is worked out in the tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from bureau.accounts.models import User
from bureau.billing.models import WriteOffRequest, WriteOffStatus
from bureau.claims.models import Claim, ClaimLine, ClaimState
from bureau.claims.tests import factories
from bureau.directory.models import Payer
from bureau.ledger.models import EntryKind
from bureau.ledger.services import LedgerAppender
from bureau.reports.monthly import Month
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

MONTH = Month(2020, 3)  # long before anything the demo seeds: only these entries count
D = Decimal


@dataclass
class Book:
    practice: Practice
    payer_a: Payer
    payer_b: Payer
    claim_a: Claim
    claim_b: Claim


def _lines(claim: Claim) -> list[ClaimLine]:
    return list(
        ClaimLine.objects.for_system([claim.practice_id], reason="test")
        .filter(claim_id=claim.pk)
        .order_by("line_number")
    )


def build_book(practice: Practice) -> Book:
    """Claim A (payer A): line 1 charged 110.00 on 29 Feb (the day before the month), line 2
    12.00 on 1 March; paid 80.00 on the 15th with a 20.00 CO-45 adjustment, the payment
    reversed on the 20th and 70.00 paid on the 31st, line 2's 12.00 written off on the 31st,
    and 5.00 paid on 1 April (just after). Claim B (payer B): charged 110.00 + 12.00 on the
    10th, 30.00 moved to the patient on the 25th, a 10.00 payer takeback on the 28th."""
    payers = list(Payer.objects.filter(workspace_id=practice.workspace_id).order_by("name")[:2])
    with rls.practice_scope([practice.pk]):
        claim_a = factories.claim(
            practice,
            factories.coverage(factories.patient(practice, 0), payers[0]),
            state=ClaimState.PARTIALLY_PAID,
        )
        claim_b = factories.claim(
            practice,
            factories.coverage(factories.patient(practice, 1), payers[1]),
            state=ClaimState.SUBMITTED,
        )
        a1, a2 = _lines(claim_a)
        b1, b2 = _lines(claim_b)
        book = LedgerAppender([practice.pk], [a1.pk, a2.pk, b1.pk, b2.pk])
        book.append(a1, EntryKind.CHARGE, D("110.00"), effective_date=date(2020, 2, 29))
        book.append(a2, EntryKind.CHARGE, D("12.00"), effective_date=date(2020, 3, 1))
        pay = book.append(a1, EntryKind.PAYMENT, D("-80.00"), effective_date=date(2020, 3, 15))
        book.append(
            a1,
            EntryKind.ADJUSTMENT,
            D("-20.00"),
            effective_date=date(2020, 3, 15),
            group_code="CO",
            reason_code="45",
        )
        book.append(b1, EntryKind.CHARGE, D("110.00"), effective_date=date(2020, 3, 10))
        book.append(b2, EntryKind.CHARGE, D("12.00"), effective_date=date(2020, 3, 10))
        book.append(
            b1,
            EntryKind.PATIENT_RESPONSIBILITY,
            D("-30.00"),
            effective_date=date(2020, 3, 25),
            group_code="PR",
            reason_code="1",
        )
        book.append(b1, EntryKind.REFUND, D("10.00"), effective_date=date(2020, 3, 28))
        book.flush()
        payment_id = _id_of(practice, pay)
        book.append(
            a1,
            EntryKind.PAYMENT,
            D("80.00"),
            effective_date=date(2020, 3, 20),
            reverses_id=payment_id,
        )
        book.append(a1, EntryKind.PAYMENT, D("-70.00"), effective_date=date(2020, 3, 31))
        book.append(a2, EntryKind.WRITE_OFF, D("-12.00"), effective_date=date(2020, 3, 31))
        book.append(a1, EntryKind.PAYMENT, D("-5.00"), effective_date=date(2020, 4, 1))
        book.flush()
        user = User.objects.get(username="olivia.owner")
        for status, decided in [
            (WriteOffStatus.APPROVED, datetime(2020, 3, 31, 23, 59, tzinfo=UTC)),
            (WriteOffStatus.REFUSED, datetime(2020, 3, 20, tzinfo=UTC)),  # not posted
            (WriteOffStatus.APPROVED, datetime(2020, 4, 1, tzinfo=UTC)),  # next month
        ]:
            WriteOffRequest.objects.create(
                workspace_id=practice.workspace_id,
                practice=practice,
                claim=claim_a,
                amount=D("12.00"),
                reason="small_balance",
                note="test",
                status=status,
                requested_by=user,
                decided_by=user,
                decided_at=decided,
            )
    rls.activate([])
    return Book(practice, payers[0], payers[1], claim_a, claim_b)


def _id_of(practice: Practice, entry: dict[str, Any]) -> int:
    """The id of an entry the appender wrote (it returns the row's values, not its key)."""
    from bureau.ledger.models import LedgerEntry

    return (
        LedgerEntry.objects.for_system([practice.pk], reason="test")
        .get(claim_line_id=entry["claim_line_id"], sequence=entry["sequence"])
        .pk
    )


# What the month's figures must be (worked out in the docstring of `build_book`).
EXPECTED_LINES = {
    "charges": ("12.00", "122.00"),  # (payer A, payer B)
    "payments": ("70.00", "0.00"),  # 80 − 80 (reversal) + 70; April's 5 is outside
    "adjustments": ("20.00", "0.00"),
    "patient_resp": ("0.00", "30.00"),
    "write_offs": ("12.00", "0.00"),
    "refunds": ("0.00", "10.00"),
}
EXPECTED_START = ("110.00", "0.00")
EXPECTED_END = ("20.00", "102.00")  # 110 + 12 − 70 − 20 − 12; 122 − 30 + 10


def stored_reports(practices: list[Practice]) -> list[Any]:
    """One stored report per practice (March 2020, version 1), made once and found again: the
    records the cross-cutting URL tests probe. Real figures, a stub PDF (rendering one per
    practice for every probed user would cost the suite a minute)."""
    import hashlib

    from bureau.reports.monthly import monthly_figures
    from bureau.reports.monthly_models import MonthlyReport, Trigger

    made = []
    for practice in practices:
        with rls.practice_scope([practice.pk]):
            rows = MonthlyReport.objects.for_system([practice.pk], reason="test")
            report = rows.filter(practice=practice, month=MONTH.first, version=1).first()
            if report is None:
                pdf = b"%PDF-1.4\n% a stored monthly report (test stub)\n"
                report = MonthlyReport.objects.create(
                    workspace_id=practice.workspace_id,
                    practice=practice,
                    month=MONTH.first,
                    version=1,
                    trigger=Trigger.SCHEDULE,
                    figures=monthly_figures(practice, MONTH),
                    pdf=pdf,
                    pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                )
            made.append(report)
    rls.activate([])
    return made
