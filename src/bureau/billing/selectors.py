"""Scoped reads of write-offs: the list, one request, and the request form's lines with what is
open on each. Every read of PHI is audited."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from bureau.audit.listing import Page, audited_page
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.billing.models import WriteOffLine, WriteOffRequest, WriteOffStatus
from bureau.billing.services import LineOpening, auto_approve_limit, line_openings, may_decide
from bureau.claims.models import Claim, ClaimLine
from bureau.denials.models import Denial, RootCause
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

PAGE_SIZE = 50


@dataclass(frozen=True)
class WriteOffFilters:
    practice_id: int | None = None
    status: str = ""
    mine: bool = False  # requested by the actor


@dataclass(frozen=True)
class WriteOffRow:
    public_id: str
    practice_name: str
    claim_public_id: str
    claim_number: str
    amount: Decimal
    reason_label: str
    status: str
    status_label: str
    requested_by: str
    requested_at: Any
    decided_by: str
    decision_note: str


def _scoped(actor: Actor, capability: Capability) -> QuerySet[WriteOffRequest]:
    return WriteOffRequest.objects.visible_to(actor, capability).select_related(
        "claim", "requested_by", "decided_by"
    )


def _row(actor: Actor, r: WriteOffRequest) -> WriteOffRow:
    return WriteOffRow(
        public_id=str(r.public_id),
        practice_name=actor.access[r.practice_id].practice.name,
        claim_public_id=str(r.claim.public_id),
        claim_number=r.claim.number,
        amount=r.amount,
        reason_label=r.get_reason_display(),
        status=r.status,
        status_label=r.get_status_display(),
        requested_by=r.requested_by.label,
        requested_at=r.requested_at,
        decided_by=(
            r.decided_by.label if r.decided_by else ("limit" if r.decided_at is not None else "")
        ),
        decision_note=r.decision_note,
    )


def writeoff_list(
    *, actor: Actor, filters: WriteOffFilters | None = None, page: int = 1
) -> Page[WriteOffRow]:
    """Requests across the actor's `writeoffs.view` practices, newest first."""
    filters = filters or WriteOffFilters()
    qs = _scoped(actor, Capability.WRITEOFFS_VIEW)
    if filters.practice_id is not None:
        qs = qs.filter(practice_id=filters.practice_id)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.mine:
        qs = qs.filter(requested_by=actor.user)
    found = audited_page(
        qs.order_by("-requested_at", "-id"),
        page=page,
        page_size=PAGE_SIZE,
        actor=actor,
        action=AuditAction.WRITEOFF_LISTED,
        model="billing.WriteOffRequest",
    )
    return found.shown_as(lambda r: _row(actor, r))


def writeoffs_of_claim(*, actor: Actor, claim: Claim) -> list[WriteOffRow]:
    """The claim's requests, newest first, for its page and its denial's (audited when any)."""
    if not actor.can(Capability.WRITEOFFS_VIEW, claim.practice_id):
        return []
    # Not `_scoped`: the claim is in hand, and joining its forty-odd columns back cost this
    # one-line panel a fifth of the claim page's CPU (issue 12).
    found = list(
        WriteOffRequest.objects.visible_to(actor, Capability.WRITEOFFS_VIEW)
        .filter(claim_id=claim.pk)
        .select_related("requested_by", "decided_by")[:20]
    )
    for request in found:
        request.claim = claim
    if found:
        audit_record(
            action=AuditAction.WRITEOFF_LISTED,
            actor=actor,
            practice=actor.access[claim.practice_id].practice,
            model="billing.WriteOffRequest",
            record_ids=[r.public_id for r in found],
            detail={"claim": str(claim.public_id)},
        )
    return [_row(actor, r) for r in found]


def writeoff_get(*, actor: Actor, public_id: Any, capability: Capability) -> WriteOffRequest:
    found: WriteOffRequest | None = _scoped(actor, capability).filter(public_id=public_id).first()
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class WriteOffDetail:
    request: WriteOffRequest
    row: WriteOffRow
    lines: list[tuple[int, str, Decimal]]  # (line number, procedure code, amount)
    denial: Denial | None
    can_decide: bool
    own: bool
    root_cause: str  # its label, or "" when none was given


