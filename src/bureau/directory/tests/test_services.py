"""Directory writes: NPI validation, reasons, audit with old/new values, capability refusals."""

from datetime import date

import pytest

from bureau.audit.models import AuditEvent
from bureau.directory import services
from bureau.directory.models import Enrollment, Payer, Provider
from bureau.directory.tests.helpers import GOOD_NPI, actor, practice_supervisor, practices
from bureau.tenancy.actor import CapabilityDenied

pytestmark = pytest.mark.django_db

PROVIDER = services.ProviderData(name="Dr. Test Person", npi=GOOD_NPI, last_name="Person")


def last_event():
    return AuditEvent.objects.order_by("-id").first()


def test_provider_create_audits_new_values():
    practice = practices()[0]
    provider = services.provider_create(
        actor=actor("olivia.owner"), practice=practice, data=PROVIDER, reason="new hire"
    )
    # The creation's event; the exclusion screening of the new provider follows it (issue 15).
    event = AuditEvent.objects.filter(action="provider.created").order_by("-id").first()
    assert event.action == "provider.created" and event.practice_id == practice.pk
    assert event.record_ids == [str(provider.public_id)] and event.reason == "new hire"
    assert event.detail["new"]["npi"] == GOOD_NPI


@pytest.mark.parametrize("npi", ["1234567890", "123456789", "3234567893", "12345678AB", ""])
def test_bad_npi_is_refused_naming_the_field(npi):
    bad = services.ProviderData(name="Dr. X", npi=npi)
    before = Provider.objects.count()
    with pytest.raises(services.DirectoryError) as exc:
        services.provider_create(
            actor=actor("olivia.owner"), practice=practices()[0], data=bad, reason="new hire"
        )
    assert exc.value.field == "npi" and "NPI" in str(exc.value)
    assert Provider.objects.count() == before


def test_reason_is_required():
    with pytest.raises(services.DirectoryError) as exc:
        services.provider_create(
            actor=actor("olivia.owner"), practice=practices()[0], data=PROVIDER, reason=" "
        )
    assert exc.value.field == "reason"


def test_provider_update_records_old_and_new():
    a = actor("olivia.owner")
    provider = services.provider_create(
        actor=a, practice=practices()[0], data=PROVIDER, reason="new hire"
    )
    data = services.ProviderData(name="Dr. Renamed", npi=GOOD_NPI, taxonomy="207Q00000X")
    services.provider_update(actor=a, provider=provider, data=data, reason="name change")
    event = last_event()
    assert event.action == "provider.updated"
    assert event.detail["changes"]["name"] == {"old": "Dr. Test Person", "new": "Dr. Renamed"}
    assert event.detail["changes"]["taxonomy"]["new"] == "207Q00000X"


def test_read_only_grant_and_view_only_role_are_refused():
    practice = practices()[0]
    for who in (
        practice_supervisor(practice, read_only=True),
        actor("alex.manager"),
        actor("bella.biller"),
    ):
        with pytest.raises(CapabilityDenied):
            services.provider_create(actor=who, practice=practice, data=PROVIDER, reason="new")


def test_other_practice_is_refused():
    first, second = practices()[:2]
    a = practice_supervisor(first)
    with pytest.raises(CapabilityDenied):
        services.provider_create(actor=a, practice=second, data=PROVIDER, reason="new hire")
    services.provider_create(actor=a, practice=first, data=PROVIDER, reason="new hire")
    harbor = actor("hank.harbor")
    with pytest.raises(CapabilityDenied):
        services.provider_create(actor=harbor, practice=first, data=PROVIDER, reason="x y z")


PAYER = services.PayerData(
    name="Test Payer", payer_id="TST01", timely_filing_days=90, appeal_limit_days=60
)


def test_payer_create_and_update_audit():
    a = actor("olivia.owner")
    payer = services.payer_create(actor=a, data=PAYER, reason="new contract")
    assert last_event().action == "payer.created"
    data = services.PayerData(
        name="Test Payer", payer_id="TST01", timely_filing_days=120, appeal_limit_days=60
    )
    services.payer_update(actor=a, payer=payer, data=data, reason="amended contract")
    event = last_event()
    assert event.action == "payer.updated"
    assert event.detail["changes"] == {"timely_filing_days": {"old": 90, "new": 120}}


@pytest.mark.parametrize("field", ["timely_filing_days", "appeal_limit_days"])
def test_payer_limits_must_be_positive(field):
    values = {"name": "P", "payer_id": "P1", field: 0}
    with pytest.raises(services.DirectoryError) as exc:
        services.payer_create(
            actor=actor("olivia.owner"), data=services.PayerData(**values), reason="new contract"
        )
    assert exc.value.field == field


def test_payers_need_workspace_wide_setup_manage():
    practice_only = practice_supervisor(practices()[0])
    with pytest.raises(CapabilityDenied):
        services.payer_create(actor=practice_only, data=PAYER, reason="new contract")
    assert not Payer.objects.filter(payer_id="TST01").exists()


def test_enrollment_upsert_creates_then_updates():
    a = actor("olivia.owner")
    provider = Provider.objects.filter(practice=practices()[0]).order_by("id").first()
    payer = Payer.objects.get(payer_id="BLUPK", workspace__slug="summit")
    assert not Enrollment.objects.filter(provider=provider, payer=payer).exists()
    data = services.EnrollmentData(status="pending")
    enrollment = services.enrollment_upsert(
        actor=a, provider=provider, payer=payer, data=data, reason="applied"
    )
    assert last_event().action == "enrollment.created"
    active = services.EnrollmentData(status="active", effective_date=date(2025, 3, 1))
    services.enrollment_upsert(
        actor=a, provider=provider, payer=payer, data=active, reason="approved"
    )
    enrollment.refresh_from_db()
    assert enrollment.status == "active"
    assert last_event().detail["changes"]["status"] == {"old": "pending", "new": "active"}


def test_enrollment_end_before_effective_is_refused():
    provider = Provider.objects.filter(practice=practices()[0]).first()
    payer = Payer.objects.get(payer_id="MCRDEMO", workspace__slug="summit")
    data = services.EnrollmentData(
        status="terminated", effective_date=date(2025, 3, 1), end_date=date(2025, 2, 1)
    )
    with pytest.raises(services.DirectoryError) as exc:
        services.enrollment_upsert(
            actor=actor("olivia.owner"), provider=provider, payer=payer, data=data, reason="ended"
        )
    assert exc.value.field == "end_date"
