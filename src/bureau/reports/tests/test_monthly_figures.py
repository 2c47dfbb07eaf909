"""The monthly report's figures on a hand-built ledger whose answer is worked out in the test
(monthly_helpers.build_book), and the month arithmetic."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bureau.reports.monthly import (
    Month,
    MonthError,
    identity_holds,
    month_due,
    monthly_figures,
    parse_month,
)
from bureau.reports.tests.monthly_helpers import (
    EXPECTED_END,
    EXPECTED_LINES,
    EXPECTED_START,
    MONTH,
    build_book,
)
from bureau.tenancy.models import Practice


def _figures(practice: Practice, month: Month) -> dict:
    from django.db import transaction

    with transaction.atomic():
        return monthly_figures(practice, month)


@pytest.fixture
def book(db):
    return build_book(Practice.objects.filter(workspace__slug="summit").order_by("code").first())


def test_the_rollforward_of_the_hand_built_month(book):
    figures = _figures(book.practice, MONTH)
    roll = figures["rollforward"]
    assert roll["start"] == "110.00"
    assert {ln["key"]: ln["amount"] for ln in roll["lines"]} == {
        key: str(Decimal(a) + Decimal(b)) for key, (a, b) in EXPECTED_LINES.items()
    }
    # 110 + 134 − 70 − 20 − 30 − 12 + 10
    assert roll["end"] == "122.00"
    payments = next(ln for ln in roll["lines"] if ln["key"] == "payments")
    assert payments["of_which_reversals"] == "-80.00"  # the reversal put 80.00 back on A/R
    assert payments["effect"] == "-70.00"
    rows = {p["payer"]: p for p in roll["by_payer"]}
    assert list(rows) == sorted([book.payer_a.name, book.payer_b.name])
    for n, payer in enumerate([book.payer_a, book.payer_b]):
        row = rows[payer.name]
        assert row["start"] == EXPECTED_START[n]
        assert row["end"] == EXPECTED_END[n]
        assert {key: row[key] for key in EXPECTED_LINES} == {
            key: pair[n] for key, pair in EXPECTED_LINES.items()
        }
    assert identity_holds(figures)


def test_the_month_before_ends_where_this_one_starts_and_the_next_takes_april(book):
    february = _figures(book.practice, MONTH.previous())["rollforward"]
    march = _figures(book.practice, MONTH)["rollforward"]
    april = _figures(book.practice, MONTH.next())["rollforward"]
    assert february["start"] == "0.00" and february["end"] == march["start"] == "110.00"
    assert april["start"] == march["end"] == "122.00"
    assert next(ln for ln in april["lines"] if ln["key"] == "payments")["amount"] == "5.00"
    assert april["end"] == "117.00"


def test_the_months_activity(book):
    activity = _figures(book.practice, MONTH)["activity"]
    # Claims whose charges posted in March: A (line 2 on the 1st) and B; A's line 1 is February's.
    assert activity["claims_submitted"] == {"count": 2, "charges": "134.00"}
    # The approved request of 31 March; the refused one and April's are not March's.
    assert activity["write_offs_by_reason"] == [
        {"reason": "small_balance", "label": "Small balance", "count": 1, "amount": "12.00"}
    ]
    assert activity["write_offs_total"] == "12.00"
    assert activity["eras_received"] == {"count": 0, "paid": "0.00"}
    assert activity["denials_opened"] == {"count": 0, "amount": "0.00"}


def test_a_report_that_does_not_add_up_is_caught():
    figures = {
        "rollforward": {
            "start": "10.00",
            "lines": [{"key": k, "amount": "0.00"} for k in EXPECTED_LINES],
            "end": "10.01",
            "by_payer": [],
        }
    }
    assert not identity_holds(figures)
    figures["rollforward"]["end"] = "10.00"
    assert identity_holds(figures)


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2027, 1, 1), Month(2026, 12)),  # January → the December before
        (date(2026, 3, 1), Month(2026, 2)),
        (date(2026, 12, 1), Month(2026, 11)),
        (date(2026, 12, 31), Month(2026, 11)),
    ],
)
def test_the_scheduled_run_reports_the_month_before(today, due):
    assert month_due(today) == due


def test_month_bounds():
    assert Month(2024, 2).last == date(2024, 2, 29)
    assert Month(2026, 12).next_first == date(2027, 1, 1)
    assert Month(2026, 1).previous() == Month(2025, 12)
    assert str(Month(2026, 1)) == "2026-01"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-13", "is not a month"),
        ("2026-1", "is not a month"),
        ("November", "is not a month"),
        ("", "is not a month"),
        ("2026-12", "has not ended yet"),
        ("2027-01", "is in the future"),
        ("1999-12", "is before 2000-01"),  # the reports' earliest month, as on the pages
        ("\uff12\uff10\uff12\uff16-10", "is not a month"),  # full-width digits: not read as 2026
        ("2026-1\u0661", "is not a month"),  # an Arabic-Indic one
    ],
)
def test_months_that_cannot_be_reported(text, message):
    with pytest.raises(MonthError, match=message):
        parse_month(text, today=date(2026, 12, 6))
    assert parse_month("2026-11", today=date(2026, 12, 6)) == Month(2026, 11)


def test_every_ledger_entry_kind_has_its_line():
    """A kind the roll-forward did not name would drop out of the identity (or crash it): a
    new writer's kind (patient payments, say) must be given its line first."""
    from bureau.ledger.models import EntryKind
    from bureau.ledger.services import RAISING
    from bureau.reports.monthly import LINES

    assert sorted(line.kind for line in LINES) == sorted(EntryKind)
    # A line's sign is the direction its kind moves A/R on the ledger.
    assert {line.kind for line in LINES if line.sign == "+"} == set(RAISING)


def test_the_month_is_the_entries_effective_date_not_when_they_were_posted(book):
    """Every entry of the book was posted today; they count in 2020, their business dates."""
    from django.db import transaction

    from bureau import clock
    from bureau.ledger.models import LedgerEntry

    with transaction.atomic():
        entries = LedgerEntry.objects.for_system([book.practice.pk], reason="test")
        posted = {e.posted_at.date() for e in entries.filter(claim_id=book.claim_a.pk)}
    assert posted == {clock.now().date()}
    assert _figures(book.practice, MONTH)["rollforward"]["end"] == "122.00"
