"""Scoped reads of denials: the worklist and one denial, audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.listing import Page, audited_page
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.denials.models import Denial, DenialCategory, DenialEvent, DenialStatus, RootCause
from bureau.denials.playbook import Step, steps_for
from bureau.remittance.selectors import carc_description
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Grant
from bureau.tenancy.roles import ROLE_CAPABILITIES, Capability, Role
from bureau.x12.adjustment_codes import group_description, rarc_description

PAGE_SIZE = 50
URGENT_DAYS = 14  # appeal deadlines closer than this are highlighted


@dataclass(frozen=True)
class DenialFilters:
    practice_id: int | None = None
    payer_id: int | None = None
    category: str = ""
    status: str = ""


@dataclass(frozen=True)
class DenialRow:
    public_id: str
    practice_name: str
    claim_public_id: str
    claim_number: str
    line_number: int | None
    group_code: str
    carc: str
    description: str
    rarcs: list[str]
    category: str
    category_label: str
    amount: Decimal
    payer_name: str
    denied_on: date
    appeal_deadline: date
    days_left: int
    urgent: bool
    status: str
    status_label: str
    assignee: str


DenialPage = Page[DenialRow]


def _row(actor: Actor, d: Denial, today: date) -> DenialRow:
    days_left = (d.appeal_deadline - today).days
    open_ = d.status in (DenialStatus.OPEN, DenialStatus.IN_PROGRESS)
    return DenialRow(
        public_id=str(d.public_id),
        practice_name=actor.access[d.practice_id].practice.name,
        claim_public_id=str(d.claim.public_id),
        claim_number=d.claim.number,
        line_number=d.claim_line.line_number if d.claim_line else None,
        group_code=d.group_code,
        carc=d.carc,
        description=carc_description(d.carc),
        rarcs=list(d.rarcs or []),
        category=d.category,
        category_label=d.get_category_display(),
        amount=d.amount,
        payer_name=d.payer.name if d.payer else d.era.payer_name,
        denied_on=d.denied_on,
        appeal_deadline=d.appeal_deadline,
        days_left=days_left,
        urgent=open_ and days_left < URGENT_DAYS,
        status=d.status,
        status_label=d.get_status_display(),
        assignee=d.assignee.label if d.assignee else "",
    )


def _scoped(actor: Actor, capability: Capability) -> QuerySet[Denial]:
    return (
        Denial.objects.visible_to(actor, capability)
        .select_related("claim__encounter", "claim_line", "payer", "era", "assignee")
        .defer("era__content")
    )


def denial_list(
    *,
    actor: Actor,
    filters: DenialFilters | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> DenialPage:
    """The worklist, nearest appeal deadline first, across the actor's `denials.view` practices."""
    filters = filters or DenialFilters()
    qs = _scoped(actor, Capability.DENIALS_VIEW)
    if filters.practice_id is not None:
        qs = qs.filter(practice_id=filters.practice_id)
    if filters.payer_id is not None:
        qs = qs.filter(payer_id=filters.payer_id)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.status:
        qs = qs.filter(status=filters.status)
    denials = audited_page(
        qs.order_by("appeal_deadline", "id"),
        page=page,
        page_size=page_size,
        actor=actor,
        action=AuditAction.DENIAL_LISTED,
        model="denials.Denial",
    )
    today = timezone.localdate()
    return denials.shown_as(lambda d: _row(actor, d, today))


def denial_get(*, actor: Actor, public_id: Any, capability: Capability) -> Denial:
    denial: Denial | None = _scoped(actor, capability).filter(public_id=public_id).first()
    if denial is None:
        raise Http404
    return denial


@dataclass(frozen=True)
class DenialLine:
    """One denied line of the claim's denial, its codes with their descriptions."""

    denial: Denial
    line_number: int | None
    procedure_code: str
    group: tuple[str, str]
    carc: tuple[str, str]
    rarcs: list[tuple[str, str]]
    category_label: str
    amount: Decimal


@dataclass(frozen=True)
class HistoryEntry:
    occurred_at: Any
    who: str
    note: str
    changes: list[tuple[str, str, str]]  # (field, before, after)


