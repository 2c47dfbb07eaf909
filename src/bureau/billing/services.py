"""Write-offs: request, auto-approve within the practice's limit, approve or refuse above it.

Every step runs in one transaction with its audit event. Approval (by the limit or by a
person) appends one WRITE_OFF ledger entry per line through the ledger's appender, closes the
claim's open denials on those lines as written off, and lets the work queue drop the approval
item — all in the decision's transaction. The decision itself is one conditional UPDATE
(`status = pending` in its WHERE), so two approvers at once cannot both post.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Q, Sum
from django.http import Http404

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.billing.corrections import writeoff_refusal_for_correction
from bureau.billing.models import WriteOffLine, WriteOffReason, WriteOffRequest, WriteOffStatus
from bureau.claims.models import Claim, ClaimLine
from bureau.configuration.resolver import settings_for
from bureau.denials.categories import is_denial_reason
from bureau.denials.models import Denial, DenialEvent, DenialStatus, RootCause
from bureau.ledger.models import EntryKind
from bureau.ledger.services import LedgerAppender, reverse_entries, unreversed_entries
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability, Role
from bureau.workqueues.functions import Function
from bureau.workqueues.hooks import remittance_changed

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
REASON = "write-off: open balances and the denials it closes"
# Denials still being worked: a write-off of their lines ends them.
WORKED = (DenialStatus.OPEN, DenialStatus.IN_PROGRESS, DenialStatus.APPEALED)
# Limits of a request's free text (the model's columns).
NOTE_MAX = 300


class WriteOffError(ValueError):
    """The request or decision cannot be made; the message says why, for the person."""


# -- reads the rules need ------------------------------------------------------------------------


@dataclass
class LineOpening:
    """What may still be written off on one line, and where it sits on the ledger.

    `balance` is the line's insurance balance. `disputed` are the payer's denying adjustments
    (unreversed non-contractual CO/PI/OA entries) on a line whose denial is still worked: a
    posted denial took those dollars off the balance, but they are not settled while the
    denial is worked, so they may be written off — approval reverses them and posts the
    WRITE_OFF in their place, so the ledger names the practice's decision, not the payer's.
    `asked` is what pending requests already ask for on the line."""

    line: ClaimLine
    balance: Decimal
    disputed: list[dict[str, Any]] = field(default_factory=list)
    asked: Decimal = ZERO

    @property
    def disputed_total(self) -> Decimal:
        return -sum((e["amount"] for e in self.disputed), ZERO)

    @property
    def open(self) -> Decimal:
        return max(self.balance + self.disputed_total - self.asked, ZERO)


def line_openings(*, claim: Claim, lines: Sequence[ClaimLine]) -> dict[int, LineOpening]:
    """Per line of `claim`, its `LineOpening` (the caller holds access to the claim). A line
    with nothing on the ledger (a claim never submitted) has nothing open: no charge."""
    if not lines:
        return {}
    practice_id = claim.practice_id
    line_ids = [line.pk for line in lines]
    appender = LedgerAppender([practice_id], line_ids)
    asked = dict(
        WriteOffLine.objects.for_system([practice_id], reason=REASON)
        .filter(claim_line_id__in=line_ids, request__status=WriteOffStatus.PENDING)
        .values("claim_line_id")
        .annotate(total=Sum("amount"))
        .order_by()
        .values_list("claim_line_id", "total")
    )
    worked = list(
        open_denials(practice_id, claim.pk, line_ids).values_list("claim_line_id", flat=True)
    )
    whole_claim = None in worked
    found: dict[int, LineOpening] = {}
    for line in lines:
        balance = appender.balance(line.pk) if appender.has_entries(line.pk) else ZERO
        found[line.pk] = LineOpening(line, balance, asked=asked.get(line.pk) or ZERO)
    if worked:
        for entry in unreversed_entries([practice_id], [claim.pk]).get(claim.pk, []):
            opening = found.get(entry["claim_line_id"])
            if (
                opening is not None
                and entry["kind"] == EntryKind.ADJUSTMENT
                and entry["amount"] < 0
                and is_denial_reason(entry["group_code"], entry["reason_code"])
                and (whole_claim or entry["claim_line_id"] in worked)
            ):
                opening.disputed.append(entry)
    return found


def auto_approve_limit(practice: Any) -> Decimal:
    return Decimal(settings_for(practice).get("writeoffs.auto_approve_limit"))


def approver_role(practice: Any) -> str:
    return str(settings_for(practice).get("writeoffs.approver_role"))


def may_decide(actor: Actor, practice_id: int) -> bool:
    """Holds `writeoffs.approve` on the practice and the practice's approving role (the owner,
    who holds every capability, may always)."""
    if not actor.can(Capability.WRITEOFFS_APPROVE, practice_id):
        return False
    access = actor.access[practice_id]
    return Role.OWNER in access.roles or approver_role(access.practice) in access.roles


def open_denials(practice_id: int, claim_id: int, line_ids: Sequence[int]) -> Any:
    """The claim's denials still worked on these lines, or on the whole claim."""
    return (
        Denial.objects.for_system([practice_id], reason=REASON)
        .filter(claim_id=claim_id, status__in=WORKED)
        .filter(Q(claim_line_id__in=list(line_ids)) | Q(claim_line__isnull=True))
    )


