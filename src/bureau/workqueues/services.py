"""Working the queue: take next, claim, assign, release, pend, record an attempt, mark done.

Every write locks the item's row, checks the function's capability on its practice (and the
provider scope, through the scoped query), records the item's history and an audit event in
the same transaction. No two people hold one item: a claim is taken under the row lock and
only from an item that is free (open, its claim expired or its pend over).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any
from uuid import UUID

from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404

from bureau import clock
from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record, audit_record_many
from bureau.configuration.resolver import settings_for
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.workqueues import sla
from bureau.workqueues.functions import CAPABILITY, CLOSED_BY_PERSON, label_of
from bureau.workqueues.models import (
    Attempt,
    Channel,
    EventKind,
    ItemStatus,
    Outcome,
    WorkItem,
    WorkItemEvent,
)
from bureau.workqueues.selectors import QueueFilters, filtered, workable

MAX_PEND_DAYS = 366
MAX_MINUTES = 480


class QueueError(ValueError):
    """The change cannot be made; the message says why, for the person."""


def free(now: datetime) -> Q:
    """Items nobody holds: open, a claim that expired, a pend whose date has come."""
    return (
        Q(status=ItemStatus.OPEN)
        | Q(status=ItemStatus.CLAIMED, claimed_until__lt=now)
        | Q(status=ItemStatus.PENDED, resumes_at__lte=now)
    )


def held_by_other(item: WorkItem, user: User, now: datetime) -> bool:
    """Someone else holds the item: their live claim or assignment, or their pend (a pend
    keeps its holder) until its date comes; a supervisor still reassigns or releases it."""
    if item.assignee_id in (None, user.pk):
        return False
    if item.status == ItemStatus.PENDED:
        return item.resumes_at is None or item.resumes_at > now
    if item.status != ItemStatus.CLAIMED:
        return False
    return item.claimed_until is None or item.claimed_until >= now


def claim_minutes(item: WorkItem) -> int:
    return sla.claim_minutes(settings_for(item.practice))


def _locked(actor: Actor, public_id: Any) -> WorkItem:
    """The item under a row lock, if the actor may work it; else 404 like a missing one."""
    qs = workable(actor).select_related("practice", "assignee")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(of=("self",))
    item = qs.filter(public_id=public_id).first()
    if item is None:
        raise Http404
    return item


def _event(
    item: WorkItem,
    kind: EventKind,
    actor: Actor,
    now: datetime,
    note: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    WorkItemEvent(
        workspace_id=item.workspace_id,
        practice_id=item.practice_id,
        item=item,
        kind=kind,
        occurred_at=now,
        user=actor.user,
        note=note[:300],
        detail=detail or {},
    ).save(force_insert=True)


def _audit(action: AuditAction, actor: Actor, item: WorkItem, **detail: Any) -> None:
    audit_record(
        action=action,
        actor=actor,
        practice=actor.access[item.practice_id].practice,
        model="workqueues.WorkItem",
        record_ids=[item.public_id],
        detail={"function": item.function, **detail},
    )


def _hold(item: WorkItem, user: User, now: datetime, minutes: int | None) -> None:
    item.status = ItemStatus.CLAIMED
    item.assignee = user
    item.claimed_until = now + timedelta(minutes=minutes) if minutes is not None else None
    item.pended_until = item.resumes_at = None
    item.save(update_fields=["status", "assignee", "claimed_until", "pended_until", "resumes_at"])


# -- taking work ---------------------------------------------------------------------------------


@transaction.atomic
def take_next(*, actor: Actor, filters: QueueFilters | None = None) -> WorkItem | None:
    """Claim the highest-priority free item (within the queue's current filters) for the actor.
    On PostgreSQL the candidate row is locked with SKIP LOCKED, so two people pressing "take
    next" at once get two different items; SQLite serializes writers anyway."""
    now = clock.now()
    qs = filtered(workable(actor), filters or QueueFilters(), actor=actor, today=now.date())
    qs = qs.filter(free(now)).order_by("-priority", "-id")
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(of=("self",), skip_locked=True)
    item = qs.select_related("practice").first()
    if item is None:
        return None
    _hold(item, actor.user, now, claim_minutes(item))
    _event(item, EventKind.CLAIMED, actor, now, detail={"via": "take next"})
    _audit(AuditAction.WORKITEM_CLAIMED, actor, item, via="take next")
    return item


@transaction.atomic
def item_claim(*, actor: Actor, public_id: Any) -> WorkItem:
    """Assign to me ("a"): refused while someone else holds it (a supervisor reassigns)."""
    now = clock.now()
    item = _locked(actor, public_id)
    if item.status == ItemStatus.DONE:
        raise QueueError("This item is done.")
    if held_by_other(item, actor.user, now):
        raise QueueError(f"{item.assignee.label} is working this item.")  # type: ignore[union-attr]
    _hold(item, actor.user, now, claim_minutes(item))
    _event(item, EventKind.CLAIMED, actor, now)
    _audit(AuditAction.WORKITEM_CLAIMED, actor, item)
    return item


def assignable_people(*, actor: Actor, item: WorkItem) -> list[User]:
    """People who may work this item (the item page's assign menu)."""
    people = User.objects.filter(workspace=actor.workspace, is_active=True).order_by("username")
    return [user for user in people if _may_work(user, [item])]


def _may_work(user: User, items: Sequence[WorkItem]) -> bool:
    """Whether an active user of the workspace holds each item's function capability on its
    practice, over its provider when their grant is limited: one scoped query for them all."""
    from bureau.tenancy.actor import resolve_actor

    other = resolve_actor(user)
    if other is None:
        return False
    if any(not other.can(CAPABILITY[i.function], i.practice_id) for i in items):
        return False
    pks = {i.pk for i in items}
    return workable(other).filter(pk__in=pks).count() == len(pks)


def _writes(actor: Actor, items: Sequence[WorkItem]) -> None:
    for item in items:
        if item.status == ItemStatus.DONE:
            raise QueueError("A done item cannot be changed.")


def _assignee(actor: Actor, items: Sequence[WorkItem], assignee: Any) -> User:
    """The named person, when they may work every item; a stranger, an inactive user and
    someone without the items' function read the same."""
    person: User | None = None
    try:
        person = User.objects.filter(
            workspace=actor.workspace, is_active=True, public_id=UUID(str(assignee))
        ).first()
    except ValueError:
        pass  # not an id: nobody, said like somebody who may not
    if person is None or not _may_work(person, items):
        functions = sorted({label_of(i.function).lower() for i in items})
        raise QueueError(f"That person cannot work {' and '.join(functions)} here.")
    return person


@transaction.atomic
def items_assign(
    *, actor: Actor, public_ids: Sequence[Any], assignee: Any | None, note: str = ""
) -> list[WorkItem]:
    """A supervisor (queue.assign on the item's practice) hands items to a person who may work
    them, or back to the pool (assignee None). An assignment does not expire."""
    now = clock.now()
    items = [_locked(actor, pid) for pid in public_ids]
    _writes(actor, items)
    if any(not actor.can(Capability.QUEUE_ASSIGN, i.practice_id) for i in items):
        raise QueueError("Assigning work to others needs the supervisor's queue.assign.")
    person = _assignee(actor, items, assignee) if assignee is not None else None
    for item in items:
        before = item.assignee.username if item.assignee else None
        if person is None:
            item.status, item.assignee, item.claimed_until = ItemStatus.OPEN, None, None
            item.save(update_fields=["status", "assignee", "claimed_until"])
        else:
            _hold(item, person, now, None)
        _event(
            item,
            EventKind.ASSIGNED if person else EventKind.RELEASED,
            actor,
            now,
            note,
            {"from": before, "to": person.username if person else None},
        )
    _audit_many(AuditAction.WORKITEM_ASSIGNED, actor, items, to=person.username if person else None)
    return items


@transaction.atomic
def items_release(*, actor: Actor, public_ids: Sequence[Any]) -> list[WorkItem]:
    """Back to the pool: the holder lets go, or a supervisor takes it off someone."""
    now = clock.now()
    items = [_locked(actor, pid) for pid in public_ids]
    _writes(actor, items)
    for item in items:
        if held_by_other(item, actor.user, now) and not actor.can(
            Capability.QUEUE_ASSIGN, item.practice_id
        ):
            raise QueueError(f"{item.assignee.label} is working this item.")  # type: ignore[union-attr]
        item.status, item.assignee, item.claimed_until = ItemStatus.OPEN, None, None
        item.pended_until, item.resumes_at, item.pend_reason = None, None, ""
        item.save(
            update_fields=[
                "status",
                "assignee",
                "claimed_until",
                "pended_until",
                "resumes_at",
                "pend_reason",
            ]
        )
        _event(item, EventKind.RELEASED, actor, now)
    _audit_many(AuditAction.WORKITEM_RELEASED, actor, items)
    return items


def _audit_many(
    action: AuditAction, actor: Actor, items: Sequence[WorkItem], **detail: Any
) -> None:
    by_practice: dict[int, list[Any]] = {}
    for item in items:
        by_practice.setdefault(item.practice_id, []).append(item.public_id)
    audit_record_many(
        action=action,
        actor=actor,
        workspace=None,
        model="workqueues.WorkItem",
        targets=[(actor.access[pid].practice, ids) for pid, ids in sorted(by_practice.items())],
        detail=detail,
    )


# -- pending -------------------------------------------------------------------------------------


@transaction.atomic
def items_pend(
    *, actor: Actor, public_ids: Sequence[Any], until: date, reason: str
) -> list[WorkItem]:
    """Out of the queue until a date, with a reason (waiting for records, a payer's promise).
    On that day it is free again, for whoever takes it next (its history shows who pended it)."""
    now = clock.now()
    reason = reason.strip()
    if not reason:
        raise QueueError("Say why the item waits (a reason is required).")
    items = [_locked(actor, pid) for pid in public_ids]
    _writes(actor, items)
    for item in items:  # each practice's own calendar day
        today = sla.local_date(now, item.practice.timezone)
        if until <= today:
            raise QueueError("Pend until a future date.")
        if until > today + timedelta(days=MAX_PEND_DAYS):
            raise QueueError("Pend for at most a year.")
    for item in items:
        if held_by_other(item, actor.user, now) and not actor.can(
            Capability.QUEUE_ASSIGN, item.practice_id
        ):
            raise QueueError(f"{item.assignee.label} is working this item.")  # type: ignore[union-attr]
        item.status = ItemStatus.PENDED
        item.pended_until = until
        item.resumes_at = sla.start_of_day(until, item.practice.timezone)
        item.pend_reason = reason[:200]
        item.claimed_until = None
        item.save(
            update_fields=["status", "pended_until", "resumes_at", "pend_reason", "claimed_until"]
        )
        _event(item, EventKind.PENDED, actor, now, reason, {"until": until.isoformat()})
    _audit_many(AuditAction.WORKITEM_PENDED, actor, items, until=until.isoformat())
    return items


# -- attempts and done ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptData:
    channel: str
    outcome: str
    minutes: int
    representative: str = ""
    reference: str = ""
    next_action_on: date | None = None
    note: str = ""


def _check_attempt(data: AttemptData, today: date) -> None:
    if data.channel not in Channel.values:
        raise QueueError("Choose how you reached the payer (phone, portal, fax, mail, EDI).")
    if data.outcome not in Outcome.values:
        raise QueueError("Choose the outcome from the list.")
    if not 1 <= data.minutes <= MAX_MINUTES:
        raise QueueError(f"Minutes spent must be between 1 and {MAX_MINUTES}.")
    if len(data.representative) > 80:
        raise QueueError("The representative's name is at most 80 characters.")
    if len(data.reference) > 60:
        raise QueueError("The reference number is at most 60 characters.")
    if len(data.note) > 1000:
        raise QueueError("The note is at most 1,000 characters.")
    if data.next_action_on is not None and not (
        today <= data.next_action_on <= today + timedelta(days=MAX_PEND_DAYS)
    ):
        raise QueueError("The next action date must be between today and a year from now.")


@transaction.atomic
def attempt_record(*, actor: Actor, public_id: Any, data: AttemptData) -> Attempt:
    now = clock.now()
    _check_attempt(data, now.date() - timedelta(days=1))  # cheap checks before the lock
    item = _locked(actor, public_id)
    _check_attempt(data, sla.local_date(now, item.practice.timezone))
    _writes(actor, [item])
    if held_by_other(item, actor.user, now) and not actor.can(
        Capability.QUEUE_ASSIGN, item.practice_id
    ):
        raise QueueError(f"{item.assignee.label} is working this item.")  # type: ignore[union-attr]
    attempt = Attempt(
        workspace_id=item.workspace_id,
        practice_id=item.practice_id,
        item=item,
        user=actor.user,
        occurred_at=now,
        channel=data.channel,
        outcome=data.outcome,
        minutes=data.minutes,
        representative=data.representative.strip(),
        reference=data.reference.strip(),
        next_action_on=data.next_action_on,
        note=data.note.strip(),
    )
    attempt.save(force_insert=True)
    item.next_action_on = data.next_action_on
    item.save(update_fields=["next_action_on"])
    _event(
        item,
        EventKind.ATTEMPT,
        actor,
        now,
        data.note,
        {
            "channel": data.channel,
            "outcome": data.outcome,
            "minutes": data.minutes,
            "reference": data.reference.strip(),
        },
    )
    _audit(
        AuditAction.WORKITEM_ATTEMPT,
        actor,
        item,
        channel=data.channel,
        outcome=data.outcome,
        minutes=data.minutes,
    )
    return attempt


@transaction.atomic
def item_done(
    *, actor: Actor, public_id: Any, note: str, recovered: Decimal | None = None
) -> WorkItem:
    """Close an item no record state closes (an underpayment worked, a setup gap fixed)."""
    now = clock.now()
    note = note.strip()
    item = _locked(actor, public_id)
    _writes(actor, [item])
    if item.function not in CLOSED_BY_PERSON:
        raise QueueError(
            "This item closes by itself when its record changes (the claim resubmitted, the"
            " denial resolved, the ERA posted)."
        )
    if not note:
        raise QueueError("Say what was done (a note is required).")
    if recovered is not None and not (Decimal(0) <= recovered <= item.amount):
        raise QueueError(f"Recovered must be between $0.00 and ${item.amount:,.2f}.")
    if held_by_other(item, actor.user, now) and not actor.can(
        Capability.QUEUE_ASSIGN, item.practice_id
    ):
        raise QueueError(f"{item.assignee.label} is working this item.")  # type: ignore[union-attr]
    item.status = ItemStatus.DONE
    item.resolved_at = now
    item.resolved_by = actor.user
    item.resolution = note[:200]
    item.closed_by_person = True
    item.claimed_until = None
    item.recovered = recovered
    item.save(
        update_fields=[
            "status",
            "resolved_at",
            "resolved_by",
            "resolution",
            "closed_by_person",
            "claimed_until",
            "recovered",
        ]
    )
    _event(item, EventKind.DONE, actor, now, note)
    _audit(AuditAction.WORKITEM_DONE, actor, item, recovered=str(recovered) if recovered else None)
    return item
