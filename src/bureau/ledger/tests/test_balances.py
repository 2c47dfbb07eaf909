"""Each claim's balance row moves with its entries, `bureau ledger check` catches a row that
does not, and `bureau ledger rebuild-balances` recomputes them from the ledger."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from bureau.claims.tests.test_services import practices
from bureau.ledger import balances
from bureau.ledger.models import ClaimBalance, EntryKind, LedgerEntry
from bureau.tenancy import rls

pytestmark = pytest.mark.django_db


def _ids():
    return [p.pk for p in practices()]


def test_the_demo_balance_rows_are_the_ledger_sums():
    ids = _ids()
    with rls.practice_scope(ids):
        entries = LedgerEntry.objects.for_system(ids, reason="test")
        rows = ClaimBalance.objects.for_system(ids, reason="test")
        assert rows.count() == entries.values("claim_id").distinct().count() > 0
        moved = entries.filter(kind=EntryKind.PATIENT_RESPONSIBILITY)
        assert _sum(rows, "insurance") == _sum(entries, "amount") > 0
        assert _sum(rows, "transferred") == _sum(moved, "amount")
        assert balances.drift(ids) == []


def _sum(rows, field):
    """A sum as cents (SQLite answers a float, or None for no rows)."""
    return Decimal(str(rows.aggregate(s=Sum(field))["s"] or 0)).quantize(Decimal("0.01"))


def test_check_names_a_row_that_drifted_and_rebuild_mends_it():
    ids = _ids()
    with rls.practice_scope(ids):
        row = ClaimBalance.objects.for_system(ids, reason="test").order_by("pk").first()
        ClaimBalance.objects.for_system(ids, reason="test").filter(pk=row.pk).update(
            insurance=row.insurance + Decimal("1.00")
        )
        number = row.claim.number
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("ledger", "check", stdout=out)
    assert exit_.value.code == 1
    assert f"claim {number}: claim balance: balance row" in out.getvalue()
    call_command("ledger", "rebuild-balances", stdout=io.StringIO())
    out = io.StringIO()
    call_command("ledger", "check", stdout=out)
    assert "ledger ok" in out.getvalue()


def test_a_missing_row_is_named():
    ids = _ids()
    with rls.practice_scope(ids):
        row = ClaimBalance.objects.for_system(ids, reason="test").order_by("pk").first()
        ClaimBalance.objects.for_system(ids, reason="test").filter(pk=row.pk).delete()
        problems = balances.drift(ids)
    assert problems == [(row.claim.number, "has ledger entries but no balance row")]
