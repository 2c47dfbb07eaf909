"""A client practice's dashboard: its KPIs against the targets the billing company commits to,
their trend month by month, its A/R aging, its SLA status, and the way to its access log and
monthly reports — the client viewer's home page.

The figures are the KPI dashboard's (`kpis.compute`, default variants, the 90 days ending
today) and the A/R aging report's, for one practice the actor may report on; the trends are
`kpis.grouped` by month over the last complete months (a month's value is the KPI over that
month). Audited as the KPI dashboard is (KPIS_VIEWED on the practice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from bureau.reports.aging import BUCKETS
from bureau.reports.book import (
    KPI_DAYS,
    aging_today,
    audit_glance,
    breaches_by_practice,
    kpi_link,
    over_90_share,
)
from bureau.reports.charts import Trend, trend
from bureau.reports.kpis import REGISTRY, KpiScope, KpiValue, compute
from bureau.reports.kpis.grouped import by_month
from bureau.reports.kpis.registry import Definition, Direction, Unit
from bureau.reports.monthly import Month
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice

# The KPIs with a stated target, in the order the client reads them.
TARGET_KPIS = ("clean_claim_rate", "days_in_ar", "initial_denial_rate", "net_collection_rate")
TREND_MONTHS = 12


@dataclass(frozen=True)
class TargetFigure:
    definition: Definition
    value: KpiValue
    met: bool | None  # None: nothing to measure in the period
    link: str


@dataclass(frozen=True)
class TrendRow:
    definition: Definition
    values: list[KpiValue]  # one per month, oldest first
    chart: Trend


@dataclass(frozen=True)
class ClientLinks:
    aging: str
    kpis: str
    definitions: str
    audit: str
    monthly: str


@dataclass(frozen=True)
class ClientGlance:
    practice: Practice
    today: date
    start: date
    targets: list[TargetFigure]
    months: list[tuple[Month, str]]  # each with its link to the KPI dashboard for it
    trends: list[TrendRow]
    buckets: list[tuple[str, Decimal]]
    ar: Decimal
    over_90: Decimal | None
    sla: KpiValue
    breached: int
    links: ClientLinks


def client_glance(
    *, actor: Actor, practice: Practice, today: date, urls: dict[str, str]
) -> ClientGlance:
    """`practice`'s dashboard as `actor` reads it (the caller chose a practice the actor may
    report on). `urls`: the aging, KPI, definitions, audit log and monthly list paths."""
    public = str(practice.public_id)
    scope = KpiScope(actor, today - timedelta(days=KPI_DAYS - 1), today, practice_id=practice.pk)
    kpis_link = f"{urls['kpis']}?practice={public}"
    targets = []
    for key in TARGET_KPIS:
        definition = REGISTRY[key].definition
        value = compute(key, scope)
        targets.append(TargetFigure(definition, value, definition.met(value.value), kpis_link))

    # The last complete months: the month running would be judged on a part of itself.
    last = Month.of(today).previous()
    months = [last]
    while len(months) < TREND_MONTHS:
        months.insert(0, months[0].previous())
    table = by_month(KpiScope(actor, months[0].first, last.last, practice_id=practice.pk))
    trends = []
    for key in TARGET_KPIS:
        definition = REGISTRY[key].definition
        values = [table[key][m.first] for m in months]
        suffix = " %" if definition.default.unit is Unit.PERCENT else ""
        chart = trend(
            f"{definition.name} by month",
            [(f"{m.first:%b}", v.value) for m, v in zip(months, values, strict=True)],
            target=definition.target,
            higher_is_better=definition.direction is Direction.HIGHER,
            suffix=suffix,
            target_label=definition.target_label,
        )
        trends.append(TrendRow(definition, values, chart))

    aging = aging_today(actor, today, practice)
    row = next((r for r in aging.children if r.public_id == public), None)
    amounts = row.insurance.amounts if row else (Decimal("0.00"),) * len(BUCKETS)
    sla = compute("sla_compliance", scope)
    breached = breaches_by_practice(scope, today).get(practice.pk, 0)
    audit_glance(
        actor,
        [practice.pk],
        {
            "report": "client dashboard",
            "start": scope.start.isoformat(),
            "end": today.isoformat(),
            "kpis": [*TARGET_KPIS, "sla_compliance"],
            "trend_months": [str(months[0]), str(last)],
            "aging_as_of": today.isoformat(),
        },
    )
    return ClientGlance(
        practice=practice,
        today=today,
        start=scope.start,
        targets=targets,
        months=[(m, kpi_link(urls["kpis"], m.first, m.last, public)) for m in months],
        trends=trends,
        buckets=list(zip(BUCKETS, amounts, strict=True)),
        ar=row.insurance.total if row else Decimal("0.00"),
        over_90=over_90_share(row) if row else None,
        sla=sla,
        breached=breached,
        links=ClientLinks(
            aging=f"{urls['aging']}?practice={public}",
            kpis=kpis_link,
            definitions=urls["definitions"],
            audit=f"{urls['audit']}?practice={public}",
            monthly=f"{urls['monthly']}?practice={public}",
        ),
    )
