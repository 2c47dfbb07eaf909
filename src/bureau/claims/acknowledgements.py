"""Acknowledgements of what we submitted: 999 per batch, 277CA per claim (services).

A 999 says whether the clearinghouse could read our 837P: it names our functional group by its
control number (AK1-02 = GS06 = the batch's interchange control number). A rejected transaction
set means no claim of the batch reached a payer, so every claim still SUBMITTED goes back to the
biller as REJECTED with the reason.

A 277CA says, claim by claim (TRN02 = our claim number), whether the payer took the claim into
adjudication (it becomes ACCEPTED and gets the payer's claim number, REF*1K) or rejected it at
the front door (REJECTED with "<category>:<code> <message>" for the rejections queue). It may
also reject above the claims, a whole batch (HL 20/21) or one billing provider (HL 19): every
claim under that level is REJECTED with the level's status and a message naming the level
(`ack_levels` says which claims); a level rejection that reaches none of our claims is kept as
an unmatched acknowledgement (no batch, no claim) that the batches page lists.

Both are idempotent: the same file again adds no rows and skips claims already moved.
Actor None means the system (a poll of the inbox); a person needs CLAIMS_EDIT.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.ack_levels import (
    Unmatched,
    level_message,
    rejected_levels,
    unmatched_message,
)
from bureau.claims.ack_levels import (
    status_code as level_status_code,
)
from bureau.claims.models import (
    AckKind,
    Acknowledgement,
    Batch,
    Claim,
    ClaimState,
)
from bureau.claims.services import claims_transition, set_payer_claim_numbers
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability
from bureau.x12.ack277 import Ack277, ClaimStatus, LevelStatus
from bureau.x12.ack999 import REJECTED, Ack999, GroupAck

log = logging.getLogger(__name__)
REASON = "acknowledgement ingest: 999/277CA"
S = ClaimState


@dataclass
class AckResult:
    """What one acknowledgement file did. `unknown` lists control numbers (999) or claim
    numbers (277CA) that matched nothing of ours in the workspace."""

    kind: str
    file_name: str
    accepted: int = 0  # batches (999) or claims (277CA) acknowledged as accepted
    rejected: int = 0
    claims_accepted: int = 0  # claims moved to ACCEPTED
    claims_rejected: int = 0  # claims moved to REJECTED
    already_recorded: int = 0  # acknowledgements seen before (same file again)
    unknown: list[str] = field(default_factory=list)
    levels_rejected: int = 0  # 277CA HL 20/21/19 rejections that reached claims of ours
    # 277CA level rejections that reached none of our claims: "HL 21 A3:24", no PHI.
    unmatched_levels: list[str] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        """Counts only, for control data (the InboundRecord): no claim numbers, no PHI."""
        return {
            "kind": self.kind,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "claims_accepted": self.claims_accepted,
            "claims_rejected": self.claims_rejected,
            "already_recorded": self.already_recorded,
            "unknown": len(self.unknown),
            "levels_rejected": self.levels_rejected,
            "unmatched_levels": len(self.unmatched_levels),
        }


def _scope(actor: Actor | None, workspace: Workspace) -> list[int]:
    if actor is None:
        return list(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    if actor.workspace.pk != workspace.pk:
        raise PermissionError("the actor works in another workspace")
    return sorted(actor.practice_ids(Capability.CLAIMS_EDIT))


def _batches(actor: Actor | None, practice_ids: list[int]):  # type: ignore[no-untyped-def]
    if actor is None:
        return Batch.objects.for_system(practice_ids, reason=REASON)
    return Batch.objects.visible_to(actor, Capability.CLAIMS_EDIT)


def _claims(actor: Actor | None, practice_ids: list[int]):  # type: ignore[no-untyped-def]
    if actor is None:
        return Claim.objects.for_system(practice_ids, reason=REASON)
    return Claim.objects.visible_to(actor, Capability.CLAIMS_EDIT)


def _acks(actor: Actor | None, practice_ids: list[int]):  # type: ignore[no-untyped-def]
    if actor is None:
        return Acknowledgement.objects.for_system(practice_ids, reason=REASON)
    return Acknowledgement.objects.visible_to(actor, Capability.CLAIMS_EDIT)


def _audit(
    actor: Actor | None,
    workspace: Workspace,
    kind: str,
    file_name: str,
    made: Sequence[Acknowledgement],
    practices: dict[int, Practice],
) -> None:
    """One ACK_RECEIVED event per practice, naming that practice's new acknowledgements."""
    by_practice: dict[int, list[Acknowledgement]] = {}
    for ack in made:
        by_practice.setdefault(ack.practice_id, []).append(ack)
    for practice_id, acks in sorted(by_practice.items()):
        audit_record(
            action=AuditAction.ACK_RECEIVED,
            actor=actor,
            workspace=workspace if actor is None else None,
            practice=practices[practice_id],
            model="claims.Acknowledgement",
            record_ids=[a.public_id for a in acks],
            detail={
                "kind": kind,
                "file": file_name,
                "accepted": sum(1 for a in acks if a.accepted),
                "rejected": sum(1 for a in acks if not a.accepted),
            },
            label="" if actor is not None else "system",
        )


