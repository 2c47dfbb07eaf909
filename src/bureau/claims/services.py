"""Writes of encounters and claims: capability, scope, validation and audit in one transaction.

`claim_transition` is the only way a claim changes state: the table below is the whole state
machine, every change leaves a `ClaimEvent` (the claim's history) and an audit event.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

import simple_icd_10_cm
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record, audit_record_many
from bureau.claims.models import (
    ChargeLine,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimState,
    Encounter,
)
from bureau.directory.models import Provider, ServiceFacility
from bureau.directory.selectors import fee_for
from bureau.patients.models import Coverage, Patient
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.bulk import insert, update_ids
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

if TYPE_CHECKING:
    from bureau.accounts.models import User

S = ClaimState

ALLOWED_TRANSITIONS: dict[ClaimState, frozenset[ClaimState]] = {
    S.DRAFT: frozenset({S.SCRUBBED, S.READY, S.CREDENTIALING_HOLD}),
    S.SCRUBBED: frozenset({S.SCRUBBED, S.READY, S.CREDENTIALING_HOLD, S.DRAFT}),
    S.CREDENTIALING_HOLD: frozenset({S.SCRUBBED, S.READY, S.CREDENTIALING_HOLD}),
    S.READY: frozenset({S.SUBMITTED, S.SCRUBBED, S.CREDENTIALING_HOLD, S.DRAFT}),
    # An ERA can arrive before (or without) a 277CA, so adjudication may skip ACCEPTED.
    # CLOSED from SUBMITTED/ACCEPTED: a void the payer answered (its original's reversal
    # posted) before or after the void's 277CA (`claims.corrections`).
    S.SUBMITTED: frozenset({S.ACCEPTED, S.REJECTED, S.PAID, S.PARTIALLY_PAID, S.DENIED, S.CLOSED}),
    S.ACCEPTED: frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED, S.REJECTED, S.CLOSED}),
    S.REJECTED: frozenset({S.DRAFT, S.SCRUBBED, S.READY}),
    # A payer reversal (835 CLP02 = 22) puts an adjudicated claim back to ACCEPTED until the
    # corrected claim payment arrives; re-adjudication can move between the paid states.
    S.PARTIALLY_PAID: frozenset({S.PAID, S.CLOSED, S.DENIED, S.ACCEPTED, S.PARTIALLY_PAID}),
    S.DENIED: frozenset({S.CLOSED, S.DRAFT, S.ACCEPTED, S.PAID, S.PARTIALLY_PAID, S.DENIED}),
    S.PAID: frozenset({S.CLOSED, S.ACCEPTED, S.PAID, S.PARTIALLY_PAID, S.DENIED}),
    S.CLOSED: frozenset(),
}


class ClaimStateError(ValueError):
    """A transition the state machine does not allow."""

    def __init__(self, from_state: str, to_state: str) -> None:
        super().__init__(f"a claim cannot go from {from_state} to {to_state}")
        self.from_state = from_state
        self.to_state = to_state


@transaction.atomic
def claim_transition(
    *,
    actor: Actor | None,
    claim: Claim,
    to_state: ClaimState,
    note: str = "",
    capability: Capability = Capability.CLAIMS_EDIT,
) -> Claim:
    """Move `claim` to `to_state`. `actor` None means the system (the simulator, a clearinghouse
    poll); a person's move names them. `capability` is what entitles the actor to this move:
    editing claims, or posting payments (a poster who posts an ERA moves the claim the payer
    decided on, without claims.edit)."""
    from_state = ClaimState(claim.state)
    to_state = ClaimState(to_state)
    if to_state not in ALLOWED_TRANSITIONS[from_state]:
        raise ClaimStateError(from_state.value, to_state.value)
    if actor is not None:
        actor.require(capability, claim.practice_id)
        rls.widen(set(actor.practice_ids()))
    rls.widen({claim.practice_id})
    now = clock.now()
    claim.state = to_state.value
    claim.updated_at = now
    claim.save(update_fields=["state", "updated_at"])
    ClaimEvent(
        workspace_id=claim.workspace_id,
        practice_id=claim.practice_id,
        claim=claim,
        occurred_at=now,
        user=actor.user if actor is not None else None,
        from_state=from_state.value,
        to_state=to_state.value,
        note=note[:300],
    ).save(force_insert=True)
    audit_record(
        action=AuditAction.CLAIM_STATE_CHANGED,
        actor=actor,
        workspace=claim.workspace if actor is None else None,
        practice=claim.practice,
        model="claims.Claim",
        record_ids=[claim.public_id],
        detail={"from": from_state.value, "to": to_state.value},
        label="" if actor is not None else "system",
    )
    _tell_queue(actor, claim.workspace_id, [(claim.pk, claim.practice_id, from_state, to_state)])
    return claim


def _tell_queue(
    actor: Actor | None, workspace_id: int, moves: list[tuple[int, int, str, str]]
) -> None:
    """The work queue opens or closes the items these moves call for, in this transaction."""
    from bureau.workqueues.hooks import claims_moved

    claims_moved(actor=actor, workspace_id=workspace_id, moves=moves)


def claims_transition(
    *,
    actor: Actor | None,
    moves: Sequence[tuple[Claim, ClaimState]],
    note: str = "",
    capability: Capability = Capability.CLAIMS_EDIT,
    on_behalf_of: User | None = None,
    reason: str = "",
) -> None:
    """Many transitions in one go (a scrub run, an ERA): one UPDATE per target state, one insert
    of the history rows, and one audit event per practice and (from, to) pair listing its
    claims. `actor` and `capability` as for `claim_transition`. A system run (actor None) done
    for a person's change elsewhere (an enrollment turned active releases its held claims)
    names that person in the history and the audit, with their `reason`."""
    checked: list[tuple[Claim, ClaimState, ClaimState]] = []
    for claim, to_state in moves:
        from_state, to_state = ClaimState(claim.state), ClaimState(to_state)
        if to_state not in ALLOWED_TRANSITIONS[from_state]:
            raise ClaimStateError(from_state.value, to_state.value)
        checked.append((claim, from_state, to_state))
    if not checked:
        return
    practice_ids = {claim.practice_id for claim, _, _ in checked}
    if actor is not None:
        for practice_id in sorted(practice_ids):
            actor.require(capability, practice_id)
        rls.widen(set(actor.practice_ids()))
    rls.widen(practice_ids)
    now = clock.now()
    by_target: dict[ClaimState, list[int]] = {}
    by_pair: dict[tuple[ClaimState, ClaimState], dict[int, list[Claim]]] = {}
    for claim, from_state, to_state in checked:
        by_target.setdefault(to_state, []).append(claim.pk)
        by_pair.setdefault((from_state, to_state), {}).setdefault(claim.practice_id, []).append(
            claim
        )
    # The scope admits `practice_ids` (ensured above), so the set-based writes stay under RLS.
    opened = rls.current()
    scoped = Claim.objects.for_system(practice_ids, reason="claim transition")
    for to_state, ids in by_target.items():
        update_ids(scoped, ids, state=to_state.value, updated_at=now)
    rls.widen(opened)  # for_system narrowed the RLS setting; give the caller's back
    person = actor.user if actor is not None else on_behalf_of
    user_id = person.pk if person is not None else None
    insert(
        ClaimEvent,
        [
            {
                "workspace_id": claim.workspace_id,
                "practice_id": claim.practice_id,
                "claim_id": claim.pk,
                "occurred_at": now,
                "user_id": user_id,
                "from_state": from_state.value,
                "to_state": to_state.value,
                "note": note[:300],
            }
            for claim, from_state, to_state in checked
        ],
    )
    for claim, _, to_state in checked:
        claim.state, claim.updated_at = to_state.value, now
    for (from_state, to_state), per_practice in by_pair.items():
        first = next(iter(per_practice.values()))[0]
        audit_record_many(
            action=AuditAction.CLAIM_STATE_CHANGED,
            actor=actor,
            workspace=first.workspace if actor is None else None,
            model="claims.Claim",
            targets=[
                (claims[0].practice, [c.public_id for c in claims])
                for _, claims in sorted(per_practice.items())
            ],
            detail={"from": from_state.value, "to": to_state.value}
            | ({"note": note[:300]} if on_behalf_of is not None else {}),
            label=system_label(actor, on_behalf_of),
            user=on_behalf_of if actor is None else None,
            reason=reason,
        )
    _tell_queue(
        actor,
        checked[0][0].workspace_id,
        [(c.pk, c.practice_id, before.value, after.value) for c, before, after in checked],
    )


def system_label(actor: Actor | None, on_behalf_of: User | None) -> str:
    """The audit label: the person's own (""), the system's, or the system's for a person."""
    if actor is not None:
        return ""
    return f"system, for {on_behalf_of.label}" if on_behalf_of is not None else "system"


