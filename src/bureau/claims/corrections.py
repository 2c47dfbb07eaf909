"""Corrected claims: a replacement (CLM05-3 = 7) or a void (8) of a claim the payer holds.

A correction is a claim of its own that points at the claim it corrects (`Claim.replaces`) and
names that claim's payer claim number in REF*F8; without one the payer cannot find what to
replace, so a correction is refused. It starts as a copy of the original (lines, diagnoses);
a replacement's lines and diagnoses are then edited, a void's never. Both are scrubbed and
batched like any claim. At submission (`corrections_submitted`, called by the batch build where
charges post) the original closes and its open balance moves: the ledger reverses what the
original still carries except cash (`ledger.corrections`), the replacement is charged like any
claim, a void is not charged at all.

States: the original goes to CLOSED when its correction is submitted — the payer will answer
for the correction from then on, and CLOSED is the machine's terminal state, so nothing (an ERA,
a reopen) moves a replaced claim again; "replaced by"/"voided by" is read from `corrections`.
A void closes too once the payer answers it (its original's reversal posts): it has nothing
left to wait for. A correction is refused before the payer has adjudicated the claim (paid,
partially paid or denied) and for a void (there is nothing left to correct).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.http import Http404

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.models import (
    ChargeLine,
    Claim,
    ClaimEvent,
    ClaimFrequency,
    ClaimLine,
    ClaimState,
)
from bureau.claims.services import (
    MAX_LINES,
    ClaimStateError,
    EncounterError,
    LineData,
    _validate_diagnoses,
    _validate_line,
    claim_transition,
    claims_transition,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

S = ClaimState
# Where the payer has adjudicated the claim. Not ACCEPTED: the payer would still pay the
# original after we closed it, and a payment for a closed claim is a poster's exception.
CORRECTABLE = frozenset({S.PAID, S.PARTIALLY_PAID, S.DENIED})
# A correction still on our side: editable (replacement) and not yet charged.
UNSENT = frozenset({S.DRAFT, S.SCRUBBED, S.CREDENTIALING_HOLD, S.READY})
SUFFIX = {ClaimFrequency.REPLACEMENT: "R", ClaimFrequency.VOID: "V"}
NUMBER_MAX = 20  # CLM01 as payers echo it


class CorrectionError(ValueError):
    """A correction refused or invalid input; `field` names the field or line."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def _locked(actor: Actor, claim: Claim) -> Claim:
    found: Claim | None = (
        Claim.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .select_for_update()
        .filter(pk=claim.pk)
        .first()
    )
    if found is None:
        raise Http404
    return found


def _chain(actor: Actor, claim: Claim) -> list[Claim]:
    """The claim and the claims it corrects, newest first (a replacement of a replacement)."""
    chain = [claim]
    while chain[-1].replaces_id is not None and len(chain) < 100:
        parent = (
            Claim.objects.visible_to(actor, Capability.CLAIMS_EDIT)
            .filter(pk=chain[-1].replaces_id)
            .first()
        )
        if parent is None:
            break
        chain.append(parent)
    return chain


def correction_refusal(claim: Claim, pending: Claim | None) -> str:
    """Why `claim` cannot be corrected now ("" when it can): the one rule the buttons and the
    service share."""
    if claim.frequency == ClaimFrequency.VOID:
        return "A void cannot be corrected."
    if pending is not None:
        return (
            f"Claim {claim.number} already has an open correction ({pending.number}); "
            "finish that one first."
        )
    if ClaimState(claim.state) not in CORRECTABLE:
        return (
            f"Claim {claim.number} is {claim.get_state_display().lower()}: only a claim the "
            "payer has adjudicated (paid or denied) can be replaced or voided."
        )
    if not claim.payer_claim_number.strip():
        return (
            f"Claim {claim.number} has no payer claim number on file (it comes with the 835 or "
            "the 277CA): a replacement or void must name it (REF*F8)."
        )
    return ""


def open_correction(*, actor: Actor, claim: Claim) -> Claim | None:
    """The claim's correction that is not closed, if any (at most one: a constraint)."""
    found: Claim | None = (
        Claim.objects.visible_to(actor, Capability.CLAIMS_VIEW)
        .filter(replaces_id=claim.pk)
        .exclude(state=S.CLOSED)
        .first()
    )
    return found