def _amount(raw: Any, label: str) -> Decimal:
    text = raw if isinstance(raw, Decimal) else str(raw).strip()
    # Decimal() reads digits of any script ("٣٤" is 34) and underscores ("1_0" is 10): a
    # person typing those did not mean that amount, so only ASCII digits count.
    if isinstance(text, str) and (not text.isascii() or "_" in text):
        raise WriteOffError(f"{label}: {text[:20]!r} is not an amount.")
    try:
        value = text if isinstance(text, Decimal) else Decimal(text or "0")
    except InvalidOperation:
        raise WriteOffError(f"{label}: {str(raw)[:20]!r} is not an amount.") from None
    if not value.is_finite():
        raise WriteOffError(f"{label}: {str(raw)[:20]!r} is not an amount.")
    if value < 0:
        raise WriteOffError(f"{label}: an amount cannot be negative.")
    if value >= Decimal("1e10"):  # before quantize, which cannot hold 1e30 in cents
        raise WriteOffError(f"{label}: that amount is too large.")
    if value != value.quantize(CENT):
        raise WriteOffError(f"{label}: amounts are in dollars and cents.")
    return value.quantize(CENT)


# -- request ----------------------------------------------------------------------------------


def writeoff_request(
    *,
    actor: Actor,
    claim: Claim,
    amounts: Mapping[str, Any],
    reason: str,
    note: str,
    root_cause: str = "",
    denial: Denial | None = None,
) -> WriteOffRequest:
    """Ask to write off `amounts` (claim line public id → dollars; blank or 0 skips a line).
    Within the practice's `writeoffs.auto_approve_limit` it is approved and posted at once;
    above it, it waits in the approvers' work queue."""
    actor.require(Capability.WRITEOFFS_REQUEST, claim.practice_id)
    note = (note or "").replace("\x00", "").strip()  # PostgreSQL text holds no NUL
    if reason not in WriteOffReason.values:
        raise WriteOffError("Reason: choose why this balance is written off.")
    if not note:
        raise WriteOffError("Note: say why this balance cannot be collected.")
    root_cause = (root_cause or "").strip()
    if root_cause and root_cause not in RootCause.values:
        raise WriteOffError(f"Root cause: unknown value {root_cause[:20]!r}.")
    with transaction.atomic():
        # The claim row, locked: two requests on one claim are made one after the other, so
        # together they never ask for more than is open.
        locked = (
            Claim.objects.visible_to(actor, Capability.WRITEOFFS_REQUEST)
            .select_for_update()
            .filter(pk=claim.pk)
            .first()
        )
        if locked is None:
            raise Http404
        refusal = writeoff_refusal_for_correction(actor, locked)
        if refusal:
            raise WriteOffError(refusal)
        lines = list(
            ClaimLine.objects.visible_to(actor, Capability.WRITEOFFS_REQUEST)
            .filter(claim_id=locked.pk)
            .order_by("line_number")
        )
        by_public = {str(line.public_id): line for line in lines}
        wanted: list[tuple[ClaimLine, Decimal]] = []
        for key, raw in amounts.items():
            line = by_public.get(str(key))
            if line is None:
                raise WriteOffError("A line named in the request is not on this claim.")
            value = _amount(raw, f"Line {line.line_number}")
            if value > 0:
                wanted.append((line, value))
        if not wanted:
            raise WriteOffError("Enter the amount to write off on at least one line.")
        wanted.sort(key=lambda pair: pair[0].line_number)
        openings = line_openings(claim=locked, lines=[ln for ln, _ in wanted])
        for line, value in wanted:
            if value > openings[line.pk].open:
                raise WriteOffError(
                    f"Line {line.line_number} ({line.procedure_code}): {value} is more than the "
                    f"{openings[line.pk].open} open on it."
                )
        line_ids = [line.pk for line, _ in wanted]
        if not root_cause and open_denials(locked.practice_id, locked.pk, line_ids).exists():
            raise WriteOffError(
                "Root cause: this write-off closes an open denial; say where it started "
                "(registration, eligibility, authorization, coding, documentation, charge entry, "
                "payer error or credentialing)."
            )
        total = sum((value for _, value in wanted), ZERO)
        request = WriteOffRequest.objects.create(
            workspace_id=locked.workspace_id,
            practice_id=locked.practice_id,
            claim=locked,
            denial=denial if denial is not None and denial.claim_id == locked.pk else None,
            amount=total,
            reason=reason,
            note=note[:NOTE_MAX],
            root_cause=root_cause,
            requested_by=actor.user,
        )
        WriteOffLine.objects.bulk_create(
            WriteOffLine(
                workspace_id=locked.workspace_id,
                practice_id=locked.practice_id,
                request=request,
                claim_line=line,
                amount=value,
            )
            for line, value in wanted
        )
        practice = actor.access[locked.practice_id].practice
        limit = auto_approve_limit(practice)
        # The limit is per claim, not per request: otherwise three requests of 25 write off 75
        # with no approver. What the limit already let through on this claim counts.
        before = (
            WriteOffRequest.objects.for_system([locked.practice_id], reason=REASON)
            .filter(claim_id=locked.pk, status=WriteOffStatus.AUTO_APPROVED)
            .exclude(pk=request.pk)
            .aggregate(total=Sum("amount"))["total"]
            or ZERO
        )
        audit_record(
            action=AuditAction.WRITEOFF_REQUESTED,
            actor=actor,
            practice=practice,
            model="billing.WriteOffRequest",
            record_ids=[request.public_id],
            reason=note[:200],
            detail={
                "claim": str(locked.public_id),
                "amount": str(total),
                "reason": reason,
                "lines": {str(line.line_number): str(value) for line, value in wanted},
                "auto_approve_limit": str(limit),
                "auto_approved_before": str(before),
            },
        )
        if total + before <= limit:
            request.status = WriteOffStatus.AUTO_APPROVED
            request.decided_at = clock.now()
            request.decision_note = f"Within the practice's auto-approve limit of {limit}" + (
                f" ({before} already written off on this claim by it)." if before else "."
            )
            WriteOffRequest.objects.for_system([locked.practice_id], reason=REASON).filter(
                pk=request.pk
            ).update(
                status=request.status,
                decided_at=request.decided_at,
                decision_note=request.decision_note,
            )
            audit_record(
                action=AuditAction.WRITEOFF_APPROVED,
                actor=actor,
                practice=practice,
                model="billing.WriteOffRequest",
                record_ids=[request.public_id],
                reason=request.decision_note,
                detail={"auto": True, "amount": str(total), "limit": str(limit)},
            )
            _post(actor, request, locked, auto=True)
        else:
            _sync(actor, request, (Function.WRITEOFF_APPROVAL,))
    return request