def set_payer_claim_numbers(
    practice_ids: Sequence[int], claims: Sequence[Claim], *, reason: str = "payer claim numbers"
) -> None:
    """The payer's claim number (835 CLP07, 277CA REF*1K) onto many claims at once, in the
    caller's transaction: one UPDATE from two arrays on PostgreSQL (a CASE per row in
    `bulk_update` costs more than the rest of an ERA), under the RLS scope the caller opened
    to load the claims and kept to `practice_ids` in the statement itself; elsewhere
    `bulk_update` through the system scope."""
    if not claims:
        return
    if connection.vendor != "postgresql":
        Claim.objects.for_system(practice_ids, reason=reason).bulk_update(
            list(claims), ["payer_claim_number"], batch_size=1000
        )
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_claim SET payer_claim_number = v.number FROM "
            "unnest(%s::bigint[], %s::text[]) AS v(id, number) WHERE claims_claim.id = v.id "
            "AND claims_claim.practice_id = ANY(%s::bigint[])",  # the caller's practices only
            [[c.pk for c in claims], [c.payer_claim_number for c in claims], list(practice_ids)],
        )


# -- encounters -------------------------------------------------------------------------------
MAX_DIAGNOSES = 12
MAX_LINES = 50
MAX_MODIFIERS = 4
MAX_POINTERS = 4
EARLIEST_DOS = date(2000, 1, 1)
# CPT (5 digits), CPT category II/III (4 digits + F/T) and unlisted (U), HCPCS level II.
PROCEDURE_RE = re.compile(r"^(\d{5}|\d{4}[FTU]|[A-V]\d{4})$")
MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
POS_RE = re.compile(r"^\d{2}$")
SEQUENCE_DIGITS = 6
COB_SUFFIXES = ("", "S", "T")


