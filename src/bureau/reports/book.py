"""The book at a glance: the owner's home page figures, every practice in a fixed handful of
grouped queries (one per measure, never one per practice). On a 1M-claim book that read still
takes 12–16 s (whole-book aggregates over 90 days), so the page adds up the nightly per-practice
snapshots when there are (`reports.snapshot`, ~0.3 s) and reads live otherwise.

Every figure is the one the report behind its link shows: A/R and the share over 90 days are
the A/R aging report's (`aging.aging_by_bucket`, as of today, aged from the date of service);
days in A/R, denial rate, clean claim rate and net collection are the KPI dashboard's defaults
over its default period (the 90 days ending today), per practice through `kpis.grouped`; the
monthly charges and payments are the monthly report's lines (ledger effective date, payments
net of reversals); SLA breaches are the work queue's (open items past their SLA due date).
Read as the actor, through `KpiScope.rows` / `visible_to(reports.view)`, and audited as the KPI
dashboard is: one KPIS_VIEWED event per practice counted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, DateField, Q, Sum
from django.db.models.functions import TruncMonth

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.reports.aging import AgingRow, aging_by_bucket, money
from bureau.reports.charts import Trend, trend
from bureau.reports.filters import AgingBasis, ReportFilters
from bureau.reports.kpis import REGISTRY, KpiScope, KpiValue
from bureau.reports.kpis.grouped import By, empty, grouped, months_between
from bureau.reports.kpis.registry import Unit, ratio
from bureau.reports.kpis.scope import CAPABILITY
from bureau.reports.monthly import Month
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.workqueues.models import ItemStatus, WorkItem

ZERO = Decimal("0.00")
KPI_DAYS = 90  # the KPI dashboard's default period (kpi_views.DEFAULT_DAYS)
TREND_MONTHS = 6
# The per-practice KPIs, in the order the row shows them.
ROW_KPIS = ("days_in_ar", "initial_denial_rate", "clean_claim_rate", "net_collection_rate")


@dataclass(frozen=True)
class Links:
    aging: str
    kpis: str
    queue: str  # "" when the actor may not open the queue there: the figure is shown plain


def may_open_queue(actor: Actor, practice: Practice | None) -> bool:
    """Whether the work queue (of `practice`; None: of any practice) opens for the actor: it
    needs one of the functions' capabilities there, else it answers 404 (a read-only user
    sees breaches but works no queue)."""
    from bureau.workqueues.functions import CAPABILITY as WORK  # the queue's own rule

    return any(actor.can(c, practice) for c in set(WORK.values()))


@dataclass
class PracticeGlance:
    practice: Practice
    ar: Decimal
    over_90: Decimal | None  # percent of the insurance A/R
    kpis: dict[str, KpiValue]
    breached: int
    links: Links

    @property
    def cells(self) -> list[KpiValue]:
        return [self.kpis[key] for key in ROW_KPIS]


@dataclass(frozen=True)
class MonthMoney:
    month: Month
    charges: Decimal
    payments: Decimal
    to_date: bool  # the month running: its figures so far
    link: str


@dataclass(frozen=True)
class TrendPoint:
    month: Month
    value: KpiValue
    link: str


@dataclass
class BookGlance:
    today: date
    start: date  # the KPI period: start .. today
    ar: Decimal
    over_90: Decimal | None
    breached: int
    months: list[MonthMoney]
    denial_trend: list[TrendPoint]
    chart: Trend
    practices: list[PracticeGlance] = field(default_factory=list)
    taken_at: datetime | None = None  # from the nightly snapshots taken then; None: live
    practice: Practice | None = None  # the one practice the bar names; None: the book
    which: str = "all"  # the `practice=` of the links to the reports behind the figures
    queue_link: str = ""  # the breaches in the work queue; "" when the actor may not open it
    # The practices whose figures count only some providers' claims (the actor's grant there is
    # limited to them): the page names them, so no partial figure reads as the practice's.
    limited: list[Practice] = field(default_factory=list)


# -- shared reads ---------------------------------------------------------------------------
def over_90_share(row: AgingRow) -> Decimal | None:
    """The aging row's insurance A/R in 91–120 and 120+, as a percent of its insurance A/R."""
    return ratio(over_90(row), row.insurance.total, Unit.PERCENT)


def over_90(row: AgingRow) -> Decimal:
    return row.insurance.amounts[3] + row.insurance.amounts[4]