@transaction.atomic
def correction_create(*, actor: Actor, claim: Claim, frequency: ClaimFrequency) -> Claim:
    """A replacement or void of `claim`: a copy of it (lines, diagnoses) in DRAFT, pointing at
    it. A void is scrubbed at once (nothing of it is edited); a replacement waits for its
    edits. Refused (`CorrectionError`) when `correction_refusal` says so."""
    frequency = ClaimFrequency(frequency)
    if frequency == ClaimFrequency.ORIGINAL:
        raise CorrectionError("A correction is a replacement or a void.")
    actor.require(Capability.CLAIMS_EDIT, claim.practice_id)
    original = _locked(actor, claim)
    refusal = correction_refusal(original, open_correction(actor=actor, claim=original))
    if not refusal:
        # A write-off waiting for approval decides part of this balance (billing.corrections).
        from bureau.billing.corrections import correction_refusal_for_writeoffs

        refusal = correction_refusal_for_writeoffs(original.practice_id, original)
    if refusal:
        raise CorrectionError(refusal)
    chain = _chain(actor, original)
    number = f"{chain[-1].number}{SUFFIX[frequency]}{len(chain)}"
    if len(number) > NUMBER_MAX:
        raise CorrectionError(f"Claim {original.number} has been corrected too many times.")
    lines = list(
        ClaimLine.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .filter(claim=original)
        .order_by("line_number")
    )
    common = {"workspace_id": original.workspace_id, "practice_id": original.practice_id}
    correction = Claim(
        **common,
        encounter_id=original.encounter_id,
        patient_id=original.patient_id,
        coverage_id=original.coverage_id,
        payer_id=original.payer_id,
        number=number,
        responsibility=original.responsibility,
        state=S.DRAFT,
        total_charge=original.total_charge,
        date_of_service=original.date_of_service,
        frequency=frequency,
        replaces=original,
        diagnosis_codes=original.billed_diagnoses,
    )
    correction.save(force_insert=True)
    ClaimLine.objects.bulk_create(
        ClaimLine(
            **common,
            claim=correction,
            charge_line_id=line.charge_line_id,
            line_number=line.line_number,
            procedure_code=line.procedure_code,
            modifiers=list(line.modifiers or []),
            diagnosis_pointers=list(line.diagnosis_pointers or []),
            units=line.units,
            charge=line.charge,
            date_of_service=line.date_of_service,
        )
        for line in lines
    )
    kind = correction.get_frequency_display().lower()
    _note(actor, correction, f"{kind.capitalize()} of claim {original.number}")
    _note(actor, original, f"{kind.capitalize()} {number} created")
    audit_record(
        action=AuditAction.CLAIM_CREATED,
        actor=actor,
        practice=actor.access[original.practice_id].practice,
        model="claims.Claim",
        record_ids=[correction.public_id],
        detail={
            "frequency": frequency.value,
            "replaces": str(original.public_id),
            "lines": len(lines),
        },
    )
    if frequency == ClaimFrequency.VOID:
        from bureau.claims.scrubbing import claims_scrub

        claims_scrub(actor=actor, claims=[correction], note="void scrubbed")
    return correction


def _note(actor: Actor | None, claim: Claim, note: str) -> None:
    """A line in the claim's history without a state change (from = to)."""
    ClaimEvent(
        workspace_id=claim.workspace_id,
        practice_id=claim.practice_id,
        claim=claim,
        user=actor.user if actor is not None else None,
        from_state=claim.state,
        to_state=claim.state,
        note=note[:300],
    ).save(force_insert=True)


@dataclass(frozen=True)
class CorrectedLine:
    """One line of the replacement form; `source` is the line number it was copied from
    (its charge line is kept), None for a line added here."""

    data: LineData
    source: int | None = None


