"""What a patient looks like to an actor: full demographics, or masked (minimum necessary).

The masked form is built from the account number and initials only, so no unmasked value is
ever handed to a template for an actor without `patients.demographics`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bureau.patients.models import Patient, Sex
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.links import record_url

MASK = "•••"


@dataclass(frozen=True)
class PatientCard:
    public_id: str
    practice_name: str
    practice_public_id: str
    account_number: str
    name: str
    masked: bool
    date_of_birth: date | None
    sex: str
    address: str
    phone: str
    href: str = ""  # the patient's page
    born: str = MASK  # the date of birth as shown (yyyy-mm-dd), or the mask


def present_patient(actor: Actor, patient: Patient) -> PatientCard:
    practice = actor.access[patient.practice_id].practice
    common = {
        "public_id": str(patient.public_id),
        "practice_name": practice.name,
        "practice_public_id": str(practice.public_id),
        "account_number": patient.account_number,
        "href": record_url(patient.public_id, "patients:detail"),
    }
    if not actor.can(Capability.PATIENTS_DEMOGRAPHICS, patient.practice_id):
        return PatientCard(
            **common,
            name=f"{patient.first_name[:1]}. {patient.last_name[:1]}.",
            masked=True,
            date_of_birth=None,
            sex=MASK,
            address=MASK,
            phone=MASK,
        )
    address = ", ".join(
        part
        for part in (
            patient.address_line1,
            patient.address_line2,
            patient.city,
            f"{patient.state} {patient.postal_code}".strip(),
        )
        if part
    )
    return PatientCard(
        **common,
        name=f"{patient.last_name}, {patient.first_name}",
        masked=False,
        date_of_birth=patient.date_of_birth,
        born=patient.date_of_birth.isoformat() if patient.date_of_birth else MASK,
        sex=Sex(patient.sex).label,
        address=address,
        phone=patient.phone,
    )
