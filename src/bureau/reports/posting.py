"""ERA posting volume: how many remittances came in, how many of their claim payments posted
by themselves and how many a poster had to touch, and the dollars — per month, or per day over
a short period.

A row counts the CLP loops (claim payments, `EraClaim`) of the ERAs paid in it, by the ERA's
payment date (BPR16) — the ERA auto-post rate KPI's period basis and rule (`reports.kpis.money.
era_auto_post_rate`): a loop is auto-posted when its outcome is POSTED (no person involved);
every other outcome went to the exceptions queue first (still open, posted after review, or
dismissed). The period's rate is the KPI itself, computed by the KPI's own function; the rows
use the same condition, and their sums equal it (tested). PLB provider adjustments belong to no
claim payment and are left out, as in the KPI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncDay, TruncMonth

from bureau.remittance.models import EraClaim, EraClaimOutcome
from bureau.reports.aging import ZERO, money
from bureau.reports.kpis import compute
from bureau.reports.kpis.registry import KpiValue
from bureau.reports.mix import share
from bureau.reports.period_reports import PeriodFilters
from bureau.tenancy.actor import Actor

# The KPI's rule for "posted with no person involved".
AUTO = Q(outcome=EraClaimOutcome.POSTED)
RESOLVED = Q(outcome=EraClaimOutcome.RESOLVED)
OPEN = Q(outcome=EraClaimOutcome.EXCEPTION)
DISMISSED = Q(outcome=EraClaimOutcome.DISMISSED)
# Up to this many days a period is shown day by day; longer, month by month.
DAILY_UP_TO = 31


@dataclass
class PostingRow:
    label: str
    first_day: date | None = None
    eras: int = 0
    claims: int = 0
    auto: int = 0
    resolved: int = 0
    open: int = 0
    dismissed: int = 0
    paid: Decimal = ZERO  # CLP04 on every loop
    auto_paid: Decimal = ZERO
    resolved_paid: Decimal = ZERO

    def add(self, other: PostingRow) -> None:
        for name in ("eras", "claims", "auto", "resolved", "open", "dismissed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.paid += other.paid
        self.auto_paid += other.auto_paid
        self.resolved_paid += other.resolved_paid

    @property
    def exceptions(self) -> int:
        """Loops sent to the exceptions queue, whatever became of them."""
        return self.resolved + self.open + self.dismissed

    @property
    def posted_paid(self) -> Decimal:
        """Dollars on the ledger from these loops: auto-posted and posted after review."""
        return self.auto_paid + self.resolved_paid

    @property
    def auto_rate(self) -> Decimal | None:
        return share(Decimal(self.auto), Decimal(self.claims))

    @property
    def auto_dollar_rate(self) -> Decimal | None:
        return share(self.auto_paid, self.paid)


@dataclass
class PostingReport:
    filters: PeriodFilters
    daily: bool
    rows: list[PostingRow]
    total: PostingRow
    kpi_by_count: KpiValue
    kpi_by_dollars: KpiValue
    practice_ids: frozenset[int] = field(default_factory=frozenset)


def _kpi(filters: PeriodFilters, actor: Actor, variant_key: str) -> KpiValue:
    return compute("era_auto_post_rate", filters.scope(actor), variant_key)


def _day(value: Any) -> date:
    """A truncated date: a date (or a datetime at midnight), or ISO text on SQLite."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def posting_volume(*, actor: Actor, filters: PeriodFilters) -> PostingReport:
    """The period's ERA posting volume by month (or day), one query (the caller audits)."""
    daily = filters.days <= DAILY_UP_TO
    trunc = TruncDay if daily else TruncMonth
    loops = (
        filters.scope(actor)
        .rows(EraClaim, "era__payer")
        .filter(era__payment_date__gte=filters.start, era__payment_date__lte=filters.end)
        .order_by()
        .values("practice_id", bucket=trunc("era__payment_date"))
        .annotate(
            n_eras=Count("era_id", distinct=True),
            n_claims=Count("pk"),
            n_auto=Count("pk", filter=AUTO),
            n_resolved=Count("pk", filter=RESOLVED),
            n_open=Count("pk", filter=OPEN),
            n_dismissed=Count("pk", filter=DISMISSED),
            s_paid=Sum("paid"),
            s_auto=Sum("paid", filter=AUTO),
            s_resolved=Sum("paid", filter=RESOLVED),
        )
    )
    rows: dict[date, PostingRow] = {}
    practice_ids: set[int] = set()
    for r in loops:
        practice_ids.add(r["practice_id"])
        day = _day(r["bucket"])
        label = day.isoformat() if daily else day.strftime("%Y-%m")
        row = PostingRow(
            label, day, r["n_eras"], r["n_claims"], r["n_auto"], r["n_resolved"], r["n_open"],
            r["n_dismissed"], money(r["s_paid"]), money(r["s_auto"]), money(r["s_resolved"]),
        )  # fmt: skip
        rows.setdefault(day, PostingRow(label, day)).add(row)
    total = PostingRow("Total")
    for row in rows.values():
        total.add(row)
    return PostingReport(
        filters,
        daily,
        [rows[d] for d in sorted(rows)],
        total,
        _kpi(filters, actor, "by_count"),
        _kpi(filters, actor, "by_dollars"),
        frozenset(practice_ids),
    )