# -- decisions --------------------------------------------------------------------------------


def _decide(actor: Actor, request: WriteOffRequest, status: str, note: str) -> WriteOffRequest:
    """The checks every decision shares, and the one UPDATE that makes it (only while the
    request is still pending: a second approver's UPDATE finds nothing to change)."""
    actor.require(Capability.WRITEOFFS_APPROVE, request.practice_id)
    if request.requested_by_id == actor.user.pk:
        raise WriteOffError("You asked for this write-off: someone else must approve or refuse it.")
    if not may_decide(actor, request.practice_id):
        role = approver_role(actor.access[request.practice_id].practice)
        raise WriteOffError(
            f"Write-offs of this practice are decided by its {role.replace('_', ' ')}s."
        )
    scoped = WriteOffRequest.objects.visible_to(actor, Capability.WRITEOFFS_APPROVE)
    now = clock.now()
    changed = scoped.filter(pk=request.pk, status=WriteOffStatus.PENDING).update(
        status=status, decided_by=actor.user, decided_at=now, decision_note=note[:NOTE_MAX]
    )
    current: WriteOffRequest | None = scoped.filter(pk=request.pk).first()
    if current is None:  # outside the actor's practices or providers: as if missing
        raise Http404
    if not changed:
        raise WriteOffError(
            f"This write-off was already decided ({current.get_status_display().lower()})."
        )
    return current