# -- 999 --------------------------------------------------------------------------------------


def _group_rejected(group: GroupAck) -> bool:
    """Our batches carry one transaction set per group: any set rejected (or the whole group)
    means the batch's claims never reached a payer."""
    return group.status == REJECTED or any(not t.accepted for t in group.transactions)


def _group_message(group: GroupAck) -> str:
    parts: list[str] = []
    for txn in group.transactions:
        if txn.accepted and not txn.errors:
            continue
        bits = [f"ST {txn.control_number} IK5={txn.status}"]
        bits += [f"IK5 {code}" for code in txn.syntax_errors]
        for err in txn.errors:
            where = f"{err.segment_id}#{err.position}"
            if err.loop_id:
                where += f" loop {err.loop_id}"
            text = f"IK3 {where} code {err.error_code}"
            if err.element_position is not None:
                text += f", IK4 element {err.element_position} code {err.element_error_code}"
            bits.append(text)
        parts.append("; ".join(bits))
    head = f"AK9 {group.status}: {group.accepted_count} of {group.received} sets accepted"
    return " | ".join([head, *parts])[:300]


def _control_number(value: str) -> int | None:
    """AK102 / TRN02 as our batch's control number: ASCII digits only (`int` would take
    Arabic-Indic digits and "1_000"), at most nine (ISA13's width)."""
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 9:
        return None
    return int(value)


def ingest_999(
    *, actor: Actor | None, workspace: Workspace, acks: list[Ack999], file_name: str
) -> AckResult:
    """Record a 999 against the batches it answers; a rejection sends their claims back."""
    result = AckResult(kind=AckKind.IMPLEMENTATION.value, file_name=file_name)
    practice_ids = _scope(actor, workspace)
    with transaction.atomic():
        made: list[Acknowledgement] = []
        practices: dict[int, Practice] = {}
        for ack in acks:
            group = ack.group
            icn = _control_number(group.group_control_number)
            batch = (
                _batches(actor, practice_ids)
                .filter(workspace=workspace, interchange_control_number=icn)
                .select_related("practice")
                .first()
                if icn is not None and practice_ids
                else None
            )
            if batch is None:
                result.unknown.append(group.group_control_number)
                continue
            practices[batch.practice_id] = batch.practice
            rejected = _group_rejected(group)
            status_code = f"AK9:{group.status}"
            message = _group_message(group)
            if rejected:
                result.rejected += 1
            else:
                result.accepted += 1
            seen = (
                _acks(actor, practice_ids)
                .filter(kind=AckKind.IMPLEMENTATION, batch=batch, status_code=status_code)
                .exists()
            )
            if seen:
                result.already_recorded += 1
            else:
                row = Acknowledgement(
                    workspace_id=batch.workspace_id,
                    practice_id=batch.practice_id,
                    kind=AckKind.IMPLEMENTATION,
                    batch=batch,
                    accepted=not rejected,
                    status_code=status_code,
                    message=message,
                    file_name=file_name[:200],
                    received_at=clock.now(),
                )
                row.save(force_insert=True)
                made.append(row)
            if rejected:
                claims = list(
                    _claims(actor, practice_ids)
                    .filter(batch=batch, state=S.SUBMITTED)
                    .select_related("practice", "workspace")
                    .order_by("number")
                )
                claims_transition(
                    actor=actor,
                    moves=[(c, S.REJECTED) for c in claims],
                    note=f"999 {file_name}: {message}",
                )
                result.claims_rejected += len(claims)
        _audit(actor, workspace, AckKind.IMPLEMENTATION.value, file_name, made, practices)
    return result