class EncounterError(ValueError):
    """Invalid encounter input; `field` names the field or line ("lines.2.modifiers")."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class LineData:
    procedure_code: str
    modifiers: list[str] = field(default_factory=list)
    pointers: list[int] = field(default_factory=lambda: [1])
    units: Decimal = Decimal("1")
    charge: Decimal | None = None


@dataclass(frozen=True)
class EncounterData:
    patient: Any  # the patient's public id
    rendering_provider_id: int
    billing_provider_id: int
    date_of_service: date
    place_of_service: str
    diagnosis_codes: list[str]
    lines: list[LineData]
    # The practice's active service facility where the patient was seen (837P loop 2310C);
    # None: at the billing address.
    facility_id: int | None = None


def normalize_icd10(code: str) -> str:
    return code.strip().replace(".", "").upper()


def _validate_diagnoses(codes: list[str]) -> list[str]:
    cleaned = [normalize_icd10(c) for c in codes if c.strip()]
    if not cleaned:
        raise EncounterError("diagnosis_codes", "At least one diagnosis code is required.")
    if len(cleaned) > MAX_DIAGNOSES:
        raise EncounterError("diagnosis_codes", f"At most {MAX_DIAGNOSES} diagnosis codes.")
    for code in cleaned:
        if not simple_icd_10_cm.is_valid_item(code):
            raise EncounterError(
                "diagnosis_codes", f"{code} is not a valid ICD-10-CM diagnosis code."
            )
    if len(set(cleaned)) != len(cleaned):
        raise EncounterError("diagnosis_codes", "A diagnosis code is listed twice.")
    return cleaned


@dataclass(frozen=True)
class _Line:
    procedure_code: str
    modifiers: list[str]
    pointers: list[int]
    units: Decimal
    charge: Decimal


def _validate_line(practice: Practice, n: int, line: LineData, diagnoses: int) -> _Line:
    prefix = f"lines.{n}"
    code = line.procedure_code.strip().upper()
    if not PROCEDURE_RE.match(code):
        raise EncounterError(
            f"{prefix}.procedure_code",
            f"Line {n}: {code or 'blank'} is not a CPT/HCPCS code "
            "(5 digits, 4 digits + F/T/U, or a letter A-V + 4 digits).",
        )
    modifiers = [m.strip().upper() for m in line.modifiers if m.strip()]
    if len(modifiers) > MAX_MODIFIERS:
        raise EncounterError(f"{prefix}.modifiers", f"Line {n}: at most {MAX_MODIFIERS} modifiers.")
    for mod in modifiers:
        if not MODIFIER_RE.match(mod):
            raise EncounterError(
                f"{prefix}.modifiers", f"Line {n}: modifier {mod} is not two letters or digits."
            )
    pointers = list(line.pointers)
    if not 1 <= len(pointers) <= MAX_POINTERS:
        raise EncounterError(
            f"{prefix}.pointers", f"Line {n}: one to {MAX_POINTERS} diagnosis pointers."
        )
    for pointer in pointers:
        if not 1 <= pointer <= diagnoses:
            raise EncounterError(
                f"{prefix}.pointers",
                f"Line {n}: pointer {pointer} is beyond the {diagnoses} diagnosis code(s).",
            )
    if len(set(pointers)) != len(pointers):
        raise EncounterError(f"{prefix}.pointers", f"Line {n}: a pointer is repeated.")
    try:
        units = Decimal(line.units)
    except (InvalidOperation, TypeError, ValueError) as exc:
        raise EncounterError(f"{prefix}.units", f"Line {n}: units must be a number.") from exc
    if not units.is_finite() or units <= 0 or units >= 10000:
        raise EncounterError(f"{prefix}.units", f"Line {n}: units must be above zero.")
    if units != units.quantize(Decimal("0.001")):
        raise EncounterError(f"{prefix}.units", f"Line {n}: units have at most 3 decimals.")
    if line.charge is not None:
        charge = Decimal(line.charge)
        if not charge.is_finite() or charge < 0 or charge >= Decimal("1e10"):
            raise EncounterError(f"{prefix}.charge", f"Line {n}: charge must not be negative.")
    else:
        fee = fee_for(practice, code, modifiers[0] if modifiers else "")
        if fee is None:
            raise EncounterError(
                f"{prefix}.charge",
                f"Line {n}: no fee for {code} in the fee schedule; enter the charge.",
            )
        charge = fee * units
    return _Line(code, modifiers, pointers, units, charge.quantize(Decimal("0.01")))


def _provider(practice: Practice, actor: Actor, pk: int, name: str) -> Provider:
    provider = Provider.objects.filter(practice=practice, pk=pk, is_active=True).first()
    allowed = actor.provider_ids(practice, Capability.CLAIMS_EDIT)
    if provider is None or (allowed is not None and provider.pk not in allowed):
        raise EncounterError(name, "Choose an active provider of this practice.")
    return provider


def _facility(practice: Practice, pk: int | None) -> ServiceFacility | None:
    """The encounter's facility: an active one of this practice. Another practice's id is
    refused exactly like a missing one."""
    if pk is None:
        return None
    facility = ServiceFacility.objects.filter(practice=practice, pk=pk, is_active=True).first()
    if facility is None:
        raise EncounterError("facility", "Choose an active service facility of this practice.")
    return facility


def claim_number(practice_code: str, sequence: int, position: int = 1) -> str:
    """The one format of a claim number: practice code, hyphen, six-digit sequence (wider past
    999,999), and a suffix for the encounter's second and third claim (secondary, tertiary payer).
    At most 8 + 1 + 7 + 1 characters, inside CLM01's 20."""
    return f"{practice_code.upper()}-{sequence:0{SEQUENCE_DIGITS}d}{COB_SUFFIXES[position - 1]}"


