"""Writes of service facilities: the clinics where a practice sees patients (837P loop 2310C).

One set of rules for every way a facility arrives — the facility page and the practice setup
document both call `clean` — so a facility that was accepted can always be billed from: the 837P
needs its street, city, state and all nine ZIP digits. A closed clinic is deactivated, never
deleted: its encounters and claims still point at it.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from django.db import transaction

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.directory.models import ServiceFacility
from bureau.directory.npi import is_valid_npi
from bureau.directory.services import (
    DirectoryError,
    _changes,
    require_practice_manage,
    require_reason,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.practices import STATES

# Field limits are the 837P's (N3 55, N4 city 30) so what is saved always fits on a claim.
LIMITS = {"name": 60, "address_line1": 55, "city": 30}


@dataclass(frozen=True)
class FacilityData:
    name: str
    address_line1: str
    city: str
    state: str
    postal_code: str
    npi: str = ""
    is_active: bool = True


def _zip_plus_four(value: str) -> str:
    """The ZIP as written (627011234 or 62701-1234), once it is known to hold nine digits: kept
    as written so a setup document exported and imported again reads the same."""
    digits = re.sub(r"[\s-]", "", value or "")
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        raise DirectoryError(
            f"ZIP {value!r} is not a ZIP+4: nine digits, as 62701-1234 "
            "(the claim's service facility loop needs all nine).",
            "postal_code",
        )
    return value


def clean(data: FacilityData) -> dict[str, Any]:
    """The values to store, or a `DirectoryError` naming the first field at fault."""
    values: dict[str, Any] = {
        k: (v or "").strip() if isinstance(v, str) else v for k, v in asdict(data).items()
    }
    for key, label in (
        ("name", "A name"),
        ("address_line1", "A street address"),
        ("city", "A city"),
    ):
        if not values[key]:
            raise DirectoryError(f"{label} is required.", key)
        if len(values[key]) > LIMITS[key]:
            raise DirectoryError(
                f"{label} is at most {LIMITS[key]} characters on a claim "
                f"({len(values[key])} given).",
                key,
            )
    values["state"] = values["state"].upper()
    if values["state"] not in STATES:
        raise DirectoryError(f"{values['state']!r} is not a US state code (as IL).", "state")
    values["postal_code"] = _zip_plus_four(values["postal_code"])
    if values["npi"] and not (values["npi"].isascii() and is_valid_npi(values["npi"])):
        raise DirectoryError(
            f"NPI {values['npi']!r} is not valid: 10 digits starting with 1 or 2, "
            "with a correct check digit (or leave it empty).",
            "npi",
        )
    if not isinstance(values["is_active"], bool):
        raise DirectoryError("Active is yes or no.", "is_active")
    return values


def _name_taken(practice: Practice, name: str, exclude: int | None = None) -> bool:
    return (
        ServiceFacility.objects.filter(practice=practice, name__iexact=name)
        .exclude(pk=exclude or 0)
        .exists()
    )


def _audit(
    actor: Actor,
    facility: ServiceFacility,
    action: AuditAction,
    reason: str,
    detail: dict[str, Any],
) -> None:
    audit_record(
        action=action,
        actor=actor,
        practice=facility.practice,
        model="directory.ServiceFacility",
        record_ids=[facility.public_id],
        reason=reason,
        detail=detail,
    )


@transaction.atomic
def facility_create(
    *, actor: Actor, practice: Practice, data: FacilityData, reason: str
) -> ServiceFacility:
    require_practice_manage(actor, practice)
    reason = require_reason(reason)
    values = clean(data)
    # Locks the practice row so two people adding "Main Street Clinic" at once get one each
    # refused rather than two facilities of one name (the encounter form lists them by name).
    Practice.objects.select_for_update().filter(pk=practice.pk).first()
    if _name_taken(practice, values["name"]):
        raise DirectoryError("This practice already has a facility of that name.", "name")
    facility = ServiceFacility.objects.create(
        workspace_id=practice.workspace_id, practice=practice, **values
    )
    _audit(actor, facility, AuditAction.FACILITY_CREATED, reason, {"new": values})
    return facility


@transaction.atomic
def facility_update(
    *, actor: Actor, facility: ServiceFacility, data: FacilityData, reason: str
) -> ServiceFacility:
    facility = ServiceFacility.objects.select_for_update().get(pk=facility.pk)
    require_practice_manage(actor, facility.practice)
    reason = require_reason(reason)
    values = clean(data)
    # The practice row too, as `facility_create` does: two facilities renamed to one name at
    # once (or one renamed as another is added) are checked one after the other.
    Practice.objects.select_for_update().filter(pk=facility.practice_id).first()
    if _name_taken(facility.practice, values["name"], exclude=facility.pk):
        raise DirectoryError("This practice already has a facility of that name.", "name")
    changed = _changes(facility, values)
    if changed:
        facility.save(update_fields=list(changed))
        _audit(actor, facility, AuditAction.FACILITY_UPDATED, reason, {"changes": changed})
    return facility


@transaction.atomic
def facility_set_active(
    *, actor: Actor, facility: ServiceFacility, active: bool, reason: str
) -> ServiceFacility:
    """Deactivate (or reactivate) a facility; its other fields stay as they are, so an older row
    that predates today's address rules can still be closed."""
    facility = ServiceFacility.objects.select_for_update().get(pk=facility.pk)
    require_practice_manage(actor, facility.practice)
    reason = require_reason(reason)
    changed = _changes(facility, {"is_active": active})
    if changed:
        facility.save(update_fields=["is_active"])
        _audit(actor, facility, AuditAction.FACILITY_UPDATED, reason, {"changes": changed})
    return facility