def writeoff_approve(*, actor: Actor, request: WriteOffRequest, note: str = "") -> WriteOffRequest:
    note = (note or "").replace("\x00", "").strip()  # PostgreSQL text holds no NUL
    with transaction.atomic():
        decided = _decide(actor, request, WriteOffStatus.APPROVED, note)
        claim = (
            Claim.objects.visible_to(actor, Capability.WRITEOFFS_APPROVE)
            .select_for_update()
            .filter(pk=decided.claim_id)
            .first()
        )
        if claim is None:
            raise Http404
        audit_record(
            action=AuditAction.WRITEOFF_APPROVED,
            actor=actor,
            practice=actor.access[decided.practice_id].practice,
            model="billing.WriteOffRequest",
            record_ids=[decided.public_id],
            reason=note[:200],
            detail={"claim": str(claim.public_id), "amount": str(decided.amount)},
        )
        _post(actor, decided, claim, auto=False)
    return decided


def writeoff_refuse(*, actor: Actor, request: WriteOffRequest, note: str) -> WriteOffRequest:
    """Refused with a note the requester reads on the request; nothing is posted."""
    note = (note or "").replace("\x00", "").strip()  # PostgreSQL text holds no NUL
    if not note:
        raise WriteOffError("Note: tell the requester why the write-off is refused.")
    with transaction.atomic():
        decided = _decide(actor, request, WriteOffStatus.REFUSED, note)
        audit_record(
            action=AuditAction.WRITEOFF_REFUSED,
            actor=actor,
            practice=actor.access[decided.practice_id].practice,
            model="billing.WriteOffRequest",
            record_ids=[decided.public_id],
            reason=note[:200],
            detail={"amount": str(decided.amount), "requested_by": decided.requested_by_id},
        )
        _sync(actor, decided, (Function.WRITEOFF_APPROVAL,))
    return decided


# -- posting ----------------------------------------------------------------------------------


