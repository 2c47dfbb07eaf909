"""Work KPIs: appeal overturn rate, SLA compliance by function, productivity per person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from bureau.configuration.resolver import workspace_settings
from bureau.denials.appeal_models import Appeal, AppealOutcome
from bureau.reports.kpis import facts
from bureau.reports.kpis.registry import (
    CENT,
    ZERO,
    Definition,
    Direction,
    KpiRow,
    KpiValue,
    Unit,
    Variant,
    ratio,
    register,
    value_of,
)
from bureau.reports.kpis.scope import KpiScope
from bureau.workqueues import sla
from bureau.workqueues.functions import Function
from bureau.workqueues.models import Attempt, ItemStatus, WorkItem

# Work items close at a moment (resolved_at, UTC); KPIs count them on the calendar day it
# falls on in the server's time zone (UTC), as the queue's own pages do.
RESOLVED_DAY = "resolved_at__date"


# -- appeal overturn rate -----------------------------------------------------------------------
@register(
    Definition(
        key="appeal_overturn_rate",
        name="Appeal overturn rate",
        summary="Share of decided appeals the payer overturned, wholly or in part.",
        variants=(
            Variant(
                "by_count",
                "By appeal count (partial counts)",
                "appeals decided overturned or partially overturned",
                "appeals decided in the period (overturned, partially overturned or upheld)",
                Unit.PERCENT,
            ),
            Variant(
                "fully_overturned",
                "By appeal count (full only)",
                "appeals decided fully overturned",
                "appeals decided in the period",
                Unit.PERCENT,
            ),
            Variant(
                "by_dollars",
                "By dollars",
                "dollars recovered on appeals decided in the period (as recorded with the "
                "decision)",
                "dollars denied on the denials those appeals were about",
                Unit.PERCENT,
            ),
        ),
        period_basis="the appeal's decision date",
        source="HFMA / AAPC denial-management convention (appeals won ÷ appeals decided)",
        direction=Direction.HIGHER,
        exclusions=("appeals not decided yet (no outcome)",),
    )
)
def appeal_overturn_rate(scope: KpiScope, variant: Variant) -> KpiValue:
    appeals = (
        scope.rows(Appeal, "denial__claim__payer")
        .exclude(outcome="")
        .filter(facts.in_period(scope, "decided_on"))
    )
    if variant.key == "by_dollars":
        totals = appeals.aggregate(won=Sum("amount_recovered"), denied=Sum("denial__amount"))
        return value_of(
            "appeal_overturn_rate", variant, totals["won"] or ZERO, totals["denied"] or ZERO
        )
    won = (
        Q(outcome=AppealOutcome.OVERTURNED)
        if variant.key == "fully_overturned"
        else Q(outcome__in=(AppealOutcome.OVERTURNED, AppealOutcome.PARTIALLY_OVERTURNED))
    )
    totals = appeals.aggregate(total=Count("pk"), won=Count("pk", filter=won))
    return value_of("appeal_overturn_rate", variant, totals["won"], totals["total"])


# -- SLA compliance by function -----------------------------------------------------------------
def sla_tally(scope: KpiScope, by: Sequence[str]) -> list[dict[str, Any]]:
    """The SLA compliance rule, grouped by `by` (e.g. ("function",), or with "practice_id"):
    per group, `closed` (items closed in the period), `on_time` (of those, closed on or before
    their SLA due date) and `open_due` (items still open whose SLA fell due in the period).
    The KPI and the SLA report both count through here: one definition."""
    closed = Q(status=ItemStatus.DONE) & facts.in_period(scope, RESOLVED_DAY)
    open_due = ~Q(status=ItemStatus.DONE) & facts.in_period(scope, "sla_due")
    return list(
        scope.rows(WorkItem, "payer")
        .filter(closed | open_due)
        .annotate(closed_on=TruncDate("resolved_at"))
        .values(*by)
        .annotate(
            closed=Count("pk", filter=closed),
            on_time=Count("pk", filter=closed & Q(closed_on__lte=F("sla_due"))),
            open_due=Count("pk", filter=open_due),
        )
        .order_by(*by)
    )


def sla_counted(row: dict[str, Any], variant_key: str) -> int:
    """The denominator of `variant_key` for one row of `sla_tally`."""
    return int(row["closed"]) + (int(row["open_due"]) if variant_key == "with_open_breaches" else 0)


@register(
    Definition(
        key="sla_compliance",
        name="SLA compliance, by function",
        summary="Share of work items closed by their SLA due date (business days, per "
        "function: rejections 2, denials 10, ERA exceptions 4, follow-up 20 by default).",
        variants=(
            Variant(
                "closed_items",
                "Closed items",
                "work items closed on or before their SLA due date",
                "work items closed in the period",
                Unit.PERCENT,
            ),
            Variant(
                "with_open_breaches",
                "Closed items and open breaches",
                "work items closed on or before their SLA due date",
                "work items closed in the period, plus items still open whose SLA fell due in "
                "the period",
                Unit.PERCENT,
            ),
        ),
        period_basis="the day the item was closed (UTC); open breaches by SLA due date",
        source="Outsourced-billing service levels (HBMA vendor SLAs) over the work queue's "
        "own SLA clock",
        direction=Direction.HIGHER,
        exclusions=("items reopened and still open count only as open items",),
        breakdown="function",
    )
)
def sla_compliance(scope: KpiScope, variant: Variant) -> KpiValue:
    labels = dict(Function.choices)
    rows = []
    on_time = total = 0
    for row in sla_tally(scope, ("function",)):
        counted = sla_counted(row, variant.key)
        if not counted:
            continue  # only open items not yet due: nothing this variant counts
        on_time += row["on_time"]
        total += counted
        shown = value_of("sla_compliance", variant, row["on_time"], counted)
        rows.append(
            KpiRow(
                labels.get(row["function"], row["function"]),
                shown.numerator,
                shown.denominator,
                shown.value,
            )
        )
    return value_of("sla_compliance", variant, on_time, total, tuple(rows))


# -- productivity -------------------------------------------------------------------------------
@dataclass
class PersonWork:
    """What one person did in the period (in one practice, when tallied per practice)."""

    user_id: int
    name: str
    practice_id: int | None
    items: int = 0
    dollars: Decimal = ZERO
    attempts: int = 0


def productivity_tally(scope: KpiScope, *, per_practice: bool = False) -> list[PersonWork]:
    """Items closed by a person (and the dollars at stake on them) and attempts logged, per
    person — and per practice with `per_practice`: two grouped queries, the KPI's and the
    productivity report's one definition. Items the system closed (nobody named) are left out."""
    where = ("practice_id",) if per_practice else ()
    resolved = (
        scope.rows(WorkItem, "payer")
        .filter(status=ItemStatus.DONE, resolved_by__isnull=False)
        .filter(facts.in_period(scope, RESOLVED_DAY))
        .values("resolved_by_id", "resolved_by__full_name", "resolved_by__username", *where)
        .annotate(items=Count("pk"), dollars=Sum("amount"))
        .order_by()
    )
    attempts = (
        scope.rows(Attempt, "item__payer")
        .filter(facts.in_period(scope, "occurred_at__date"))
        .values("user_id", "user__full_name", "user__username", *where)
        .annotate(attempts=Count("pk"))
        .order_by()
    )
    people: dict[tuple[int, int | None], PersonWork] = {}
    for row in resolved:
        key = (row["resolved_by_id"], row.get("practice_id"))
        name = row["resolved_by__full_name"] or row["resolved_by__username"]
        person = people.setdefault(key, PersonWork(key[0], name, key[1]))
        person.items = row["items"]
        # SQLite sums decimals as floats: to the cent once, from the float's shortest form.
        person.dollars = Decimal(str(row["dollars"] or 0)).quantize(CENT)
    for row in attempts:
        key = (row["user_id"], row.get("practice_id"))
        name = row["user__full_name"] or row["user__username"]
        person = people.setdefault(key, PersonWork(key[0], name, key[1]))
        person.attempts = row["attempts"]
    return sorted(people.values(), key=lambda p: (p.name.lower(), p.user_id, p.practice_id or 0))


