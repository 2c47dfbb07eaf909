"""Writes of patients: capability, grant, practice match and audit, in one transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.patients.models import Patient, Sex
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability


class PatientError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PatientData:
    account_number: str
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    state: str = ""
    postal_code: str = ""
    phone: str = ""


def _validate(data: PatientData) -> None:
    if data.date_of_birth > timezone.localdate():
        raise PatientError("date_of_birth", "Date of birth is in the future.")
    if data.date_of_birth.year < 1900:
        raise PatientError("date_of_birth", "Date of birth is before 1900.")
    if data.sex not in Sex.values:
        raise PatientError("sex", "Sex must be F, M or U.")


def _require_edit(actor: Actor, practice: Practice) -> None:
    # Editing demographics needs seeing them: a masked actor cannot overwrite what it cannot read.
    actor.require(Capability.PATIENTS_EDIT, practice)
    actor.require(Capability.PATIENTS_DEMOGRAPHICS, practice)


def _account_taken(actor: Actor, practice: Practice, account: str, exclude: int | None) -> bool:
    qs = Patient.objects.visible_to(actor, Capability.PATIENTS_VIEW).filter(
        practice=practice, account_number=account
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


@transaction.atomic
def patient_create(*, actor: Actor, practice: Practice, data: PatientData) -> Patient:
    _require_edit(actor, practice)
    _validate(data)
    if _account_taken(actor, practice, data.account_number, None):
        raise PatientError("account_number", "This practice already has that account number.")
    patient = Patient(workspace=actor.workspace, practice=practice, **asdict(data))
    patient.save(force_insert=True)
    audit_record(
        action=AuditAction.PATIENT_CREATED,
        actor=actor,
        practice=practice,
        model="patients.Patient",
        record_ids=[patient.public_id],
    )
    return patient


@transaction.atomic
def patient_update(
    *, actor: Actor, patient: Patient, practice: Practice, data: PatientData
) -> Patient:
    """`practice` is the practice the request names; it must be the record's own."""
    if patient.practice_id != practice.pk:
        raise CapabilityDenied("the request names another practice than the record's")
    _require_edit(actor, practice)
    _validate(data)
    if _account_taken(actor, practice, data.account_number, patient.pk):
        raise PatientError("account_number", "This practice already has that account number.")
    changed = [name for name, value in asdict(data).items() if getattr(patient, name) != value]
    if not changed:
        return patient
    for name in changed:
        setattr(patient, name, getattr(data, name))
    patient.updated_at = timezone.now()
    patient.save(update_fields=[*changed, "updated_at"])
    # Field names only: the audit log says what changed, not the PHI values themselves.
    audit_record(
        action=AuditAction.PATIENT_UPDATED,
        actor=actor,
        practice=practice,
        model="patients.Patient",
        record_ids=[patient.public_id],
        detail={"fields": changed},
    )
    return patient
