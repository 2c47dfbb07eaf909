"""Every table pointing at a practice is exported and purged, or kept with a stated reason."""

from __future__ import annotations

from django.apps import apps

from bureau.offboarding.catalog import (
    KEPT,
    PURGED_CONTROL,
    bundle_carries,
    exported_tables,
    practice_bound_models,
    purged_tables,
)
from bureau.tenancy.roles import Capability
from bureau.tenancy.scoping import PracticeScoped


def test_every_model_pointing_at_a_practice_is_exported_and_purged_or_kept_with_a_reason():
    purged = {t.label for t in purged_tables()}
    unlisted = practice_bound_models() - purged - set(KEPT)
    assert not unlisted, (
        f"tables holding a practice's rows in no list: {sorted(unlisted)}; add each to "
        "offboarding/catalog.py (PURGED_CONTROL, or KEPT with the reason it stays)"
    )
    assert not purged & set(KEPT)
    assert all(len(reason) > 20 for reason in KEPT.values())


def test_every_phi_model_is_in_the_bundle_and_the_purge():
    phi = {
        m._meta.label
        for m in apps.get_models()
        if issubclass(m, PracticeScoped) and not m._meta.proxy
    }
    assert phi, "no PHI model found"
    exported = {t.label for t in exported_tables()}
    assert phi <= exported
    assert not phi & set(KEPT), "a PHI table cannot be kept after a purge"
    assert set(PURGED_CONTROL) <= exported


def test_the_discovery_follows_required_foreign_keys():
    bound = practice_bound_models()
    # Direct keys to Practice, and a table whose rows cannot exist without such a row.
    assert {"patients.Patient", "tenancy.Grant", "directory.Enrollment"} <= bound
    assert "tenancy.Grant_providers" in bound  # required key to a grant
    assert "directory.Payer" not in bound  # a workspace's payers belong to no practice


def test_children_are_purged_before_their_parents():
    order = [t.label for t in purged_tables()]
    for child, parent in (
        ("claims.ClaimLine", "claims.Claim"),
        ("ledger.LedgerEntry", "claims.ClaimLine"),
        ("claims.Claim", "patients.Patient"),
        ("workqueues.Attempt", "workqueues.WorkItem"),
        ("denials.Appeal", "denials.Denial"),
        ("remittance.EraLine", "remittance.EraClaim"),
    ):
        assert order.index(child) < order.index(parent), (child, parent)


def test_downloading_the_bundle_needs_demographics_and_every_view_it_carries():
    carries = bundle_carries()
    assert {
        Capability.PATIENTS_DEMOGRAPHICS,
        Capability.CLAIMS_VIEW,
        Capability.PAYMENTS_VIEW,
        Capability.DENIALS_VIEW,
        Capability.WRITEOFFS_VIEW,
        Capability.AUDIT_VIEW,
    } <= carries
