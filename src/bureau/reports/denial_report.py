"""Denials analytics: what payers denied, why, where it started, month by month.

A denial is a `denials.Denial` row: one per denied claim line on an 835 (or per claim when only
the claim is denied), its amount the sum of the line's denying adjustments, dated by the ERA's
payment date (`denied_on`), which is also the effective date of those adjustments on the
ledger. A month counts the denials dated in it, whatever became of them since (appealed,
resolved, written off, reversed by the payer): the report says how much the payers denied, not
what is still open. The payer is the claim's payer, as in the KPIs (`initial_denial_rate`).

Groupings:
- category: `bureau.denials.categories` (the CARC → category table with the workspace's
  overrides), stored on each denial when it is created;
- reason: the denial's top CARC (the largest denying adjustment), described from the same table;
- root cause: `Denial.root_cause`, asked for when a denial is closed (resolved or written off).
  Denials not closed yet have none; they are counted as "not recorded yet", by category.

A denial on an 835 claim payment held as an exception (unmatched, out of balance) is the
payer's word but not yet on the ledger: the report counts it, and says how much of the total
that is (`unposted`), so the rest ties to the ledger's denying adjustments.

Rows are read through `KpiScope.rows` (the actor's practices *and* provider grants, under
`reports.view`) in three grouped queries; nothing iterates denials in Python.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Sum
from django.db.models.functions import TruncMonth

from bureau.denials.categories import CategoryTable
from bureau.denials.models import Denial, DenialCategory, RootCause
from bureau.directory.selectors import payer_list
from bureau.remittance.models import EraClaimOutcome
from bureau.reports.aging import ZERO, money
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.filters import ReportFilters, chart_scope
from bureau.reports.kpis.scope import KpiScope
from bureau.reports.month_window import MonthWindow
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

REPORT = "denials"
CHART_SERIES = 5  # the chart stacks the five largest categories and one "all other"
# Categories are not ordered (unlike aging buckets): distinct hues, none reading as "worse".
CATEGORY_PALETTE = ("#2f6f9f", "#d9792b", "#4f9a55", "#b5332b", "#8a63b8", "#9aa3ad")
NOT_RECORDED = "Not recorded yet"
UNPOSTED = (EraClaimOutcome.EXCEPTION, EraClaimOutcome.DISMISSED)
# The chart's legend has about 14 characters a series.
SHORT: dict[str, str] = {
    DenialCategory.COORDINATION_OF_BENEFITS: "COB",
    DenialCategory.MISSING_INFORMATION: "Missing info",
    DenialCategory.MEDICAL_NECESSITY: "Med. necessity",
    DenialCategory.CREDENTIALING: "Credentialing",
    DenialCategory.AUTHORIZATION: "Authorization",
}


@dataclass
class Tally:
    count: int = 0
    dollars: Decimal = ZERO

    def add(self, count: int, dollars: Decimal) -> None:
        self.count += count
        self.dollars += dollars


@dataclass
class CategoryRow:
    key: str
    label: str
    months: list[Tally]
    total: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class ReasonRow:
    carc: str
    description: str
    category: str
    count: int
    dollars: Decimal
    count_share: Decimal | None  # percent of the denials in the report
    dollar_share: Decimal | None  # percent of the dollars denied


@dataclass
class PayerReasonRow:
    payer: str
    carc: str
    description: str
    months: list[Tally]
    total: Tally = field(default_factory=Tally)


@dataclass(frozen=True)
class RootCauseRow:
    label: str
    category: str  # for "not recorded yet" rows: the category standing in for the cause
    recorded: bool
    count: int
    dollars: Decimal
    dollar_share: Decimal | None


@dataclass(frozen=True)
class PracticeRow:
    label: str
    count: int
    dollars: Decimal


@dataclass(frozen=True)
class DenialReport:
    filters: ReportFilters
    window: MonthWindow
    categories: list[CategoryRow]  # largest dollars first
    months: list[Tally]  # every category, per month
    total: Tally
    reasons: list[ReasonRow]  # largest dollars first
    payer_reasons: list[PayerReasonRow]
    root_causes: list[RootCauseRow]
    practices: list[PracticeRow]
    unposted: Tally  # denials on 835 claim payments held as exceptions: not on the ledger yet
    practice_ids: frozenset[int]  # the practices the report read (audited)


def share(part: Decimal | int, whole: Decimal | int) -> Decimal | None:
    """`part` as a percent of `whole`, to two places; None when there is no whole."""
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"))


def _month(value: Any) -> date:
    """TruncMonth of a date: a date (or datetime) from PostgreSQL, text from SQLite."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def report_practice_ids(actor: Actor, filters: ReportFilters) -> frozenset[int]:
    """The practices a report covers: the one asked for, else all the actor may report on."""
    if filters.practice_id is not None:
        return frozenset({filters.practice_id})
    return actor.practice_ids(Capability.REPORTS_VIEW)


