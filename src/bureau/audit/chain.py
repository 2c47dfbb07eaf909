"""The audit hash chain (DESIGN §5): how an event links to the one before it, the one place
events join a chain, and how a chain is checked (links, head, purge checkpoints, anchors).

Each workspace's events form one chain (events with no workspace form the "global" chain): event
n stores HMAC-SHA256(BUREAU_AUDIT_KEY, its content + the hash of event n-1). The key lives
outside the database, so write access to the database is not enough to rebuild a chain after
changing it. `links.link` is the only definition of a link and `sealing.seal` the only place
events are numbered and linked; this module holds the append, verification and anchors.

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

import hmac
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from bureau.audit import links
from bureau.audit.links import (
    GENESIS,
    ChainedEvent,
    chain_name,
    chain_workspace_id,
    legacy_digest,
    link,
)
from bureau.audit.models import AuditAction, AuditChainHead, AuditEvent
from bureau.audit.sealing import (
    SEAL_ATTEMPTS,
    SEAL_BATCH,
    ChainSealError,
    linked,
    note_hold,
    note_hold_ms,
    seal,
    seal_all,
    written_by_bureau,
)
from bureau.tenancy.models import Workspace

# The chain's names from before the seal and the links had modules of their own.
__all__ = [
    "GENESIS",
    "SEAL_ATTEMPTS",
    "SEAL_BATCH",
    "ChainSealError",
    "ChainedEvent",
    "chain_name",
    "legacy_digest",
    "link",
    "note_hold",
    "note_hold_ms",
    "seal",
    "seal_all",
]


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
        event.hash = links.link("", event)
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
    last = linked((head[0], head[1]), list(events))[-1]
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
        if hmac.compare_digest(event.hash, links.link(event.prev_hash, event)):
            keyed = True
        elif keyed or event.hash != links.legacy_digest(event):
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
        if not written_by_bureau(event):
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
    ids |= {chain_workspace_id(c) for c in AuditChainHead.objects.values_list("chain", flat=True)}
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
        workspace_id = chain_workspace_id(head.chain)
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
