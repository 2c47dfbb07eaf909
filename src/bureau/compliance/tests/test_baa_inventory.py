"""The inventory page's reads (baa_queries.inventory, inventory_row, client_baas_seen,
baa_history) and the home's glance, on 2026-06-01 (fixtures: conftest.World)."""

from __future__ import annotations

from datetime import date

import pytest

from bureau.audit.models import AuditAction
from bureau.compliance.baa_queries import (
    Standing,
    baa_history,
    client_baas_seen,
    expiring,
    inventory,
    inventory_row,
    practices_without_baa_in_force,
)
from bureau.compliance.baas import baa_terminate
from bureau.compliance.program_queries import home_glance

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)
SIGNED = date(2025, 1, 10)


def test_each_row_says_its_standing_with_days_and_red_where_missed(world) -> None:
    # Jul 31 is 60 days out, Jul 1 is 30, Aug 1 is 61; May 29 three days ago.
    cases = {
        "at 60": (dict(expires_on=date(2026, 7, 31)), Standing.EXPIRING, "Expiring in 60 days"),
        "at 30": (dict(expires_on=date(2026, 7, 1)), Standing.EXPIRING, "Expiring in 30 days"),
        "at 61": (dict(expires_on=date(2026, 8, 1)), Standing.IN_FORCE, "In force"),
        "lapsed": (dict(expires_on=date(2026, 5, 29)), Standing.EXPIRED, "Expired 3 days ago"),
        "evergreen": ({}, Standing.IN_FORCE, "In force"),
        # Its first term ended in the past; it rolled to 2027-01-10: not expiring, in force.
        "renewing": (
            dict(expires_on=date(2026, 1, 10), auto_renews=True, renewal_term_months=12),
            Standing.IN_FORCE,
            "In force",
        ),
    }
    urgent = {"at 30", "lapsed"}
    for name, (terms, standing, label) in cases.items():
        row = inventory_row(world.vendor_baa(name, SIGNED, SIGNED, **terms), TODAY)
        assert (row.standing, row.label, row.urgent) == (standing, label, name in urgent), name
    renewing = inventory_row(world.vendor_baa("r2", SIGNED, SIGNED, **cases["renewing"][0]), TODAY)
    assert renewing.expires_on == date(2027, 1, 10)
    draft = inventory_row(world.client_baa(world.a, None, None), TODAY)
    assert (draft.standing, draft.label) == (Standing.DRAFT, "Draft (not signed)")
    ahead = inventory_row(world.client_baa(world.b, SIGNED, date(2026, 7, 1)), TODAY)
    assert ahead.standing == Standing.PENDING and not ahead.urgent
    ended = world.vendor_baa("ended", SIGNED, SIGNED)
    baa_terminate(actor=world.actor("officer"), baa=ended, terminated_on=TODAY, reason="gone")
    assert inventory_row(ended, TODAY).standing == Standing.TERMINATED


def test_the_inventory_is_the_actor_s_and_a_practice_s_page_its_client_baas_only(world) -> None:
    alder = world.client_baa(world.a, SIGNED, SIGNED)
    birch = world.client_baa(world.b, SIGNED, SIGNED)
    vendor = world.vendor_baa("ClaimBridge", SIGNED, SIGNED)
    rows = inventory(world.actor("officer"), TODAY)
    assert [r.baa for r in rows] == [alder, birch, vendor]  # clients first, then vendors
    assert [r.baa for r in inventory(world.actor("client_a"), TODAY)] == [alder]
    assert client_baas_seen(world.actor("client_a"), world.a.pk) == [alder]
    assert client_baas_seen(world.actor("client_a"), world.b.pk) == []
    assert client_baas_seen(world.actor("officer"), world.b.pk) == [birch]
    assert inventory(world.actor("other_officer"), TODAY) == []


def test_history_lists_this_agreement_s_events_newest_first(world) -> None:
    alder = world.client_baa(world.a, SIGNED, SIGNED)
    world.client_baa(world.b, SIGNED, SIGNED)
    baa_terminate(actor=world.actor("officer"), baa=alder, terminated_on=TODAY, reason="left")
    actions = [e.action for e in baa_history(alder)]
    assert actions == [AuditAction.BAA_CHANGED, AuditAction.BAA_RECORDED]


def test_the_home_glance_agrees_with_the_inventory_s_own_questions(world) -> None:
    world.client_baa(world.a, SIGNED, SIGNED, expires_on=date(2026, 6, 20))  # 19 days
    world.client_baa(world.b, SIGNED, SIGNED, expires_on=date(2026, 7, 20))  # 49: not counted
    world.vendor_baa("Lapsed", SIGNED, SIGNED, expires_on=date(2026, 5, 1))
    glance = home_glance(world.workspace, TODAY)
    alerts = expiring(world.workspace, TODAY)
    assert glance.expired == sum(a.level == "expired" for a in alerts) == 1
    assert glance.expiring_30 == sum(a.level == "30" for a in alerts) == 1
    # Cedar has none (Dogwood is offboarded: not counted).
    assert glance.missing == len(practices_without_baa_in_force(world.workspace, TODAY)) == 1
    assert glance.total == 3
