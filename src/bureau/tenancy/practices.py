"""Writes of a client practice itself: add one, edit its details, move it through its life.

A practice is control data (no PHI): its name, NPI, tax id, billing address (837P loop 2010AA),
timezone, specialty, claim-number prefix and status. Adding a practice is a workspace-level
`setup.manage` act (an owner's: the new practice is outside every practice grant until someone
is granted on it); editing one needs `setup.manage` on it. Each write is one transaction with
its audit event, the person and the reason; the event keeps old and new values.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any
from zoneinfo import available_timezones

from django.db import IntegrityError, transaction

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.directory.npi import is_valid_npi
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice, PracticeStatus
from bureau.tenancy.roles import Capability

# Where a practice may go from each status (DESIGN §10: onboarding → active → offboarding →
# offboarded). Offboarded is the end: its data is exported and purged, it does not come back.
MOVES: dict[str, tuple[str, ...]] = {
    PracticeStatus.ONBOARDING: (PracticeStatus.ACTIVE, PracticeStatus.OFFBOARDING),
    PracticeStatus.ACTIVE: (PracticeStatus.OFFBOARDING,),
    PracticeStatus.OFFBOARDING: (PracticeStatus.ACTIVE, PracticeStatus.OFFBOARDED),
    PracticeStatus.OFFBOARDED: (),
}
# What the status form offers: offboarding starts on its own page (`bureau.offboarding`, which
# builds the export bundle), and offboarded only follows that purge, verified.
MANUAL_MOVES: dict[str, tuple[str, ...]] = {
    status: tuple(
        s for s in moves if s not in (PracticeStatus.OFFBOARDING, PracticeStatus.OFFBOARDED)
    )
    for status, moves in MOVES.items()
}
# An offboarding practice returns to active by calling its offboarding off, not by this form.
MANUAL_MOVES[PracticeStatus.OFFBOARDING] = ()
# The 50 states, DC and the territories a US payer bills from.
STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR VI GU AS MP".split()
)
CODE_PATTERN = re.compile(r"^[A-Z0-9]{2,8}$")


class PracticeError(ValueError):
    """A practice change that cannot be made; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class PracticeData:
    name: str
    code: str
    npi: str
    tax_id: str
    address_line1: str
    city: str
    state: str
    postal_code: str
    timezone: str
    specialty: str = ""
    address_line2: str = ""


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise PracticeError("Give a reason for this change (at least a few words).", "reason")
    return reason


def _zip_plus_four(value: str) -> str:
    """ZIP+4 as `NNNNN-NNNN` (the 837P billing address needs all nine digits)."""
    digits = re.sub(r"[\s-]", "", value or "")
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        raise PracticeError(
            f"ZIP {value!r} is not a ZIP+4: nine digits, as 62701-1234 (claims need all nine).",
            "postal_code",
        )
    return f"{digits[:5]}-{digits[5:]}"


def _tax_id(value: str) -> str:
    digits = re.sub(r"[\s-]", "", value or "")
    if len(digits) != 9 or not digits.isascii() or not digits.isdigit():
        raise PracticeError("A tax id (EIN) is nine digits, as 12-3456789.", "tax_id")
    return digits


def clean(data: PracticeData) -> dict[str, Any]:
    """The values to store, or a `PracticeError` naming the first field at fault."""
    values = {k: (v or "").strip() for k, v in asdict(data).items()}
    if not values["name"]:
        raise PracticeError("A practice name is required.", "name")
    values["code"] = values["code"].upper()
    if not CODE_PATTERN.match(values["code"]):
        raise PracticeError(
            "The claim-number prefix is 2 to 8 letters or digits (claim numbers read CODE-000123).",
            "code",
        )
    if not is_valid_npi(values["npi"]):
        raise PracticeError(
            f"NPI {values['npi']!r} is not valid: 10 digits starting with 1 or 2, "
            "with a correct check digit.",
            "npi",
        )
    values["tax_id"] = _tax_id(values["tax_id"])
    for key, label in (("address_line1", "An address"), ("city", "A city")):
        if not values[key]:
            raise PracticeError(f"{label} is required for the billing address.", key)
    if len(values["city"]) < 2:
        raise PracticeError("A city name is at least two letters.", "city")
    values["state"] = values["state"].upper()
    if values["state"] not in STATES:
        raise PracticeError(f"{values['state']!r} is not a US state code (as IL).", "state")
    values["postal_code"] = _zip_plus_four(values["postal_code"])
    if values["timezone"] not in available_timezones():
        raise PracticeError(
            f"{values['timezone']!r} is not a time zone name (as America/Chicago).", "timezone"
        )
    return values


def _require_workspace_manage(actor: Actor) -> None:
    if not actor.can_workspace(Capability.SETUP_MANAGE):
        raise CapabilityDenied(Capability.SETUP_MANAGE)


def _require_manage(actor: Actor, practice: Practice) -> None:
    if practice.workspace_id != actor.workspace.pk or not actor.can(
        Capability.SETUP_MANAGE, practice
    ):
        raise CapabilityDenied(Capability.SETUP_MANAGE)


