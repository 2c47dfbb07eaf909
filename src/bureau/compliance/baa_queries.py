"""Reads of the BAA inventory: what an actor may see, and the inventory's three questions for the
dashboard — which agreements run out soon, which practices have none in force, and which client
promises rest on a subcontractor agreement that no longer holds (flow-down).

A workspace holds tens of agreements, not thousands: status (which depends on auto-renewal
arithmetic) is worked out in Python over the workspace's rows rather than in SQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from bureau.audit.models import AuditEvent
from bureau.compliance.access import practices_seen, sees_whole_program
from bureau.compliance.models.baa import BaaDirection, BaaStatus, BusinessAssociateAgreement
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice, PracticeStatus, Workspace

# Alerts start this many days before a term ends, and sharpen at the second threshold.
FIRST_ALERT_DAYS = 60
SECOND_ALERT_DAYS = 30
# The audit log names BAA events by this model label (`baas.MODEL`).
BAA_MODEL = "compliance.BusinessAssociateAgreement"


def baas_visible_to(actor: Actor) -> QuerySet[BusinessAssociateAgreement]:
    """The BAAs the actor may read (rule: `compliance.access`).

    `compliance.view` on every practice: the whole inventory of the workspace, both directions.
    Otherwise only the *client* BAAs of the practices the actor reads compliance records of
    (practice-level `compliance.view`, or the practice's client viewer): a client sees its own
    agreement with the billing company, never the vendors' contracts nor another client's.
    """
    mine = BusinessAssociateAgreement.objects.filter(workspace=actor.workspace)
    if sees_whole_program(actor):
        return mine
    return mine.filter(direction=BaaDirection.CLIENT, practice_id__in=practices_seen(actor))


def baa_readable(actor: Actor, baa: BusinessAssociateAgreement) -> bool:
    if baa.workspace_id != actor.workspace.pk:
        return False
    if sees_whole_program(actor):
        return True
    return baa.direction == BaaDirection.CLIENT and baa.practice_id in practices_seen(actor)


def baa_get(*, actor: Actor, public_id: Any) -> BusinessAssociateAgreement:
    """The BAA with this public id among those the actor may read; 404 for any other, for a
    missing one and for a value that is no UUID alike."""
    try:
        wanted = public_id if isinstance(public_id, UUID) else UUID(str(public_id)[:80])
    except ValueError:
        raise Http404 from None
    baa = baas_visible_to(actor).select_related("practice").filter(public_id=wanted).first()
    if baa is None:
        raise Http404
    return baa


class AlertLevel(StrEnum):
    DAYS_60 = "60"
    DAYS_30 = "30"
    EXPIRED = "expired"


@dataclass(frozen=True)
class ExpiryAlert:
    baa: BusinessAssociateAgreement
    expires_on: date
    days_left: int  # negative once expired
    level: AlertLevel


def _workspace_baas(workspace: Workspace) -> list[BusinessAssociateAgreement]:
    return list(
        BusinessAssociateAgreement.objects.filter(workspace=workspace)
        .select_related("practice")
        .prefetch_related("relies_on")
    )


def party_key(baa: BusinessAssociateAgreement) -> tuple[str, str]:
    if baa.direction == BaaDirection.CLIENT:
        return (baa.direction, str(baa.practice_id))
    return (baa.direction, baa.vendor_name.strip().lower())


def expiring(workspace: Workspace, today: date) -> list[ExpiryAlert]:
    """Agreements whose term ends within 60 days (level 60, then 30 from 30 days out) or has
    ended (level expired), soonest first.

    Left out: drafts, terminated agreements, evergreen ones and auto-renewing ones (their term
    rolls over; `current_expiry` is the running term's end), and an expired agreement whose
    party already has another one in force (it was replaced, nothing to chase).
    """
    baas = _workspace_baas(workspace)
    covered = {party_key(b) for b in baas if b.in_force_on(today)}
    alerts = []
    for baa in baas:
        status = baa.status_on(today)
        if status not in (BaaStatus.IN_FORCE, BaaStatus.EXPIRED) or baa.auto_renews:
            continue
        expiry = baa.current_expiry(today)
        if expiry is None:
            continue
        days_left = (expiry - today).days
        if days_left < 0:
            if party_key(baa) in covered:
                continue
            level = AlertLevel.EXPIRED
        elif days_left <= SECOND_ALERT_DAYS:
            level = AlertLevel.DAYS_30
        elif days_left <= FIRST_ALERT_DAYS:
            level = AlertLevel.DAYS_60
        else:
            continue
        alerts.append(ExpiryAlert(baa=baa, expires_on=expiry, days_left=days_left, level=level))
    return sorted(alerts, key=lambda a: (a.days_left, a.baa.party.lower()))


def practices_without_baa_in_force(workspace: Workspace, today: date) -> list[Practice]:
    """Client practices (onboarding, active or offboarding: we hold or will hold their PHI) with no
    client BAA in force today, by name."""
    covered = {
        b.practice_id
        for b in _workspace_baas(workspace)
        if b.direction == BaaDirection.CLIENT and b.practice_id is not None and b.in_force_on(today)
    }
    return list(
        Practice.objects.filter(workspace=workspace)
        .exclude(status=PracticeStatus.OFFBOARDED)
        .exclude(pk__in=covered)
        .order_by("name", "pk")
    )


def practice_has_baa_in_force(practice: Practice, today: date) -> bool:
    """For the practice's setup page: is any of its client BAAs in force today?"""
    return any(
        b.in_force_on(today)
        for b in BusinessAssociateAgreement.objects.filter(
            Q(direction=BaaDirection.CLIENT), practice=practice
        ).defer("document")
    )


@dataclass(frozen=True)
class FlowDownGap:
    client_baa: BusinessAssociateAgreement
    subcontractor_baa: BusinessAssociateAgreement
    subcontractor_status: BaaStatus


def flow_down_gaps(workspace: Workspace, today: date) -> list[FlowDownGap]:
    """Each client BAA in force that relies on a subcontractor BAA not in force today (draft,
    not yet effective, expired or terminated): the promise made to the client has no vendor
    promise behind it."""
    gaps = []
    for baa in _workspace_baas(workspace):
        if baa.direction != BaaDirection.CLIENT or not baa.in_force_on(today):
            continue
        for sub in baa.relies_on.all():
            status = sub.status_on(today)
            if status != BaaStatus.IN_FORCE:
                gaps.append(
                    FlowDownGap(client_baa=baa, subcontractor_baa=sub, subcontractor_status=status)
                )
    return sorted(
        gaps, key=lambda g: (g.client_baa.party.lower(), g.subcontractor_baa.party.lower())
    )


def client_baa_in_force_on(practice_id: int, day: date) -> list[BusinessAssociateAgreement]:
    """The practice's client BAAs in force on `day` (the breach clock reads their notice days)."""
    return [
        b
        for b in BusinessAssociateAgreement.objects.filter(
            direction=BaaDirection.CLIENT, practice_id=practice_id
        )
        if b.in_force_on(day)
    ]


# -- the inventory's page -----------------------------------------------------------------------
class Standing(StrEnum):
    """What the inventory shows for an agreement: its status, with "expiring" apart."""

    IN_FORCE = "in_force"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    TERMINATED = "terminated"
    PENDING = "pending"
    DRAFT = "draft"


STANDING_LABELS = {
    Standing.IN_FORCE: "In force",
    Standing.EXPIRING: "Expiring",
    Standing.EXPIRED: "Expired",
    Standing.TERMINATED: "Terminated",
    Standing.PENDING: "Not yet effective",
    Standing.DRAFT: "Draft (not signed)",
}


@dataclass(frozen=True)
class InventoryRow:
    baa: BusinessAssociateAgreement
    standing: Standing
    expires_on: date | None  # the running term's end (auto-renewal rolled forward)
    days_left: int | None

    @property
    def label(self) -> str:
        if self.standing == Standing.EXPIRING:
            return f"Expiring in {self.days_left} day{'' if self.days_left == 1 else 's'}"
        if self.standing == Standing.EXPIRED and self.days_left is not None:
            return f"Expired {-self.days_left} day{'' if self.days_left == -1 else 's'} ago"
        return STANDING_LABELS[self.standing]

    @property
    def urgent(self) -> bool:
        """An obligation missed or about to be: expired, or 30 days or fewer left."""
        if self.standing == Standing.EXPIRED:
            return True
        return self.standing == Standing.EXPIRING and (self.days_left or 0) <= SECOND_ALERT_DAYS


def inventory_row(baa: BusinessAssociateAgreement, today: date) -> InventoryRow:
    status = baa.status_on(today)
    expiry = baa.current_expiry(today)
    days_left = (expiry - today).days if expiry is not None else None
    standing = Standing(status.value)
    if (
        status == BaaStatus.IN_FORCE
        and not baa.auto_renews
        and days_left is not None
        and days_left <= FIRST_ALERT_DAYS
    ):
        standing = Standing.EXPIRING
    return InventoryRow(baa=baa, standing=standing, expires_on=expiry, days_left=days_left)


def inventory(actor: Actor, today: date) -> list[InventoryRow]:
    """Every BAA the actor may read, client practices first, then vendors, by party."""
    baas = (
        baas_visible_to(actor)
        .select_related("practice")
        .defer("document")
        .prefetch_related("relies_on")
    )
    rows = [inventory_row(b, today) for b in baas]
    return sorted(rows, key=lambda r: (r.baa.direction, r.baa.party.lower(), r.baa.pk))


def subcontractor_baas(actor: Actor) -> list[BusinessAssociateAgreement]:
    """The subcontractor BAAs a client BAA may rely on, by vendor (whole-program readers)."""
    if not sees_whole_program(actor):
        return []
    return list(
        baas_visible_to(actor)
        .filter(direction=BaaDirection.SUBCONTRACTOR)
        .defer("document")
        .order_by("vendor_name", "pk")
    )


def relied_on_by(baa: BusinessAssociateAgreement) -> list[BusinessAssociateAgreement]:
    """The client BAAs that rely on this subcontractor BAA (flow-down, seen from the vendor)."""
    return list(baa.relied_on_by.select_related("practice").defer("document").order_by("pk"))


def client_baas_seen(actor: Actor, practice_id: int) -> list[BusinessAssociateAgreement]:
    """The practice's client BAAs the actor may read, newest first (its own page)."""
    return list(
        baas_visible_to(actor)
        .filter(direction=BaaDirection.CLIENT, practice_id=practice_id)
        .select_related("document_uploaded_by")
        .defer("document")
        .order_by("-effective_on", "-pk")
    )


HISTORY_LIMIT = 200


def baa_history(baa: BusinessAssociateAgreement) -> list[AuditEvent]:
    """The audit log's events of this agreement (recorded, changed, document uploaded and
    downloaded), newest first. An inventory's model has few events: read them by model and
    keep this record's (record ids are a JSON list, not indexable on every database)."""
    wanted = str(baa.public_id)
    events = AuditEvent.objects.filter(workspace_id=baa.workspace_id, model=BAA_MODEL).order_by(
        "-occurred_at", "-pk"
    )
    found = []
    for event in events.iterator():
        if wanted in [str(r) for r in event.record_ids or []]:
            found.append(event)
            if len(found) >= HISTORY_LIMIT:
                break
    return found
