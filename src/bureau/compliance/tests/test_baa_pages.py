"""The BAA inventory's pages, the dashboard and a practice's own records, on the seeded demo
(compliance/demo_program.py): who sees what, 404 like missing, writes for compliance.manage
only, errors naming the field, the document's upload and its audited download."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.baa_queries import (
    baa_history,
    expiring,
    flow_down_gaps,
    practices_without_baa_in_force,
)
from bureau.compliance.demo_program import (
    EXPIRING_IN_DAYS,
    EXPIRING_PRACTICE,
    NO_BAA_PRACTICE,
    demo_pdf,
)
from bureau.compliance.incidents import IncidentData, Timeline, incident_record
from bureau.compliance.models.baa import (
    BaaDirection,
    BaaStatus,
    BusinessAssociateAgreement,
    VendorService,
)
from bureau.compliance.program_queries import home_glance
from bureau.compliance.tests.helpers import actor_named, summit
from bureau.conftest import verified_client
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
PDF = demo_pdf("Test BAA", ["signed"])


def baa_of(practice_name: str) -> BusinessAssociateAgreement:
    return BusinessAssociateAgreement.objects.get(workspace=summit(), practice__name=practice_name)


def vendor(service: VendorService) -> BusinessAssociateAgreement:
    return BusinessAssociateAgreement.objects.get(workspace=summit(), vendor_service=service)


def detail(baa: BusinessAssociateAgreement, name: str = "compliance:baa_detail") -> str:
    return reverse(name, kwargs={"public_id": baa.public_id})


def body(response: Any) -> str:
    return response.content.decode()


# -- the demo -----------------------------------------------------------------------------------
def test_the_demo_holds_the_inventory_described() -> None:
    today = timezone.localdate()
    workspace = summit()
    missing = practices_without_baa_in_force(workspace, today)
    assert [p.name for p in missing] == [NO_BAA_PRACTICE]
    alerts = {a.baa.party: a for a in expiring(workspace, today)}
    assert alerts[EXPIRING_PRACTICE].days_left == EXPIRING_IN_DAYS <= 30
    shredding = vendor(VendorService.SHREDDING)
    assert shredding.status_on(today) == BaaStatus.EXPIRED
    assert alerts[shredding.vendor_name].level == "expired"
    services = set(
        BusinessAssociateAgreement.objects.filter(
            workspace=workspace, direction=BaaDirection.SUBCONTRACTOR
        ).values_list("vendor_service", flat=True)
    )
    assert {"clearinghouse", "cloud_host", "offshore_team", "shredding"} <= services
    # Flow-down: every client BAA relies on the clearinghouse and the cloud host; those
    # relying on the expired shredding vendor show as gaps.
    clients = BusinessAssociateAgreement.objects.filter(
        workspace=workspace, direction=BaaDirection.CLIENT
    )
    assert clients.count() == Practice.objects.filter(workspace=workspace).count() - 1
    for baa in clients:
        assert vendor(VendorService.CLEARINGHOUSE) in baa.relies_on.all()
    gaps = flow_down_gaps(workspace, today)
    assert gaps and {g.subcontractor_baa for g in gaps} == {shredding}
    # The expiring one has no signed copy yet (the browser test uploads it); others have.
    assert not baa_of(EXPIRING_PRACTICE).document_sha256
    assert baa_of("Lakeside Family Medicine").document_sha256
    # The other workspace has none.
    assert not BusinessAssociateAgreement.objects.exclude(workspace=workspace).exists()


def test_the_home_glance_counts_what_the_inventory_shows() -> None:
    glance = home_glance(summit(), timezone.localdate())
    # Pinecrest missing; the shredding vendor expired; Bayview within 30 days.
    assert (glance.missing, glance.expired, glance.expiring_30) == (1, 1, 1)


# -- who sees what ------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["carla.compliance", "olivia.owner", "sam.supervisor"])
def test_whole_program_readers_open_the_dashboard_and_the_inventory(username: str) -> None:
    client = verified_client(username)
    board = client.get(reverse("compliance:dashboard"))
    assert board.status_code == 200
    text = body(board)
    assert NO_BAA_PRACTICE.replace("'", "&#x27;") in text
    assert EXPIRING_PRACTICE in text and "21 days left" in text
    for path in ("/compliance/incidents/", "/compliance/training/", "/compliance/screening/"):
        assert f'href="{path}"' in text
    listing = client.get(reverse("compliance:baa_list"))
    assert listing.status_code == 200
    text = body(listing)
    assert "ShredRight Document Destruction" in text and "Expired 12 days ago" in text
    # Only a manager is offered the forms.
    manages = username != "sam.supervisor"
    assert ("Record a BAA" in text) == manages
    page = body(client.get(detail(baa_of(EXPIRING_PRACTICE))))
    assert ('id="baa-upload-form"' in page) == manages
    assert ('id="baa-terms-form"' in page) == manages


@pytest.mark.parametrize("username", ["bella.biller", "cliff.client", "alex.manager"])
def test_others_find_no_dashboard_inventory_or_agreement(username: str) -> None:
    client = verified_client(username)
    for url in (
        reverse("compliance:dashboard"),
        reverse("compliance:baa_list"),
        reverse("compliance:baa_record"),
        detail(baa_of("Lakeside Family Medicine")),
        detail(vendor(VendorService.CLOUD_HOST)),
        detail(baa_of("Northgate Orthopedics"), "compliance:baa_document"),  # cliff: not his
    ):
        assert client.get(url).status_code == 404, url


def test_another_workspace_s_owner_finds_summit_s_agreements_missing() -> None:
    client = verified_client("hank.harbor")
    for baa in (baa_of("Lakeside Family Medicine"), vendor(VendorService.CLOUD_HOST)):
        for name in ("compliance:baa_detail", "compliance:baa_document"):
            assert client.get(detail(baa, name)).status_code == 404
        assert client.post(detail(baa, "compliance:baa_terminate"), {}).status_code == 404
    board = client.get(reverse("compliance:dashboard"))
    assert board.status_code == 200 and "Summit" not in body(board)
    assert "ClaimBridge" not in body(client.get(reverse("compliance:baa_list")))


def test_filters_narrow_the_list_and_a_bad_one_is_a_400_naming_it() -> None:
    client = verified_client("carla.compliance")
    url = reverse("compliance:baa_list")
    vendors = body(client.get(url, {"direction": "subcontractor"}))
    assert "Nimbus Cloud Hosting" in vendors and "Lakeside Family Medicine</a>" not in vendors
    expired = body(client.get(url, {"status": "expired"}))
    assert "ShredRight" in expired and "Nimbus" not in expired
    bad = client.get(url, {"status": "nope", "direction": "sideways"})
    assert bad.status_code == 400
    assert "Status: choose" in body(bad) and "Direction: choose" in body(bad)


# -- writes -------------------------------------------------------------------------------------
WRITES = ["compliance:baa_change", "compliance:baa_terminate", "compliance:baa_flow_down"]


@pytest.mark.parametrize("name", [*WRITES, "compliance:baa_upload"])
def test_a_reader_who_does_not_manage_is_refused_like_missing(name: str) -> None:
    baa = baa_of(EXPIRING_PRACTICE)
    before = AuditEvent.objects.count()
    response = verified_client("sam.supervisor").post(
        detail(baa, name),
        {
            "end-terminated_on": "2026-01-01",
            "end-reason": "x",
            "flow-flow_down": "1",
            "doc-document": SimpleUploadedFile("b.pdf", PDF),
        },
    )
    assert response.status_code == 404
    assert AuditEvent.objects.count() == before
    baa.refresh_from_db()
    assert baa.terminated_on is None and not baa.document_sha256


def test_recording_for_a_supervisor_is_missing_too() -> None:
    client = verified_client("sam.supervisor")
    assert client.get(reverse("compliance:baa_record")).status_code == 404
    assert client.post(reverse("compliance:baa_record"), {}).status_code == 404


def test_record_a_subcontractor_baa_and_errors_name_the_field() -> None:
    client = verified_client("carla.compliance")
    url = reverse("compliance:baa_record")
    form = {
        "direction": "subcontractor",
        "vendor_name": "",
        "vendor_service": "software",
        "phi_scope": "Statements printed and mailed",
        "signed_on": "2026-01-05",
        "effective_on": "2026-01-05",
    }
    refused = client.post(url, form)
    assert refused.status_code == 200
    assert "Name the vendor this BAA is with." in body(refused)
    assert refused.context["form"].errors["vendor_name"]
    later = {**form, "vendor_name": "PrintPost Mailing", "expires_on": "2025-12-31"}
    refused = client.post(url, later)
    assert refused.context["form"].errors["expires_on"] == [
        "The BAA cannot expire before it takes effect."
    ]
    done = client.post(url, {**form, "vendor_name": "PrintPost Mailing"})
    baa = BusinessAssociateAgreement.objects.get(vendor_name="PrintPost Mailing")
    assert done.status_code == 302 and done["Location"] == detail(baa)
    assert [e.action for e in baa_history(baa)] == [AuditAction.BAA_RECORDED]


def test_dates_beyond_the_date_picker_s_bounds_are_refused_on_their_field() -> None:
    """The picker offers 1900..2199; a request that skips it (an expiry in 9999, a termination
    in 9999 that could never be corrected, a signature in year 1) is refused the same way."""
    client = verified_client("carla.compliance")
    form = {
        "direction": "subcontractor",
        "vendor_name": "Far Dates Inc",
        "vendor_service": "software",
        "phi_scope": "Statements",
        "signed_on": "2026-01-05",
        "effective_on": "2026-01-05",
    }
    for field, value in [("expires_on", "9999-12-31"), ("signed_on", "0001-01-01")]:
        refused = client.post(reverse("compliance:baa_record"), {**form, field: value})
        assert refused.status_code == 200
        assert refused.context["form"].errors[field][0].startswith("That date is too far")
    assert not BusinessAssociateAgreement.objects.filter(vendor_name="Far Dates Inc").exists()
    baa = baa_of(EXPIRING_PRACTICE)
    refused = client.post(
        detail(baa, "compliance:baa_terminate"),
        {"end-terminated_on": "9999-12-31", "end-reason": "typo"},
    )
    assert refused.context["terminate_form"].errors["terminated_on"] == [
        "That date is too far in the future (2199 or earlier)."
    ]
    baa.refresh_from_db()
    assert baa.terminated_on is None


def test_a_client_baa_for_the_missing_practice_closes_the_gap() -> None:
    client = verified_client("carla.compliance")
    pinecrest = Practice.objects.get(name=NO_BAA_PRACTICE)
    form_page = client.get(reverse("compliance:baa_record"), {"practice": pinecrest.public_id})
    assert form_page.context["form"].initial["practice"] == str(pinecrest.public_id)
    today = timezone.localdate()
    client.post(
        reverse("compliance:baa_record"),
        {
            "direction": "client",
            "practice": str(pinecrest.public_id),
            "phi_scope": "Everything we bill",
            "signed_on": today.isoformat(),
            "effective_on": today.isoformat(),
            "breach_notice_days": "10",
        },
    )
    assert practices_without_baa_in_force(summit(), today) == []
    page = verified_client("olivia.owner").get(
        reverse("directory:providers"), {"practice": pinecrest.public_id}
    )
    assert 'id="baa-missing-banner"' not in body(page)


def test_change_terms_and_terminate_with_errors_on_their_fields() -> None:
    client = verified_client("carla.compliance")
    baa = baa_of(EXPIRING_PRACTICE)
    today = timezone.localdate()
    terms = {
        "terms-phi_scope": baa.phi_scope,
        "terms-signed_on": baa.signed_on.isoformat(),
        "terms-effective_on": baa.effective_on.isoformat(),
        "terms-expires_on": (today + timedelta(days=730)).isoformat(),
        "terms-breach_notice_days": "400",
    }
    refused = client.post(detail(baa, "compliance:baa_change"), terms)
    assert refused.status_code == 200
    assert refused.context["terms_form"].errors["breach_notice_days"]
    renewed = client.post(
        detail(baa, "compliance:baa_change"), {**terms, "terms-breach_notice_days": "10"}
    )
    assert renewed.status_code == 302
    baa.refresh_from_db()
    assert baa.expires_on == today + timedelta(days=730)
    history = body(client.get(detail(baa)))
    assert "baa.changed" in history or "expires_on" in history

    no_reason = client.post(
        detail(baa, "compliance:baa_terminate"),
        {"end-terminated_on": today.isoformat(), "end-reason": ""},
    )
    assert no_reason.status_code == 200
    assert no_reason.context["terminate_form"].errors["reason"]
    before = client.post(
        detail(baa, "compliance:baa_terminate"),
        {"end-terminated_on": "2000-01-01", "end-reason": "moved"},
    )
    assert before.context["terminate_form"].errors["terminated_on"] == [
        "The BAA cannot end before it takes effect."
    ]
    ended = client.post(
        detail(baa, "compliance:baa_terminate"),
        {"end-terminated_on": today.isoformat(), "end-reason": "Practice left us"},
    )
    assert ended.status_code == 302
    baa.refresh_from_db()
    assert baa.terminated_on == today and baa.termination_reason == "Practice left us"


def test_flow_down_is_set_and_an_empty_post_changes_nothing() -> None:
    client = verified_client("carla.compliance")
    baa = baa_of("Lakeside Family Medicine")
    before = set(baa.relies_on.all())
    empty = client.post(detail(baa, "compliance:baa_flow_down"), {})
    assert empty.status_code == 200 and set(baa.relies_on.all()) == before
    cloud = vendor(VendorService.CLOUD_HOST)
    saved = client.post(
        detail(baa, "compliance:baa_flow_down"),
        {"flow-flow_down": "1", "flow-relies_on": [str(cloud.public_id)]},
    )
    assert saved.status_code == 302 and list(baa.relies_on.all()) == [cloud]
    # The vendor's page names the client BAAs relying on it.
    assert "Lakeside Family Medicine" in body(client.get(detail(cloud)))
    # A subcontractor BAA relies on nothing: refused with the reason.
    refused = client.post(detail(cloud, "compliance:baa_flow_down"), {"flow-flow_down": "1"})
    assert "Only a client BAA relies on subcontractor BAAs." in body(refused)
    # A foreign or made-up id is not a choice.
    bogus = client.post(
        detail(baa, "compliance:baa_flow_down"),
        {"flow-flow_down": "1", "flow-relies_on": ["00000000-0000-0000-0000-000000000000"]},
    )
    assert bogus.status_code == 200 and bogus.context["flow_form"].errors["relies_on"]


def test_upload_refuses_what_is_not_a_pdf_and_the_download_is_audited_and_not_cached() -> None:
    client = verified_client("carla.compliance")
    baa = baa_of(EXPIRING_PRACTICE)
    url = detail(baa, "compliance:baa_upload")
    fake = client.post(url, {"doc-document": SimpleUploadedFile("baa.pdf", b"<html>hi</html>")})
    assert fake.status_code == 200
    assert fake.context["upload_form"].errors["document"] == ["The file is not a PDF."]
    nothing = client.post(url, {})
    assert nothing.context["upload_form"].errors["document"]
    assert client.get(detail(baa, "compliance:baa_document")).status_code == 404  # none yet

    stored = client.post(url, {"doc-document": SimpleUploadedFile("signed baa.pdf", PDF)})
    assert stored.status_code == 302
    baa.refresh_from_db()
    assert baa.document_filename == "signed baa.pdf" and bytes(baa.document) == PDF
    before = AuditEvent.objects.filter(action=AuditAction.BAA_DOCUMENT_DOWNLOADED).count()
    download = client.get(detail(baa, "compliance:baa_document"))
    assert download.status_code == 200 and download.content == PDF
    assert download["Content-Type"] == "application/pdf"
    assert "no-store" in download["Cache-Control"]
    assert download["Content-Disposition"].startswith("attachment;")
    after = AuditEvent.objects.filter(action=AuditAction.BAA_DOCUMENT_DOWNLOADED)
    assert after.count() == before + 1
    assert after.order_by("-pk").first().user.username == "carla.compliance"
    # A HEAD delivers no file and audits none.
    assert client.head(detail(baa, "compliance:baa_document")).status_code == 405
    assert after.count() == before + 1


# -- a practice's own records -------------------------------------------------------------------
def _incident(title: str, practice: Practice) -> Any:
    officer = actor_named("carla.compliance")
    incident = incident_record(
        actor=officer,
        data=IncidentData(
            title=title,
            description="test",
            timeline=Timeline(discovered_at=timezone.now() - timedelta(days=3)),
        ),
    )
    incident.affected_practices.add(practice)
    return incident


def test_the_client_viewer_sees_her_practice_s_baa_and_incidents_only() -> None:
    lakeside = Practice.objects.get(name="Lakeside Family Medicine")
    northgate = Practice.objects.get(name="Northgate Orthopedics")
    _incident("Misdirected fax to Lakeside", lakeside)
    _incident("Laptop stolen at Northgate", northgate)
    client = verified_client("cliff.client")
    home = body(client.get("/"))
    assert f'href="{reverse("compliance:my_practice")}"' in home
    page = client.get(reverse("compliance:my_practice"))
    assert page.status_code == 200
    text = body(page)
    assert "Lakeside Family Medicine" in text and "Misdirected fax to Lakeside" in text
    assert baa_of("Lakeside Family Medicine").document_sha256 in text
    for hidden in ("Laptop stolen", "Northgate", "ClaimBridge", "Nimbus", "ShredRight"):
        assert hidden not in text, hidden
    # Her practice's signed copy: linked, handed out audited and never cached; another
    # practice's client BAA and a vendor's answer the missing 404, bytes and all.
    mine = baa_of("Lakeside Family Medicine")
    link = reverse("compliance:baa_document", args=[mine.public_id])
    assert f'href="{link}"' in text
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    got = client.get(link)
    assert got.status_code == 200 and got.content == bytes(mine.document)
    assert "no-store" in got["Cache-Control"]
    assert AuditEvent.objects.filter(
        pk__gt=before, action=AuditAction.BAA_DOCUMENT_DOWNLOADED, user__username="cliff.client"
    ).exists()
    missing = client.get(
        reverse("compliance:baa_document", args=["7b0b7b9a-0000-4222-9bf8-fb964f0de9bd"])
    )
    for other in (baa_of("Northgate Orthopedics"), vendor(VendorService.CLEARINGHOUSE)):
        refused = client.get(reverse("compliance:baa_document", args=[other.public_id]))
        assert refused.status_code == missing.status_code == 404
        assert refused.content == missing.content
    assert (
        client.get(reverse("compliance:my_practice"), {"practice": northgate.public_id}).status_code
        == 404
    )
    assert client.get(reverse("compliance:my_practice"), {"practice": "x"}).status_code == 404


def test_the_practice_page_is_missing_for_those_without_compliance_reach() -> None:
    assert verified_client("bella.biller").get(reverse("compliance:my_practice")).status_code == 404
    officer = verified_client("carla.compliance")
    pinecrest = Practice.objects.get(name=NO_BAA_PRACTICE)
    page = officer.get(reverse("compliance:my_practice"), {"practice": pinecrest.public_id})
    assert page.status_code == 200 and 'id="no-baa"' in body(page)


# -- the bar, the home, setup ------------------------------------------------------------------
def test_the_compliance_link_shows_to_those_who_may_open_it() -> None:
    dashboard = reverse("compliance:dashboard")
    for username, shown in [
        ("carla.compliance", True),
        ("olivia.owner", True),
        ("bella.biller", False),
        ("cliff.client", False),
    ]:
        home = body(verified_client(username).get("/"))
        assert (f'href="{dashboard}"' in home) == shown, username


def test_the_officer_s_home_counts_the_baa_obligations() -> None:
    home = body(verified_client("carla.compliance").get("/"))
    assert 'id="home-compliance"' in home and "3 BAA obligations need action" in home
    assert 'id="home-compliance"' not in body(verified_client("olivia.owner").get("/"))


def test_setup_pages_warn_of_a_practice_without_a_baa() -> None:
    pinecrest = Practice.objects.get(name=NO_BAA_PRACTICE)
    lakeside = Practice.objects.get(name="Lakeside Family Medicine")
    owner = verified_client("olivia.owner")
    for name in ("directory:providers", "directory:enrollments", "directory:fees"):
        warned = body(owner.get(reverse(name), {"practice": pinecrest.public_id}))
        assert 'id="baa-missing-banner"' in warned, name
        assert reverse("compliance:baa_list") in warned
        assert 'id="baa-missing-banner"' not in body(
            owner.get(reverse(name), {"practice": lakeside.public_id})
        )
    # A setup reader who may not open the inventory gets the warning without the link.
    manager = verified_client("alex.manager")
    page = manager.get(reverse("directory:providers"), {"practice": pinecrest.public_id})
    if page.status_code == 200:
        text = body(page)
        assert 'id="baa-missing-banner"' in text and reverse("compliance:baa_list") not in text


# -- the dashboard's other blocks ---------------------------------------------------------------
def test_the_dashboard_shows_each_part_s_work_red_where_missed() -> None:
    from bureau.compliance.incidents import incident_set_affected
    from bureau.compliance.models.training import CourseKind
    from bureau.compliance.tests.helpers import FULL, import_file
    from bureau.compliance.training import CourseTerms, course_create

    officer = actor_named("carla.compliance")
    lakeside = Practice.objects.get(name="Lakeside Family Medicine")
    late = incident_record(
        actor=officer,
        data=IncidentData(
            title="Misdirected remittance file",
            description="test",
            timeline=Timeline(discovered_at=timezone.now() - timedelta(days=65)),
        ),
    )
    incident_set_affected(actor=officer, incident=late, practices=[lakeside])
    course_create(
        actor=officer, terms=CourseTerms(title="HIPAA basics", kind=CourseKind.ANNUAL_HIPAA)
    )
    import_file(FULL)
    text = body(verified_client("carla.compliance").get(reverse("compliance:dashboard")))
    # The clock: Lakeside's BAA promises 10 days, the rule 60: both passed 5+ days ago.
    assert "Misdirected remittance file" in text and "overdue by 55 days" in text
    assert "1 clock passed" in text
    # Training: due within 30 days for the workforce (the seed's logins are new), not overdue.
    assert 'id="training-due"' in text and "HIPAA basics (" in text
    # Screening: the demo's last run was on the 18th of last month (less than a month ago),
    # none yet this month: due, not missed.
    assert "this month&#x27;s run is due" in text or "this month's run is due" in text


def test_screening_run_last_month_is_due_this_month_not_missed() -> None:
    """Monthly screening on the 7th: a run 20 days ago (last month) is not a missed obligation
    yet — this month's shows as due; 40 days ago it is overdue and counted red."""
    from bureau.compliance.models.screening import ScreeningRun
    from bureau.compliance.program_queries import screening_block
    from bureau.compliance.screening import screen
    from bureau.compliance.tests.helpers import FULL, import_file

    import_file(FULL)
    screen(summit(), actor=None, label="system (monthly screening)")
    today = timezone.localdate()
    for days_ago, overdue in ((20, False), (40, True)):
        ScreeningRun.objects.filter(workspace=summit()).update(  # the demo's runs too
            ran_at=timezone.now() - timedelta(days=days_ago)
        )
        block = screening_block(summit(), today)
        assert block.overdue is overdue, days_ago
        assert block.month_due is (days_ago >= today.day), days_ago
        assert block.missed == int(overdue) + block.open_hits