@dataclass(frozen=True)
class DenialDetail:
    denial: Denial
    row: DenialRow
    can_work: bool
    assignees: list[User]
    lines: list[DenialLine] = field(default_factory=list)
    total: Decimal = Decimal("0.00")
    history: list[HistoryEntry] = field(default_factory=list)
    playbook: tuple[Step, ...] = ()


def assignee_choices(*, actor: Actor, denial: Denial) -> list[User]:
    """People of the workspace who may work this denial: a live, writable grant with
    denials.work on its practice that is not limited to other providers than its claim's."""
    encounter = denial.claim.encounter
    doctors = {encounter.rendering_provider_id, encounter.billing_provider_id}
    roles = [r.value for r in Role if Capability.DENIALS_WORK in ROLE_CAPABILITIES[r]]
    grants = (
        Grant.objects.live(timezone.now())
        .filter(workspace=actor.workspace, role__in=roles, read_only=False)
        .filter(Q(practice_id=denial.practice_id) | Q(practice__isnull=True))
        .select_related("user")
        .prefetch_related("providers")
    )
    users = {
        g.user.pk: g.user
        for g in grants
        if g.user.is_active and _covers({p.pk for p in g.providers.all()}, doctors)
    }
    return sorted(users.values(), key=lambda u: u.label.lower())


def _covers(allowed: set[int], doctors: set[int]) -> bool:
    return not allowed or bool(allowed & doctors)  # no providers: every provider


_LABELS: dict[str, dict[str, str]] = {
    "status": dict(DenialStatus.choices),
    "category": dict(DenialCategory.choices),
    "root_cause": dict(RootCause.choices),
}


def _shown(field_name: str, value: Any) -> str:
    if value in (None, ""):
        return "—"
    return _LABELS.get(field_name, {}).get(str(value), str(value))


def _history(actor: Actor, rows: list[Denial]) -> list[HistoryEntry]:
    events = (
        DenialEvent.objects.visible_to(actor, Capability.DENIALS_VIEW)
        .filter(denial_id__in=[d.pk for d in rows])
        .select_related("user")
        .order_by("-occurred_at", "-id")
    )
    return [
        HistoryEntry(
            occurred_at=e.occurred_at,
            who=e.user.label if e.user else "system",
            note=e.note,
            changes=[
                (name.replace("_", " "), _shown(name, pair[0]), _shown(name, pair[1]))
                for name, pair in sorted(e.changes.items())
                if isinstance(pair, list) and len(pair) == 2
            ],
        )
        for e in events
    ]


def denial_detail(*, actor: Actor, public_id: Any) -> DenialDetail:
    """The claim's denial: every denied line of the claim on that ERA (group/CARC/RARC with
    descriptions, amounts, total), its history and the category's playbook; one audit event
    naming every line shown."""
    from bureau.denials.services import claim_denial_rows

    denial = denial_get(actor=actor, public_id=public_id, capability=Capability.DENIALS_VIEW)
    can_work = actor.can(Capability.DENIALS_WORK, denial.practice_id)
    rows = list(
        claim_denial_rows(_scoped(actor, Capability.DENIALS_VIEW), denial).order_by(
            "claim_line__line_number", "id"
        )
    )
    audit_record(
        action=AuditAction.DENIAL_VIEWED,
        actor=actor,
        practice=actor.access[denial.practice_id].practice,
        model="denials.Denial",
        record_ids=[d.public_id for d in rows],
    )
    lines = [
        DenialLine(
            denial=d,
            line_number=d.claim_line.line_number if d.claim_line else None,
            procedure_code=d.claim_line.procedure_code if d.claim_line else "",
            group=(d.group_code, group_description(d.group_code)),
            carc=(d.carc, carc_description(d.carc)),
            rarcs=[(code, rarc_description(code)) for code in d.rarcs or []],
            category_label=d.get_category_display(),
            amount=d.amount,
        )
        for d in rows
    ]
    return DenialDetail(
        denial=denial,
        row=_row(actor, denial, timezone.localdate()),
        can_work=can_work,
        assignees=assignee_choices(actor=actor, denial=denial) if can_work else [],
        lines=lines,
        total=sum((ln.amount for ln in lines), Decimal("0.00")),
        history=_history(actor, rows),
        playbook=steps_for(denial.category),
    )
