"""The BAA inventory's questions and its documents, on 2026-06-01 (fixtures: conftest.World)."""

from __future__ import annotations

import hashlib
from datetime import date

import pytest
from django.http import Http404

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.baa_queries import (
    AlertLevel,
    baa_get,
    baas_visible_to,
    expiring,
    flow_down_gaps,
    practice_has_baa_in_force,
    practices_without_baa_in_force,
)
from bureau.compliance.baas import (
    MAX_DOCUMENT_BYTES,
    BaaError,
    baa_document_download,
    baa_document_upload,
    baa_set_relies_on,
    baa_terminate,
)
from bureau.compliance.models.baa import BaaStatus
from bureau.tenancy.actor import CapabilityDenied

pytestmark = pytest.mark.django_db
TODAY = date(2026, 6, 1)
SIGNED = date(2025, 1, 10)
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def test_expiry_alerts_at_60_and_30_days_and_once_expired(world) -> None:
    # Days from 2026-06-01: Jul 31 is 60 days out, Jul 2 is 31, Jul 1 is 30, Aug 1 is 61.
    at_60 = world.vendor_baa("Sixty Cloud", SIGNED, SIGNED, expires_on=date(2026, 7, 31))
    at_31 = world.vendor_baa("Thirty-one Shred", SIGNED, SIGNED, expires_on=date(2026, 7, 2))
    at_30 = world.client_baa(world.a, SIGNED, SIGNED, expires_on=date(2026, 7, 1))
    today = world.vendor_baa("Today Hosting", SIGNED, SIGNED, expires_on=TODAY)
    lapsed = world.client_baa(world.b, SIGNED, SIGNED, expires_on=date(2026, 5, 31))
    # Not alerted: beyond 60 days, evergreen, auto-renewing, terminated, draft, and an expired
    # agreement replaced by one in force for the same practice.
    world.vendor_baa("Far Off", SIGNED, SIGNED, expires_on=date(2026, 8, 1))
    world.vendor_baa("Forever", SIGNED, SIGNED)
    world.vendor_baa(
        "Renewing",
        SIGNED,
        SIGNED,
        expires_on=date(2026, 6, 10),
        auto_renews=True,
        renewal_term_months=12,
    )
    ended = world.vendor_baa("Ended", SIGNED, SIGNED, expires_on=date(2026, 6, 15))
    baa_terminate(
        actor=world.actor("officer"), baa=ended, terminated_on=date(2026, 5, 1), reason="moved"
    )
    world.client_baa(world.c, None, None, expires_on=None)
    world.client_baa(world.c, SIGNED, SIGNED, expires_on=date(2026, 3, 31))  # old Cedar BAA
    world.client_baa(world.c, date(2026, 3, 20), date(2026, 4, 1))  # Cedar's new one

    alerts = expiring(world.workspace, TODAY)
    assert [(a.baa, a.days_left, a.level) for a in alerts] == [
        (lapsed, -1, AlertLevel.EXPIRED),
        (today, 0, AlertLevel.DAYS_30),
        (at_30, 30, AlertLevel.DAYS_30),
        (at_31, 31, AlertLevel.DAYS_60),
        (at_60, 60, AlertLevel.DAYS_60),
    ]
    assert alerts[0].expires_on == date(2026, 5, 31)


def test_practices_without_a_baa_in_force(world) -> None:
    world.client_baa(world.a, SIGNED, SIGNED)  # Alder: in force
    world.client_baa(world.b, SIGNED, SIGNED, expires_on=date(2026, 5, 31))  # Birch: expired
    world.client_baa(world.c, None, None)  # Cedar: a draft only
    world.client_baa(world.b, SIGNED, date(2026, 7, 1))  # Birch's next one: not yet effective
    # Dogwood is offboarded: not listed though it has none; Xylem is another workspace's.
    assert practices_without_baa_in_force(world.workspace, TODAY) == [world.b, world.c]
    assert practice_has_baa_in_force(world.a, TODAY)
    assert not practice_has_baa_in_force(world.b, TODAY)
    # On 2026-05-31 Birch's agreement still held (its last day).
    assert practices_without_baa_in_force(world.workspace, date(2026, 5, 31)) == [world.c]


