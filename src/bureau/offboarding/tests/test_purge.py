"""The purge: a second person approves after the waiting period; open work needs a reason;
every row of the practice goes, every other practice's rows stay; verified and certified."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from bureau.audit.chain import audit_verify_all
from bureau.audit.models import AuditAction, AuditEvent
from bureau.ledger.check import ledger_check
from bureau.offboarding import services
from bureau.offboarding.catalog import BUNDLES, OUTBOX, purged_tables
from bureau.offboarding.models import OffboardingStatus, PurgePermit
from bureau.offboarding.tests.helpers import actor, exported, summit
from bureau.offboarding.verify import counts_by_practice
from bureau.tenancy import rls
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.models import Grant, PracticeStatus

pytestmark = pytest.mark.django_db
OVERRIDE = "the client took its A/R to its new biller"


def _counts():
    with transaction.atomic():
        return counts_by_practice()


def test_the_requester_cannot_approve_their_own_purge():
    ob = exported(summit()[0])
    with pytest.raises(services.OffboardingError, match="A second person approves"):
        services.offboarding_approve(
            actor=actor("olivia.owner"), offboarding=ob, override_reason=OVERRIDE
        )


def test_no_purge_within_the_waiting_period():
    ob = exported(summit()[0], waited=False)
    opens = services.purge_opens_at(ob)
    assert opens is not None and opens.date() == (ob.requested_at + timedelta(days=30)).date()
    with pytest.raises(services.OffboardingError, match="waiting period runs until"):
        services.offboarding_approve(
            actor=actor("carla.compliance"), offboarding=ob, override_reason=OVERRIDE
        )


def test_only_an_owner_or_compliance_officer_approves():
    ob = exported(summit()[0])
    for username in ("sam.supervisor", "alex.manager", "bella.biller"):
        with pytest.raises(CapabilityDenied):
            services.offboarding_approve(
                actor=actor(username), offboarding=ob, override_reason=OVERRIDE
            )
    assert services.offboarding_approve.__doc__


def test_open_work_blocks_the_purge_unless_the_approver_says_why():
    practice = summit()[0]
    ob = exported(practice)
    work = services.open_work(practice)
    assert work.any, "the demo practice has open A/R and work items"
    with pytest.raises(services.OffboardingError, match="open A/R") as caught:
        services.offboarding_approve(actor=actor("carla.compliance"), offboarding=ob)
    assert caught.value.field == "override_reason"
    before = _counts()
    assert _counts() == before  # refused: nothing deleted


def test_the_purge_removes_every_row_and_file_of_the_practice_and_nothing_else(
    django_capture_on_commit_callbacks,
):
    practice = summit()[0]
    others = [p.pk for p in summit()[1:]]
    ob = exported(practice)
    bundle = Path(ob.bundle_path)
    assert bundle.exists()
    before = _counts()
    assert sum(n.get(practice.pk, 0) for n in before.values()) > 100
    events_before = AuditEvent.objects.filter(practice=practice).count()
    live_grants = Grant.objects.live().filter(practice=practice).count()
    assert live_grants, "cliff.client holds a grant on the practice"
    with django_capture_on_commit_callbacks(execute=True):
        services.offboarding_approve(
            actor=actor("carla.compliance"), offboarding=ob, override_reason=OVERRIDE
        )
    after = _counts()
    for table in purged_tables():
        assert after[table.label].get(practice.pk, 0) == 0, table.label
        for pid in others:
            assert after[table.label].get(pid, 0) == before[table.label].get(pid, 0), table.label
    assert not bundle.exists()
    assert not PurgePermit.objects.exists()
    ob.refresh_from_db()
    practice.refresh_from_db()
    assert ob.status == OffboardingStatus.PURGED and ob.verified_at is not None
    assert practice.status == PracticeStatus.OFFBOARDED
    assert not Grant.objects.live().filter(practice=practice).exists()
    # Audit events stay, and both checks still pass.
    assert AuditEvent.objects.filter(practice=practice).count() > events_before
    assert not ledger_check()
    assert not audit_verify_all()
    # The deleted counts equal what was there.
    assert ob.deleted == {t.label: before[t.label].get(practice.pk, 0) for t in purged_tables()}


def test_the_certificate_names_what_was_destroyed_who_and_when(
    as_user, django_capture_on_commit_callbacks
):
    practice = summit()[0]
    ob = exported(practice)
    with django_capture_on_commit_callbacks(execute=True):
        services.offboarding_approve(
            actor=actor("carla.compliance"), offboarding=ob, override_reason=OVERRIDE
        )
    ob.refresh_from_db()
    c = ob.certificate
    assert c["practice"]["npi"] == practice.npi
    assert c["export"]["sha256"] == ob.bundle_sha256 and len(ob.bundle_sha256) == 64
    assert c["requested_by"]["username"] == "olivia.owner"
    assert c["approved_by"]["username"] == "carla.compliance"
    assert c["verified_by"]["at"] is not None
    assert c["destroyed"]["tables"]["patients.Patient"] > 0
    assert c["destroyed"]["rows"] == sum(ob.deleted.values())
    assert c["destroyed"]["files"][BUNDLES] == 1 and c["destroyed"]["files"][OUTBOX] >= 1
    assert c["verification"]["files_remaining"] == {OUTBOX: 0, BUNDLES: 0}
    assert c["override_reason"] == OVERRIDE
    expires = (ob.purged_at + timedelta(days=35)).date().isoformat()
    assert c["backups"]["retention_days"] == 35 and c["backups"]["expire_by"] == expires
    assert "audit.AuditEvent" in c["kept"]
    text = "".join(
        page.extract_text() for page in PdfReader(io.BytesIO(bytes(ob.certificate_pdf))).pages
    )
    for said in ("Certificate of destruction", practice.name, ob.bundle_sha256[:16], expires):
        assert said in text, said
    # The owner and the compliance officer read it; the download is audited; others get 404.
    for username in ("olivia.owner", "carla.compliance"):
        client = as_user(username)
        assert (
            client.get(reverse("offboarding:certificate", args=[ob.public_id])).status_code == 200
        )
        pdf = client.get(reverse("offboarding:certificate_pdf", args=[ob.public_id]))
        assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert (
        AuditEvent.objects.filter(action=AuditAction.OFFBOARDING_CERTIFICATE_DOWNLOADED).count()
        == 2
    )
    for username in ("sam.supervisor", "hank.harbor", "cliff.client"):
        url = reverse("offboarding:certificate_json", args=[ob.public_id])
        assert as_user(username).get(url).status_code == 404, username


def test_a_second_approval_finds_it_purged():
    practice = summit()[0]
    ob = exported(practice)
    services.offboarding_approve(
        actor=actor("carla.compliance"), offboarding=ob, override_reason=OVERRIDE
    )
    with pytest.raises((services.OffboardingError, CapabilityDenied)):
        services.offboarding_approve(
            actor=actor("carla.compliance"), offboarding=ob, override_reason=OVERRIDE
        )


def test_a_failed_verification_rolls_the_purge_back(monkeypatch):
    practice = summit()[0]
    ob = exported(practice)
    before = _counts()
    monkeypatch.setattr(
        "bureau.offboarding.verify.ledger_check", lambda: ["line 1 does not balance"]
    )
    with pytest.raises(services.PurgeNotVerified, match="does not balance"):
        services.offboarding_approve(
            actor=actor("carla.compliance"), offboarding=ob, override_reason=OVERRIDE
        )
    assert _counts() == before
    ob.refresh_from_db()
    assert ob.status == OffboardingStatus.EXPORTED and timezone.now()


@pytest.mark.skipif(
    not connection.vendor == "postgresql", reason="the ledger's trigger is PostgreSQL's"
)
def test_the_ledger_stays_append_only_outside_a_purge():
    """Without a purge permit for the row's practice (another practice's permit does not
    count), the trigger still refuses DELETE, and UPDATE always."""
    practice, other = summit()[0], summit()[1]
    ob = exported(other)
    for statement in (
        "DELETE FROM remittance_ledgerentry WHERE practice_id = %s",
        "UPDATE remittance_ledgerentry SET note = 'x' WHERE practice_id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            rls.activate([practice.pk, other.pk])
            PurgePermit.objects.create(practice=other, offboarding=ob)
            with connection.cursor() as cursor:
                cursor.execute(statement, [practice.pk])


def test_rows_added_since_the_export_refuse_the_purge_until_it_is_built_again():
    """A patient imported during the waiting period is in no bundle: purging would destroy a
    record the client was never given. The approval says so and deletes nothing; the owner
    builds the export again and the purge then goes ahead."""
    from bureau.offboarding.tasks import offboarding_export_run
    from bureau.patients.roster import roster_import

    practice = summit()[0]
    ob = exported(practice)
    roster = "account_number,last_name,first_name,date_of_birth,sex\n"
    roster += "LATE-1,Late,Lena,1980-02-03,F\n"
    assert roster_import(actor=actor("olivia.owner"), practice=practice, text=roster).ok
    before = _counts()
    with pytest.raises(services.OffboardingError, match=r"changed since its export .*Patient"):
        services.offboarding_approve(
            actor=actor("carla.compliance"), offboarding=ob, override_reason=OVERRIDE
        )
    assert _counts() == before
    ob.refresh_from_db()
    assert ob.status == OffboardingStatus.EXPORTED

    services.offboarding_retry_export(actor=actor("olivia.owner"), offboarding=ob)
    assert offboarding_export_run.call(ob.pk) == "done"
    ob.refresh_from_db()
    assert (
        ob.manifest["files"]["data/patients.patient.jsonl"]["rows"]
        == (before["patients.Patient"][practice.pk])
    )
    # The wait counts from the offboarding's start: the export built again does not restart it
    # (a practice that keeps changing could otherwise never be purged).
    assert services.purge_opens_at(ob) < timezone.now()
    done = services.offboarding_approve(
        actor=actor("carla.compliance"), offboarding=ob, override_reason=OVERRIDE
    )
    assert done.status == OffboardingStatus.PURGED