def _taken(actor: Actor, field: str, value: str, exclude: int | None) -> Practice | None:
    lookup = {f"{field}__iexact": value}
    return (
        Practice.objects.filter(workspace_id=actor.workspace.pk, **lookup)
        .exclude(pk=exclude or 0)
        .first()
    )


def _check_unique(actor: Actor, values: dict[str, Any], exclude: int | None = None) -> None:
    other = _taken(actor, "code", values["code"], exclude)
    if other is not None:
        raise PracticeError(
            f"The claim-number prefix {values['code']} is already {other.name}'s: choose another.",
            "code",
        )
    other = _taken(actor, "npi", values["npi"], exclude)
    if other is not None:
        raise PracticeError(f"NPI {values['npi']} is already {other.name}'s.", "npi")


@transaction.atomic
def practice_create(*, actor: Actor, data: PracticeData, reason: str) -> Practice:
    """A new client practice, onboarding: it reaches claims once its checklist is done."""
    _require_workspace_manage(actor)
    reason = _require_reason(reason)
    values = clean(data)
    _check_unique(actor, values)
    try:
        with transaction.atomic():  # two people adding the same prefix at once: one wins
            practice = Practice.objects.create(
                workspace=actor.workspace, status=PracticeStatus.ONBOARDING, **values
            )
    except IntegrityError as exc:
        raise PracticeError(
            "Another practice took this claim-number prefix or NPI just now: check both.", "code"
        ) from exc
    audit_record(
        action=AuditAction.PRACTICE_CREATED,
        actor=actor,
        practice=practice,
        model="tenancy.Practice",
        record_ids=[practice.public_id],
        reason=reason,
        detail={"new": {**values, "status": practice.status}},
    )
    return practice


@transaction.atomic
def practice_update(
    *, actor: Actor, practice: Practice, data: PracticeData, reason: str
) -> dict[str, dict[str, str]]:
    """Change the practice's details; returns what changed ({} when nothing did: no event)."""
    _require_manage(actor, practice)
    reason = _require_reason(reason)
    values = clean(data)
    locked = Practice.objects.select_for_update().get(pk=practice.pk)
    _check_unique(actor, values, exclude=locked.pk)
    if values["code"] != locked.code and locked.claim_sequence > 0:
        # Claim numbers are unique in the workspace: a prefix given up could be taken by
        # another practice whose counter would then hand out numbers already used.
        raise PracticeError(
            f"The claim-number prefix stays {locked.code}: claims are already numbered with it.",
            "code",
        )
    changed: dict[str, dict[str, str]] = {}
    for name, value in values.items():
        old = getattr(locked, name)
        if old != value:
            changed[name] = {"old": old, "new": value}
            setattr(locked, name, value)
    if not changed:
        return changed
    try:
        with transaction.atomic():
            locked.save(update_fields=list(changed))
    except IntegrityError as exc:
        raise PracticeError(
            "Another practice took this claim-number prefix or NPI just now: check both.", "code"
        ) from exc
    audit_record(
        action=AuditAction.PRACTICE_UPDATED,
        actor=actor,
        practice=locked,
        model="tenancy.Practice",
        record_ids=[locked.public_id],
        reason=reason,
        detail={"changed": changed},
    )
    for name in changed:
        setattr(practice, name, getattr(locked, name))
    return changed


@transaction.atomic
def practice_set_status(*, actor: Actor, practice: Practice, status: str, reason: str) -> Practice:
    """Move the practice along its life by hand (`MANUAL_MOVES`), with a reason, audited."""
    _require_manage(actor, practice)
    reason = _require_reason(reason)
    return _move(actor, practice, status, reason, MANUAL_MOVES)


@transaction.atomic
def practice_move_for_offboarding(
    *, actor: Actor, practice: Practice, status: str, reason: str
) -> Practice:
    """The offboarding's own moves (started → offboarding, called off → active, purged and
    verified → offboarded): `bureau.offboarding.services` checks who may, this checks `MOVES`."""
    reason = _require_reason(reason)
    return _move(actor, practice, status, reason, MOVES)


def _move(
    actor: Actor,
    practice: Practice,
    status: str,
    reason: str,
    moves: dict[str, tuple[str, ...]],
) -> Practice:
    locked = Practice.objects.select_for_update().get(pk=practice.pk)
    if status not in PracticeStatus.values:
        raise PracticeError(f"{status!r} is not a practice status.", "status")
    if status == locked.status:
        raise PracticeError(f"{locked.name} is already {locked.get_status_display()}.", "status")
    if status not in moves[locked.status]:
        allowed = ", ".join(PracticeStatus(s).label for s in moves[locked.status]) or "none"
        raise PracticeError(
            f"{locked.name} cannot go from {locked.get_status_display()} to "
            f"{PracticeStatus(status).label} here (allowed: {allowed}).",
            "status",
        )
    old = locked.status
    locked.status = status
    locked.save(update_fields=["status"])
    audit_record(
        action=AuditAction.PRACTICE_UPDATED,
        actor=actor,
        practice=locked,
        model="tenancy.Practice",
        record_ids=[locked.public_id],
        reason=reason,
        detail={"changed": {"status": {"old": old, "new": status}}},
    )
    practice.status = status
    return locked
