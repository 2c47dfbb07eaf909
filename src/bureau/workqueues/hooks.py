"""Where the services that change records tell the queue, in their own transaction. Each hook
names the functions its change can touch, so a change costs only those rules' queries; the
nightly refresh mends whatever a hook missed (and says so)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db import transaction

from bureau.claims.models import ClaimState
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Workspace
from bureau.workqueues.functions import Function

S = ClaimState
# A claim entering or leaving one of these states can open or close an item at once.
LEAVING = frozenset({S.REJECTED, S.SUBMITTED, S.ACCEPTED, S.CREDENTIALING_HOLD})
# Entering SUBMITTED or ACCEPTED opens nothing yet (follow-up waits for days of silence).
ENTERING = frozenset({S.REJECTED, S.CREDENTIALING_HOLD})
CLAIM_STATE_FUNCTIONS = (Function.REJECTIONS, Function.FOLLOWUP, Function.CREDENTIALING)
REMITTANCE_FUNCTIONS = (
    Function.DENIALS,
    Function.UNDERPAYMENTS,
    Function.POSTING_REVIEW,
    Function.ERA_EXCEPTIONS,
)


def claims_moved(
    *, actor: Actor | None, workspace_id: int, moves: Iterable[tuple[int, int, str, str]]
) -> None:
    """(claim id, practice id, from state, to state) of claims that changed state."""
    touched = [
        (claim_id, practice_id)
        for claim_id, practice_id, before, after in moves
        if before in LEAVING or after in ENTERING
    ]
    if not touched:
        return
    _sync(
        actor,
        workspace_id,
        practice_ids={p for _, p in touched},
        claim_ids=[c for c, _ in touched],
        functions=CLAIM_STATE_FUNCTIONS,
        cause="claim state changed",
    )


def remittance_changed(
    *,
    actor: Actor | None,
    workspace_id: int,
    practice_ids: Iterable[int],
    claim_ids: Iterable[int] = (),
    era_ids: Iterable[int] = (),
    functions: Sequence[str] = REMITTANCE_FUNCTIONS,
    cause: str,
) -> None:
    _sync(
        actor,
        workspace_id,
        practice_ids=set(practice_ids),
        claim_ids=list(claim_ids),
        era_ids=list(era_ids),
        functions=functions,
        cause=cause,
    )


def enrollments_changed(
    *, actor: Actor | None, workspace_id: int, practice_id: int, pairs: Iterable[tuple[int, int]]
) -> None:
    _sync(
        actor,
        workspace_id,
        practice_ids={practice_id},
        pairs=list(pairs),
        functions=(Function.CREDENTIALING, Function.SETUP_GAPS),
        cause="enrollment changed",
    )


@dataclass
class _Touched:
    """The records one hook call touched (or, while batched, the union of several calls')."""

    actor: Actor | None
    workspace_id: int
    functions: Sequence[str]
    practice_ids: set[int] = field(default_factory=set)
    claim_ids: set[int] = field(default_factory=set)
    era_ids: set[int] = field(default_factory=set)
    pairs: set[tuple[int, int]] = field(default_factory=set)

    def key(self) -> tuple[object, ...]:
        """Calls join only when they narrow by the same kinds of record: a union across kinds
        would read "any ERA" for a call that named only claims."""
        who = self.actor.user.pk if self.actor is not None else None
        shape = (bool(self.claim_ids), bool(self.era_ids), bool(self.pairs))
        return (who, self.workspace_id, tuple(self.functions), shape)

    def join(self, other: _Touched) -> None:
        self.practice_ids |= other.practice_ids
        self.claim_ids |= other.claim_ids
        self.era_ids |= other.era_ids
        self.pairs |= other.pairs

    def sync(self, cause: str) -> None:
        from bureau.workqueues.sync import sync_records

        actor = self.actor
        workspace = (
            actor.workspace if actor is not None else Workspace.objects.get(pk=self.workspace_id)
        )
        sync_records(
            actor=actor,
            workspace=workspace,
            practice_ids=self.practice_ids,
            claim_ids=sorted(self.claim_ids),
            era_ids=sorted(self.era_ids),
            pairs=sorted(self.pairs),
            functions=self.functions,
            cause=cause,
        )


_batch: ContextVar[dict[tuple[object, ...], _Touched] | None] = ContextVar("batch", default=None)


@contextmanager
def batched(cause: str) -> Iterator[None]:
    """Gather the hooks of a run of system changes (a simulated week of the clearinghouse
    cycle) and sync each kind of change once, at the end, in its own transaction: thousands
    of claims moving in one run cost one sync, not one per service call. The records a sync
    reads are the union of the calls' (same narrow shape, same functions), which brings each
    of them up to date exactly as the separate calls would. `cause` names the run on the
    items' history (one sync no longer knows which call moved which record)."""
    if _batch.get() is not None:  # already batching: the outer run syncs
        yield
        return
    gathered: dict[tuple[object, ...], _Touched] = {}
    token = _batch.set(gathered)
    try:
        yield
    finally:
        _batch.reset(token)
    with transaction.atomic():
        for touched in gathered.values():
            touched.sync(cause)


def _sync(
    actor: Actor | None,
    workspace_id: int,
    *,
    practice_ids: set[int],
    claim_ids: Sequence[int] = (),
    era_ids: Sequence[int] = (),
    pairs: Sequence[tuple[int, int]] = (),
    functions: Sequence[str],
    cause: str,
) -> None:
    touched = _Touched(
        actor, workspace_id, functions, set(practice_ids), set(claim_ids), set(era_ids), set(pairs)
    )
    gathered = _batch.get()
    if gathered is None:
        touched.sync(cause)
    else:
        gathered.setdefault(touched.key(), _Touched(actor, workspace_id, functions)).join(touched)
