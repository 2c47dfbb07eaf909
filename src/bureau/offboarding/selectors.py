"""Reads of offboardings (control data): the current one of a practice the actor may see, the
workspace's list for owners and compliance officers, and a bundle for its download."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from bureau.offboarding.models import Offboarding, OffboardingStatus
from bureau.offboarding.services import may_approve, may_start
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability


def offboarding_current(*, actor: Actor, practice: Practice) -> Offboarding | None:
    """The practice's offboarding that is not called off (at most one), else None."""
    if not (may_start(actor, practice) or may_approve(actor, practice)):
        return None
    return (
        Offboarding.objects.filter(practice=practice, workspace_id=actor.workspace.pk)
        .exclude(status=OffboardingStatus.CANCELLED)
        .select_related("requested_by", "approved_by")
        .first()
    )


def offboarding_history(*, actor: Actor, practice: Practice) -> QuerySet[Offboarding]:
    """The practice's offboardings called off, newest first."""
    return Offboarding.objects.filter(
        practice=practice,
        workspace_id=actor.workspace.pk,
        status=OffboardingStatus.CANCELLED,
    ).select_related("requested_by", "cancelled_by")


def sees_workspace_offboardings(actor: Actor) -> bool:
    return actor.can_workspace(Capability.SETUP_OFFBOARD) or actor.can_workspace(
        Capability.COMPLIANCE_MANAGE
    )


def offboarding_list(*, actor: Actor) -> list[Offboarding]:
    """The offboardings of the practices the actor may offboard or approve for, and, for
    those who hold offboarding or compliance over the whole workspace, the purged practices'
    too (no longer anyone's practice: their certificates)."""
    practice_ids = [p.pk for p in actor.practices() if may_start(actor, p) or may_approve(actor, p)]
    where = Q(practice_id__in=practice_ids)
    if sees_workspace_offboardings(actor):
        where |= Q(status=OffboardingStatus.PURGED)
    return list(
        Offboarding.objects.filter(where, workspace_id=actor.workspace.pk)
        .select_related("practice", "requested_by", "approved_by")
        .order_by("-requested_at", "-id")
    )


def offboarding_certified(*, actor: Actor, public_id: Any) -> Offboarding | None:
    """A purged offboarding with its certificate, for the list's readers; None otherwise."""
    try:
        wanted = public_id if isinstance(public_id, UUID) else UUID(str(public_id)[:80])
    except ValueError:
        return None
    if not sees_workspace_offboardings(actor):
        return None
    return (
        Offboarding.objects.filter(
            workspace_id=actor.workspace.pk,
            public_id=wanted,
            status=OffboardingStatus.PURGED,
        )
        .exclude(certificate={})
        .select_related("practice")
        .first()
    )
