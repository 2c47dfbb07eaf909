"""The nightly snapshot of the book at a glance: each practice's figures stored, the owner's home
adding the stored rows instead of reading 50 practices' claims at once.

Measured on a generated 1M-claim book (`bench/bench_reports.py`): the home read live took
12–16 s — whole-book aggregates over the 90-day KPI period and six months of first
adjudications, however the SQL is written — while one practice's figures take well under a
second. So the nightly run (`bureau reports snapshot`, after the work queue's refresh) reads
each practice alone, as the system (every provider, `for_system`), with the same functions the
live page calls (`book.live_figures`' parts: the aging report's buckets, `kpis.grouped`, the
monthly lines), and stores them; `snapshot_figures` adds a day's rows up again. The page says
when they were taken and every figure still links to its report, which reads now.

Stored per practice, never per person: a person whose grant is limited to some providers sees
no snapshot (`GlanceSnapshot`'s provider scope) and her home is read live, narrowed as always.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.ledger.models import ClaimBalance, LedgerEntry
from bureau.reports.aging import insurance_buckets
from bureau.reports.book import (
    KPI_DAYS,
    ROW_KPIS,
    BookFigures,
    month_money,
    page_months,
    trend_months,
)
from bureau.reports.filters import AgingBasis
from bureau.reports.kpis.grouped import By, grouped
from bureau.reports.kpis.registry import REGISTRY, KpiValue, value_of
from bureau.reports.kpis.scope import CAPABILITY, SystemScope
from bureau.reports.monthly import Month
from bureau.reports.snapshot_models import GlanceSnapshot
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice

REASON = "the book at a glance: nightly snapshot"
# A snapshot older than this is not shown: the home reads live rather than show last week.
FRESH_DAYS = 7


# -- taking ----------------------------------------------------------------------------------
def _scope(practice: Practice, start: date, end: date) -> SystemScope:
    return SystemScope.of(practice.pk, start, end, REASON)


def _kpi(value: KpiValue) -> list[str | None]:
    return [str(value.numerator), str(value.denominator), _text(value.value)]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def practice_figures(practice: Practice, today: date) -> dict[str, Any]:
    """One practice's figures for the home as of `today`, read as the system (call inside its
    RLS scope): JSON, Decimals as strings."""
    pid = practice.pk
    scope = _scope(practice, today - timedelta(days=KPI_DAYS - 1), today)
    _claims, buckets = insurance_buckets(
        scope.rows(ClaimBalance, None), scope.rows(LedgerEntry, None), today, AgingBasis.SERVICE
    )
    kpis = {key: grouped(key, scope, By.PRACTICE).get(pid) for key in ROW_KPIS}
    months = month_money(scope, page_months(today))
    trend = grouped(
        "initial_denial_rate", _scope(practice, trend_months(today)[0].first, today), By.MONTH
    )
    return {
        "aging": [str(buckets.total), str(buckets.amounts[3] + buckets.amounts[4])],
        "kpis": {key: _kpi(v) for key, v in kpis.items() if v is not None},
        "months": {str(m): [str(c), str(p)] for m, (c, p) in months.items()},
        "trend": {m.isoformat(): [str(v.numerator), str(v.denominator)] for m, v in trend.items()},
    }


def take_snapshot(practice: Practice, *, today: date | None = None) -> GlanceSnapshot:
    """Read and store `practice`'s figures for `today` (default the business clock's),
    replacing a snapshot of the same day; audited in the same transaction."""
    today = today or clock.now().date()
    with transaction.atomic():
        rls.activate([practice.pk])
        figures = practice_figures(practice, today)
        snapshots = GlanceSnapshot.objects.for_system([practice.pk], reason=REASON)
        snapshot: GlanceSnapshot
        snapshot, _ = snapshots.update_or_create(
            practice=practice,
            taken_on=today,
            defaults={
                "workspace_id": practice.workspace_id,
                "taken_at": clock.now(),
                "figures": figures,
            },
        )
        audit_record(
            action=AuditAction.KPI_SNAPSHOT_TAKEN,
            user=None,
            workspace=practice.workspace,
            practice=practice,
            model="reports.GlanceSnapshot",
            record_ids=[snapshot.public_id],
            detail={"taken_on": today.isoformat(), "ar": figures["aging"][0]},
            label="system",
        )
    return snapshot


# -- reading ---------------------------------------------------------------------------------
def snapshot_figures(actor: Actor, practices: list[Practice], today: date) -> BookFigures | None:
    """The book added up from the latest day, within `FRESH_DAYS`, on which every practice in
    `practices` has a snapshot the actor may read; None when there is no such day (a practice
    not snapshotted yet, a grant limited to some providers): the caller reads live."""
    if not practices:
        return None
    ids = {p.pk for p in practices}
    rows = list(
        GlanceSnapshot.objects.visible_to(actor, CAPABILITY)
        .filter(
            practice_id__in=sorted(ids),
            taken_on__gte=today - timedelta(days=FRESH_DAYS - 1),
            taken_on__lte=today,
        )
        .only("practice_id", "taken_on", "taken_at", "figures")
    )
    complete = [day for day, n in Counter(r.taken_on for r in rows).items() if n == len(ids)]
    if not complete:
        return None
    day = max(complete)
    return _added_up([r for r in rows if r.taken_on == day], day)


def _added_up(rows: list[GlanceSnapshot], day: date) -> BookFigures:
    kpis: dict[str, dict[int, KpiValue]] = {key: {} for key in ROW_KPIS}
    months: dict[Month, tuple[Decimal, Decimal]] = {}
    trend_sums: dict[date, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in rows:
        f = row.figures
        for key, (num, den, value) in f["kpis"].items():
            variant = REGISTRY[key].definition.default
            kpis[key][row.practice_id] = KpiValue(
                key, variant, Decimal(num), Decimal(den), None if value is None else Decimal(value)
            )
        for m in page_months(day):
            charges, paid = f["months"].get(str(m), ["0", "0"])
            before = months.get(m, (Decimal("0.00"), Decimal("0.00")))
            months[m] = (before[0] + Decimal(charges), before[1] + Decimal(paid))
        for month, (num, den) in f["trend"].items():
            sums = trend_sums[date.fromisoformat(month)]
            sums[0] += Decimal(num)
            sums[1] += Decimal(den)
    variant = REGISTRY["initial_denial_rate"].definition.default
    return BookFigures(
        today=day,
        aging={
            r.practice_id: (Decimal(r.figures["aging"][0]), Decimal(r.figures["aging"][1]))
            for r in rows
        },
        kpis=kpis,
        months=months,
        trend={
            m: value_of("initial_denial_rate", variant, n, d) for m, (n, d) in trend_sums.items()
        },
        taken_at=min(r.taken_at for r in rows),
    )


def take_snapshots(practices: list[Practice], *, today: date | None = None) -> list[GlanceSnapshot]:
    """Each practice in its own transaction: one failing does not take the others with it."""
    return [take_snapshot(p, today=today) for p in practices]
