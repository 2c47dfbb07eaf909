"""The audit hash chain (DESIGN §5): how an event links to the one before it, the one place
events join a chain, and how a chain is checked (links, head, purge checkpoints, anchors).

Each workspace's events form one chain (events with no workspace form the "global" chain): event
n stores HMAC-SHA256(BUREAU_AUDIT_KEY, its content + the hash of event n-1). The key lives
outside the database, so write access to the database is not enough to rebuild a chain after
changing it. `link` is the only definition of a link and `seal` the only place events are
numbered and linked.

Written, then sealed. An event is inserted in the transaction of the change or read it records
(so they commit or roll back together), unsealed: no number yet, and a MAC of its own content
under the key. Right after that transaction commits, `seal` numbers and links every waiting
event in the order they were written, from the head as it read it, and stores them with the new
head in one write that happens only if the head has not moved meanwhile (else it reads again).
The head is locked for that write alone. It used to be locked from an event's write to its
transaction's end — through the rest of a request, or a whole ERA posting — which queued every
audited request of a workspace behind it.
An unsealed row whose MAC fails was not written by Bureau: it is never sealed, and verify
reports it; so is a genuine one left unsealed (a process died between commit and seal) past a
short grace, though any later seal of its chain, or `bureau audit verify`, seals it.

Versioned hash scheme. Rows written before the chain was keyed carry an unkeyed SHA-256 of the
same content ("legacy"); they are never rewritten. Migration 0009 closes every such chain with a
keyed `audit.chain_keyed` event whose HMAC covers the last legacy hash, so the legacy prefix can
no longer change unseen. Verify accepts legacy rows only before the first keyed row and requires
a keyed head, so a chain rebuilt without the key fails wherever it ends.

What verify cannot see on its own: the newest events deleted *and* the head row rewound to the
new last event (both are values already in the database). `audit_anchor_heads` prints the heads
for the operator to keep elsewhere; `audit_verify_anchors` proves a later database still holds
each anchored head unchanged.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Max, Subquery
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditChainHead, AuditEvent
from bureau.tenancy.models import Workspace

GENESIS = "0" * 64


class ChainedEvent(Protocol):
    """What a link covers: an AuditEvent, or its historical model in a migration."""

    workspace_id: int | None
    seq: int | None  # None until sealed
    occurred_at: datetime
    user_id: int | None
    actor_label: str
    practice_id: int | None
    action: str
    model: str
    record_ids: list[Any]
    ip: str | None
    user_agent: str
    request_id: str
    reason: str
    detail: dict[str, Any]
    prev_hash: str


def chain_name(workspace_id: int | None) -> str:
    return f"workspace:{workspace_id}" if workspace_id else "global"


def _chain_workspace_id(chain: str) -> int | None:
    return int(chain.split(":", 1)[1]) if chain.startswith("workspace:") else None


def _key() -> bytes:
    key = getattr(settings, "BUREAU_AUDIT_KEY", "")
    if not key:
        raise ImproperlyConfigured("BUREAU_AUDIT_KEY is empty: the audit chain needs its key")
    return str(key).encode()


def _content(prev_hash: str, event: ChainedEvent) -> bytes:
    """The event as the hash sees it: every column but id and hash, in one canonical form."""
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
        "prev": prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def link(prev_hash: str, event: ChainedEvent) -> str:
    """The hash of `event` following `prev_hash`: HMAC-SHA256 under BUREAU_AUDIT_KEY."""
    return hmac.new(_key(), _content(prev_hash, event), hashlib.sha256).hexdigest()


def legacy_digest(event: ChainedEvent) -> str:
    """The unkeyed SHA-256 of rows written before the chain was keyed (verification only)."""
    return hashlib.sha256(_content(event.prev_hash, event)).hexdigest()


def chain_write(workspace_id: int | None, events: Sequence[AuditEvent]) -> None:
    """Insert `events` in the caller's transaction, unsealed, and have their chain sealed
    right after that transaction commits.

    No lock is taken here: the head row is locked only by `seal`, for the few milliseconds
    it takes to number and link what is waiting, so a long request or an ERA posting no
    longer holds up every other audited request of its workspace. The change and its events
    still commit (or roll back, savepoints included) together. Each unsealed row carries its
    own MAC, so a row slipped into the table without the key is never sealed into a chain."""
    for event in events:
        event.seq, event.prev_hash = None, ""
        event.hash = link("", event)
    _insert(events)
    _seal_after_commit(workspace_id)


def chain_write_sealed(workspace_id: int | None, events: Sequence[AuditEvent]) -> None:
    """Insert `events` numbered and linked already, for a caller holding SQLite's write lock
    (a read page's events, `reads`): nothing can move the head meanwhile, and a seal after
    the commit would only queue for the lock again. Falls back to `chain_write` and a seal
    when the chain has no head yet or has events waiting (they come first)."""
    chain = chain_name(workspace_id)
    with connection.cursor() as cursor:
        cursor.execute(
            'SELECT seq, hash, EXISTS (SELECT 1 FROM "audit_auditevent"'
            " WHERE workspace_id IS %s AND seq IS NULL)"
            ' FROM "audit_auditchainhead" WHERE chain = %s',
            [workspace_id, chain],
        )
        head = cursor.fetchone()
    if head is None or head[2]:
        chain_write(workspace_id, events)
        seal(workspace_id)
        return
    last = _linked((head[0], head[1]), list(events))[-1]
    _insert(events)
    AuditChainHead.objects.filter(chain=chain).update(seq=last.seq, hash=last.hash)


def _insert(events: Sequence[AuditEvent]) -> None:
    if len(events) == 1:
        events[0].save(force_insert=True)
    else:
        AuditEvent.objects.bulk_create(events)


class _Seal:
    """The on-commit callback sealing one chain; equal per chain, so a transaction that writes
    many events asks for one seal (a savepoint rolled back takes its request with it)."""

    def __init__(self, workspace_id: int | None) -> None:
        self.workspace_id = workspace_id

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Seal) and other.workspace_id == self.workspace_id

    def __hash__(self) -> int:
        return hash(("seal", self.workspace_id))

    def __call__(self) -> None:
        seal(self.workspace_id)


def _seal_after_commit(workspace_id: int | None) -> None:
    callback = _Seal(workspace_id)
    waiting = getattr(connection, "run_on_commit", [])
    if any(entry[1] == callback for entry in waiting):
        return
    # Robust: the change is committed already; an event left unsealed is sealed by the next
    # seal of its chain (any later event, or `bureau audit verify`), never lost.
    transaction.on_commit(callback, robust=True)


def seal(workspace_id: int | None) -> int:
    """Number and link every unsealed event of one chain, oldest first (the one place events
    join a chain). Returns how many it sealed; a row whose own MAC does not hold (written
    without the key) is left unsealed for verify to report.

    Optimistic: the head and the waiting events are read without a lock and linked in Python,
    then one short write moves the head and seals the events only if the head is still where
    it was read. Another seal that got there first makes that write change nothing, and this
    one reads again. So the head is locked for that one write (on PostgreSQL a single
    statement), not for the reads and the hashing."""
    chain = chain_name(workspace_id)
    total = lost = after = 0
    head_row = AuditChainHead.objects.filter(chain=chain).order_by("id")
    while lost < SEAL_ATTEMPTS:
        # The waiting events with the head beside them, one statement (one snapshot): a page's
        # seal is a read and a write. Nothing waiting, no head needed.
        waiting = AuditEvent.objects.filter(
            workspace_id=workspace_id,  # type: ignore[misc]
            seq__isnull=True,
            id__gt=after,
        ).annotate(
            head_seq=Subquery(head_row.values("seq")[:1]),
            head_hash=Subquery(head_row.values("hash")[:1]),
        )
        fetched: list[AuditEvent] = list(waiting.order_by("id")[:SEAL_BATCH])
        if not fetched:
            return total
        head: tuple[int, str] = (fetched[0].head_seq, fetched[0].head_hash)  # type: ignore[attr-defined]
        if head[0] is None:
            AuditChainHead.objects.get_or_create(chain=chain)
            lost += 1
            continue
        # Rows that fail their MAC stay where they are (verify names them) and are stepped over.
        batch = [e for e in fetched if _written_by_bureau(e)]
        if batch and not _advance(chain, head, _linked(head, batch)):
            lost += 1
            continue
        total += len(batch)
        if len(fetched) < SEAL_BATCH:
            # All that was waiting when read. Anything committed since has a seal of its own
            # coming; no need to read again.
            return total
        after = fetched[-1].pk
    return total


def _linked(head: tuple[int, str], batch: list[AuditEvent]) -> list[AuditEvent]:
    """Number and link `batch` from `head` (seq, hash), in order."""
    seq, prev = head
    for event in batch:
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = link(prev, event)
    return batch


def _written_by_bureau(event: AuditEvent) -> bool:
    """An unsealed event's hash is the MAC of its own content under the key."""
    return hmac.compare_digest(event.hash, link("", event))


# A seal that keeps losing the race leaves the rest to the seals winning it (each transaction
# that writes events asks for one).
SEAL_ATTEMPTS = 20
# Events linked per write: four parameters each, well under either database's limit.
SEAL_BATCH = 500


def _advance(chain: str, head: tuple[int, str], batch: list[AuditEvent]) -> bool:
    """Move the head from `head` to the last of `batch` and store the batch's links, in one
    write that does nothing if the head has moved since it was read. True if it moved."""
    last = batch[-1]
    rows = [(e.pk, e.seq, e.prev_hash, e.hash) for e in batch]
    ids = [e.pk for e in batch]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # One statement: the head's row lock lasts as long as the statement. The head moves
            # only if it is where it was read and every event of the batch is still unsealed
            # (a concurrent seal that sealed any of them moved the head, so this matches
            # nothing and the events stay as they are).
            values = ", ".join(["(%s::bigint, %s::bigint, %s, %s)"] * len(rows))
            cursor.execute(
                f"""
                WITH head AS (
                    UPDATE "audit_auditchainhead" SET seq = %s, hash = %s
                    WHERE chain = %s AND seq = %s AND hash = %s
                      AND (SELECT count(*) FROM "audit_auditevent"
                           WHERE id = ANY(%s) AND seq IS NULL) = %s
                    RETURNING 1
                ), sealed AS (
                    UPDATE "audit_auditevent" AS e
                    SET seq = v.seq, prev_hash = v.prev_hash, hash = v.hash
                    FROM (VALUES {values}) AS v(id, seq, prev_hash, hash)
                    WHERE e.id = v.id AND e.seq IS NULL AND EXISTS (SELECT 1 FROM head)
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM head), (SELECT count(*) FROM sealed),
                       extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000
                """,  # noqa: S608 - only placeholders are formatted in
                [last.seq, last.hash, chain, head[0], head[1], ids, len(ids)]
                + [v for row in rows for v in row],
            )
            # In autocommit the lock lasts no longer than the statement, timed by the server
            # (lock wait included): a time taken here would add this thread's wait for the GIL.
            moved, sealed, held_ms = cursor.fetchone()
            note_hold_ms(float(held_ms))
        else:
            # BEGIN IMMEDIATE: SQLite's one write lock.
            with transaction.atomic():
                locked_at = time.perf_counter()
                cursor.execute(
                    'UPDATE "audit_auditchainhead" SET seq = %s, hash = %s'
                    " WHERE chain = %s AND seq = %s AND hash = %s",
                    [last.seq, last.hash, chain, head[0], head[1]],
                )
                moved, sealed = cursor.rowcount, 0
                if moved:
                    values = ", ".join(["(%s, %s, %s, %s)"] * len(rows))
                    cursor.execute(
                        'UPDATE "audit_auditevent" SET seq = v.column2, prev_hash = v.column3,'  # noqa: S608 - placeholders only
                        f" hash = v.column4 FROM (VALUES {values}) AS v"
                        ' WHERE "audit_auditevent".id = v.column1'
                        ' AND "audit_auditevent".seq IS NULL',
                        [v for row in rows for v in row],
                    )
                    sealed = cursor.rowcount
                    if sealed != len(rows):
                        raise ChainSealError(chain, len(rows), sealed)
            note_hold(locked_at)
    if moved and sealed != len(rows):
        raise ChainSealError(chain, len(rows), sealed)
    return bool(moved)


class ChainSealError(RuntimeError):
    def __init__(self, chain: str, expected: int, sealed: int) -> None:
        super().__init__(f"{chain}: the head moved over {expected} events but {sealed} were sealed")


def note_hold(locked_at: float) -> None:
    """How long the head was held, from `locked_at` (perf_counter) until now: see note_hold_ms."""
    note_hold_ms((time.perf_counter() - locked_at) * 1000)


def note_hold_ms(ms: float) -> None:
    """How long the head was held, appended in ms to the file named by
    BUREAU_AUDIT_SEAL_TIMINGS when set: the load benchmark's measure of the chain's lock."""
    path = os.environ.get("BUREAU_AUDIT_SEAL_TIMINGS")
    if path:
        with open(path, "a", encoding="ascii") as out:
            out.write(f"{ms:.3f}\n")


def seal_all() -> int:
    """Seal every chain's waiting events (before verifying, anchoring or purging)."""
    chains = (
        AuditEvent.objects.filter(seq__isnull=True)
        .values_list("workspace_id", flat=True)
        .distinct()
        .order_by()
    )
    return sum(seal(workspace_id) for workspace_id in list(chains))


# -- verification -----------------------------------------------------------------------------
@dataclass(frozen=True)
class ChainProblem:
    chain: str  # "workspace <slug>" or "global chain"
    seq: int
    reason: str
    event_id: int | None = None

    def __str__(self) -> str:
        place = f"seq {self.seq}" if self.seq else "unsealed"
        if self.event_id is None:
            return f"{self.chain}, {place}: {self.reason}"
        return f"event {self.event_id} ({self.chain}, {place}): {self.reason}"


def _n(event: AuditEvent) -> int:
    """A sealed event's seq (verification walks sealed events only; unsealed ones are 0)."""
    return event.seq or 0


def _label(workspace_id: int | None, slugs: dict[int, str] | None = None) -> str:
    if workspace_id is None:
        return "global chain"
    if slugs is None:
        slugs = dict(Workspace.objects.filter(pk=workspace_id).values_list("pk", "slug"))
    return f"workspace {slugs.get(workspace_id, workspace_id)}"


def _checkpoints(workspace_id: int | None) -> dict[int, str | None]:
    """Purge checkpoints of one chain: seq purged through → the hash of that event (None for
    purges recorded before checkpoints carried it)."""
    found: dict[int, str | None] = {}
    purges = AuditEvent.objects.filter(workspace_id=workspace_id, action=AuditAction.AUDIT_PURGED)  # type: ignore[misc]
    for detail in purges.values_list("detail", flat=True):
        if isinstance(detail, dict) and isinstance(detail.get("through_seq"), int):
            through_hash = detail.get("through_hash")
            found[detail["through_seq"]] = through_hash if isinstance(through_hash, str) else None
    return found


def audit_verify_chain(
    workspace_id: int | None, *, label: str | None = None
) -> ChainProblem | None:
    """Walk one chain in order; return its first problem, or None when it holds.

    A chain holds when it starts at the genesis or at a purge checkpoint, every event links to
    the one before and matches its hash, the events reach the head row and the event there
    carries the head's hash, and its head is keyed."""
    where = label or _label(workspace_id)
    # The head first: events appended while we walk lie beyond it and are checked as links.
    head = AuditChainHead.objects.filter(chain=chain_name(workspace_id)).first()
    events = AuditEvent.objects.filter(workspace_id=workspace_id, seq__isnull=False).order_by("seq")  # type: ignore[misc]
    previous: AuditEvent | None = None
    at_head: AuditEvent | None = None
    keyed = False
    for event in events.iterator(chunk_size=2000):
        if previous is None:
            problem = _check_start(event, workspace_id, where)
            if problem:
                return problem
        elif _n(event) != _n(previous) + 1:
            return ChainProblem(where, _n(event), f"gap after seq {_n(previous)}", event.pk)
        elif event.prev_hash != previous.hash:
            return ChainProblem(where, _n(event), "does not link to its predecessor", event.pk)
        if hmac.compare_digest(event.hash, link(event.prev_hash, event)):
            keyed = True
        elif keyed or event.hash != legacy_digest(event):
            return ChainProblem(
                where,
                _n(event),
                "content does not match its hash (changed, or BUREAU_AUDIT_KEY is not the key "
                "it was written with)",
                event.pk,
            )
        if head is not None and _n(event) == head.seq:
            at_head = event
        previous = event
    return _check_end(previous, at_head, head, keyed, where) or _check_unsealed(workspace_id, where)


# A genuine event waits for its seal a few milliseconds; one still waiting after this long was
# left behind (its writer died between commit and seal) and says so until something seals it.
SEAL_GRACE = timedelta(minutes=5)


def _check_unsealed(workspace_id: int | None, where: str) -> ChainProblem | None:
    waiting = AuditEvent.objects.filter(workspace_id=workspace_id, seq__isnull=True).order_by("id")  # type: ignore[misc]
    for event in waiting.iterator(chunk_size=500):
        if not _written_by_bureau(event):
            return ChainProblem(
                where, 0, "an unsealed event was not written by Bureau (its MAC fails)", event.pk
            )
        if event.occurred_at < timezone.now() - SEAL_GRACE:
            return ChainProblem(
                where, 0, "an event was never sealed into the chain (run audit verify)", event.pk
            )
    return None


def _check_start(event: AuditEvent, workspace_id: int | None, where: str) -> ChainProblem | None:
    """The first surviving event is the genesis or the first after a purge checkpoint."""
    if _n(event) == 1:
        expected: str | None = GENESIS
    else:
        checkpoints = _checkpoints(workspace_id)
        if _n(event) - 1 not in checkpoints:
            return ChainProblem(where, _n(event), "events before it are missing", event.pk)
        expected = checkpoints[_n(event) - 1]
    if expected is not None and event.prev_hash != expected:
        what = "the genesis" if _n(event) == 1 else "its purge checkpoint"
        return ChainProblem(where, _n(event), f"does not link to {what}", event.pk)
    return None


def _check_end(
    last: AuditEvent | None,
    at_head: AuditEvent | None,
    head: AuditChainHead | None,
    keyed: bool,
    where: str,
) -> ChainProblem | None:
    if head is None or head.seq == 0:
        if last is None:
            return None
        return ChainProblem(where, _n(last), "the chain's head record is missing", last.pk)
    if last is None:
        return ChainProblem(where, head.seq, f"every event up to the head (seq {head.seq}) is gone")
    if at_head is None:
        return ChainProblem(
            where, head.seq, f"events after seq {_n(last)} are missing (head at seq {head.seq})"
        )
    if at_head.hash != head.hash:
        return ChainProblem(where, _n(at_head), "does not match the chain's head", at_head.pk)
    if not keyed:
        return ChainProblem(
            where,
            _n(last),
            "no event is keyed: the chain was rebuilt without BUREAU_AUDIT_KEY, or predates it "
            "and was never closed by migration 0009",
            last.pk,
        )
    return None


def _chains() -> dict[int | None, str]:
    """Every chain that has events or a head, with its label."""
    ids: set[int | None] = set(
        AuditEvent.objects.values_list("workspace_id", flat=True).distinct().order_by()
    )
    ids |= {_chain_workspace_id(c) for c in AuditChainHead.objects.values_list("chain", flat=True)}
    slugs = dict(Workspace.objects.values_list("pk", "slug"))
    return {workspace_id: _label(workspace_id, slugs) for workspace_id in ids}


def audit_verify_all() -> list[ChainProblem]:
    problems = [
        audit_verify_chain(workspace_id, label=label) for workspace_id, label in _chains().items()
    ]
    return [p for p in problems if p is not None]


# -- anchors ----------------------------------------------------------------------------------
class AnchorError(ValueError):
    pass


@dataclass(frozen=True)
class Anchor:
    """One chain's head as the operator keeps it: workspace slug (None: the global chain)."""

    workspace: str | None
    seq: int
    hash: str
    time: str = ""

    def as_json(self) -> str:
        return json.dumps(
            {"workspace": self.workspace, "seq": self.seq, "hash": self.hash, "time": self.time}
        )

    @classmethod
    def parse(cls, line: str) -> Anchor:
        try:
            data = json.loads(line)
        except (ValueError, RecursionError) as exc:
            raise AnchorError("not JSON") from exc
        if not isinstance(data, dict):
            raise AnchorError("not a JSON object")
        workspace, seq, digest = data.get("workspace"), data.get("seq"), data.get("hash")
        if workspace is not None and not isinstance(workspace, str):
            raise AnchorError("workspace must be a slug or null")
        if not isinstance(seq, int) or isinstance(seq, bool) or not 1 <= seq < 2**63:
            raise AnchorError("seq must be a positive integer")
        if not isinstance(digest, str) or len(digest) != 64:
            raise AnchorError("hash must be 64 hex digits")
        try:
            int(digest, 16)
        except ValueError as exc:
            raise AnchorError("hash must be 64 hex digits") from exc
        return cls(workspace, seq, digest, str(data.get("time", "")))


def audit_anchor_heads(now: datetime) -> list[Anchor]:
    """The head of every chain, to be kept outside this database."""
    slugs = dict(Workspace.objects.values_list("pk", "slug"))
    anchors = []
    for head in AuditChainHead.objects.filter(seq__gt=0).order_by("chain"):
        workspace_id = _chain_workspace_id(head.chain)
        slug = None if workspace_id is None else slugs.get(workspace_id, str(workspace_id))
        anchors.append(Anchor(slug, head.seq, head.hash, now.isoformat()))
    return anchors


def audit_verify_anchors(anchors: Iterable[Anchor]) -> list[ChainProblem]:
    """Each anchored head is still in its chain, unchanged (so, with the links that
    `audit_verify_all` checks, is everything before it), or was purged past by retention."""
    workspaces = dict(Workspace.objects.values_list("slug", "pk"))
    problems = []
    for anchor in anchors:
        where = "global chain" if anchor.workspace is None else f"workspace {anchor.workspace}"
        if anchor.workspace is not None and anchor.workspace not in workspaces:
            problems.append(ChainProblem(where, anchor.seq, "the anchored workspace is gone"))
            continue
        workspace_id = None if anchor.workspace is None else workspaces[anchor.workspace]
        problem = _check_anchor(anchor, workspace_id, where)
        if problem:
            problems.append(problem)
    return problems


def _check_anchor(anchor: Anchor, workspace_id: int | None, where: str) -> ChainProblem | None:
    event = (
        AuditEvent.objects.filter(workspace_id=workspace_id, seq=anchor.seq)  # type: ignore[misc]
        .only("pk", "hash")
        .first()
    )
    if event is not None:
        if event.hash != anchor.hash:
            return ChainProblem(where, anchor.seq, "differs from the anchored head", event.pk)
        return None
    # Gone: only retention may have taken it, and then a checkpoint covers it.
    checkpoints = _checkpoints(workspace_id)
    if anchor.seq in checkpoints and checkpoints[anchor.seq] not in (None, anchor.hash):
        return ChainProblem(where, anchor.seq, "the purge checkpoint differs from the anchor")
    if any(through >= anchor.seq for through in checkpoints):
        return None
    reached = AuditEvent.objects.filter(workspace_id=workspace_id).aggregate(m=Max("seq"))["m"]  # type: ignore[misc]
    return ChainProblem(
        where,
        anchor.seq,
        f"the chain no longer reaches the anchored seq (it ends at {reached or 0})",
    )