def _denials(actor: Actor, filters: ReportFilters, window: MonthWindow) -> Any:
    scope = KpiScope(actor, window.start, window.end, filters.practice_id, filters.payer_id)
    return (
        scope.rows(Denial, "claim__payer")
        .filter(denied_on__gte=window.start, denied_on__lte=window.end)
        .order_by()
    )


def descriptions(workspace_id: int, carcs: set[str]) -> dict[str, str]:
    """Each CARC's description from the category table (its first rule that has one)."""
    table = CategoryTable.load(workspace_id)
    found = {}
    for carc in carcs:
        rules = table.rules.get(carc, [])
        found[carc] = next((r.description for r in rules if r.description), "")
    return found


def denial_analytics(*, actor: Actor, filters: ReportFilters, window: MonthWindow) -> DenialReport:
    """The report under the filters (the caller audits the read)."""
    denials = _denials(actor, filters, window)
    index = {m: i for i, m in enumerate(window.firsts)}
    n_months = len(index)

    # 1. practice × month × category
    by_category: dict[str, CategoryRow] = {}
    months = [Tally() for _ in range(n_months)]
    per_practice: dict[int, Tally] = defaultdict(Tally)
    for row in denials.values("practice_id", "category", month=TruncMonth("denied_on")).annotate(
        n=Count("pk"), dollars=Sum("amount")
    ):
        i, dollars = index[_month(row["month"])], money(row["dollars"])
        category = by_category.get(row["category"])
        if category is None:
            category = by_category[row["category"]] = CategoryRow(
                row["category"],
                _category_label(row["category"]),
                [Tally() for _ in range(n_months)],
            )
        category.months[i].add(row["n"], dollars)
        category.total.add(row["n"], dollars)
        months[i].add(row["n"], dollars)
        per_practice[row["practice_id"]].add(row["n"], dollars)
    total = Tally()
    for m in months:
        total.add(m.count, m.dollars)

    # 2. payer × CARC × month (the reasons are its sums over payers and months)
    payer_rows: dict[tuple[int, str], PayerReasonRow] = {}
    by_carc: dict[str, Tally] = defaultdict(Tally)
    carc_categories: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    grouped = list(
        denials.values(
            "carc", "category", payer_ref=F("claim__payer_id"), month=TruncMonth("denied_on")
        ).annotate(n=Count("pk"), dollars=Sum("amount"))
    )
    payers = {
        pk: name
        for pk, name in payer_list(actor=actor)
        .filter(pk__in={r["payer_ref"] for r in grouped})
        .values_list("pk", "name")
    }
    describe = descriptions(actor.workspace.pk, {r["carc"] for r in grouped})
    for row in grouped:
        i, dollars = index[_month(row["month"])], money(row["dollars"])
        key = (row["payer_ref"], row["carc"])
        line = payer_rows.get(key)
        if line is None:
            line = payer_rows[key] = PayerReasonRow(
                payers.get(row["payer_ref"], "Unknown payer"),
                row["carc"],
                describe.get(row["carc"], ""),
                [Tally() for _ in range(n_months)],
            )
        line.months[i].add(row["n"], dollars)
        line.total.add(row["n"], dollars)
        by_carc[row["carc"]].add(row["n"], dollars)
        carc_categories[row["carc"]][row["category"]] += dollars
    reasons = sorted(
        (
            ReasonRow(
                carc,
                describe.get(carc, ""),
                _category_label(max(carc_categories[carc].items(), key=lambda kv: kv[1])[0]),
                tally.count,
                tally.dollars,
                share(tally.count, total.count),
                share(tally.dollars, total.dollars),
            )
            for carc, tally in by_carc.items()
        ),
        key=lambda r: (-r.dollars, -r.count, r.carc),
    )

    # 3. root cause × category
    causes: list[RootCauseRow] = []
    for row in denials.values("root_cause", "category").annotate(
        n=Count("pk"), dollars=Sum("amount")
    ):
        dollars = money(row["dollars"])
        recorded = bool(row["root_cause"])
        causes.append(
            RootCauseRow(
                RootCause(row["root_cause"]).label if recorded else NOT_RECORDED,
                "" if recorded else _category_label(row["category"]),
                recorded,
                row["n"],
                dollars,
                share(dollars, total.dollars),
            )
        )
    root_causes = _merge_causes(causes, total.dollars)

    # 4. denials whose 835 claim payment is held as an exception (or was dismissed): the payer
    # denied, but nothing is posted to the ledger for them until the loop is worked.
    held = denials.filter(era_claim__outcome__in=UNPOSTED).aggregate(
        n=Count("pk"), dollars=Sum("amount")
    )
    unposted = Tally(held["n"] or 0, money(held["dollars"]))

    practice_rows = sorted(
        (
            PracticeRow(actor.access[pid].practice.name, t.count, t.dollars)
            for pid, t in per_practice.items()
        ),
        key=lambda r: r.label.lower(),
    )
    return DenialReport(
        filters=filters,
        window=window,
        categories=sorted(by_category.values(), key=lambda c: (-c.total.dollars, c.label)),
        months=months,
        total=total,
        reasons=reasons,
        payer_reasons=sorted(
            payer_rows.values(), key=lambda r: (r.payer.lower(), -r.total.dollars, r.carc)
        ),
        root_causes=root_causes,
        practices=practice_rows,
        unposted=unposted,
        practice_ids=report_practice_ids(actor, filters) | frozenset(per_practice),
    )