def _next_numbers(practice: Practice, count: int) -> list[str]:
    """Claim numbers for one encounter's `count` claims: one sequence, suffixed per payer.
    The practice row lock serializes concurrent encounters of one practice."""
    locked = Practice.objects.select_for_update().get(pk=practice.pk)
    sequence = locked.claim_sequence + 1
    Practice.objects.filter(pk=practice.pk).update(claim_sequence=sequence)
    return [claim_number(practice.code, sequence, i) for i in range(1, count + 1)]


@transaction.atomic
def encounter_create(*, actor: Actor, practice: Practice, data: EncounterData) -> Encounter:
    """Validate everything, then write the encounter, its charges and one draft claim per
    coverage active on the date of service (primary first). Nothing is written on error."""
    actor.require(Capability.CLAIMS_EDIT, practice)
    patient = (
        Patient.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .filter(practice=practice, public_id=data.patient)
        .first()
    )
    if patient is None:
        raise Http404
    rendering = _provider(practice, actor, data.rendering_provider_id, "rendering_provider")
    billing = _provider(practice, actor, data.billing_provider_id, "billing_provider")
    facility = _facility(practice, data.facility_id)
    dos = data.date_of_service
    if dos > timezone.localdate():
        raise EncounterError("date_of_service", "Date of service is in the future.")
    if dos < EARLIEST_DOS:
        raise EncounterError("date_of_service", "Date of service is before 2000.")
    pos = data.place_of_service.strip()
    if not POS_RE.match(pos):
        raise EncounterError("place_of_service", "Place of service is two digits.")
    diagnoses = _validate_diagnoses(data.diagnosis_codes)
    if not data.lines:
        raise EncounterError("lines", "At least one service line is required.")
    if len(data.lines) > MAX_LINES:
        raise EncounterError("lines", f"At most {MAX_LINES} service lines.")
    lines = [
        _validate_line(practice, n, line, len(diagnoses))
        for n, line in enumerate(data.lines, start=1)
    ]
    coverages = list(
        Coverage.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .filter(patient=patient, effective_date__lte=dos)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=dos))
        .select_related("payer")
        .order_by("cob_order", "effective_date", "id")[: len(COB_SUFFIXES)]
    )
    if not coverages:
        raise EncounterError(
            "patient", "The patient has no insurance coverage active on the date of service."
        )

    common = {"workspace": actor.workspace, "practice": practice}
    encounter = Encounter(
        **common,
        patient=patient,
        rendering_provider=rendering,
        billing_provider=billing,
        facility=facility,
        date_of_service=dos,
        place_of_service=pos,
        diagnosis_codes=diagnoses,
        created_by=actor.user,
    )
    encounter.save(force_insert=True)
    charges = []
    for n, line in enumerate(lines, start=1):
        charge = ChargeLine(
            **common,
            encounter=encounter,
            line_number=n,
            procedure_code=line.procedure_code,
            modifiers=line.modifiers,
            diagnosis_pointers=line.pointers,
            units=line.units,
            charge=line.charge,
            date_of_service=dos,
            place_of_service=pos,
        )
        charge.save(force_insert=True)
        charges.append(charge)
    total = sum((c.charge for c in charges), Decimal("0.00"))
    claims = []
    for number, (order, coverage) in zip(
        _next_numbers(practice, len(coverages)),
        enumerate(coverages, start=1),
        strict=True,
    ):
        claim = Claim(
            **common,
            encounter=encounter,
            patient=patient,
            coverage=coverage,
            payer=coverage.payer,
            number=number,
            responsibility=order,
            state=ClaimState.DRAFT,
            total_charge=total,
            date_of_service=encounter.date_of_service,
        )
        claim.save(force_insert=True)
        ClaimLine.objects.bulk_create(
            ClaimLine(
                **common,
                claim=claim,
                charge_line=c,
                line_number=c.line_number,
                procedure_code=c.procedure_code,
                modifiers=c.modifiers,
                diagnosis_pointers=c.diagnosis_pointers,
                units=c.units,
                charge=c.charge,
                date_of_service=dos,
            )
            for c in charges
        )
        claims.append(claim)
    audit_record(
        action=AuditAction.ENCOUNTER_CREATED,
        actor=actor,
        practice=practice,
        model="claims.Encounter",
        record_ids=[encounter.public_id],
        detail={"lines": len(charges)},
    )
    audit_record(
        action=AuditAction.CLAIM_CREATED,
        actor=actor,
        practice=practice,
        model="claims.Claim",
        record_ids=[c.public_id for c in claims],
        detail={"count": len(claims)},
    )
    return encounter


