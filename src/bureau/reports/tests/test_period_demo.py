"""The period reports on the simulated demo (the payer simulator's replayed days, ERAs,
denials, corrections, write-offs): every money total is the ledger's own sum, to the cent, and
the counts are the rows' — read here with plain queries beside the reports."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone

from bureau.accounts.models import User
from bureau.billing.models import POSTED_STATUSES, WriteOffRequest
from bureau.demo import WORKSPACE_SLUG
from bureau.demo_claims import simulate_demo
from bureau.demo_writeoffs import demo_writeoffs
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.models import EraClaim, EraLine
from bureau.reports.mix import payer_and_cpt_mix
from bureau.reports.period_reports import PeriodFilters
from bureau.reports.posting import posting_volume
from bureau.reports.underpayment_report import underpayments_by_payer
from bureau.reports.writeoff_report import writeoffs_by_reason
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.workqueues.rules.remits import UNDERPAID_LINE

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")


def cents(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(CENT)


def test_every_money_total_is_the_ledger_s_on_the_simulated_demo(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    monkeypatch.setattr(transaction, "on_commit", lambda func, *a, **k: func())
    simulate_demo(WORKSPACE_SLUG, days=45, seed=2026)
    demo_writeoffs(WORKSPACE_SLUG)

    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    assert owner is not None
    workspace = Workspace.objects.get(slug=WORKSPACE_SLUG)
    ids = sorted(
        Practice.objects.filter(workspace=workspace, pk__in=list(owner.access)).values_list(
            "pk", flat=True
        )
    )
    today = timezone.localdate()
    # A year back: the whole replay, and each of its entries, falls in the period.
    filters = PeriodFilters(None, None, today - timedelta(days=365), today)
    with rls.practice_scope(ids):
        entries = LedgerEntry.objects.for_system(ids, reason="test").filter(
            effective_date__gte=filters.start
        )
        assert (
            not LedgerEntry.objects.for_system(ids, reason="test")
            .filter(effective_date__lt=filters.start)
            .exists()
        )
        ledger = entries.aggregate(
            charges=Sum("amount", filter=Q(kind=EntryKind.CHARGE)),
            cash=Sum("amount", filter=Q(kind__in=(EntryKind.PAYMENT, EntryKind.REFUND))),
            written=Sum("amount", filter=Q(kind=EntryKind.WRITE_OFF)),
            written_first=Sum("amount", filter=Q(kind=EntryKind.WRITE_OFF, reverses__isnull=True)),
        )
        loops = EraClaim.objects.for_system(ids, reason="test").filter(
            era__payment_date__gte=filters.start
        )
        loop_count, loop_paid = loops.count(), cents(loops.aggregate(s=Sum("paid"))["s"])
        approved = cents(
            WriteOffRequest.objects.for_system(ids, reason="test")
            .filter(status__in=sorted(POSTED_STATUSES))
            .aggregate(s=Sum("amount"))["s"]
        )
        short = EraLine.objects.for_system(ids, reason="test").filter(UNDERPAID_LINE)
        short_sum, short_count = cents(short.aggregate(s=Sum("underpaid_by"))["s"]), short.count()

    mix = payer_and_cpt_mix(actor=owner, filters=filters)
    assert mix.total.charges == cents(ledger["charges"]) > 0
    assert mix.total.payments == -cents(ledger["cash"]) > 0
    assert sum((r.charges for r in mix.payers), Decimal(0)) == mix.total.charges
    assert sum((r.charges for r in mix.codes), Decimal(0)) == mix.total.charges
    assert sum((r.payments for r in mix.codes), Decimal(0)) == mix.total.payments

    posting = posting_volume(actor=owner, filters=filters)
    assert (posting.total.claims, posting.total.paid) == (loop_count, loop_paid)
    assert loop_count > 0
    assert posting.kpi_by_count.numerator == posting.total.auto
    assert posting.kpi_by_count.denominator == posting.total.claims

    writeoffs = writeoffs_by_reason(actor=owner, filters=filters)
    # Approved and not taken back = the ledger's net write-offs; approved in the period plus
    # taken back = the write-offs posted in it.
    assert writeoffs.book.approved.amount == approved == -cents(ledger["written"]) > 0
    assert writeoffs.check.posted == -cents(ledger["written_first"])
    assert writeoffs.check.holds and writeoffs.check.net == approved

    under = underpayments_by_payer(actor=owner, filters=filters)
    assert (under.book.shortfall, under.book.lines) == (short_sum, short_count)
    assert under.book.expected - under.book.allowed == under.book.shortfall