def business_days(scope: KpiScope) -> int:
    """Business days in the period (weekends and the workspace's holidays skipped)."""
    holidays = sla.holidays(workspace_settings(scope.actor.workspace))
    return sla.business_days_between(scope.start - timedelta(days=1), scope.end, holidays)


@register(
    Definition(
        key="productivity",
        name="Productivity, per user per day",
        summary="Work items a person closed, the dollars at stake on them and the follow-up "
        "attempts they logged, per person per business day.",
        variants=(
            Variant(
                "items_per_user_day",
                "Items resolved per user per business day",
                "work items closed by a person in the period",
                "people who closed an item or logged an attempt in the period × business days "
                "in the period (weekends and workspace holidays skipped)",
                Unit.COUNT,
            ),
        ),
        period_basis="the day the item was closed or the attempt made (UTC)",
        source="MGMA staffing benchmarks (work units per FTE per day)",
        direction=Direction.HIGHER,
        exclusions=("items closed by the system (the record moved on with nobody named)",),
        not_recorded="hours worked are not recorded: 'per day' is per business day of the "
        "period for each person active in it, not per day actually worked",
        breakdown="user",
    )
)
def productivity(scope: KpiScope, variant: Variant) -> KpiValue:
    days = business_days(scope)
    rows = []
    for person in productivity_tally(scope):
        items = Decimal(person.items)
        dollars = person.dollars
        tried = Decimal(person.attempts)
        rows.append(
            KpiRow(
                person.name,
                items,
                Decimal(days),
                value_of("productivity", variant, items, days).value,
                extra=(
                    ("dollars resolved", dollars),
                    ("dollars per day", ratio(dollars, Decimal(days), Unit.DOLLARS) or ZERO),
                    ("attempts", tried),
                    ("attempts per day", ratio(tried, Decimal(days), Unit.COUNT) or ZERO),
                ),
            )
        )
    total_items = sum((r.numerator for r in rows), ZERO)
    return value_of("productivity", variant, total_items, len(rows) * days, tuple(rows))
