"""Writes of patients: capability, grant, practice match and audit, in one transaction."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import date

from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.directory.models import Payer
from bureau.patients.models import CobOrder, Coverage, Patient, Relationship, Sex
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

US_STATES = (
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA PR RI SC SD TN TX UT VT VA WA WV WI WY"
).split()


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
    ).filter(practice=practice, account_number__iexact=account)
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
# A member id goes out in the 837's NM109 (1..80 characters); payers issue letters, digits and
# dashes. ASCII only: a full-width or Arabic-Indic digit would pass `str.isdigit` and be sent.
MEMBER_ID_RE = re.compile(r"^[A-Za-z0-9-]{2,80}$", re.ASCII)
GROUP_RE = re.compile(r"^[A-Za-z0-9-]{0,50}$", re.ASCII)
EARLIEST = date(1900, 1, 1)
LATEST_END = date(2199, 12, 31)  # the date picker's own bound
EFFECTIVE_AHEAD_DAYS = 366  # a plan starting next year is entered ahead; one in 2150 is a typo


@dataclass(frozen=True)
class CoverageData:
    payer_id: int
    member_id: str
    effective_date: date
    cob_order: int = 1
    group_number: str = ""
    relationship: str = "18"
    end_date: date | None = None
    # The subscriber when not the patient (relationship other than self).
    subscriber_first_name: str = ""
    subscriber_last_name: str = ""
    subscriber_date_of_birth: date | None = None
    subscriber_sex: str = ""


COVERAGE_FIELDS = (
    "payer_id",
    "member_id",
    "group_number",
    "cob_order",
    "relationship",
    "subscriber_first_name",
    "subscriber_last_name",
    "subscriber_date_of_birth",
    "subscriber_sex",
    "effective_date",
    "end_date",
)


def coverage_problems(data: CoverageData) -> list[PatientError]:
    """What is wrong with a policy on its own (no database): each problem names its field.
    Shared by the coverage form and the roster import."""
    problems: list[PatientError] = []
    if not MEMBER_ID_RE.match(data.member_id):
        problems.append(
            PatientError("member_id", "Member id: 2 to 80 letters (A-Z), digits (0-9) or dashes.")
        )
    if not GROUP_RE.match(data.group_number):
        problems.append(
            PatientError("group_number", "Group: up to 50 letters (A-Z), digits (0-9) or dashes.")
        )
    if data.cob_order not in CobOrder.values:
        problems.append(PatientError("cob_order", "Order must be primary, secondary or tertiary."))
    if data.relationship not in Relationship.values:
        problems.append(PatientError("relationship", "Unknown relationship to the subscriber."))
    today = timezone.localdate()
    if data.effective_date < EARLIEST:
        problems.append(PatientError("effective_date", "Effective date is before 1900."))
    elif (data.effective_date - today).days > EFFECTIVE_AHEAD_DAYS:
        problems.append(
            PatientError("effective_date", "Effective date is more than a year from today.")
        )
    if data.end_date is not None:
        if data.end_date > LATEST_END:
            problems.append(PatientError("end_date", "End date is after 2199."))
        elif data.end_date < data.effective_date:
            problems.append(PatientError("end_date", "End date is before the effective date."))
    problems += _subscriber_problems(data, today)
    return problems


def _subscriber_problems(data: CoverageData, today: date) -> list[PatientError]:
    subscriber = {
        "subscriber_first_name": data.subscriber_first_name.strip(),
        "subscriber_last_name": data.subscriber_last_name.strip(),
        "subscriber_date_of_birth": data.subscriber_date_of_birth,
        "subscriber_sex": data.subscriber_sex,
    }
    if data.relationship == Relationship.SELF:
        # The subscriber is the patient: the claim takes name and birth date from the patient.
        return [
            PatientError(name, "The patient is the subscriber (Self): leave this empty.")
            for name, value in subscriber.items()
            if value
        ]
    problems = []
    labels = {
        "subscriber_first_name": "Subscriber's first name",
        "subscriber_last_name": "Subscriber's last name",
        "subscriber_date_of_birth": "Subscriber's date of birth",
    }
    for name, label in labels.items():
        if not subscriber[name]:
            problems.append(
                PatientError(name, f"{label} is required when the patient is not the subscriber.")
            )
    born = data.subscriber_date_of_birth
    if born is not None and born > today:
        problems.append(
            PatientError("subscriber_date_of_birth", "Subscriber's date of birth is in the future.")
        )
    elif born is not None and born < EARLIEST:
        problems.append(
            PatientError("subscriber_date_of_birth", "Subscriber's date of birth is before 1900.")
        )
    if data.subscriber_sex and data.subscriber_sex not in Sex.values:
        problems.append(PatientError("subscriber_sex", "Sex must be F, M or U."))
    return problems


def _active_payer(actor: Actor, payer_id: int, keep: int | None = None) -> Payer:
    """A payer of the actor's workspace, active (or the one the policy already has): another
    workspace's answers exactly like a missing one."""
    payer = Payer.objects.filter(workspace=actor.workspace, pk=payer_id).first()
    if payer is None or not (payer.is_active or payer.pk == keep):
        raise PatientError("payer_id", "Choose an active payer.")
    return payer


