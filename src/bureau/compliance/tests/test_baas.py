"""The BAA inventory's writes: validation, status, permission, audit (fixtures: conftest.World)."""

from __future__ import annotations

import uuid
from datetime import date

import pytest
from django.http import Http404

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.baas import (
    NO_SUCH_PRACTICE,
    NO_SUCH_SUBCONTRACTOR_BAA,
    BaaError,
    BaaTerms,
    baa_change,
    baa_record,
    baa_set_relies_on,
    baa_terminate,
    practice_for_baa,
)
from bureau.compliance.models.baa import BaaDirection, BaaStatus, VendorService, add_months
from bureau.tenancy.actor import CapabilityDenied

pytestmark = pytest.mark.django_db
MODEL = "compliance.BusinessAssociateAgreement"


def _events(action: AuditAction, baa) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(action=action, model=MODEL, record_ids=[str(baa.public_id)])
    )


def test_a_client_baa_is_recorded_in_force_and_audited_on_its_practice(world) -> None:
    baa = world.client_baa(
        world.a, date(2025, 1, 10), date(2025, 2, 1), expires_on=date(2027, 1, 31)
    )
    assert baa.workspace == world.workspace and baa.party == "Alder Family Medicine"
    assert baa.status_on(date(2026, 6, 1)) == BaaStatus.IN_FORCE
    (event,) = _events(AuditAction.BAA_RECORDED, baa)
    # On Alder's own log (the client sees who recorded its agreement), by the officer.
    assert event.practice_id == world.a.pk and event.user == world.users["officer"]
    assert event.detail["direction"] == "client" and event.detail["party"] == baa.party


def test_status_through_the_agreement_s_life(world) -> None:
    draft = world.client_baa(world.a, None, None)
    assert draft.status_on(date(2026, 6, 1)) == BaaStatus.DRAFT
    baa = world.client_baa(
        world.b, date(2025, 1, 10), date(2025, 2, 1), expires_on=date(2026, 1, 31)
    )
    assert baa.status_on(date(2025, 1, 31)) == BaaStatus.PENDING  # signed, effective tomorrow
    assert baa.status_on(date(2025, 2, 1)) == BaaStatus.IN_FORCE
    assert baa.status_on(date(2026, 1, 31)) == BaaStatus.IN_FORCE  # its last day
    assert baa.status_on(date(2026, 2, 1)) == BaaStatus.EXPIRED
    evergreen = world.client_baa(world.c, date(2025, 1, 10), date(2025, 1, 10))
    assert evergreen.current_expiry(date(2040, 1, 1)) is None
    baa_terminate(
        actor=world.actor("officer"),
        baa=evergreen,
        terminated_on=date(2026, 3, 1),
        reason="client left",
    )
    assert evergreen.status_on(date(2026, 2, 28)) == BaaStatus.IN_FORCE
    assert evergreen.status_on(date(2026, 3, 1)) == BaaStatus.TERMINATED


def test_an_auto_renewing_baa_rolls_its_term_forward(world) -> None:
    baa = world.client_baa(
        world.a,
        date(2024, 3, 1),
        date(2024, 4, 1),
        expires_on=date(2025, 3, 31),
        auto_renews=True,
        renewal_term_months=12,
        renewal_terms="renews yearly unless either party gives 90 days notice",
    )
    # 2025-03-31 -> 2026-03-31 -> 2027-03-31: the term running on 2026-06-01 ends in 2027.
    assert baa.current_expiry(date(2026, 6, 1)) == date(2027, 3, 31)
    assert baa.current_expiry(date(2025, 3, 31)) == date(2025, 3, 31)
    assert baa.status_on(date(2026, 6, 1)) == BaaStatus.IN_FORCE
    assert add_months(date(2026, 1, 31), 1) == date(2026, 2, 28)
    assert add_months(date(2027, 12, 15), 3) == date(2028, 3, 15)