@transaction.atomic
def replacement_update(
    *, actor: Actor, claim: Claim, diagnoses: list[str], lines: Sequence[CorrectedLine]
) -> Claim:
    """Replace the lines and diagnoses of an unsent replacement, validated as a whole (nothing
    is written on an error), then scrub it: READY means it goes out with the next batch."""
    actor.require(Capability.CLAIMS_EDIT, claim.practice_id)
    current = _locked(actor, claim)
    if current.frequency != ClaimFrequency.REPLACEMENT:
        raise CorrectionError("Only a replacement claim is edited here; a void is a copy.")
    if ClaimState(current.state) not in UNSENT or current.batch_id is not None:
        raise CorrectionError(
            f"Claim {current.number} is {current.get_state_display().lower()}: it was sent "
            "and can no longer be edited."
        )
    try:
        codes = _validate_diagnoses(list(diagnoses))
        if not lines:
            raise EncounterError("lines", "At least one service line is required.")
        if len(lines) > MAX_LINES:
            raise EncounterError("lines", f"At most {MAX_LINES} service lines.")
        checked = [
            _validate_line(current.practice, n, line.data, len(codes))
            for n, line in enumerate(lines, start=1)
        ]
    except EncounterError as exc:
        raise CorrectionError(str(exc), exc.field) from exc
    old = list(
        ClaimLine.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .filter(claim=current)
        .order_by("line_number")
    )
    sources = {line.line_number: line for line in old}
    encounter_charges = set(
        ChargeLine.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .filter(encounter_id=current.encounter_id)
        .values_list("pk", flat=True)
    )
    dos = old[0].date_of_service if old else current.encounter.date_of_service
    ClaimLine.objects.visible_to(actor, Capability.CLAIMS_EDIT).filter(claim=current).delete()
    made = []
    for n, (line, valid) in enumerate(zip(lines, checked, strict=True), start=1):
        source = sources.get(line.source) if line.source is not None else None
        charge_line_id = source.charge_line_id if source is not None else None
        made.append(
            ClaimLine(
                workspace_id=current.workspace_id,
                practice_id=current.practice_id,
                claim=current,
                charge_line_id=charge_line_id if charge_line_id in encounter_charges else None,
                line_number=n,
                procedure_code=valid.procedure_code,
                modifiers=valid.modifiers,
                diagnosis_pointers=valid.pointers,
                units=valid.units,
                charge=valid.charge,
                date_of_service=source.date_of_service if source is not None else dos,
            )
        )
    ClaimLine.objects.bulk_create(made)
    before = (list(current.diagnosis_codes or []), str(current.total_charge), len(old))
    current.diagnosis_codes = codes
    current.total_charge = sum((m.charge for m in made), Decimal("0.00"))
    current.save(update_fields=["diagnosis_codes", "total_charge", "updated_at"])
    if current.state != S.DRAFT:
        claim_transition(actor=actor, claim=current, to_state=S.DRAFT, note="replacement edited")
    audit_record(
        action=AuditAction.CLAIM_UPDATED,
        actor=actor,
        practice=actor.access[current.practice_id].practice,
        model="claims.Claim",
        record_ids=[current.public_id],
        detail={
            "diagnoses": {"from": before[0], "to": codes},
            "total": {"from": before[1], "to": str(current.total_charge)},
            "lines": {"from": before[2], "to": len(made)},
        },
    )
    from bureau.claims.scrubbing import claims_scrub

    claims_scrub(actor=actor, claims=[current], note="replacement scrubbed")
    return current


@dataclass(frozen=True)
class CorrectionPanel:
    """What the claim page says about corrections: what this claim corrects, what corrected
    it, and whether (or why not) the actor may correct it now."""

    replaces: Claim | None
    corrections: list[Claim]
    offered: bool  # the actor edits claims, and this one is out of the door (not a void)
    refusal: str  # "" when the actor may create a replacement or void now
    can_edit: bool  # an unsent replacement the actor may edit


def correction_panel(*, actor: Actor, claim: Claim) -> CorrectionPanel:
    """Reads only claims the actor sees (the chain shares the claim's encounter and scope)."""
    # No query for what the claim's own row already says is not there: an original (no
    # `replaces`) that the claim page's read found uncorrected (its `corrected` annotation).
    replaces = None
    if claim.replaces_id is not None:
        replaces = (
            Claim.objects.visible_to(actor, Capability.CLAIMS_VIEW)
            .filter(pk=claim.replaces_id)
            .only("public_id", "number", "state", "frequency", "payer_claim_number")
            .first()
        )
    made: list[Claim] = []
    if getattr(claim, "corrected", True):
        made = list(
            Claim.objects.visible_to(actor, Capability.CLAIMS_VIEW)
            .filter(replaces_id=claim.pk)
            .only("public_id", "number", "state", "frequency", "replaces_id")
            .order_by("created_at", "id")
        )
    editor = actor.can(Capability.CLAIMS_EDIT, claim.practice_id)
    pending = next((c for c in made if c.state != S.CLOSED), None)
    offered = (
        editor and ClaimState(claim.state) not in UNSENT and claim.frequency != ClaimFrequency.VOID
    )
    return CorrectionPanel(
        replaces=replaces,
        corrections=made,
        offered=offered,
        refusal=correction_refusal(claim, pending) if offered else "",
        can_edit=editor
        and claim.frequency == ClaimFrequency.REPLACEMENT
        and ClaimState(claim.state) in UNSENT,
    )


