"""Patient writes: capability, read-only grants, practice match, validation, audit."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.patients import selectors, services
from bureau.patients.models import Patient
from bureau.tenancy.actor import CapabilityDenied, resolve_actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db


def actor(username):
    return resolve_actor(User.objects.get(username=username))


def practices():
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def data(**overrides):
    values = dict(
        account_number="NEW0001",
        first_name="Rowan",
        last_name="Testwell",
        date_of_birth=date(1980, 5, 17),
        sex="F",
        state="IL",
        postal_code="62701",
    )
    values.update(overrides)
    return services.PatientData(**values)


def test_create_writes_patient_and_audit_event_together():
    a = actor("bella.biller")
    practice = practices()[0]
    before = AuditEvent.objects.count()
    patient = services.patient_create(actor=a, practice=practice, data=data())
    event = AuditEvent.objects.order_by("-id").first()
    assert AuditEvent.objects.count() == before + 1
    assert event.action == "patient.created" and event.record_ids == [str(patient.public_id)]
    assert event.practice_id == practice.pk and event.user.username == "bella.biller"


def test_read_only_grant_refuses_writes():
    a = actor("alex.manager")
    with pytest.raises(CapabilityDenied):
        services.patient_create(actor=a, practice=practices()[5], data=data())
    services.patient_create(actor=a, practice=practices()[0], data=data())


def test_practice_outside_grants_refused():
    with pytest.raises(CapabilityDenied):
        services.patient_create(actor=actor("priya.poster"), practice=practices()[0], data=data())


def test_masked_actor_cannot_edit_demographics():
    a = actor("dan.denials")
    with pytest.raises(CapabilityDenied):
        services.patient_create(actor=a, practice=practices()[0], data=data())


def test_update_refuses_a_practice_other_than_the_records():
    a = actor("olivia.owner")
    patient = selectors.patient_get(
        actor=a, public_id=_some_patient(a, practices()[0]), capability=Capability.PATIENTS_EDIT
    )
    with pytest.raises(CapabilityDenied):
        services.patient_update(
            actor=a,
            patient=patient,
            practice=practices()[1],
            data=data(account_number=patient.account_number),
        )


def _some_patient(a, practice):
    page = selectors.patient_list(actor=a, practice=practice, sort="account")
    return page.rows[0].public_id


def test_update_records_changed_fields_not_values():
    a = actor("olivia.owner")
    pid = _some_patient(a, practices()[0])
    patient = selectors.patient_get(actor=a, public_id=pid, capability=Capability.PATIENTS_EDIT)
    new = data(
        account_number=patient.account_number,
        first_name=patient.first_name,
        last_name="Renamed",
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        address_line1=patient.address_line1,
        city=patient.city,
        state=patient.state,
        postal_code=patient.postal_code,
        phone=patient.phone,
    )
    services.patient_update(actor=a, patient=patient, practice=practices()[0], data=new)
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "patient.updated"
    assert event.detail == {"fields": ["last_name"]}
    assert "Renamed" not in str(event.detail)
    patient = selectors.patient_get(actor=a, public_id=pid, capability=Capability.PATIENTS_VIEW)
    assert patient.last_name == "Renamed"


@pytest.mark.parametrize(
    ("override", "field"),
    [
        ({"date_of_birth": timezone.localdate() + timedelta(days=1)}, "date_of_birth"),
        ({"date_of_birth": date(1850, 1, 1)}, "date_of_birth"),
        ({"sex": "X"}, "sex"),
    ],
)
def test_bad_input_names_the_field_and_stores_nothing(override, field):
    a = actor("bella.biller")
    before = AuditEvent.objects.count()
    with pytest.raises(services.PatientError) as err:
        services.patient_create(actor=a, practice=practices()[0], data=data(**override))
    assert err.value.field == field
    assert AuditEvent.objects.count() == before
    assert (
        not Patient.objects.visible_to(a, Capability.PATIENTS_VIEW)
        .filter(account_number="NEW0001")
        .exists()
    )


def test_duplicate_account_number_in_practice_refused():
    a = actor("bella.biller")
    services.patient_create(actor=a, practice=practices()[0], data=data())
    with pytest.raises(services.PatientError) as err:
        services.patient_create(actor=a, practice=practices()[0], data=data(first_name="Other"))
    assert err.value.field == "account_number"
    # In any case: new0001 beside NEW0001 would be one patient to anyone reading it aloud.
    with pytest.raises(services.PatientError) as err:
        services.patient_create(
            actor=a, practice=practices()[0], data=data(account_number="new0001")
        )
    assert err.value.field == "account_number"
    # The same number in another practice is a different patient.
    services.patient_create(actor=a, practice=practices()[1], data=data())
