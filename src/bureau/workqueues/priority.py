"""The one priority function (DESIGN.md §8): which work item to take next.

    priority = dollars at stake × urgency × age factor × recovery factor

- **Dollars**: the amount at stake, with a floor of $1.00 so a zero-dollar item (a setup gap)
  still ranks by its deadline and age instead of sinking to zero.
- **Urgency** from the nearest deadline, non-increasing in the days left: overdue or due within
  a week ×4, within 30 days ×3, within 90 days ×2, within 180 days ×1.5, later or no deadline ×1.
  An overdue clock ranks as urgent as one due today: it may still be saved (a late appeal with good
  cause) and must at least be looked at.
- **Age factor** from days since the item opened, non-decreasing and capped: 1 + 1% a day, at most
  ×2 (reached at 100 days), so old items rise but never bury urgent ones.
- **Recovery factor** from the payer's recovery rate for the function (the share of worked dollars
  recovered over the last 12 months): 0.5 + rate, so a payer that never pays back ×0.5 and one that
  always does ×1.5. Without history the rate is taken as 50%: ×1.0, neutral.

The score is that product in cents, rounded down to a whole number: an integer to sort and store
(a BigIntegerField; larger = more urgent). Everything is Decimal; no float touches money.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

DOLLAR_FLOOR = Decimal("1.00")
# Above any real claim (the largest is well under a billion): keeps the score inside a signed
# 64-bit integer for any input. 1e12 × 4 × 2 × 1.5 × 100 cents = 1.2e15 < 9.2e18.
DOLLAR_CAP = Decimal("1000000000000.00")
URGENCY_STEPS: tuple[tuple[int, Decimal], ...] = (  # (days left at most, factor), nearest first
    (7, Decimal("4")),
    (30, Decimal("3")),
    (90, Decimal("2")),
    (180, Decimal("1.5")),
)
NO_URGENCY = Decimal("1")
AGE_STEP = Decimal("0.01")  # per day open
AGE_CAP = Decimal("2")
RECOVERY_BASE = Decimal("0.5")
NEUTRAL_RATE = Decimal("0.5")  # no history: neither favoured nor penalised
CENTS = Decimal("100")


def urgency(days_left: int | None) -> Decimal:
    if days_left is None:
        return NO_URGENCY
    for limit, factor in URGENCY_STEPS:
        if days_left <= limit:  # overdue (negative) falls in the first step
            return factor
    return NO_URGENCY


def age_factor(age_days: int) -> Decimal:
    return min(AGE_CAP, 1 + AGE_STEP * max(age_days, 0))


def recovery_factor(rate: Decimal | None) -> Decimal:
    if rate is None or rate.is_nan():
        return RECOVERY_BASE + NEUTRAL_RATE
    share = min(max(rate, Decimal(0)), Decimal(1))
    return RECOVERY_BASE + share


def _money(amount: Decimal) -> str:
    return f"${amount:,.2f}"


def _factor(value: Decimal) -> str:
    text = f"{value:.2f}"  # ×3.0, ×1.5, ×1.37
    return "×" + (text[:-1] if text.endswith("0") else text)


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


@dataclass(frozen=True)
class Priority:
    score: int
    dollars: Decimal  # as counted (after the floor and cap)
    urgency: Decimal
    age_factor: Decimal
    recovery_factor: Decimal
    days_left: int | None = None
    age_days: int = 0
    recovery_rate: Decimal | None = None

    def explain(self) -> list[tuple[str, str]]:
        """Rows a worker reads on the item: each factor and why."""
        if self.days_left is None:
            why = "no deadline"
        elif self.days_left < 0:
            why = f"nearest deadline overdue by {_days(-self.days_left)}"
        elif self.days_left == 0:
            why = "nearest deadline today"
        else:
            why = f"nearest deadline in {_days(self.days_left)}"
        rate = (
            "no history for this payer: neutral"
            if self.recovery_rate is None
            else f"payer recovers {self.recovery_rate * 100:.0f}% of worked dollars"
        )
        return [
            ("Dollars at stake", _money(self.dollars)),
            ("Urgency", f"{_factor(self.urgency)} — {why}"),
            ("Age", f"{_factor(self.age_factor)} — open {_days(max(self.age_days, 0))}"),
            ("Payer recovery", f"{_factor(self.recovery_factor)} — {rate}"),
            ("Priority score", f"{self.score:,}"),
        ]


def priority(
    *, dollars: Decimal, days_left: int | None, age_days: int, recovery_rate: Decimal | None
) -> Priority:
    # NaN would make every comparison raise: it counts as nothing at stake.
    counted = DOLLAR_FLOOR if dollars.is_nan() else min(max(dollars, DOLLAR_FLOOR), DOLLAR_CAP)
    u, a, r = urgency(days_left), age_factor(age_days), recovery_factor(recovery_rate)
    score = int((counted * u * a * r * CENTS).to_integral_value(rounding=ROUND_FLOOR))
    return Priority(
        score=score,
        dollars=counted,
        urgency=u,
        age_factor=a,
        recovery_factor=r,
        days_left=days_left,
        age_days=age_days,
        recovery_rate=recovery_rate,
    )
