"""Writes of patients: capability, grant, practice match and audit, in one transaction."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.patients.models import CobOrder, Coverage, Patient, Relationship, Sex
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
    # Account numbers are unique in the practice, whatever providers the actor is limited to
    # (only the answer leaves here, never a row).
    qs = Patient.objects.whole_practice(
        actor, Capability.PATIENTS_VIEW, reason="account number uniqueness"
    ).filter(practice=practice, account_number=account)
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.exists()


def _require_visible(actor: Actor, patient: Patient) -> None:
    """The record must be one the actor may edit: its practice, and its providers when the
    actor's grant is limited to some (a 404, like a record that does not exist)."""
    editable = Patient.objects.visible_to(actor, Capability.PATIENTS_EDIT)
    if not editable.filter(pk=patient.pk).exists():
        raise Http404


@transaction.atomic
def patient_create(*, actor: Actor, practice: Practice, data: PatientData) -> Patient:
    _require_edit(actor, practice)
    if actor.provider_limited(practice, Capability.PATIENTS_EDIT):
        # A new patient has no encounter, so no provider yet: outside any provider's scope
        # (see `Patient.provider_scope`), the record would vanish from its creator's sight.
        raise PatientError(
            "practice",
            "Your access to this practice is limited to some providers: new patients are "
            "registered by someone with access to the whole practice.",
        )
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
    _require_visible(actor, patient)
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


# -- coverages --------------------------------------------------------------------------------
@dataclass(frozen=True)
class CoverageData:
    payer_id: int
    member_id: str
    effective_date: date
    cob_order: int = 1
    group_number: str = ""
    relationship: str = "18"
    end_date: date | None = None


@transaction.atomic
def coverage_create(*, actor: Actor, patient: Patient, data: CoverageData) -> Coverage:
    """Add an insurance policy to a patient the actor may edit."""
    from bureau.directory.models import Payer

    actor.require(Capability.PATIENTS_EDIT, patient.practice_id)
    _require_visible(actor, patient)
    payer = Payer.objects.filter(
        workspace=actor.workspace, pk=data.payer_id, is_active=True
    ).first()
    if payer is None:
        raise PatientError("payer", "Choose an active payer.")
    if not data.member_id.strip():
        raise PatientError("member_id", "Member id is required.")
    if data.cob_order not in CobOrder.values:
        raise PatientError("cob_order", "Order must be primary, secondary or tertiary.")
    if data.relationship not in Relationship.values:
        raise PatientError("relationship", "Unknown relationship to the subscriber.")
    if data.end_date is not None and data.end_date < data.effective_date:
        raise PatientError("end_date", "End date is before the effective date.")
    coverage = Coverage(
        workspace=actor.workspace,
        practice_id=patient.practice_id,
        patient=patient,
        payer=payer,
        member_id=data.member_id.strip(),
        group_number=data.group_number.strip(),
        cob_order=data.cob_order,
        relationship=data.relationship,
        effective_date=data.effective_date,
        end_date=data.end_date,
    )
    coverage.save(force_insert=True)
    audit_record(
        action=AuditAction.COVERAGE_CREATED,
        actor=actor,
        practice=actor.access[patient.practice_id].practice,
        model="patients.Coverage",
        record_ids=[coverage.public_id],
        detail={"patient": str(patient.public_id)},
    )
    return coverage
