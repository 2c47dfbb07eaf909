"""A/R aging reads each claim's balance row as of today and sums the ledger otherwise: the two
sources answer the same figures, for a whole-practice grant and a provider-limited one, and an
entry dated after the as-of date sends the report to the ledger."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bureau.claims.models import ClaimLine
from bureau.claims.tests.test_services import actor
from bureau.ledger import balances
from bureau.ledger.models import EntryKind
from bureau.ledger.services import LedgerAppender
from bureau.reports import aging
from bureau.reports.aging import aging_by_bucket, aging_claims, needs_ledger
from bureau.reports.filters import AgingBasis, ReportFilters
from bureau.reports.tests.test_aging import edge_book
from bureau.reports.tests.test_aging_scope import limited_viewer
from bureau.tenancy import rls
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db


def _figures(report):
    def row(r):
        return (r.label, r.claims, r.insurance.amounts, r.patient.amounts)

    return [(row(p), [row(y) for y in p.children]) for p in report.book.children] + [
        row(report.book)
    ]


def _who(username):
    if username == "limited":  # a client viewer granted one provider of one practice
        username = limited_viewer()[0]
    return actor(username)


def _both(monkeypatch, username, basis):
    who = _who(username)
    filters = ReportFilters(None, None, timezone.localdate(), basis)
    assert not needs_ledger(who, filters, Capability.REPORTS_VIEW, who.practice_ids())
    from_rows = aging_by_bucket(actor=who, filters=filters)
    rows_claims = aging_claims(actor=who, filters=filters, limit=10_000)
    monkeypatch.setattr(aging, "needs_ledger", lambda *args: True)
    from_ledger = aging_by_bucket(actor=who, filters=filters)
    ledger_claims = aging_claims(actor=who, filters=filters, limit=10_000)
    return from_rows, from_ledger, rows_claims, ledger_claims


@pytest.mark.parametrize("basis", list(AgingBasis))
@pytest.mark.parametrize("username", ["olivia.owner", "limited"])
def test_balance_rows_and_the_ledger_answer_the_same_aging(monkeypatch, username, basis):
    from_rows, from_ledger, rows_claims, ledger_claims = _both(monkeypatch, username, basis)
    assert from_rows.book.claims > 0  # not vacuous
    assert _figures(from_rows) == _figures(from_ledger)
    assert rows_claims[1] == ledger_claims[1] == from_rows.book.claims
    assert sorted(rows_claims[0], key=lambda c: c.public_id) == sorted(
        ledger_claims[0], key=lambda c: c.public_id
    )


def test_the_provider_limited_biller_sees_less_than_the_owner():
    """The balance rows carry the provider scope: her book is a strict part of the owner's."""
    username, practice, _ = limited_viewer()
    today = timezone.localdate()
    mine = aging_by_bucket(
        actor=actor(username), filters=ReportFilters(None, None, today, AgingBasis.SERVICE)
    )
    whole = aging_by_bucket(
        actor=actor("olivia.owner"),
        filters=ReportFilters(practice, None, today, AgingBasis.SERVICE),
    )
    assert 0 < mine.book.claims < whole.book.claims


def test_an_entry_dated_after_the_as_of_date_sends_the_report_to_the_ledger():
    """A payment dated tomorrow (an ERA's future EFT date) is in the balance row already; as of
    today the report must not count it, so it sums the ledger up to today instead."""
    practice, payer, as_of, claims, charge = edge_book()
    owner = actor("olivia.owner")
    filters = ReportFilters(practice, payer, as_of, AgingBasis.SERVICE)
    before = aging_by_bucket(actor=owner, filters=filters)
    assert not needs_ledger(owner, filters, Capability.REPORTS_VIEW, [practice.pk])
    with rls.practice_scope([practice.pk]):
        line = (
            ClaimLine.objects.for_system([practice.pk], reason="test")
            .filter(claim=claims[30])
            .order_by("line_number")
            .first()
        )
        appender = LedgerAppender([practice.pk], [line.pk])
        appender.append(
            line, EntryKind.PAYMENT, -line.charge, effective_date=as_of + timedelta(days=1)
        )
        appender.flush()
        assert balances.drift([practice.pk]) == []
    assert needs_ledger(owner, filters, Capability.REPORTS_VIEW, [practice.pk])
    after = aging_by_bucket(actor=owner, filters=filters)
    assert _figures(after) == _figures(before)
    # Tomorrow the payment counts (computed directly: the page refuses a future as-of date).
    tomorrow = ReportFilters(practice, payer, as_of + timedelta(days=1), AgingBasis.SERVICE)
    assert not needs_ledger(owner, tomorrow, Capability.REPORTS_VIEW, [practice.pk])
    paid = aging_by_bucket(actor=owner, filters=tomorrow)
    assert line.charge > Decimal(0)
    assert paid.book.insurance.total == before.book.insurance.total - line.charge
