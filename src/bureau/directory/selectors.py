"""Reads of the directory. Practice-owned rows are scoped to the practices where the actor holds
the capability; payers and the workspace default fee schedule belong to the whole workspace."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet

from bureau.directory.models import (
    ContractRate,
    Enrollment,
    FeeSchedule,
    FeeScheduleLine,
    Payer,
    Provider,
    ServiceFacility,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability


def provider_list(
    *, actor: Actor, capability: Capability, practice: Practice | None = None
) -> QuerySet[Provider]:
    """Providers of the practices where the actor holds `capability` (of one, when given)."""
    qs = Provider.objects.filter(
        workspace=actor.workspace, practice_id__in=actor.practice_ids(capability)
    ).select_related("practice")
    if practice is not None:
        qs = qs.filter(practice=practice)
    return qs


def provider_for_setup(
    *, actor: Actor, capability: Capability, public_id: UUID | str
) -> Provider | None:
    """The provider with this public id if the actor holds `capability` on its practice (and on
    it, where the grant is limited to some providers); None otherwise: a 404 for foreign and
    missing providers alike."""
    provider = provider_list(actor=actor, capability=capability).filter(public_id=public_id).first()
    if provider is None:
        return None
    allowed = actor.provider_ids(provider.practice_id, capability)
    return provider if allowed is None or provider.pk in allowed else None


def facility_list(
    *,
    actor: Actor,
    capability: Capability,
    practice: Practice | None = None,
    active: bool | None = None,
) -> QuerySet[ServiceFacility]:
    """Service facilities of the practices where the actor holds `capability` (of one, when
    given; active or inactive ones only, when asked), by practice then name."""
    qs = ServiceFacility.objects.filter(
        workspace=actor.workspace, practice_id__in=actor.practice_ids(capability)
    ).select_related("practice")
    if practice is not None:
        qs = qs.filter(practice=practice)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("practice__name", "name", "pk")


def facility_for_setup(
    *, actor: Actor, capability: Capability, public_id: UUID | str
) -> ServiceFacility | None:
    """The facility with this public id if the actor holds `capability` on its practice; None
    otherwise (a 404 for foreign and missing facilities alike)."""
    found: ServiceFacility | None = (
        facility_list(actor=actor, capability=capability).filter(public_id=public_id).first()
    )
    return found


def payer_list(*, actor: Actor, active_only: bool = False) -> QuerySet[Payer]:
    qs = Payer.objects.filter(workspace=actor.workspace)
    return qs.filter(is_active=True) if active_only else qs


def payer_by_public_id(*, actor: Actor, public_id: Any) -> Payer | None:
    """The actor's workspace's payer with this public id, or None (another workspace's too)."""
    found: Payer | None = payer_list(actor=actor).filter(public_id=public_id).first()
    return found


def enrollment_list(
    *,
    actor: Actor,
    capability: Capability = Capability.SETUP_VIEW,
    practice: Practice | None = None,
    provider: Provider | None = None,
    payer: Payer | None = None,
    status: str | None = None,
) -> QuerySet[Enrollment]:
    qs = Enrollment.objects.filter(
        workspace=actor.workspace, practice_id__in=actor.practice_ids(capability)
    ).select_related("provider", "payer", "practice")
    if practice is not None:
        qs = qs.filter(practice=practice)
    if provider is not None:
        qs = qs.filter(provider=provider)
    if payer is not None:
        qs = qs.filter(payer=payer)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("provider__name", "payer__name")


@dataclass(frozen=True)
class MatrixRow:
    provider: Provider
    cells: list[Enrollment | None]  # one per payer, in the payers' order


def enrollment_matrix(
    *, actor: Actor, practice: Practice | None
) -> tuple[list[Payer], list[MatrixRow]]:
    """Providers × payers of one practice, or (None) of every practice where the actor may
    view setup, ordered by practice then provider."""
    payers = list(payer_list(actor=actor, active_only=True))
    providers = list(
        provider_list(actor=actor, capability=Capability.SETUP_VIEW, practice=practice).order_by(
            "practice__name", "name", "pk"
        )
    )
    found = {
        (e.provider_id, e.payer_id): e for e in enrollment_list(actor=actor, practice=practice)
    }
    rows = [
        MatrixRow(provider, [found.get((provider.pk, payer.pk)) for payer in payers])
        for provider in providers
    ]
    return payers, rows


def fee_schedule_for(*, actor: Actor, practice: Practice | None) -> FeeSchedule | None:
    """The workspace default (practice None) or the practice's own override, if any."""
    return FeeSchedule.objects.filter(workspace=actor.workspace, practice=practice).first()


def fee_lines(schedule: FeeSchedule | None) -> QuerySet[FeeScheduleLine]:
    if schedule is None:
        return FeeScheduleLine.objects.none()
    return schedule.lines.all()


def fee_for(practice: Practice, code: str, modifier: str = "") -> Decimal | None:
    """The fee: the practice's override, else the workspace default; within each, the
    modifier-specific line before the blank-modifier one."""
    code, modifier = code.strip().upper(), (modifier or "").strip().upper()
    modifiers = [modifier, ""] if modifier else [""]
    lines = {
        (line.schedule.practice_id, line.modifier): line.amount
        for line in FeeScheduleLine.objects.filter(
            Q(schedule__practice=practice) | Q(schedule__practice__isnull=True),
            schedule__workspace_id=practice.workspace_id,
            code=code,
            modifier__in=modifiers,
        ).select_related("schedule")
    }
    for owner in (practice.pk, None):
        for mod in modifiers:
            if (owner, mod) in lines:
                return lines[(owner, mod)]
    return None


def contract_rate_list(*, actor: Actor, practice: Practice | None) -> QuerySet[ContractRate]:
    """Contract rates of one practice, or (None) of every practice where the actor may view
    setup."""
    visible = actor.practice_ids(Capability.SETUP_VIEW)
    if practice is not None and practice.pk not in visible:
        return ContractRate.objects.none()
    ids = visible if practice is None else {practice.pk}
    return (
        ContractRate.objects.filter(workspace=actor.workspace, practice_id__in=ids)
        .select_related("payer", "practice")
        .order_by("practice__name", "payer__name", "code", "modifier")
    )


def contract_rate_for(
    practice: Practice, payer: Payer, code: str, modifier: str = ""
) -> Decimal | None:
    """Expected allowed amount; a modifier-specific rate before the blank-modifier one."""
    code, modifier = code.strip().upper(), (modifier or "").strip().upper()
    modifiers = [modifier, ""] if modifier else [""]
    rates = dict(
        ContractRate.objects.filter(
            practice=practice, payer=payer, code=code, modifier__in=modifiers
        ).values_list("modifier", "allowed_amount")
    )
    for mod in modifiers:
        if mod in rates:
            return rates[mod]
    return None


def practice_as_now(*, actor: Actor, practice: Practice) -> Practice:
    """The practice's row as it stands now, for a setup page: the actor's copy was read when
    the request began, before this request's own change (status, edit) was made. The caller
    has checked the actor's access to `practice` (`actor.practice_by_public_id`)."""
    return Practice.objects.get(pk=practice.pk, workspace_id=actor.workspace.pk)
