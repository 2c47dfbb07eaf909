"""The ERA list's picture: what payers paid per week, so a dip shows before anyone adds it up.

Sums of the check and EFT amounts (BPR02: what reached the bank) of the 835s the actor may see,
bucketed by the week of the payer's payment date, Monday first; laid out here as bar geometry
so the template draws plain SVG without script or inline style (the CSP allows neither). Where
the actor is limited to some providers, what was paid on their claims (CLP04), not the whole
payments that also pay other providers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import Count, Sum
from django.utils import timezone

from bureau.remittance.models import Era, EraClaim
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

WEEKS = 13  # a quarter
BAR_WIDTH = 36
GAP = 8
PLOT_HEIGHT = 110
TOP = 16  # room for the amount above the tallest bar
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class WeekBar:
    week_start: date
    paid: Decimal
    eras: int
    x: int
    y: int
    height: int

    @property
    def label_x(self) -> int:
        return self.x + BAR_WIDTH // 2


@dataclass(frozen=True)
class WeeklyPayments:
    bars: list[WeekBar]
    total: Decimal
    width: int
    height: int
    baseline: int
    bar_width: int = BAR_WIDTH

    @property
    def peak(self) -> WeekBar | None:
        return max(self.bars, key=lambda b: b.paid) if self.total else None


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def weekly_payments(
    *,
    actor: Actor,
    practice_id: int | None = None,
    payer_name: str = "",
    today: date | None = None,
) -> WeeklyPayments:
    """The last WEEKS weeks (this one included) of payments, per week."""
    first = _monday(today or timezone.localdate()) - timedelta(weeks=WEEKS - 1)
    limited = sorted(actor.limited_providers(Capability.PAYMENTS_VIEW))
    qs = Era.objects.visible_to(actor, Capability.PAYMENTS_VIEW).filter(payment_date__gte=first)
    loops = EraClaim.objects.visible_to(actor, Capability.PAYMENTS_VIEW).filter(
        era__payment_date__gte=first, practice_id__in=limited
    )
    if practice_id is not None:
        qs = qs.filter(practice_id=practice_id)
        loops = loops.filter(practice_id=practice_id)
    if payer_name:
        qs = qs.filter(payer_name=payer_name)
        loops = loops.filter(era__payer_name=payer_name)
    paid: dict[date, Decimal] = {}
    counted: dict[date, int] = {}
    rows = list(
        qs.exclude(practice_id__in=limited)
        .order_by()
        .values_list("payment_date")
        .annotate(Sum("payment_amount"), Count("id"))
    )
    if limited:
        rows += (
            loops.order_by()
            .values_list("era__payment_date")
            .annotate(Sum("paid"), Count("era_id", distinct=True))
        )
    for day, amount, eras in rows:
        week = _monday(day)
        paid[week] = paid.get(week, ZERO) + (amount or ZERO)
        counted[week] = counted.get(week, 0) + eras
    weeks = [first + timedelta(weeks=n) for n in range(WEEKS)]
    top = max((paid.get(w, ZERO) for w in weeks), default=ZERO)
    bars = []
    for n, week in enumerate(weeks):
        amount = paid.get(week, ZERO)
        height = int(PLOT_HEIGHT * amount / top) if top > 0 else 0
        if amount > 0:
            height = max(height, 1)  # a small week still shows
        bars.append(
            WeekBar(
                week_start=week,
                paid=amount,
                eras=counted.get(week, 0),
                x=GAP + n * (BAR_WIDTH + GAP),
                y=TOP + PLOT_HEIGHT - height,
                height=height,
            )
        )
    return WeeklyPayments(
        bars=bars,
        total=sum(paid.values(), ZERO),
        width=GAP + WEEKS * (BAR_WIDTH + GAP),
        height=TOP + PLOT_HEIGHT + 18,
        baseline=TOP + PLOT_HEIGHT,
    )
