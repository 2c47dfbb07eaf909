"""Scoped reads of patients. Every read that shows PHI writes its audit event here."""

from __future__ import annotations

from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from bureau.audit.listing import Page, audited_page
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.patients.models import Coverage, Patient
from bureau.patients.presentation import PatientCard, present_patient
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

PAGE_SIZE = 50
SORTS = {
    "name": ("last_name", "first_name", "id"),
    "account": ("account_number", "id"),
    "practice": ("practice__name", "last_name", "first_name", "id"),
    "dob": ("date_of_birth", "id"),
}
# Sorting by a masked field would leak its order to an actor who may not see it: a masked
# actor's name/dob sort is the account sort, and every other sort leaves these fields out
# (the practice sort orders by practice, then account number).
DEMOGRAPHIC_SORTS = {"name", "dob"}
DEMOGRAPHIC_FIELDS = frozenset({"last_name", "first_name", "date_of_birth"})


# `sort` is the order applied: a masked actor's name/dob sort falls back to account.
PatientPage = Page[PatientCard]


def _search(qs: QuerySet[Patient], actor: Actor, text: str) -> QuerySet[Patient]:
    """Account number anywhere; names only where the actor may see names."""
    text = text.strip()
    if not text:
        return qs
    condition = Q(account_number__istartswith=text)
    named = actor.practice_ids(Capability.PATIENTS_DEMOGRAPHICS)
    if named:
        if "," in text:
            last, first = (part.strip() for part in text.split(",", 1))
            name = Q(last_name__istartswith=last) & Q(first_name__istartswith=first)
        else:
            name = Q(last_name__istartswith=text) | Q(first_name__istartswith=text)
        condition |= Q(practice_id__in=named) & name
    return qs.filter(condition)


def patient_list(
    *,
    actor: Actor,
    practice: Practice | None = None,
    search: str = "",
    sort: str = "name",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> PatientPage:
    """One page of patients across every practice the actor may see (or one practice)."""
    qs: QuerySet[Patient] = Patient.objects.visible_to(actor, Capability.PATIENTS_VIEW)
    if practice is not None:
        qs = qs.filter(practice=practice)
    qs = _search(qs, actor, search)
    sees_names = _sees_all_names(actor, practice)
    if sort in DEMOGRAPHIC_SORTS and not sees_names:
        sort = "account"
    if sort not in SORTS:
        sort = "name" if sees_names else "account"
    qs = qs.order_by(*(SORTS[sort] if sees_names else masked_order(SORTS[sort])))
    patients = audited_page(
        qs,
        page=page,
        page_size=page_size,
        actor=actor,
        action=AuditAction.PATIENT_LISTED,
        model="patients.Patient",
        detail={"search": bool(search)},
    )
    return patients.shown_as(lambda p: present_patient(actor, p), sort=sort)


def masked_order(fields: tuple[str, ...]) -> tuple[str, ...]:
    """`fields` without the demographic ones, the account number in their place: the order a
    list may take when some of its rows are masked."""
    kept = [f for f in fields if f.lstrip("-") not in DEMOGRAPHIC_FIELDS and f != "id"]
    return tuple(dict.fromkeys([*kept, "account_number", "id"]))


def _sees_all_names(actor: Actor, practice: Practice | None) -> bool:
    if practice is not None:
        return actor.can(Capability.PATIENTS_DEMOGRAPHICS, practice)
    return actor.practice_ids(Capability.PATIENTS_VIEW) <= actor.practice_ids(
        Capability.PATIENTS_DEMOGRAPHICS
    )


def patient_get(*, actor: Actor, public_id: UUID, capability: Capability) -> Patient:
    """The patient, if the actor holds `capability` on its practice; otherwise 404."""
    patient: Patient | None = (
        Patient.objects.visible_to(actor, capability).filter(public_id=public_id).first()
    )
    if patient is None:
        raise Http404
    return patient


def patient_detail(*, actor: Actor, public_id: UUID) -> tuple[Patient, PatientCard]:
    patient = patient_get(actor=actor, public_id=public_id, capability=Capability.PATIENTS_VIEW)
    audit_record(
        action=AuditAction.PATIENT_VIEWED,
        actor=actor,
        practice=actor.access[patient.practice_id].practice,
        model="patients.Patient",
        record_ids=[patient.public_id],
    )
    return patient, present_patient(actor, patient)


def patient_coverages(*, actor: Actor, patient: Patient) -> list[Coverage]:
    """The patient's policies in coordination-of-benefits order (read with the patient, whose
    view is audited)."""
    return list(
        Coverage.objects.visible_to(actor, Capability.PATIENTS_VIEW)
        .filter(patient=patient)
        .select_related("payer")
        .order_by("cob_order", "-effective_date", "id")
    )


def coverage_get(*, actor: Actor, public_id: UUID, capability: Capability) -> Coverage:
    """The policy, if the actor holds `capability` over its patient; otherwise 404."""
    coverage: Coverage | None = (
        Coverage.objects.visible_to(actor, capability)
        .filter(public_id=public_id)
        .select_related("patient", "payer")
        .first()
    )
    if coverage is None:
        raise Http404
    return coverage


def coverage_form_viewed(*, actor: Actor, patient: Patient, coverage: Coverage | None) -> None:
    """A coverage form shows the patient's name and the policy: a read of both, audited."""
    audit_record(
        action=AuditAction.PATIENT_VIEWED,
        actor=actor,
        practice=actor.access[patient.practice_id].practice,
        model="patients.Coverage" if coverage else "patients.Patient",
        record_ids=[coverage.public_id if coverage else patient.public_id],
        detail={"form": "coverage", "patient": str(patient.public_id)},
    )
