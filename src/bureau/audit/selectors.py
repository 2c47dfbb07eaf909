"""Reads of the audit log: compliance sees the workspace; a client viewer, their practice."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet, TextField
from django.db.models.functions import Cast
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.audit.services import audit_record
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

PAGE_SIZE = 100


@dataclass(frozen=True)
class AuditFilters:
    user_public_id: str = ""
    practice: Practice | None = None
    record: str = ""
    action: str = ""
    date_from: date | None = None
    date_to: date | None = None

    def as_detail(self) -> dict[str, str]:
        return {
            key: str(value)
            for key, value in {
                "user": self.user_public_id,
                "practice": self.practice.public_id if self.practice else "",
                "record": self.record,
                "action": self.action,
                "from": self.date_from or "",
                "to": self.date_to or "",
            }.items()
            if value
        }


def audit_visible(*, actor: Actor) -> QuerySet[AuditEvent]:
    """Events of practices where the actor holds audit.view; workspace-wide events (logins,
    user administration) only for actors who hold audit.view on every practice."""
    scope = Q(practice_id__in=actor.practice_ids(Capability.AUDIT_VIEW))
    if actor.can_workspace(Capability.AUDIT_VIEW):
        scope |= Q(practice__isnull=True)
    return AuditEvent.objects.filter(workspace=actor.workspace).filter(scope)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def audit_search(*, actor: Actor, filters: AuditFilters, page: int = 1) -> Page[AuditEvent]:
    qs = audit_visible(actor=actor).select_related("user", "practice")
    if filters.user_public_id:
        qs = qs.filter(user__public_id=filters.user_public_id)
    if filters.practice is not None:
        qs = qs.filter(practice=filters.practice)
    if filters.record:
        qs = qs.annotate(records_text=Cast("record_ids", TextField())).filter(
            records_text__icontains=filters.record
        )
    if filters.action:
        qs = qs.filter(action=filters.action)
    if filters.date_from:
        qs = qs.filter(occurred_at__gte=_day_start(filters.date_from))
    if filters.date_to:
        qs = qs.filter(occurred_at__lt=_day_start(filters.date_to + timedelta(days=1)))
    result = Paginator(qs.order_by("-occurred_at", "-id"), PAGE_SIZE).get_page(page)
    audit_record(
        action=AuditAction.AUDIT_VIEWED,
        actor=actor,
        practice=filters.practice,
        detail=filters.as_detail() | {"page": str(result.number)},
    )
    return result
