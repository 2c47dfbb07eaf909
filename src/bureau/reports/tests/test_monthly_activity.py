"""The month's activity from a real posted ERA (denials opened and closed, ERAs received), and
the figures' query count: fixed, whatever the practice's size (aggregates, not rows)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bureau.denials.models import Denial, DenialEvent
from bureau.remittance.models import Era
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.reports.monthly import Month, identity_holds, monthly_figures
from bureau.reports.tests.monthly_helpers import MONTH, build_book
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db


def lakeside() -> Practice:
    return Practice.objects.get(workspace__slug="summit", name="Lakeside Family Medicine")


def figures(practice: Practice, month: Month) -> dict:
    with transaction.atomic():
        return monthly_figures(practice, month)


def test_an_era_s_month_counts_its_denials_and_their_closing():
    s = ingest_scenario(lakeside())
    practice = s.practice
    month = Month.of(s.era.payment_date)
    with rls.practice_scope([practice.pk]):
        denials = list(
            Denial.objects.for_system([practice.pk], reason="test").filter(
                denied_on__gte=month.first, denied_on__lt=month.next_first
            )
        )
        eras = Era.objects.for_system([practice.pk], reason="test").filter(
            payment_date__gte=month.first, payment_date__lt=month.next_first
        )
        era_count, era_paid = eras.count(), sum((e.total_paid for e in eras), Decimal(0))
        assert denials, "the scenario denies a claim"
        # Noon UTC of the ERA's payment date: inside the month the figures read.
        now = datetime.combine(s.era.payment_date, time(12), tzinfo=UTC)
        for denial, change in [
            (denials[0], ["open", "resolved"]),
            (denials[0], ["resolved", "resolved"]),  # the same denial twice: counted once
            (denials[-1], ["open", "in_progress"]),  # not a closing
        ]:
            DenialEvent.objects.create(
                workspace_id=practice.workspace_id,
                practice=practice,
                denial=denial,
                occurred_at=now,
                changes={"status": change},
            )
    rls.activate([])
    found = figures(practice, month)
    activity = found["activity"]
    assert activity["denials_opened"] == {
        "count": len(denials),
        "amount": str(sum((d.amount for d in denials), Decimal("0.00"))),
    }
    assert activity["eras_received"] == {"count": era_count, "paid": str(era_paid)}
    assert activity["denials_closed"] == {"resolved": 1, "written_off": 0, "reversed_by_payer": 0}
    payments = next(ln for ln in found["rollforward"]["lines"] if ln["key"] == "payments")
    assert Decimal(payments["amount"]) > 0
    assert identity_holds(found)


def test_the_figures_cost_the_same_queries_for_a_bigger_practice():
    practice = lakeside()
    build_book(practice)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            figures(practice, MONTH)
        return len(queries)

    small = count()
    for _ in range(3):  # three more claims' worth of entries in the same month
        build_book(practice)
    assert count() == small
    # The roll-forward and the activity (8), the KPIs against targets (clean claims, net
    # collection: one each; initial denials: two; days in A/R: three — the period's charges, a
    # probe for entries after its end, the A/R from the ledger or the balance rows) and the
    # aging at month end (one); PostgreSQL adds the transaction's statements (its RLS setting).
    assert small <= (16 if connection.vendor == "sqlite" else 17), small