def _category_label(key: str) -> str:
    return DenialCategory(key).label if key in DenialCategory.values else key


def _merge_causes(rows: list[RootCauseRow], whole: Decimal) -> list[RootCauseRow]:
    """Recorded causes summed over their categories (largest first), then the denials with
    no cause yet, one row per category standing in for it."""
    recorded: dict[str, list[int | Decimal]] = {}
    for r in rows:
        if r.recorded:
            sums = recorded.setdefault(r.label, [0, ZERO])
            sums[0] += r.count
            sums[1] += r.dollars
    merged = [
        RootCauseRow(label, "", True, int(n), Decimal(d), share(d, whole))
        for label, (n, d) in recorded.items()
    ]
    merged.sort(key=lambda r: (-r.dollars, r.label))
    pending = sorted((r for r in rows if not r.recorded), key=lambda r: (-r.dollars, r.category))
    return merged + pending


def denial_chart(report: DenialReport) -> StackedBars:
    """Dollars denied per month, stacked by category: the five largest, and the rest as one."""
    top = report.categories[:CHART_SERIES]
    rest = report.categories[CHART_SERIES:]
    series = [SHORT.get(c.key, c.label)[:14] for c in top] + (["All other"] if rest else [])
    rows = []
    for i, label in enumerate(report.window.labels):
        values = [c.months[i].dollars for c in top]
        if rest:
            values.append(sum((c.months[i].dollars for c in rest), ZERO))
        rows.append((label, values))
    place = chart_scope(report.filters.practice, report.practice_ids)
    chart = stacked_bars(f"Dollars denied by month and category · {place}", series, rows)
    return recolour(chart, CATEGORY_PALETTE)


def recolour(chart: StackedBars, palette: tuple[str, ...]) -> StackedBars:
    """The chart with categorical colours (charts.PALETTE runs cool to hot, for ages)."""
    fills = {item.label: palette[i % len(palette)] for i, item in enumerate(chart.legend)}
    legend = [replace(item, fill=fills[item.label]) for item in chart.legend]
    bars = [
        replace(bar, segments=[replace(s, fill=fills[s.series]) for s in bar.segments])
        for bar in chart.bars
    ]
    return replace(chart, bars=bars, legend=legend)