CORRECTABLE = frozenset({S.DRAFT, S.SCRUBBED, S.CREDENTIALING_HOLD, S.READY})


@transaction.atomic
def encounter_diagnoses_correct(*, actor: Actor, claim: Claim, codes: list[str]) -> Encounter:
    """Replace the diagnosis codes of the claim's encounter before anything is submitted.

    Every claim of the encounter must still be unsubmitted; a ready claim goes back to draft,
    so it is scrubbed again. The line pointers must still fit the new list."""
    actor.require(Capability.CLAIMS_EDIT, claim.practice_id)
    encounter: Encounter | None = (
        Encounter.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .select_for_update()
        .filter(pk=claim.encounter_id)
        .first()
    )
    if encounter is None:
        raise Http404
    siblings = list(
        Claim.objects.visible_to(actor, Capability.CLAIMS_EDIT).filter(encounter=encounter)
    )
    if any(ClaimState(c.state) not in CORRECTABLE for c in siblings):
        raise EncounterError(
            "diagnosis_codes", "A claim of this encounter is already submitted; not changed."
        )
    diagnoses = _validate_diagnoses(codes)
    pointers = (
        ChargeLine.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .filter(encounter=encounter)
        .values_list("line_number", "diagnosis_pointers")
    )
    for n, line_pointers in pointers:
        if any(p > len(diagnoses) for p in line_pointers or ()):
            raise EncounterError(
                "diagnosis_codes",
                f"Line {n} points beyond the {len(diagnoses)} diagnosis code(s).",
            )
    before = list(encounter.diagnosis_codes or [])
    encounter.diagnosis_codes = diagnoses
    encounter.save(update_fields=["diagnosis_codes"])
    for sibling in siblings:
        if sibling.state == S.READY:
            claim_transition(
                actor=actor, claim=sibling, to_state=S.DRAFT, note="diagnoses corrected"
            )
    audit_record(
        action=AuditAction.ENCOUNTER_UPDATED,
        actor=actor,
        practice=encounter.practice,
        model="claims.Encounter",
        record_ids=[encounter.public_id],
        detail={"diagnoses": {"from": len(before), "to": len(diagnoses)}},
    )
    return encounter


class ReopenNoteMissing(ValueError):
    """A claim is reopened only with a note saying what was wrong (the payer's reason)."""

    def __init__(self) -> None:
        super().__init__("say what was wrong to reopen the claim")


@transaction.atomic
def claim_reopen(*, actor: Actor, claim: Claim, note: str) -> Claim:
    """Send a rejected claim back to draft so the biller can correct it (coverage, diagnoses)
    and scrub it again; it goes out in a new batch as an original claim, since the payer never
    accepted it. The note says what was wrong; it stays in the claim's history."""
    actor.require(Capability.CLAIMS_EDIT, claim.practice_id)
    note = note.strip()
    if not note:
        raise ReopenNoteMissing
    current: Claim | None = (
        Claim.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .select_for_update()
        .filter(pk=claim.pk)
        .first()
    )
    if current is None:
        raise Http404
    if current.state != ClaimState.REJECTED:
        raise ClaimStateError(current.state, ClaimState.DRAFT.value)
    return claim_transition(
        actor=actor, claim=current, to_state=ClaimState.DRAFT, note=f"Reopened: {note[:200]}"
    )
