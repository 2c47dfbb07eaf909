"""Writing and purging audit events (the chain itself, and its verification: `chain.py`).

`audit_record` must be called inside the transaction of the change or read it describes. It never
swallows an error: if the event cannot be written the caller's transaction fails, and no PHI
leaves the request (fail closed).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.ipv6 import clean_ipv6_address

from bureau.audit.chain import audit_verify_chain, chain_write, seal
from bureau.audit.context import current_origin
from bureau.audit.models import AuditAction, AuditEvent
from bureau.audit.reads import held_events, hold, holding, kept
from bureau.tenancy.models import Practice, Workspace

if TYPE_CHECKING:
    from bureau.accounts.models import User
    from bureau.tenancy.actor import Actor

RETENTION = timedelta(days=7 * 365 + 2)  # seven years, leap days included


class AuditWriteOutsideTransaction(RuntimeError):
    pass


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


@contextmanager
def audit_together() -> Iterator[None]:
    """Write the events recorded inside the block together when it ends: one INSERT per chain
    and one seal, in the caller's transaction, instead of one of each per event (a claim page
    records its read and its ledger's). Fail closed as ever: the block ends before anything it
    read leaves the request, and if it raises, nothing it recorded is written. An event made in
    a savepoint the block rolled back is dropped, as its INSERT would have been.

    Inside a read page on SQLite (`reads`) the page holds its events already, all of them
    written together once it is built: the block changes nothing there."""
    if held_events() is not None:
        yield
        return
    if not connection.in_atomic_block:
        # Outside a transaction an atomic block inside this one would commit its change before
        # the events were written: refused, as a lone event outside one is.
        raise AuditWriteOutsideTransaction("audit_together runs inside the change's transaction")
    with holding() as held:
        yield
        chains = kept(held)  # before a commit could run (and clear) the on-commit list
    for workspace_id, events in chains:
        chain_write(workspace_id, events)


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
    """One event per (practice, record ids) target, written in one statement (sealed as one):
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
    events = [
        AuditEvent(
            workspace=workspace,
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
        )
        for practice, record_ids in targets
    ]
    if held_events() is not None:  # a page built on a read snapshot: appended once it is built
        hold(workspace.pk if workspace else None, events)
    else:
        chain_write(workspace.pk if workspace else None, events)
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
    user: User | None = None,
    reason: str = "",
) -> None:
    """One event per practice for a bulk change (a scrub run, a batch), written in one statement
    and sealed in one write: the audit cost of a run grows with its practices, not its claims.
    `user` names the person a system run (actor None) works for, `reason` their why."""
    if targets:
        _append(
            action=action,
            actor=actor,
            user=user,
            workspace=workspace,
            model=model,
            targets=list(targets),
            reason=reason,
            detail=detail,
            label=label,
        )


# -- retention --------------------------------------------------------------------------------
class RetentionRefused(ValueError):
    pass


@contextmanager
def _purge_permitted() -> Iterator[None]:
    """Open the append-only guard for this transaction only, and for rows past retention only
    (the triggers check their age themselves): PostgreSQL reads a transaction-local setting,
    SQLite a row of `audit_purge_permit` that leaves with the transaction."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT set_config('bureau.audit_purge', 'on', true)")
        else:
            cursor.execute("INSERT INTO audit_purge_permit (id) VALUES (1)")
    yield
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_purge_permit")


def audit_purge(*, before: datetime, now: datetime | None = None) -> int:
    """Delete events older than `before`, which must itself be at least seven years ago.

    Each chain loses a contiguous prefix (up to its first event that is not old enough) and
    gains a keyed checkpoint event naming the last seq and hash purged, from which verify then
    starts. A chain that does not verify is not purged: that would destroy the evidence.
    """
    now = now or timezone.now()
    if before > now - RETENTION:
        raise RetentionRefused(
            f"audit events are kept seven years: {before:%Y-%m-%d} is after "
            f"{(now - RETENTION):%Y-%m-%d}"
        )
    chains = set(
        AuditEvent.objects.filter(occurred_at__lt=before)
        .values_list("workspace_id", flat=True)
        .distinct()
        .order_by()
    )
    for workspace_id in chains:
        seal(workspace_id)  # what waits joins the chain before it is checked
        if problem := audit_verify_chain(workspace_id):
            raise RetentionRefused(f"not purged, the chain does not verify: {problem}")
    deleted = 0
    with transaction.atomic(), _purge_permitted():
        for workspace_id in chains:
            deleted += _purge_chain(workspace_id, before)
    return deleted


def _purge_chain(workspace_id: int | None, before: datetime) -> int:
    chain = AuditEvent.objects.filter(workspace_id=workspace_id, seq__isnull=False)  # type: ignore[misc]
    first_kept = (
        chain.filter(occurred_at__gte=before).order_by("seq").values_list("seq", flat=True).first()
    )
    doomed = chain if first_kept is None else chain.filter(seq__lt=first_kept)
    last = doomed.order_by("-seq").values_list("seq", "hash").first()
    if last is None:
        return 0
    count, _ = doomed.delete()
    audit_record(
        action=AuditAction.AUDIT_PURGED,
        workspace=Workspace.objects.filter(pk=workspace_id).first() if workspace_id else None,
        label="system",
        reason="retention period elapsed",
        detail={
            "through_seq": last[0],
            "through_hash": last[1],
            "before": before.isoformat(),
            "deleted": count,
        },
    )
    return count
