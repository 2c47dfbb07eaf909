"""Every registered KPI: a complete written definition, and every variant computes on the demo
book (a KPI that cannot be computed, or a definition that cannot be shown, fails here)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bureau.accounts.models import User
from bureau.reports.kpis import REGISTRY, KpiScope, compute
from bureau.reports.kpis.registry import Definition, Unit, Variant
from bureau.tenancy.actor import resolve_actor

pytestmark = pytest.mark.django_db


def test_every_definition_is_written_out() -> None:
    assert len(REGISTRY) >= 14
    for key, kpi in REGISTRY.items():
        d = kpi.definition
        assert d.key == key
        assert d.name and d.summary and d.period_basis and d.source, key
        for v in d.variants:
            assert v.numerator and v.denominator and v.name, (key, v.key)
            assert isinstance(v.unit, Unit)


def test_the_variants_the_field_disagrees_on_are_offered_by_name() -> None:
    assert {v.key for v in REGISTRY["days_in_ar"].definition.variants} == {
        "gross_charges",
        "net_revenue",
    }
    assert {v.key for v in REGISTRY["initial_denial_rate"].definition.variants} == {
        "by_count",
        "by_dollars",
    }


def test_an_unknown_variant_is_refused() -> None:
    with pytest.raises(ValueError):
        REGISTRY["days_in_ar"].definition.variant("made_up")
    with pytest.raises(ValueError):
        Definition("x", "X", "x", (), "p", "s", REGISTRY["days_in_ar"].definition.direction)
    v = Variant("a", "A", "n", "d", Unit.COUNT)
    with pytest.raises(ValueError):
        Definition("x", "X", "x", (v, v), "p", "s", REGISTRY["days_in_ar"].definition.direction)


def test_every_kpi_and_variant_computes_on_the_demo_book() -> None:
    actor = resolve_actor(User.objects.get(username="olivia.owner"))
    assert actor is not None
    scope = KpiScope(actor=actor, start=date(2020, 1, 1), end=date(2030, 12, 31))
    for key, kpi in REGISTRY.items():
        for variant in kpi.definition.variants:
            value = compute(key, scope, variant.key)
            assert value.variant == variant
            assert value.value is None or isinstance(value.value, Decimal)
            if value.denominator == 0:
                assert value.value is None


def test_the_client_targets_are_stated_once_in_the_registry() -> None:
    targets = {
        k: kpi.definition.target_label for k, kpi in REGISTRY.items() if kpi.definition.target
    }
    assert targets == {
        "clean_claim_rate": "≥ 95 %",
        "days_in_ar": "≤ 35 days",
        "initial_denial_rate": "≤ 5 %",
        "net_collection_rate": "≥ 95 %",
    }
    clean, denials = (
        REGISTRY["clean_claim_rate"].definition,
        REGISTRY["initial_denial_rate"].definition,
    )
    # Higher is better: the target itself is met; lower is better: the same.
    assert clean.met(Decimal("95.00")) is True and clean.met(Decimal("94.99")) is False
    assert denials.met(Decimal("5.00")) is True and denials.met(Decimal("5.01")) is False
    assert clean.met(None) is None  # nothing to measure is neither met nor missed
    assert REGISTRY["appeal_overturn_rate"].definition.met(Decimal("1")) is None  # no target