@pytest.mark.parametrize(
    ("terms", "field", "words"),
    [
        (dict(expires_on=date(2025, 1, 31)), "expires_on", "cannot expire before it takes effect"),
        (dict(signed_on=date(2025, 3, 1)), "effective_on", "before it was signed"),
        (dict(signed_on=date(2099, 1, 1), effective_on=date(2099, 1, 1)), "signed_on", "future"),
        (dict(effective_on=None), "effective_on", "needs the date it takes effect"),
        (dict(auto_renews=True), "expires_on", "end of its first term"),
        (
            dict(auto_renews=True, expires_on=date(2026, 1, 31)),
            "renewal_term_months",
            "renewal term",
        ),
        (dict(renewal_term_months=12), "renewal_term_months", "Only an auto-renewing"),
        (dict(breach_notice_days=0), "breach_notice_days", "1 to 365 days"),
        (dict(phi_scope="  "), "phi_scope", "Describe the PHI"),
        (dict(vendor_name="Acme"), "vendor_name", "names the practice, not a vendor"),
    ],
)
def test_client_terms_are_checked(world, terms, field, words) -> None:
    base = dict(phi_scope="claims", signed_on=date(2025, 2, 1), effective_on=date(2025, 2, 1))
    with pytest.raises(BaaError) as refused:
        baa_record(
            actor=world.actor("officer"),
            direction=BaaDirection.CLIENT,
            practice=world.a,
            terms=BaaTerms(**{**base, **terms}),
        )
    assert refused.value.field == field and words in str(refused.value)


@pytest.mark.parametrize(
    ("practice", "terms", "field"),
    [
        (None, dict(vendor_name="", vendor_service=VendorService.CLOUD_HOST), "vendor_name"),
        (None, dict(vendor_name="Acme", vendor_service="printer"), "vendor_service"),
        (None, dict(vendor_name="A" * 201, vendor_service="shredding"), "vendor_name"),
        ("a", dict(vendor_name="Acme", vendor_service=VendorService.SHREDDING), "practice"),
    ],
)
def test_subcontractor_terms_are_checked(world, practice, terms, field) -> None:
    with pytest.raises(BaaError) as refused:
        baa_record(
            actor=world.actor("officer"),
            direction=BaaDirection.SUBCONTRACTOR,
            practice=world.a if practice else None,
            terms=BaaTerms(phi_scope="scans", **terms),
        )
    assert refused.value.field == field


def test_another_workspace_s_practice_is_refused_like_a_missing_one(world) -> None:
    officer = world.actor("officer")
    words = set()
    for public_id in (world.x.public_id, uuid.uuid4(), "not-a-uuid"):
        with pytest.raises(BaaError) as refused:
            practice_for_baa(officer, public_id)
        words.add(str(refused.value))
    with pytest.raises(BaaError) as refused:
        baa_record(
            actor=officer,
            direction=BaaDirection.CLIENT,
            practice=world.x,
            terms=BaaTerms(phi_scope="claims"),
        )
    words.add(str(refused.value))
    assert words == {NO_SUCH_PRACTICE}
    assert practice_for_baa(officer, str(world.a.public_id).upper()) == world.a
    assert not AuditEvent.objects.filter(
        action=AuditAction.BAA_RECORDED, workspace__in=[world.workspace, world.elsewhere]
    ).exists()


@pytest.mark.parametrize("who", ["supervisor", "officer_a", "client_a", "biller_a"])
def test_only_a_workspace_wide_compliance_manager_writes(world, who) -> None:
    baa = world.client_baa(world.a, date(2025, 1, 10), date(2025, 1, 10))
    actor = world.actor(who)
    terms = BaaTerms(phi_scope="everything")
    with pytest.raises(CapabilityDenied):
        baa_record(actor=actor, direction=BaaDirection.CLIENT, practice=world.a, terms=terms)
    with pytest.raises(CapabilityDenied):
        baa_change(actor=actor, baa=baa, terms=terms)
    with pytest.raises(CapabilityDenied):
        baa_terminate(actor=actor, baa=baa, terminated_on=date(2026, 1, 1), reason="x")
    # The owner holds compliance.manage on every practice: it may.
    baa_change(
        actor=world.actor("owner"),
        baa=baa,
        terms=BaaTerms(
            phi_scope="everything", signed_on=date(2025, 1, 10), effective_on=date(2025, 1, 10)
        ),
    )


def test_another_workspace_s_officer_cannot_touch_our_baa(world) -> None:
    baa = world.client_baa(world.a, date(2025, 1, 10), date(2025, 1, 10))
    with pytest.raises(Http404):
        baa_change(actor=world.actor("other_officer"), baa=baa, terms=BaaTerms(phi_scope="x"))


