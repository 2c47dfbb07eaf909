"""Writing, verifying and purging audit events.

`audit_record` must be called inside the transaction of the change or read it describes. It never
swallows an error: if the event cannot be written the caller's transaction fails, and no PHI
leaves the request (fail closed).
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from bureau.audit.context import current_origin
from bureau.audit.models import AuditAction, AuditChainHead, AuditEvent
from bureau.tenancy.models import Practice, Workspace

if TYPE_CHECKING:
    from bureau.accounts.models import User
    from bureau.tenancy.actor import Actor

RETENTION = timedelta(days=7 * 365 + 2)  # seven years, leap days included
GENESIS = "0" * 64


class AuditWriteOutsideTransaction(RuntimeError):
    pass


def _chain_key(workspace_id: int | None) -> str:
    return f"workspace:{workspace_id}" if workspace_id else "global"


def _stored_ip(value: str | None) -> str | None:
    """The address in the form the database stores it, so the hash covers what is stored.

    `GenericIPAddressField` (and PostgreSQL's inet) normalize IPv6 ("2001:DB8:0::1" is stored as
    "2001:db8::1"); hashing the raw form made `audit verify` report untouched events as
    tampered. A peer that is not an IP address (a unix socket) or carries a zone id, which inet
    refuses, is recorded as unknown rather than failing every request.
    """
    if not value:
        return None
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        # Drop a zone id, compress, then spell it as the field does (IPv4-mapped as dotted quad).
        return clean_ipv6_address(str(ipaddress.IPv6Address(value.split("%", 1)[0])))
    return str(address)


def _fit(value: str, name: str) -> str:
    """Cut to the column's length: an over-long label or user agent must not fail the write
    (and with it the request: audit fails closed)."""
    limit = getattr(AuditEvent._meta.get_field(name), "max_length", None)
    return value[:limit] if limit else value


def event_digest(event: AuditEvent) -> str:
    """SHA-256 over the event's content and its predecessor's hash."""
    payload = {
        "workspace": event.workspace_id,
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "user": event.user_id,
        "actor_label": event.actor_label,
        "practice": event.practice_id,
        "action": event.action,
        "model": event.model,
        "record_ids": [str(r) for r in event.record_ids],
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "reason": event.reason,
        "detail": event.detail,
        "prev": event.prev_hash,
    }
    blob = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def audit_record(
    *,
    action: AuditAction,
    actor: Actor | None = None,
    user: User | None = None,
    workspace: Workspace | None = None,
    practice: Practice | None = None,
    model: str = "",
    record_ids: Sequence[Any] = (),
    reason: str = "",
    detail: dict[str, Any] | None = None,
    label: str = "",
) -> AuditEvent:
    """Append one event to its workspace's chain, in the caller's transaction."""
    return _append(
        action=action,
        actor=actor,
        user=user,
        workspace=workspace,
        model=model,
        targets=[(practice, record_ids)],
        reason=reason,
        detail=detail,
        label=label,
    )[0]


def _append(
    *,
    action: AuditAction,
    actor: Actor | None,
    user: User | None,
    workspace: Workspace | None,
    model: str,
    targets: Sequence[tuple[Practice | None, Sequence[Any]]],
    reason: str = "",
    detail: dict[str, Any] | None = None,
    label: str = "",
) -> list[AuditEvent]:
    """One event per (practice, record ids) target, chained under a single lock of the head:
    a list page showing rows of many practices costs the same queries as one showing one."""
    if not connection.in_atomic_block:
        raise AuditWriteOutsideTransaction(
            "audit events are written inside the change's transaction"
        )
    if actor is not None:
        user = actor.user
        workspace = actor.workspace
    if workspace is None and user is not None:
        workspace = user.workspace
    origin = current_origin()
    head, _ = AuditChainHead.objects.select_for_update().get_or_create(
        chain=_chain_key(workspace.pk if workspace else None)
    )
    events = []
    for practice, record_ids in targets:
        event = AuditEvent(
            workspace=workspace,
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            user=user,
            actor_label=_fit(label or (user.label if user else "system"), "actor_label"),
            practice=practice,
            action=str(action),
            model=model,
            record_ids=[str(r) for r in record_ids],
            ip=_stored_ip(origin.ip),
            user_agent=_fit(origin.user_agent, "user_agent"),
            request_id=_fit(origin.request_id, "request_id"),
            reason=reason,
            detail=detail or {},
            prev_hash=head.hash,
        )
        event.hash = event_digest(event)
        head.seq = event.seq
        head.hash = event.hash
        events.append(event)
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(events)
    head.save(update_fields=["seq", "hash"])
    return events


def audit_record_per_practice(
    *,
    action: AuditAction,
    actor: Actor,
    model: str,
    records: Iterable[tuple[int, Any]],
    detail: dict[str, Any] | None = None,
) -> None:
    """One event per practice for a list read: a client reviewing *their* practice's events
    sees exactly which of their records were shown, and nothing of other clients."""
    by_practice: dict[int, list[str]] = {}
    for practice_id, public_id in records:
        by_practice.setdefault(practice_id, []).append(str(public_id))
    if not by_practice:
        return
    _append(
        action=action,
        actor=actor,
        user=None,
        workspace=None,
        model=model,
        targets=[
            (actor.access[practice_id].practice, ids)
            for practice_id, ids in sorted(by_practice.items())
        ],
        detail=detail,
    )


def audit_record_many(
    *,
    action: AuditAction,
    actor: Actor | None,
    workspace: Workspace | None,
    model: str,
    targets: Sequence[tuple[Practice, Sequence[Any]]],
    detail: dict[str, Any] | None = None,
    label: str = "",
) -> None:
    """One event per practice for a bulk change (a scrub run, a batch), chained under one lock
    of the chain head: the audit cost of a run grows with its practices, not its claims."""
    if targets:
        _append(
            action=action,
            actor=actor,
            user=None,
            workspace=workspace,
            model=model,
            targets=list(targets),
            detail=detail,
            label=label,
        )


# -- verification -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainProblem:
    event_id: int
    workspace_id: int | None
    seq: int
    reason: str

    def __str__(self) -> str:
        chain = f"workspace {self.workspace_id}" if self.workspace_id else "global chain"
        return f"event {self.event_id} ({chain}, seq {self.seq}): {self.reason}"


def audit_verify_chain(workspace_id: int | None) -> ChainProblem | None:
    """Walk one chain in order; return its first broken link, or None when it holds."""
    events = AuditEvent.objects.filter(workspace_id=workspace_id).order_by("seq")  # type: ignore[misc]
    previous_hash: str | None = None
    previous_seq: int | None = None
    for event in events.iterator(chunk_size=2000):
        if previous_seq is None:
            # The first surviving event: either the genesis or the first after a purge.
            if event.seq != 1 and not _purged_through(workspace_id, event.seq - 1):
                return ChainProblem(
                    event.pk, workspace_id, event.seq, "events before it are missing"
                )
        elif event.seq != previous_seq + 1:
            return ChainProblem(event.pk, workspace_id, event.seq, f"gap after seq {previous_seq}")
        elif event.prev_hash != previous_hash:
            return ChainProblem(
                event.pk, workspace_id, event.seq, "does not link to its predecessor"
            )
        if event_digest(event) != event.hash:
            return ChainProblem(
                event.pk, workspace_id, event.seq, "content does not match its hash"
            )
        previous_hash, previous_seq = event.hash, event.seq
    return None


def _purged_through(workspace_id: int | None, seq: int) -> bool:
    return any(
        int(e.detail.get("through_seq", 0)) >= seq
        for e in AuditEvent.objects.filter(  # type: ignore[misc]
            workspace_id=workspace_id, action=AuditAction.AUDIT_PURGED
        )
    )


def audit_verify_all() -> list[ChainProblem]:
    chains = AuditEvent.objects.values_list("workspace_id", flat=True).distinct().order_by()
    problems = [audit_verify_chain(workspace_id) for workspace_id in set(chains)]
    return [p for p in problems if p is not None]


# -- retention --------------------------------------------------------------------------------
class RetentionRefused(ValueError):
    pass


def audit_purge(*, before: datetime, now: datetime | None = None) -> int:
    """Delete events older than `before`, which must itself be at least seven years ago.

    On PostgreSQL the append-only trigger admits this DELETE only for rows past retention and
    only in a transaction that sets `bureau.audit_purge`.
    """
    now = now or timezone.now()
    if before > now - RETENTION:
        raise RetentionRefused(
            f"audit events are kept seven years: {before:%Y-%m-%d} is after "
            f"{(now - RETENTION):%Y-%m-%d}"
        )
    deleted = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT set_config('bureau.audit_purge', 'on', true)")
        chains = (
            AuditEvent.objects.filter(occurred_at__lt=before)
            .values_list("workspace_id", flat=True)
            .distinct()
            .order_by()
        )
        for workspace_id in set(chains):
            doomed = AuditEvent.objects.filter(workspace_id=workspace_id, occurred_at__lt=before)
            last = doomed.order_by("-seq").values_list("seq", flat=True).first()
            count, _ = doomed.delete()
            deleted += count
            workspace = Workspace.objects.filter(pk=workspace_id).first()
            audit_record(
                action=AuditAction.AUDIT_PURGED,
                workspace=workspace,
                label="system",
                reason="retention period elapsed",
                detail={"through_seq": last, "before": before.isoformat(), "deleted": count},
            )
    return deleted