def aging_today(actor: Actor, today: date, practice: Practice | None = None) -> AgingRow:
    """The A/R aging report's book (its children the practices) as the page opens it."""
    filters = ReportFilters(practice, None, today, AgingBasis.SERVICE)
    return aging_by_bucket(actor=actor, filters=filters).book


def breaches_by_practice(scope: KpiScope, today: date) -> dict[int, int]:
    """Open work items past their SLA due date, per practice: the queue's `sla=breached`."""
    rows = (
        scope.rows(WorkItem, "payer")
        .exclude(status=ItemStatus.DONE)
        .filter(sla_due__lt=today)
        .values("practice_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return {r["practice_id"]: r["n"] for r in rows}


def month_money(scope: KpiScope, months: list[Month]) -> dict[Month, tuple[Decimal, Decimal]]:
    """Charges and payments (net of reversals, as the monthly report's lines) per month, one
    grouped query over the ledger."""
    rows = (
        scope.rows(LedgerEntry, "claim__payer")
        .filter(effective_date__gte=months[0].first, effective_date__lte=scope.end)
        .values(m=TruncMonth("effective_date", output_field=DateField()))
        .annotate(
            charges=Sum("amount", filter=Q(kind=EntryKind.CHARGE)),
            payments=Sum("amount", filter=Q(kind=EntryKind.PAYMENT)),
        )
        .order_by()
    )
    found = {}
    for r in rows:
        day = r["m"] if isinstance(r["m"], date) else date.fromisoformat(str(r["m"])[:10])
        found[Month.of(day)] = (money(r["charges"]), -money(r["payments"]))
    return {m: found.get(m, (ZERO, ZERO)) for m in months}


def audit_glance(actor: Actor, practice_ids: list[int], detail: dict[str, Any]) -> None:
    """One KPIS_VIEWED event per practice whose figures the page counted, as the KPI dashboard
    records its reads (the request's transaction: ATOMIC_REQUESTS)."""
    audit_record_many(
        action=AuditAction.KPIS_VIEWED,
        actor=actor,
        workspace=None,
        model="reports.kpis",
        targets=[(actor.access[pid].practice, []) for pid in practice_ids],
        detail=detail,
    )


def kpi_link(kpis_url: str, start: date, end: date, practice: str = "all") -> str:
    return f"{kpis_url}?practice={practice}&start={start.isoformat()}&end={end.isoformat()}"


# -- the page's figures, live -------------------------------------------------------------------
@dataclass(frozen=True)
class BookFigures:
    """What the page adds up, per practice, whether read live or from the nightly snapshots."""

    today: date  # the business day the figures describe: the KPI period and the aging end on it
    aging: dict[int, tuple[Decimal, Decimal]]  # practice → (insurance A/R, of it 91+ days old)
    kpis: dict[str, dict[int, KpiValue]]  # ROW_KPIS key → practice → value
    months: dict[Month, tuple[Decimal, Decimal]]  # the month before and the month: charges, paid
    trend: dict[date, KpiValue]  # a month's first day → the book's initial denial rate
    taken_at: datetime | None = None  # when the snapshots were taken; None: read now


def kpi_scope(actor: Actor, today: date, practice: Practice | None = None) -> KpiScope:
    pid = practice.pk if practice is not None else None
    return KpiScope(actor, today - timedelta(days=KPI_DAYS - 1), today, practice_id=pid)


def page_months(today: date) -> list[Month]:
    this = Month.of(today)
    return [this.previous(), this]


def trend_months(today: date) -> list[Month]:
    return [
        Month.of(d) for d in months_between(_months_back(Month.of(today), TREND_MONTHS - 1), today)
    ]


def live_figures(
    actor: Actor, practices: list[Practice], today: date, practice: Practice | None = None
) -> BookFigures:
    """Every practice at once (or the one `practice`), as the actor may report on it: one
    grouped query per measure."""
    scope = kpi_scope(actor, today, practice)
    ids = {str(p.public_id): p.pk for p in practices}
    aging = {
        ids[row.public_id]: (row.insurance.total, over_90(row))
        for row in aging_today(actor, today, practice).children
        if row.public_id in ids
    }
    trend_scope = KpiScope(
        actor, trend_months(today)[0].first, today, practice_id=scope.practice_id
    )
    return BookFigures(
        today=today,
        aging=aging,
        kpis={key: grouped(key, scope, By.PRACTICE) for key in ROW_KPIS},
        months=month_money(scope, page_months(today)),
        trend=grouped("initial_denial_rate", trend_scope, By.MONTH),
    )


# -- the owner's home ------------------------------------------------------------------------
def book_glance(
    *, actor: Actor, today: date, urls: dict[str, str], practice: Practice | None = None
) -> BookGlance:
    """The book as `actor` may report on it, or its one `practice` (the one the practice bar
    names: the page never shows more than the bar). `urls`: the aging, KPI and queue pages'
    paths.

    From the nightly snapshots when every practice the actor reports on has one of the same
    day within the last week and the actor's grant covers its every provider
    (`snapshot.snapshot_figures`); else read now."""
    from bureau.reports.snapshot import snapshot_figures  # the snapshot builds on this module

    practices = [practice] if practice is not None else actor.practices(CAPABILITY)
    figures = snapshot_figures(actor, practices, today) or live_figures(
        actor, practices, today, practice
    )
    day = figures.today
    breaches = breaches_by_practice(kpi_scope(actor, today, practice), today)
    which = str(practice.public_id) if practice is not None else "all"
    this = Month.of(day)
    money_rows = [
        MonthMoney(
            m,
            *figures.months.get(m, (ZERO, ZERO)),
            to_date=m == this,
            link=kpi_link(urls["kpis"], m.first, min(m.last, day), which),
        )
        for m in page_months(day)
    ]
    points = [
        TrendPoint(
            m,
            figures.trend.get(m.first) or empty("initial_denial_rate"),
            kpi_link(urls["kpis"], m.first, min(m.last, day), which),
        )
        for m in trend_months(day)
    ]
    rows = [_practice_row(actor, p, figures, breaches, urls) for p in practices]
    ar = sum((a for a, _ in figures.aging.values()), ZERO)
    old = sum((o for _, o in figures.aging.values()), ZERO)
    start = day - timedelta(days=KPI_DAYS - 1)
    audit_glance(
        actor,
        sorted(p.pk for p in practices),
        {
            "report": "home",
            "start": start.isoformat(),
            "end": day.isoformat(),
            "kpis": list(ROW_KPIS),
            "aging_as_of": day.isoformat(),
            "snapshot": figures.taken_at.isoformat() if figures.taken_at else None,
        },
    )
    return BookGlance(
        today=day,
        start=start,
        ar=ar,
        over_90=ratio(old, ar, Unit.PERCENT),
        breached=sum(breaches.values()),
        months=money_rows,
        denial_trend=points,
        chart=_trend_chart(points),
        practices=rows,
        taken_at=figures.taken_at,
        practice=practice,
        which=which,
        queue_link=(
            f"{urls['queue']}?practice={which}&sla=breached"
            if may_open_queue(actor, practice)
            else ""
        ),
        limited=[p for p in practices if actor.provider_limited(p, CAPABILITY)],
    )


def _practice_row(
    actor: Actor,
    practice: Practice,
    figures: BookFigures,
    breaches: dict[int, int],
    urls: dict[str, str],
) -> PracticeGlance:
    pid, public = practice.pk, str(practice.public_id)
    aging = figures.aging.get(pid)
    return PracticeGlance(
        practice=practice,
        ar=aging[0] if aging else ZERO,
        over_90=ratio(aging[1], aging[0], Unit.PERCENT) if aging else None,
        kpis={key: figures.kpis[key].get(pid) or empty(key) for key in ROW_KPIS},
        breached=breaches.get(pid, 0),
        links=Links(
            aging=f"{urls['aging']}?practice={public}",
            kpis=f"{urls['kpis']}?practice={public}",
            queue=(
                f"{urls['queue']}?practice={public}&sla=breached"
                if may_open_queue(actor, practice)
                else ""
            ),
        ),
    )


def _trend_chart(points: list[TrendPoint]) -> Trend:
    definition = REGISTRY["initial_denial_rate"].definition
    return trend(
        "Initial denial rate by month (share of claims first adjudicated that month)",
        [(_short(p.month), p.value.value) for p in points],
        target=definition.target,
        higher_is_better=False,
        suffix=" %",
        target_label=definition.target_label,
    )


def _short(month: Month) -> str:
    return f"{month.first:%b}" + ("" if month.month != 1 else f" {month.year % 100:02d}")


def _months_back(month: Month, n: int) -> date:
    for _ in range(n):
        month = month.previous()
    return month.first
