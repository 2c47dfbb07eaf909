"""The KPIs the home pages show, grouped in SQL: every practice in one query, or every month.

The dashboard (`registry.compute`) answers one scope at a time; the owner's book needs a row
per practice and the trends a point per month, and asking per practice or per month would cost
a query per row on a 1M-claim book. These read the same rows through the same scope and the
same facts (`claims.submitted`, `claims.adjudicated`, `claims.initial_denials`, the ledger)
with a GROUP BY added, in each KPI's default variant, and build the same `KpiValue` — a test
holds each group equal to `compute` over that group's own scope on the demo book.

Months are calendar months of the KPI's period basis (submission date, first 835, ledger
effective date); a month's value is the KPI over that month as its own period.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from django.db.models import Count, DateField, F, Q, Sum
from django.db.models.functions import TruncMonth

from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.reports.kpis import claims as claim_kpis
from bureau.reports.kpis import facts
from bureau.reports.kpis.registry import CENT, REGISTRY, ZERO, KpiValue, Unit, ratio, value_of
from bureau.reports.kpis.scope import KpiScope


class By(StrEnum):
    PRACTICE = "practice"
    MONTH = "month"


Grouped = dict[Any, KpiValue]  # practice id, or a month's first day → the value


def _group(by: By, day: str) -> Any:
    """The GROUP BY expression: the row's practice, or the month of its date `day`."""
    if by is By.PRACTICE:
        return F("practice_id")
    return TruncMonth(day, output_field=DateField())


def _key(by: By, value: Any) -> Any:
    """A month as a date (SQLite may answer text or a datetime); a practice id as is."""
    if by is By.PRACTICE or value is None:
        return value
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def _variant(key: str) -> Any:
    return REGISTRY[key].definition.default


def clean_claim_rate(scope: KpiScope, by: By) -> Grouped:
    variant = _variant("clean_claim_rate")
    clean = Q(scrub_error=False, was_rejected=False)
    rows = (
        claim_kpis.submitted(scope)
        .annotate(scrub_error=facts.scrub_errors(scope), was_rejected=facts.rejected(scope))
        .values(g=_group(by, "submitted_on"))
        .annotate(total=Count("pk"), clean=Count("pk", filter=clean))
        .order_by()
    )
    return {
        _key(by, r["g"]): value_of("clean_claim_rate", variant, r["clean"], r["total"])
        for r in rows
    }


def initial_denial_rate(scope: KpiScope, by: By) -> Grouped:
    variant = _variant("initial_denial_rate")
    totals = (
        claim_kpis.adjudicated(scope, dated=by is By.MONTH)
        .values(g=_group(by, "adjudicated_on"))
        .annotate(total=Count("pk"))
        .order_by()
    )
    denied = {
        _key(by, r["g"]): r["claims"]
        for r in claim_kpis.initial_denials(scope)
        .values(g=_group(by, "adjudicated_on"))
        .annotate(claims=Count("claim_id", distinct=True))
        .order_by()
    }
    return {
        _key(by, r["g"]): value_of(
            "initial_denial_rate", variant, denied.get(_key(by, r["g"]), 0), r["total"]
        )
        for r in totals
    }


def net_collection_rate(scope: KpiScope, by: By) -> Grouped:
    variant = _variant("net_collection_rate")
    rows = (
        scope.rows(LedgerEntry, "claim__payer")
        .filter(facts.in_period(scope, "effective_date"))
        .values(g=_group(by, "effective_date"))
        .annotate(
            paid=Sum("amount", filter=Q(kind__in=(EntryKind.PAYMENT, EntryKind.REFUND))),
            collectible=Sum("amount", filter=Q(kind=EntryKind.CHARGE) | facts.CONTRACTUAL),
        )
        .order_by()
    )
    return {
        _key(by, r["g"]): value_of(
            "net_collection_rate", variant, -(r["paid"] or ZERO), r["collectible"] or ZERO
        )
        for r in rows
    }


def _days_in_ar(ar: Any, revenue: Any, days: int) -> KpiValue:
    """As `money.days_in_ar` builds it (gross charges): A/R at the end over the period's
    average daily charges."""
    ar, revenue = Decimal(ar or 0), Decimal(revenue or 0)
    value = ratio(ar * days, revenue, Unit.DAYS)
    daily = (revenue / days).quantize(CENT)
    return KpiValue("days_in_ar", _variant("days_in_ar"), ar, daily, value)


def days_in_ar(scope: KpiScope, by: By) -> Grouped:
    entries = scope.rows(LedgerEntry, "claim__payer").filter(effective_date__lte=scope.end)
    if by is By.PRACTICE:
        rows = (
            entries.values(g=F("practice_id"))
            .annotate(
                ar=Sum("amount"),
                revenue=Sum(
                    "amount",
                    filter=Q(kind=EntryKind.CHARGE) & facts.in_period(scope, "effective_date"),
                ),
            )
            .order_by()
        )
        return {r["g"]: _days_in_ar(r["ar"], r["revenue"], scope.days) for r in rows}
    # By month: A/R at each month's end is everything dated up to it, so the whole history is
    # summed by month once and accumulated here.
    by_month = (
        entries.values(g=_group(by, "effective_date"))
        .annotate(net=Sum("amount"), charges=Sum("amount", filter=Q(kind=EntryKind.CHARGE)))
        .order_by()
    )
    months: dict[date, tuple[Decimal, Decimal]] = {}
    for r in by_month:
        months[_key(by, r["g"])] = (Decimal(r["net"] or 0), Decimal(r["charges"] or 0))
    wanted = months_between(scope.start, scope.end)
    # A/R brought forward from the months before the first one shown.
    running = sum((net for month, (net, _) in months.items() if month < wanted[0]), ZERO)
    values: Grouped = {}
    for month in wanted:
        net, charges = months.get(month, (ZERO, ZERO))
        running += net
        days = calendar.monthrange(month.year, month.month)[1]
        values[month] = _days_in_ar(running, charges, days)
    return values


GROUPED: dict[str, Callable[[KpiScope, By], Grouped]] = {
    "clean_claim_rate": clean_claim_rate,
    "initial_denial_rate": initial_denial_rate,
    "days_in_ar": days_in_ar,
    "net_collection_rate": net_collection_rate,
}


def grouped(key: str, scope: KpiScope, by: By) -> Grouped:
    """The KPI `key` (default variant) over `scope`, per practice or per month. A group with
    no row in the period is absent: the caller shows it as nothing to measure."""
    return GROUPED[key](scope, by)


def empty(key: str) -> KpiValue:
    return value_of(key, _variant(key), 0, 0)


def months_between(start: date, end: date) -> list[date]:
    """The first day of every month from `start`'s to `end`'s."""
    months = []
    month = start.replace(day=1)
    while month <= end:
        months.append(month)
        month = date(month.year + month.month // 12, month.month % 12 + 1, 1)
    return months


def by_month(scope: KpiScope) -> dict[str, dict[date, KpiValue]]:
    """Every grouped KPI per month of `scope` (which should start on a month's first day and
    end on a month's last), a month without rows as nothing to measure."""
    months = months_between(scope.start, scope.end)
    table: dict[str, dict[date, KpiValue]] = defaultdict(dict)
    for key in GROUPED:
        found = grouped(key, scope, By.MONTH)
        for month in months:
            table[key][month] = found.get(month) or empty(key)
    return dict(table)