def test_a_change_is_audited_with_what_changed_and_a_no_op_is_not(world) -> None:
    baa = world.client_baa(world.a, date(2025, 1, 10), date(2025, 1, 10), breach_notice_days=30)
    officer = world.actor("officer")
    same = BaaTerms(
        phi_scope="claims and remittances",
        signed_on=date(2025, 1, 10),
        effective_on=date(2025, 1, 10),
        breach_notice_days=30,
    )
    baa_change(actor=officer, baa=baa, terms=same)
    assert _events(AuditAction.BAA_CHANGED, baa) == []
    renewed = BaaTerms(
        phi_scope="claims, remittances and statements",
        signed_on=date(2025, 1, 10),
        effective_on=date(2025, 1, 10),
        expires_on=date(2027, 1, 9),
        breach_notice_days=10,
    )
    baa_change(actor=officer, baa=baa, terms=renewed)
    baa.refresh_from_db()
    assert baa.breach_notice_days == 10 and baa.expires_on == date(2027, 1, 9)
    (event,) = _events(AuditAction.BAA_CHANGED, baa)
    assert event.detail["changed"] == {
        "phi_scope": "changed",
        "expires_on": [None, "2027-01-09"],
        "breach_notice_days": [30, 10],
    }


def test_termination_needs_a_reason_and_a_date_after_effect(world) -> None:
    baa = world.client_baa(world.a, date(2025, 1, 10), date(2025, 2, 1))
    officer = world.actor("officer")
    with pytest.raises(BaaError, match="Say why"):
        baa_terminate(actor=officer, baa=baa, terminated_on=date(2026, 1, 1), reason=" ")
    with pytest.raises(BaaError, match="before it takes effect"):
        baa_terminate(actor=officer, baa=baa, terminated_on=date(2025, 1, 31), reason="gone")
    baa_terminate(actor=officer, baa=baa, terminated_on=date(2026, 1, 1), reason="gone")
    with pytest.raises(BaaError, match="already terminated"):
        baa_terminate(actor=officer, baa=baa, terminated_on=date(2026, 2, 1), reason="again")
    (event,) = _events(AuditAction.BAA_CHANGED, baa)
    assert event.reason == "gone"
    assert event.detail["changed"] == {"terminated_on": [None, "2026-01-01"]}


def test_flow_down_links_client_to_subcontractor_baas_of_the_workspace_only(world) -> None:
    officer = world.actor("officer")
    client = world.client_baa(world.a, date(2025, 1, 10), date(2025, 1, 10))
    other_client = world.client_baa(world.b, date(2025, 1, 10), date(2025, 1, 10))
    vendor = world.vendor_baa("ClaimBridge", date(2025, 1, 5), date(2025, 1, 5))
    with pytest.raises(BaaError, match="Only a client BAA"):
        baa_set_relies_on(actor=officer, baa=vendor, subcontractors=[vendor])
    with pytest.raises(BaaError, match="subcontractor BAAs only"):
        baa_set_relies_on(actor=officer, baa=client, subcontractors=[other_client])
    foreign = baa_record(
        actor=world.actor("other_officer"),
        direction=BaaDirection.SUBCONTRACTOR,
        terms=BaaTerms(phi_scope="x", vendor_name="Faraway", vendor_service="cloud_host"),
    )
    with pytest.raises(BaaError) as refused:
        baa_set_relies_on(actor=officer, baa=client, subcontractors=[foreign])
    assert str(refused.value) == NO_SUCH_SUBCONTRACTOR_BAA
    baa_set_relies_on(actor=officer, baa=client, subcontractors=[vendor])
    assert list(client.relies_on.all()) == [vendor]
    assert list(vendor.relied_on_by.all()) == [client]
    (event,) = _events(AuditAction.BAA_CHANGED, client)
    assert event.detail["relies_on"] == {"added": [str(vendor.public_id)], "removed": []}
    baa_set_relies_on(actor=officer, baa=client, subcontractors=[vendor])  # no change, no event
    assert len(_events(AuditAction.BAA_CHANGED, client)) == 1