def _overlapping(
    actor: Actor, patient: Patient, data: CoverageData, exclude: int | None
) -> Coverage | None:
    """Another policy of the patient in the same COB order whose dates overlap: two primaries
    at once leave no answer to which payer is billed first."""
    qs = Coverage.objects.visible_to(actor, Capability.PATIENTS_EDIT).filter(
        patient=patient, cob_order=data.cob_order
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    if data.end_date is not None:
        qs = qs.filter(effective_date__lte=data.end_date)
    qs = qs.filter(Q(end_date__isnull=True) | Q(end_date__gte=data.effective_date))
    return qs.select_related("payer").order_by("effective_date", "id").first()


def _check_coverage(
    actor: Actor, patient: Patient, data: CoverageData, current: Coverage | None
) -> Payer:
    problems = coverage_problems(data)
    if problems:
        raise problems[0]
    payer = _active_payer(actor, data.payer_id, current.payer_id if current else None)
    other = _overlapping(actor, patient, data, current.pk if current else None)
    if other is not None:
        ends = other.end_date.isoformat() if other.end_date else "open-ended"
        raise PatientError(
            "cob_order",
            f"The patient's {other.get_cob_order_display().lower()} coverage with "
            f"{other.payer.name} ({other.effective_date.isoformat()} to {ends}) overlaps these "
            "dates: end that one first, or choose another order.",
        )
    return payer


def _coverage_values(data: CoverageData) -> dict[str, object]:
    values = asdict(data)
    for name in ("member_id", "group_number", "subscriber_first_name", "subscriber_last_name"):
        values[name] = str(values[name]).strip()
    return values


def _require_coverage_edit(actor: Actor, patient: Patient, practice: Practice) -> None:
    if patient.practice_id != practice.pk:
        raise CapabilityDenied("the request names another practice than the record's")
    # The subscriber's name and birth date are demographics: as for the patient's own.
    _require_edit(actor, practice)
    # The patient's row locked (and editable by the actor, else 404): two policies saved at
    # once (two tabs, a double click) are checked for overlap one after the other, not both
    # against the same snapshot.
    locked = (
        Patient.objects.visible_to(actor, Capability.PATIENTS_EDIT)
        .select_for_update(of=("self",))
        .filter(pk=patient.pk)
        .first()
    )
    if locked is None:
        raise Http404


@transaction.atomic
def coverage_create(
    *, actor: Actor, patient: Patient, data: CoverageData, practice: Practice | None = None
) -> Coverage:
    """Add an insurance policy to a patient the actor may edit. `practice`, when given, is the
    practice the request names (it must be the patient's)."""
    if practice is None:
        access = actor.access.get(patient.practice_id)
        if access is None:
            raise CapabilityDenied("no access to the patient's practice")
        practice = access.practice
    _require_coverage_edit(actor, patient, practice)
    payer = _check_coverage(actor, patient, data, None)
    values = _coverage_values(data)
    values.pop("payer_id")
    coverage = Coverage(
        workspace=actor.workspace, practice=practice, patient=patient, payer=payer, **values
    )
    coverage.save(force_insert=True)
    audit_record(
        action=AuditAction.COVERAGE_CREATED,
        actor=actor,
        practice=practice,
        model="patients.Coverage",
        record_ids=[coverage.public_id],
        detail={"patient": str(patient.public_id)},
    )
    return coverage


def _billed(actor: Actor, coverage: Coverage) -> bool:
    """Whether a claim went out on this policy (only the answer leaves here, never a row)."""
    from bureau.claims.models import Claim

    return (
        Claim.objects.whole_practice(
            actor, Capability.PATIENTS_EDIT, reason="payer of a billed coverage"
        )
        .filter(coverage_id=coverage.pk)
        .exists()
    )


@transaction.atomic
def coverage_update(
    *, actor: Actor, coverage: Coverage, practice: Practice, data: CoverageData
) -> list[str]:
    """Correct a policy; returns the names of the fields changed (none: nothing written).
    The payer of a policy already billed stays: its claims were sent to that payer, so a new
    payer is a new policy (end this one, add the other)."""
    patient = coverage.patient
    _require_coverage_edit(actor, patient, practice)
    payer = _check_coverage(actor, patient, data, coverage)
    values = _coverage_values(data)
    changed = [name for name in COVERAGE_FIELDS if getattr(coverage, name) != values[name]]
    if not changed:
        return []
    if "payer_id" in changed and _billed(actor, coverage):
        raise PatientError(
            "payer_id",
            "Claims were billed to this policy's payer: end this coverage and add a new one "
            "for the other payer.",
        )
    for name in changed:
        setattr(coverage, name, values[name])
    coverage.payer = payer
    coverage.save(update_fields=changed)
    # Field names only, as for the patient: the log says what changed, not the PHI values.
    audit_record(
        action=AuditAction.PATIENT_UPDATED,
        actor=actor,
        practice=practice,
        model="patients.Coverage",
        record_ids=[coverage.public_id],
        detail={"patient": str(patient.public_id), "fields": changed},
    )
    return changed


@transaction.atomic
def coverage_end(
    *, actor: Actor, coverage: Coverage, practice: Practice, end_date: date
) -> Coverage:
    """End a policy on `end_date`: it stays on the patient's page as history (claims of the
    dates it covered still point at it), never deleted."""
    patient = coverage.patient
    _require_coverage_edit(actor, patient, practice)
    if end_date < coverage.effective_date:
        raise PatientError("end_date", "End date is before the effective date.")
    if end_date > LATEST_END:
        raise PatientError("end_date", "End date is after 2199.")
    if coverage.end_date is not None and coverage.end_date <= end_date:
        raise PatientError(
            "end_date", f"This coverage already ends on {coverage.end_date.isoformat()}."
        )
    coverage.end_date = end_date
    coverage.save(update_fields=["end_date"])
    audit_record(
        action=AuditAction.PATIENT_UPDATED,
        actor=actor,
        practice=practice,
        model="patients.Coverage",
        record_ids=[coverage.public_id],
        detail={"patient": str(patient.public_id), "fields": ["end_date"], "ended": True},
    )
    return coverage