# -- 277CA ------------------------------------------------------------------------------------


def _status_code(status: ClaimStatus) -> str:
    return f"{status.category}:{status.status_code}"[:30]


def _message(status: ClaimStatus) -> str:
    """The payer's words, and whom the status is about (the code has a column of its own)."""
    about = f"(entity {status.entity})" if status.entity else ""
    return " ".join(part for part in (about, status.message) if part)[:300]


def _reason(status: ClaimStatus) -> str:
    """Code and words together, for the claim's history note."""
    return f"{_status_code(status)} {_message(status)}".strip()[:300]


def ingest_277ca(
    *, actor: Actor | None, workspace: Workspace, acks: list[Ack277], file_name: str
) -> AckResult:
    """Record a 277CA claim by claim: accepted → ACCEPTED with the payer's claim number,
    rejected → REJECTED with the reason; unknown claim numbers are listed, not raised. A
    rejected HL 20/21/19 rejects every claim under it (see `ack_levels`)."""
    result = AckResult(kind=AckKind.CLAIM.value, file_name=file_name)
    practice_ids = _scope(actor, workspace)
    statuses = [s for ack in acks for s in ack.claims]
    with transaction.atomic():
        numbers = sorted({s.patient_control_number for s in statuses})
        found: dict[str, Claim] = {}
        if numbers and practice_ids:
            for claim in (
                _claims(actor, practice_ids)
                .filter(workspace=workspace, number__in=numbers)
                .select_related("practice", "workspace")
            ):
                found[claim.number] = claim
        hits, unmatched = rejected_levels(
            acks=acks,
            found=found,
            batches=_batches(actor, practice_ids).select_related("practice"),
            claims=_claims(actor, practice_ids),
            practice_ids=practice_ids,
            workspace=workspace,
        )
        # Claim pk → the levels that reject it, outermost first.
        level_rejected: dict[int, tuple[Claim, list[LevelStatus]]] = {}
        for hit in hits:
            for claim in hit.claims:
                level_rejected.setdefault(claim.pk, (claim, []))[1].append(hit.level)
        targets = [c for c, _ in level_rejected.values()] + list(found.values())
        # What was already recorded, so the same file twice adds nothing.
        seen: set[tuple[int, int | None, str, bool]] = set()
        if targets:
            for row in (
                _acks(actor, practice_ids)
                .filter(kind=AckKind.CLAIM, claim_id__in=sorted({c.pk for c in targets}))
                .values("claim_id", "batch_id", "status_code", "accepted")
            ):
                seen.add((row["claim_id"], row["batch_id"], row["status_code"], row["accepted"]))

        made: list[Acknowledgement] = []
        practices: dict[int, Practice] = {}
        accept_moves: list[tuple[Claim, ClaimState]] = []
        reject_moves: dict[str, list[Claim]] = {}
        numbered: list[Claim] = []
        moved: set[int] = set()
        now = clock.now()

        def record(claim: Claim, code: str, message: str, accepted: bool) -> None:
            practices[claim.practice_id] = claim.practice
            key = (claim.pk, claim.batch_id, code, accepted)
            if key in seen:
                result.already_recorded += 1
                return
            seen.add(key)
            made.append(
                Acknowledgement(
                    workspace_id=claim.workspace_id,
                    practice_id=claim.practice_id,
                    kind=AckKind.CLAIM,
                    batch_id=claim.batch_id,
                    claim=claim,
                    accepted=accepted,
                    status_code=code,
                    message=message,
                    file_name=file_name[:200],
                    received_at=now,
                )
            )

        # Level rows first: where a claim also has its own rejection, that one is recorded
        # last and so is the reason the claim lists show, as it is the reason it moved with.
        result.levels_rejected = len(hits)
        for claim, levels in level_rejected.values():
            for level in levels:
                record(claim, level_status_code(level), level_message(level), False)
        for status in statuses:
            claim = found.get(status.patient_control_number)
            if claim is None:
                result.unknown.append(status.patient_control_number)
                continue
            accepted = not status.rejected
            if accepted:
                result.accepted += 1
            else:
                result.rejected += 1
            record(claim, _status_code(status), _message(status), accepted)
            if claim.pk in moved:
                continue  # two statuses for one claim in a file: the first one moves it
            if accepted:
                if claim.pk in level_rejected:
                    # A level above it was rejected: the claim was not taken in, whatever its
                    # own line says, so the level's rejection stands (below). A claim's own
                    # rejection, being the more specific reason, moves it instead.
                    continue
                number = status.payer_claim_number.strip()[:50]
                if number and number != claim.payer_claim_number:
                    claim.payer_claim_number = number
                    numbered.append(claim)
                if claim.state == S.SUBMITTED:
                    accept_moves.append((claim, S.ACCEPTED))
                    moved.add(claim.pk)
            elif claim.state in (S.SUBMITTED, S.ACCEPTED):
                reject_moves.setdefault(_reason(status), []).append(claim)
                moved.add(claim.pk)

        for claim, levels in level_rejected.values():
            if claim.pk not in moved and claim.state in (S.SUBMITTED, S.ACCEPTED):
                reason = f"{level_status_code(levels[0])} {level_message(levels[0])}"[:300]
                reject_moves.setdefault(reason, []).append(claim)
                moved.add(claim.pk)
        made += _unmatched_rows(actor, practice_ids, unmatched, file_name, now, practices)
        result.unmatched_levels = [
            f"HL {u.level.level} {level_status_code(u.level)}" for u in unmatched
        ]

        if made:
            Acknowledgement.objects.bulk_create(made, batch_size=1000)
        set_payer_claim_numbers(practice_ids, numbered, reason=REASON)
        if accept_moves:
            claims_transition(actor=actor, moves=accept_moves, note=f"277CA {file_name}")
            result.claims_accepted = len(accept_moves)
        for reason, claims in sorted(reject_moves.items()):
            claims_transition(actor=actor, moves=[(c, S.REJECTED) for c in claims], note=reason)
            result.claims_rejected += len(claims)
        _audit(actor, workspace, AckKind.CLAIM.value, file_name, made, practices)
    for item in unmatched:
        log.warning(
            "277CA %s: HL %s rejection %s matched no claim of ours (%s)",
            file_name,
            item.level.level,
            level_status_code(item.level),
            item.why,
        )
    return result


