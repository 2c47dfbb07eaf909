"""The roll-forward identity on every demo practice's monthly report, to the cent, on the
simulated demo (the payer simulator's replayed days, corrections, appeals, write-offs): every
month from the first ledger entry to this one, each checked against plain ledger sums."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Sum

from bureau import clock
from bureau.demo import WORKSPACE_SLUG
from bureau.demo_claims import simulate_demo
from bureau.demo_writeoffs import demo_writeoffs
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.reports.monthly import LINES, TARGET_KPIS, Month, identity_holds
from bureau.reports.monthly_models import Trigger
from bureau.reports.monthly_services import monthly_report_generate
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
DAYS = 45  # reaches back into a third calendar month whatever today is


def ledger_sum(practice: Practice, **where: Any) -> Decimal:
    with transaction.atomic():
        entries = LedgerEntry.objects.for_system([practice.pk], reason="test")
        total = entries.filter(practice=practice, **where).aggregate(s=Sum("amount"))["s"]
    # SQLite sums NUMERIC as floating point (−1.4e-13 for a zero): to the cent, as reported.
    return Decimal(total or 0).quantize(Decimal("0.01"))


def test_every_demo_practice_s_months_roll_forward_to_the_cent(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    monkeypatch.setattr(transaction, "on_commit", lambda func, *a, **k: func())
    simulate_demo(WORKSPACE_SLUG, days=DAYS, seed=2026)
    demo_writeoffs(WORKSPACE_SLUG)

    this_month = Month.of(clock.now().date())
    months = [this_month]
    while len(months) < 4:  # one month before the first replayed day: all zero, still holds
        months.insert(0, months[0].previous())
    seen = {key: Decimal(0) for key in [line.key for line in LINES]}
    checked = 0
    for practice in Practice.objects.order_by("workspace_id", "code"):
        previous_end = None
        for month in months:
            report = monthly_report_generate(
                practice=practice, month=month, trigger=Trigger.COMMAND
            )
            figures = report.figures
            roll = figures["rollforward"]
            assert identity_holds(figures), (practice.code, month)
            # Against the ledger itself, not the report's own arithmetic.
            assert Decimal(roll["start"]) == ledger_sum(practice, effective_date__lt=month.first)
            assert Decimal(roll["end"]) == ledger_sum(practice, effective_date__lt=month.next_first)
            charged = ledger_sum(
                practice,
                kind=EntryKind.CHARGE,
                effective_date__gte=month.first,
                effective_date__lt=month.next_first,
            )
            assert (
                Decimal(next(ln for ln in roll["lines"] if ln["key"] == "charges")["amount"])
                == charged
            )
            # The payers' rows add up to the total, column by column.
            for column in ["start", "end", *(line.key for line in LINES)]:
                total = sum((Decimal(p[column]) for p in roll["by_payer"]), Decimal(0))
                whole = (
                    roll[column]
                    if column in ("start", "end")
                    else next(ln["amount"] for ln in roll["lines"] if ln["key"] == column)
                )
                assert total == Decimal(whole), (practice.code, month, column)
            # The aging at month end (the aging report's queries) is the same A/R, by age.
            assert figures["aging"]["total"] == roll["end"], (practice.code, month)
            assert [k["key"] for k in figures["kpis"]] == list(TARGET_KPIS)
            if previous_end is not None:
                assert roll["start"] == previous_end
            previous_end = roll["end"]
            for line in roll["lines"]:
                seen[line["key"]] += abs(Decimal(line["amount"]))
            checked += 1
    rls.activate([])
    assert checked == Practice.objects.count() * len(months)
    # Not vacuous: the replay charged, paid, adjusted, moved to patients and wrote off.
    for key in ("charges", "payments", "adjustments", "patient_resp", "write_offs"):
        assert seen[key] > 0, seen
