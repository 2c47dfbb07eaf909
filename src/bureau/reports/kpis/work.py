"""Work KPIs: appeal overturn rate, SLA compliance by function, productivity per person."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta
from decimal import Decimal

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import TruncDate

from bureau.configuration.resolver import workspace_settings
from bureau.denials.appeal_models import Appeal, AppealOutcome
from bureau.reports.kpis import facts
from bureau.reports.kpis.registry import (
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
    items = scope.rows(WorkItem, "payer")
    closed = Q(status=ItemStatus.DONE) & facts.in_period(scope, RESOLVED_DAY)
    counted = closed
    if variant.key == "with_open_breaches":
        counted |= ~Q(status=ItemStatus.DONE) & facts.in_period(scope, "sla_due")
    per_function = (
        items.filter(counted)
        .annotate(closed_on=TruncDate("resolved_at"))
        .values("function")
        .annotate(
            total=Count("pk"),
            on_time=Count("pk", filter=closed & Q(closed_on__lte=F("sla_due"))),
        )
        .order_by("function")
    )
    labels = dict(Function.choices)
    rows = []
    on_time = total = 0
    for row in per_function:
        on_time += row["on_time"]
        total += row["total"]
        shown = value_of("sla_compliance", variant, row["on_time"], row["total"])
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
    resolved = (
        scope.rows(WorkItem, "payer")
        .filter(status=ItemStatus.DONE, resolved_by__isnull=False)
        .filter(facts.in_period(scope, RESOLVED_DAY))
        .values("resolved_by_id", "resolved_by__full_name", "resolved_by__username")
        .annotate(items=Count("pk"), dollars=Sum("amount"))
        .order_by()
    )
    attempts = (
        scope.rows(Attempt, "item__payer")
        .filter(facts.in_period(scope, "occurred_at__date"))
        .values("user_id", "user__full_name", "user__username")
        .annotate(attempts=Count("pk"))
        .order_by()
    )
    people: dict[int, dict[str, object]] = defaultdict(
        lambda: {"name": "", "items": 0, "dollars": ZERO, "attempts": 0}
    )
    for row in resolved:
        person = people[row["resolved_by_id"]]
        person["name"] = row["resolved_by__full_name"] or row["resolved_by__username"]
        person["items"] = row["items"]
        person["dollars"] = row["dollars"] or ZERO
    for row in attempts:
        person = people[row["user_id"]]
        person["name"] = row["user__full_name"] or row["user__username"]
        person["attempts"] = row["attempts"]
    holidays = sla.holidays(workspace_settings(scope.actor.workspace))
    days = sla.business_days_between(scope.start - timedelta(days=1), scope.end, holidays)
    rows = []
    for person in sorted(people.values(), key=lambda p: str(p["name"]).lower()):
        items = Decimal(str(person["items"]))
        dollars = Decimal(str(person["dollars"]))
        tried = Decimal(str(person["attempts"]))
        rows.append(
            KpiRow(
                str(person["name"]),
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
