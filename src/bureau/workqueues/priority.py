"""STUB (replaced by the priority function from h-clocks)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Priority:
    score: int
    dollars: Decimal
    urgency: Decimal
    age_factor: Decimal
    recovery_factor: Decimal

    def explain(self) -> list[tuple[str, str]]:
        return [("Dollars at stake", f"${self.dollars:,.2f}"), ("Urgency", f"×{self.urgency}")]


def priority(
    *, dollars: Decimal, days_left: int | None, age_days: int, recovery_rate: Decimal | None
) -> Priority:
    urgency = Decimal(1) if days_left is None else Decimal(30) / Decimal(max(days_left, 0) + 3) + 1
    age = 1 + Decimal(min(max(age_days, 0), 90)) / 90
    rec = Decimal("1") if recovery_rate is None else Decimal("0.5") + recovery_rate
    d = max(dollars, Decimal("1"))
    return Priority(int(d * urgency * age * rec * 100), d, urgency, age, rec)
