"""The KPI registry: each KPI's written definition as data, beside its one implementation.

A `Definition` says what is counted (numerator, denominator, unit, period and aging basis,
exclusions, the published source it follows) and names the variants where the field disagrees
(days in A/R on gross charges or net revenue; denial rate by count or by dollars), one of them
the default. `register` ties a definition to the one function that computes it over a
`KpiScope`; the definitions page, the dashboard and every later report read this registry, so
what is documented and what is computed cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bureau.reports.kpis.scope import KpiScope


class Unit(StrEnum):
    COUNT = "count"
    DOLLARS = "dollars"
    DAYS = "days"
    PERCENT = "percent"


class Direction(StrEnum):
    HIGHER = "higher"
    LOWER = "lower"

    @property
    def label(self) -> str:
        return "Higher is better" if self is Direction.HIGHER else "Lower is better"


@dataclass(frozen=True)
class Variant:
    """One way the field computes the KPI: its key, its name, and what differs."""

    key: str
    name: str
    numerator: str
    denominator: str
    unit: Unit


@dataclass(frozen=True)
class Definition:
    key: str
    name: str
    summary: str
    variants: tuple[Variant, ...]  # the first is the default
    period_basis: str
    source: str  # the published definition it follows: HFMA MAP key, AAFP, MGMA
    direction: Direction
    exclusions: tuple[str, ...] = ()
    aging_basis: str = ""
    # Facts the KPI would need that Bureau does not record, said rather than invented.
    not_recorded: str = ""
    # The dashboard breaks the value down by this (payer, function, user), when set.
    breakdown: str = ""
    # The figure a billing company commits to for its clients (on the default variant), when
    # it states one: the client dashboard and the monthly report show met or missed against it.
    target: Decimal | None = None

    @property
    def target_label(self) -> str:
        if self.target is None:
            return ""
        sign = "≥" if self.direction is Direction.HIGHER else "≤"
        unit = " %" if self.default.unit is Unit.PERCENT else f" {self.default.unit.value}"
        return f"{sign} {self.target:g}{unit}"

    def met(self, value: Decimal | None) -> bool | None:
        """Whether `value` (of the default variant) meets the target; None: no target, or
        nothing to measure."""
        if self.target is None or value is None:
            return None
        return value >= self.target if self.direction is Direction.HIGHER else value <= self.target

    def __post_init__(self) -> None:
        if not self.variants:
            raise ValueError(f"{self.key}: a KPI has at least one variant")
        keys = [v.key for v in self.variants]
        if len(set(keys)) != len(keys):
            raise ValueError(f"{self.key}: variant keys repeat")

    @property
    def default(self) -> Variant:
        return self.variants[0]

    def variant(self, key: str | None) -> Variant:
        """The named variant; None: the default. An unknown name is a ValueError."""
        if key is None:
            return self.default
        for variant in self.variants:
            if variant.key == key:
                return variant
        raise ValueError(f"{self.key} has no variant {key!r}")


@dataclass(frozen=True)
class KpiRow:
    """One line of a breakdown (a payer, a function, a user)."""

    label: str
    numerator: Decimal
    denominator: Decimal
    value: Decimal | None
    extra: tuple[tuple[str, Decimal], ...] = ()


@dataclass(frozen=True)
class KpiValue:
    """A KPI computed over a scope: the figures it came from and the variant shown."""

    key: str
    variant: Variant
    numerator: Decimal
    denominator: Decimal
    # None when the denominator is 0: nothing to measure, never a made-up 0 %.
    value: Decimal | None
    rows: tuple[KpiRow, ...] = ()

    @property
    def unit(self) -> Unit:
        return self.variant.unit


Compute = Callable[["KpiScope", Variant], KpiValue]


@dataclass(frozen=True)
class Kpi:
    definition: Definition
    compute: Compute


REGISTRY: dict[str, Kpi] = {}


def register(definition: Definition) -> Callable[[Compute], Compute]:
    """Register `definition` with the function below it: one implementation per KPI."""

    def decorate(compute: Compute) -> Compute:
        if definition.key in REGISTRY:
            raise ValueError(f"KPI {definition.key!r} is registered twice")
        REGISTRY[definition.key] = Kpi(definition, compute)
        return compute

    return decorate


def compute(key: str, scope: KpiScope, variant: str | None = None) -> KpiValue:
    """The KPI `key` over `scope`, in `variant` (None: the default)."""
    kpi = REGISTRY[key]
    return kpi.compute(scope, kpi.definition.variant(variant))


# -- arithmetic every KPI shares ------------------------------------------------------------
ZERO = Decimal(0)
CENT = Decimal("0.01")


def ratio(numerator: Decimal, denominator: Decimal, unit: Unit) -> Decimal | None:
    """numerator ÷ denominator in `unit` (percent: × 100), to two places; None on a 0
    denominator."""
    if not denominator:
        return None
    value = Decimal(numerator) / Decimal(denominator)
    if unit is Unit.PERCENT:
        value *= 100
    return value.quantize(CENT)


def value_of(
    key: str,
    variant: Variant,
    numerator: Decimal | int | None,
    denominator: Decimal | int | None,
    rows: tuple[KpiRow, ...] = (),
) -> KpiValue:
    num = Decimal(numerator or 0)
    den = Decimal(denominator or 0)
    return KpiValue(key, variant, num, den, ratio(num, den, variant.unit), rows)