def _post(actor: Actor, request: WriteOffRequest, claim: Claim, *, auto: bool) -> None:
    """The approved request's WRITE_OFF entries (one per line), its denials closed, its work
    item gone: in the caller's transaction, after the decision is recorded."""
    practice_id = request.practice_id
    lines = list(
        WriteOffLine.objects.for_system([practice_id], reason=REASON)
        .filter(request_id=request.pk)
        .select_related("claim_line")
        .order_by("claim_line__line_number")
    )
    # The request is decided already (its status is no longer pending), so its own amounts
    # no longer count as asked; the check is against the balance and the disputed denial.
    openings = line_openings(claim=claim, lines=[wl.claim_line for wl in lines])
    appender = LedgerAppender([practice_id], [wl.claim_line_id for wl in lines])
    today = clock.now().date()
    label = f"write-off ({request.get_reason_display().lower()})" + (
        " auto-approved" if auto else ""
    )
    for wl in lines:
        line = wl.claim_line
        opening = openings[line.pk]
        if wl.amount > opening.balance + opening.disputed_total:  # paid or adjusted since
            raise WriteOffError(
                f"Line {line.line_number} ({line.procedure_code}): only "
                f"{opening.balance + opening.disputed_total} is open now, less than the "
                f"{wl.amount} asked; refuse it and ask again."
            )
        if opening.disputed:
            reverse_entries(
                appender,
                opening.disputed,
                {line.pk: line},
                note=f"denial taken back for the {label}"[:200],
                effective_date=today,
                posted_by_id=actor.user.pk,
            )
        appender.append(
            line,
            EntryKind.WRITE_OFF,
            -wl.amount,
            effective_date=today,
            posted_by_id=actor.user.pk,
            note=label,
        )
    appender.flush()
    closed = _close_denials(actor, request, claim, [wl.claim_line_id for wl in lines])
    # Closed denials drop their denial items; a decided request drops its approval item (an
    # auto-approved one never had one).
    functions: list[str] = [Function.DENIALS] if closed else []
    if not auto or closed:
        functions.append(Function.WRITEOFF_APPROVAL)
    if functions:
        _sync(actor, request, functions)


def _close_denials(
    actor: Actor, request: WriteOffRequest, claim: Claim, line_ids: Sequence[int]
) -> int:
    """The claim's denials on the written-off lines close as written off, with the request's
    root cause, on the denial's history and in the audit log. Done for the approval (the
    requester may hold only denials.view), hence the system read."""
    rows = list(open_denials(request.practice_id, claim.pk, line_ids).order_by("id"))
    if not rows:
        return 0
    practice_id = request.practice_id
    Denial.objects.for_system([practice_id], reason=REASON).filter(
        pk__in=[d.pk for d in rows]
    ).update(status=DenialStatus.WRITTEN_OFF, root_cause=request.root_cause)
    note = f"Written off: {request.amount} ({request.get_reason_display().lower()})"
    firsts: dict[int, Denial] = {}
    for d in rows:
        firsts.setdefault(d.era_claim_id, d)
    DenialEvent.objects.bulk_create(
        DenialEvent(
            workspace_id=d.workspace_id,
            practice_id=practice_id,
            denial=d,
            user=actor.user,
            note=note[:300],
            changes={
                "status": [d.status, DenialStatus.WRITTEN_OFF.value],
                "root_cause": [d.root_cause or None, request.root_cause or None],
            },
        )
        for d in firsts.values()
    )
    audit_record(
        action=AuditAction.DENIAL_UPDATED,
        actor=actor,
        practice=actor.access[practice_id].practice,
        model="denials.Denial",
        record_ids=[d.public_id for d in rows],
        reason=note[:200],
        detail={
            "status": DenialStatus.WRITTEN_OFF.value,
            "root_cause": request.root_cause,
            "writeoff": str(request.public_id),
        },
    )
    return len(rows)


def _sync(actor: Actor, request: WriteOffRequest, functions: Sequence[str]) -> None:
    remittance_changed(
        actor=actor,
        workspace_id=request.workspace_id,
        practice_ids=[request.practice_id],
        claim_ids=[request.claim_id],
        functions=functions,
        cause="write-off",
    )