def test_flow_down_gaps_are_client_baas_in_force_resting_on_a_lapsed_vendor(world) -> None:
    officer = world.actor("officer")
    sound = world.vendor_baa("ClaimBridge", SIGNED, SIGNED)
    lapsed = world.vendor_baa("OldCloud", SIGNED, SIGNED, expires_on=date(2026, 4, 30))
    unsigned = world.vendor_baa("NewShred", None, None)
    alder = world.client_baa(world.a, SIGNED, SIGNED)
    birch = world.client_baa(world.b, SIGNED, SIGNED, expires_on=date(2026, 5, 1))
    baa_set_relies_on(actor=officer, baa=alder, subcontractors=[sound, lapsed, unsigned])
    baa_set_relies_on(actor=officer, baa=birch, subcontractors=[lapsed])  # Birch not in force
    gaps = flow_down_gaps(world.workspace, TODAY)
    assert [(g.client_baa, g.subcontractor_baa, g.subcontractor_status) for g in gaps] == [
        (alder, unsigned, BaaStatus.DRAFT),
        (alder, lapsed, BaaStatus.EXPIRED),
    ]
    # Before OldCloud lapsed (Birch in force too), only the unsigned vendor was a gap.
    earlier = flow_down_gaps(world.workspace, date(2026, 4, 1))
    assert [(g.client_baa, g.subcontractor_baa) for g in earlier] == [(alder, unsigned)]


def test_a_client_viewer_reads_only_its_own_practice_s_client_baas(world) -> None:
    alder = world.client_baa(world.a, SIGNED, SIGNED)
    birch = world.client_baa(world.b, SIGNED, SIGNED)
    vendor = world.vendor_baa("ClaimBridge", SIGNED, SIGNED)
    everything = {alder, birch, vendor}
    assert set(baas_visible_to(world.actor("officer"))) == everything
    assert set(baas_visible_to(world.actor("supervisor"))) == everything
    assert set(baas_visible_to(world.actor("client_a"))) == {alder}
    # compliance.view through a grant on Alder alone: Alder's agreement, not the program.
    assert set(baas_visible_to(world.actor("officer_a"))) == {alder}
    assert set(baas_visible_to(world.actor("biller_a"))) == set()
    assert set(baas_visible_to(world.actor("other_officer"))) == set()
    client = world.actor("client_a")
    assert baa_get(actor=client, public_id=alder.public_id) == alder
    for hidden in (birch.public_id, vendor.public_id, "nonsense"):
        with pytest.raises(Http404):
            baa_get(actor=client, public_id=hidden)


def test_a_document_is_sniffed_limited_and_hashed(world) -> None:
    officer = world.actor("officer")
    baa = world.client_baa(world.a, SIGNED, SIGNED)
    for content, words in (
        (b"", "empty"),
        (b"<html>not a pdf</html>", "not a PDF"),
        (b"%PDF-" + b"0" * MAX_DOCUMENT_BYTES, "larger than 10 MB"),
    ):
        with pytest.raises(BaaError, match=words):
            baa_document_upload(actor=officer, baa=baa, filename="baa.pdf", content=content)
    with pytest.raises(CapabilityDenied):
        baa_document_upload(
            actor=world.actor("supervisor"), baa=baa, filename="baa.pdf", content=PDF
        )
    baa_document_upload(actor=officer, baa=baa, filename="C:\\scans\\Alder BAA.pdf", content=PDF)
    baa.refresh_from_db()
    assert baa.document_filename == "Alder BAA.pdf" and baa.document_size == len(PDF)
    assert baa.document_sha256 == hashlib.sha256(PDF).hexdigest()
    assert bytes(baa.document) == PDF
    (event,) = AuditEvent.objects.filter(
        action=AuditAction.BAA_DOCUMENT_UPLOADED, workspace=world.workspace
    )
    assert event.detail["sha256"] == baa.document_sha256 and event.practice_id == world.a.pk


def test_a_download_is_audited_and_refused_like_a_missing_one_outside_reach(world) -> None:
    officer = world.actor("officer")
    alder = world.client_baa(world.a, SIGNED, SIGNED)
    birch = world.client_baa(world.b, SIGNED, SIGNED)
    vendor = world.vendor_baa("ClaimBridge", SIGNED, SIGNED)
    for baa in (alder, birch, vendor):
        baa_document_upload(actor=officer, baa=baa, filename="baa.pdf", content=PDF)
    name, content, sha = baa_document_download(actor=world.actor("client_a"), baa=alder)
    assert (name, content, sha) == ("baa.pdf", PDF, hashlib.sha256(PDF).hexdigest())
    (event,) = AuditEvent.objects.filter(
        action=AuditAction.BAA_DOCUMENT_DOWNLOADED, workspace=world.workspace
    )
    assert event.user == world.users["client_a"] and event.practice_id == world.a.pk
    assert event.record_ids == [str(alder.public_id)]
    for who, baa in (("client_a", birch), ("client_a", vendor), ("biller_a", alder)):
        with pytest.raises(Http404):
            baa_document_download(actor=world.actor(who), baa=baa)
    no_document = world.client_baa(world.c, SIGNED, SIGNED)
    with pytest.raises(Http404):
        baa_document_download(actor=officer, baa=no_document)
    downloads = AuditEvent.objects.filter(
        action=AuditAction.BAA_DOCUMENT_DOWNLOADED, workspace=world.workspace
    )
    assert downloads.count() == 1