def replacement_lines(*, actor: Actor, claim: Claim) -> list[ClaimLine]:
    """The replacement's lines as they stand, for its form (claims.edit scope). The form shows
    the claim's services and diagnoses: a read of PHI, audited like the claim's page."""
    found = list(
        ClaimLine.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .filter(claim=claim)
        .order_by("line_number")
    )
    audit_record(
        action=AuditAction.CLAIM_VIEWED,
        actor=actor,
        practice=actor.access[claim.practice_id].practice,
        model="claims.Claim",
        record_ids=[claim.public_id],
        detail={"for": "replacement form", "lines": len(found)},
    )
    return found


def correction_offer(*, actor: Actor, claim_id: int) -> tuple[Claim, CorrectionPanel] | None:
    """For another record's page (a denial's): the claim and its panel when the actor may
    correct claims of its practice (and provider), else None — the page offers nothing."""
    claim: Claim | None = (
        Claim.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .filter(pk=claim_id)
        .only("public_id", "number", "state", "frequency", "replaces_id", "payer_claim_number")
        .first()
    )
    if claim is None:
        return None
    return claim, correction_panel(actor=actor, claim=claim)


# -- submission and the payer's answer ------------------------------------------------------


def corrections_submitted(
    *, actor: Actor | None, claims: Sequence[Claim], effective_date: date
) -> int:
    """Called by the batch build once `claims` are SUBMITTED and charged: each correction's
    original closes ("replaced by"/"voided by") and its open balance is reversed on the ledger
    (the replacement carries its own charges). Returns how many originals closed."""
    corrections = [c for c in claims if c.replaces_id is not None]
    if not corrections:
        return 0
    from bureau.ledger.corrections import reverse_open_balances

    practice_ids = {c.practice_id for c in corrections}
    originals = {
        o.pk: o
        for o in Claim.objects.for_system(practice_ids, reason="corrected claims").filter(
            pk__in=[c.replaces_id for c in corrections]
        )
    }
    moves = []
    for correction in corrections:
        original = originals.get(correction.replaces_id)
        if original is None or original.state == S.CLOSED:
            continue
        if S.CLOSED not in _closing(original):
            raise ClaimStateError(original.state, S.CLOSED.value)
        moves.append((original, correction))
    by_note: dict[str, list[tuple[Claim, ClaimState]]] = {}
    for original, correction in moves:
        verb = "Voided" if correction.frequency == ClaimFrequency.VOID else "Replaced"
        by_note.setdefault(f"{verb} by {correction.number}", []).append((original, S.CLOSED))
    for note, group in by_note.items():
        claims_transition(actor=actor, moves=group, note=note, capability=Capability.CLAIMS_SUBMIT)
    reverse_open_balances(
        originals=[o for o, _ in moves], effective_date=effective_date, actor=actor
    )
    # The reversal took back the originals' write-offs too: their requests say so.
    from bureau.billing.corrections import writeoffs_taken_back

    writeoffs_taken_back(actor=actor, originals=[o for o, _ in moves])
    return len(moves)


def _closing(claim: Claim) -> frozenset[ClaimState]:
    from bureau.claims.services import ALLOWED_TRANSITIONS

    return ALLOWED_TRANSITIONS[ClaimState(claim.state)]


def corrected_originals(practice_ids: Sequence[int], claim_ids: Sequence[int]) -> set[int]:
    """Of `claim_ids`, those a submitted correction replaced or voided: a payer's reversal of
    one may find nothing left to reverse (we closed its balance at the correction's
    submission), which is an acknowledgement, not a takeback."""
    if not claim_ids:
        return set()
    return set(
        Claim.objects.for_system(practice_ids, reason="corrected claims")
        .filter(replaces_id__in=list(claim_ids))
        .exclude(state__in=list(UNSENT))
        .values_list("replaces_id", flat=True)
    )


def voids_answered(
    *, actor: Actor | None, practice_ids: Sequence[int], original_ids: Sequence[int], note: str
) -> int:
    """The payer reversed these originals (835 CLP02 = 22): their submitted voids are answered
    and close. Returns how many closed."""
    if not original_ids:
        return 0
    voids = list(
        Claim.objects.for_system(practice_ids, reason="void answered").filter(
            replaces_id__in=list(original_ids),
            frequency=ClaimFrequency.VOID,
            state__in=[S.SUBMITTED, S.ACCEPTED],
        )
    )
    claims_transition(
        actor=actor,
        moves=[(v, S.CLOSED) for v in voids],
        note=f"void answered: {note}",
        capability=Capability.PAYMENTS_POST,
    )
    return len(voids)