def writeoff_detail(*, actor: Actor, public_id: Any) -> WriteOffDetail:
    request = writeoff_get(actor=actor, public_id=public_id, capability=Capability.WRITEOFFS_VIEW)
    lines = [
        (wl.claim_line.line_number, wl.claim_line.procedure_code, wl.amount)
        for wl in WriteOffLine.objects.visible_to(actor, Capability.WRITEOFFS_VIEW)
        .filter(request_id=request.pk)
        .select_related("claim_line")
        .order_by("claim_line__line_number")
    ]
    denial = None
    if request.denial_id is not None and actor.can(Capability.DENIALS_VIEW, request.practice_id):
        denial = (
            Denial.objects.visible_to(actor, Capability.DENIALS_VIEW)
            .filter(pk=request.denial_id)
            .first()
        )
    own = request.requested_by_id == actor.user.pk
    audit_record(
        action=AuditAction.WRITEOFF_VIEWED,
        actor=actor,
        practice=actor.access[request.practice_id].practice,
        model="billing.WriteOffRequest",
        record_ids=[request.public_id],
        detail={"claim": str(request.claim.public_id)},
    )
    return WriteOffDetail(
        request=request,
        row=_row(actor, request),
        lines=lines,
        denial=denial,
        can_decide=(
            request.status == WriteOffStatus.PENDING
            and not own
            and may_decide(actor, request.practice_id)
        ),
        own=own,
        root_cause=(
            str(RootCause(request.root_cause).label)
            if request.root_cause in RootCause.values
            else ""
        ),
    )


@dataclass(frozen=True)
class WriteOffForm:
    """What the request form shows: the claim's lines with what is open on each."""

    claim: Claim
    openings: list[LineOpening]
    denial: Denial | None
    needs_root_cause: bool
    limit: Decimal


def claim_for_writeoff(*, actor: Actor, public_id: Any) -> Claim:
    """The claim a write-off is asked on (writeoffs.request over its provider), else 404."""
    claim: Claim | None = (
        Claim.objects.visible_to(actor, Capability.WRITEOFFS_REQUEST)
        .select_related("practice")
        .filter(public_id=public_id)
        .first()
    )
    if claim is None:
        raise Http404
    return claim


def writeoff_form(*, actor: Actor, claim: Claim, denial_public_id: Any = None) -> WriteOffForm:
    """The form's lines with what is open on each (`claim` from `claim_for_writeoff`)."""
    lines = list(
        ClaimLine.objects.visible_to(actor, Capability.WRITEOFFS_REQUEST)
        .filter(claim_id=claim.pk)
        .order_by("line_number")
    )
    openings = line_openings(claim=claim, lines=lines)
    denial = None
    if denial_public_id and actor.can(Capability.DENIALS_VIEW, claim.practice_id):
        denial = (
            Denial.objects.visible_to(actor, Capability.DENIALS_VIEW)
            .filter(public_id=denial_public_id, claim_id=claim.pk)
            .first()
        )
    audit_record(
        action=AuditAction.CLAIM_VIEWED,
        actor=actor,
        practice=actor.access[claim.practice_id].practice,
        model="claims.Claim",
        record_ids=[claim.public_id],
        detail={"for": "write-off request", "lines": len(lines)},
    )
    return WriteOffForm(
        claim=claim,
        openings=[openings[line.pk] for line in lines],
        denial=denial,
        needs_root_cause=any(o.disputed for o in openings.values())
        or _has_open_denial(claim, lines),
        limit=auto_approve_limit(actor.access[claim.practice_id].practice),
    )


def _has_open_denial(claim: Claim, lines: list[ClaimLine]) -> bool:
    from bureau.billing.services import open_denials

    return bool(open_denials(claim.practice_id, claim.pk, [ln.pk for ln in lines]).exists())
