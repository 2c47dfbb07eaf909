"""Scoped reads of denials: the worklist and one denial, audited."""

from __future__ import annotations

from dataclasses import dataclass
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
from bureau.denials.models import Denial, DenialStatus
from bureau.remittance.selectors import carc_description
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Grant
from bureau.tenancy.roles import ROLE_CAPABILITIES, Capability, Role

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
class DenialDetail:
    denial: Denial
    row: DenialRow
    can_work: bool
    assignees: list[User]


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


def denial_detail(*, actor: Actor, public_id: Any) -> DenialDetail:
    denial = denial_get(actor=actor, public_id=public_id, capability=Capability.DENIALS_VIEW)
    can_work = actor.can(Capability.DENIALS_WORK, denial.practice_id)
    audit_record(
        action=AuditAction.DENIAL_VIEWED,
        actor=actor,
        practice=actor.access[denial.practice_id].practice,
        model="denials.Denial",
        record_ids=[denial.public_id],
    )
    return DenialDetail(
        denial=denial,
        row=_row(actor, denial, timezone.localdate()),
        can_work=can_work,
        assignees=assignee_choices(actor=actor, denial=denial) if can_work else [],
    )