def _unmatched_rows(
    actor: Actor | None,
    practice_ids: list[int],
    unmatched: Sequence[Unmatched],
    file_name: str,
    now: datetime,
    practices: dict[int, Practice],
) -> list[Acknowledgement]:
    """An acknowledgement with neither batch nor claim, in the practice the rejection most
    likely concerns, for each level rejection that reached none of our claims (the batches page
    lists them). Without a practice to hold it, it stays in the result and the log only."""
    rows: list[Acknowledgement] = []
    for item in unmatched:
        practice = item.practice
        if practice is None:
            continue
        message = unmatched_message(item)
        code = level_status_code(item.level)
        seen = (
            _acks(actor, practice_ids)
            .filter(
                kind=AckKind.CLAIM,
                practice_id=practice.pk,
                batch__isnull=True,
                claim__isnull=True,
                status_code=code,
                message=message,
                file_name=file_name[:200],
            )
            .exists()
        )
        if seen:
            continue
        practices[practice.pk] = practice
        rows.append(
            Acknowledgement(
                workspace_id=practice.workspace_id,
                practice_id=practice.pk,
                kind=AckKind.CLAIM,
                accepted=False,
                status_code=code,
                message=message,
                file_name=file_name[:200],
                received_at=now,
            )
        )
    return rows
