"""Pages that only read: built with their audit events held, the events appended in a short
write before the response leaves (on SQLite without the write lock while the page is built).

SQLite has one writer at a time. Every request used to run in one IMMEDIATE transaction
(ATOMIC_REQUESTS), because even a page that only reads writes its audit event, so each page held
the database's single write lock while it queried and rendered: pages queued one behind another
with a core idle. Now a GET (or HEAD) runs in a DEFERRED transaction, a snapshot that takes no
write lock, while its audit events wait in memory; once the page is built they are appended in a
short IMMEDIATE transaction, and only then does the response go out. It stays fail closed: if
the events cannot be written the page is not sent (the error propagates; no PHI leaves).

A GET that writes something else cannot do it on a read snapshot: SQLite refuses to turn a
snapshot another writer has moved past into a write ("database is locked"). So its first write
statement is stopped before it runs, everything the read did is dropped (its events and queued
messages too), and the view runs again the usual way: one IMMEDIATE transaction for the request.
So do views that fail in any other way than "not found" or "forbidden", so the other
middleware's exception hooks see them exactly as before.

PostgreSQL readers never wait for writers (MVCC): there a GET stays one transaction, its events
held the same way. If it wrote nothing else, they join the chain after the commit in one
statement that inserts them sealed and moves the head (`appending`), before the response
leaves; if it wrote something, they are written in its transaction, as a POST's are, so the
change and its events commit together.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import DEFAULT_DB_ALIAS, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse

if TYPE_CHECKING:
    from bureau.audit.models import AuditEvent

log = logging.getLogger(__name__)

READ_METHODS = frozenset({"GET", "HEAD"})
WRITE_STATEMENTS = ("INSERT", "UPDATE", "DELETE", "REPLACE")
# Errors that answer the same page however the view ran, so they need no second run.
PLAIN_ANSWERS = (Http404, PermissionDenied)

Held = list[tuple[int | None, list["AuditEvent"]]]
# PostgreSQL: a chain's head (seq, hash) as the page read it before its commit (`appending`).
Heads = dict[int | None, tuple[int, str]]
Built = tuple[HttpResponse, Held, Heads]  # the page, its held events, the heads read for them
_held: ContextVar[Held | None] = ContextVar("bureau_audit_held_events", default=None)


def held_events() -> Held | None:
    """The events a read request holds until its page is built; None outside one (write now)."""
    return _held.get()


class _Kept:
    """A no-op put on Django's on-commit list beside each held entry. Rolling back a savepoint
    takes away what was registered inside it, so the entries whose marker survives are exactly
    the ones the write path would have kept (an event made inside a savepoint the view rolled
    back is dropped, as its INSERT would have been)."""

    def __init__(self, entry: tuple[int | None, list[AuditEvent]]) -> None:
        self.entry = entry

    def __call__(self) -> None:
        pass


def hold(workspace_id: int | None, events: list[AuditEvent]) -> None:
    """Keep a read request's events until its page is built (`held_events()` is not None)."""
    held = _held.get()
    assert held is not None, "hold() is only called inside a read request"
    entry = (workspace_id, events)
    held.append(entry)
    transaction.on_commit(_Kept(entry))


@contextmanager
def holding() -> Iterator[Held]:
    """Hold the events recorded inside the block, as a read page's are (`held_events()` is the
    list yielded), until it ends. `kept` then gives the ones to write."""
    held: Held = []
    token = _held.set(held)
    try:
        yield held
    finally:
        _held.reset(token)


def kept(held: Held) -> Held:
    """The held entries to write, one per chain in the order they were first recorded (each
    chain's events in theirs): a page's events go in one INSERT and are sealed as one."""
    chains: dict[int | None, list[AuditEvent]] = {}
    for workspace_id, events in _kept(held):
        chains.setdefault(workspace_id, []).extend(events)
    return list(chains.items())


def _kept(held: Held) -> Held:
    """The held entries no rolled-back savepoint took away (see `_Kept`)."""
    alive = {
        id(func.entry)
        for _, func, *_ in connection.run_on_commit  # (savepoint ids, callable, robust)
        if isinstance(func, _Kept)
    }
    return [entry for entry in held if id(entry) in alive]


class _WroteDuringRead(Exception):
    """A statement that writes, stopped before it ran on a read snapshot."""


class ReadRequestMiddleware:
    """Run a GET's view on a read snapshot (SQLite), then append its events (see the module)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., HttpResponse],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if not _reads_only(request, view):
            return None  # the handler runs it in one transaction (ATOMIC_REQUESTS)
        build = _build_in_transaction if connection.vendor == "postgresql" else _build_on_snapshot
        try:
            response, held, heads = build(request, view, args, kwargs)
        except _RunAgain:
            return None  # it writes (SQLite) or failed: run again the usual way
        if held:
            _append(held, heads)
        return response


def _reads_only(request: HttpRequest, view: Callable[..., HttpResponse]) -> bool:
    return (
        connection.vendor in ("sqlite", "postgresql")
        and request.method in READ_METHODS
        and connection.settings_dict.get("ATOMIC_REQUESTS", False)
        and DEFAULT_DB_ALIAS not in getattr(view, "_non_atomic_requests", set())
    )


class _RunAgain(Exception):
    """The read path gave the page up (it wrote on SQLite's snapshot, or failed other than
    "not found" or "forbidden"): everything it did is dropped and the view runs again the usual
    way, so the other middleware's exception hooks see it."""


@contextmanager
def _attempt(request: HttpRequest) -> Iterator[Held]:
    """Hold the events recorded inside the block (`held_events()`); on a failure other than
    the plain answers, drop the messages it queued and raise _RunAgain."""
    held: Held = []
    queued = _queued_messages(request)
    before = len(queued) if queued is not None else 0
    token = _held.set(held)
    try:
        yield held
    except PLAIN_ANSWERS:
        raise
    except Exception as exc:
        # Worth knowing when it is often: such a page does its reads twice.
        log.info("%s %s runs again in a write transaction: %r", request.method, request.path, exc)
        if queued is not None:
            del queued[before:]
        raise _RunAgain from exc
    finally:
        _held.reset(token)


def _build_on_snapshot(
    request: HttpRequest,
    view: Callable[..., HttpResponse],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Built:
    """SQLite: the view's response and the events it holds, built on a read snapshot; a view
    that tries to write is given up (_RunAgain), having dropped everything it did."""
    wrote: list[str] = []
    with _attempt(request) as held:
        with _deferred(), connection.execute_wrapper(_refuse_writes(wrote)):
            with transaction.atomic():
                response = _run_view(request, view, args, kwargs)
                if wrote:  # the view caught the refusal and carried on: its answer is wrong
                    raise _WroteDuringRead(wrote[0])
                held[:] = kept(held)  # before the commit runs (and clears) the on-commit list
    return response, held, {}


def _build_in_transaction(
    request: HttpRequest,
    view: Callable[..., HttpResponse],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Built:
    """PostgreSQL: the view's response and the events it holds, built in one transaction. A
    GET that wrote something writes its events in that transaction (sealed after its commit,
    as a POST's) and holds none."""
    from bureau.audit import appending, chain

    heads: Heads = {}
    wrote: list[str] = []
    # A transaction of its own (a request's; a test's is already open and may have written).
    outermost = not connection.in_atomic_block
    with _attempt(request) as held:
        with connection.execute_wrapper(_note_writes(wrote)):
            with transaction.atomic():
                response = _run_view(request, view, args, kwargs)
                held[:] = kept(held)
                if held and outermost and not wrote:
                    # The head the events will join, and whether the page changed anything
                    # its statements' first words did not show: one round trip.
                    first = held[0][0]
                    head, changed = appending.read_head(first)
                    if changed:
                        wrote.append("a write the statements' first words did not show")
                    elif head is not None:
                        heads[first] = head
                if wrote:
                    for workspace_id, events in held:
                        chain.chain_write(workspace_id, events)
                    held.clear()
    return response, held, heads


def _note_writes(wrote: list[str]) -> Callable[..., Any]:
    """Notes each statement that may change a row (a CTE naming a write counts: a false alarm
    only writes the events in the transaction, as a POST does)."""

    def wrapper(execute: Callable[..., Any], sql: str, *rest: Any) -> Any:
        head = sql.lstrip()[:7].upper()
        if head.startswith(WRITE_STATEMENTS) or (
            head.startswith("WITH") and any(w in sql.upper() for w in WRITE_STATEMENTS)
        ):
            wrote.append(sql[:60])
        return execute(sql, *rest)

    return wrapper


def _run_view(
    request: HttpRequest,
    view: Callable[..., HttpResponse],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> HttpResponse:
    """The view's response, rendered: lazy querysets in a template read here, inside the
    transaction the page is built in."""
    response = view(request, *args, **kwargs)
    render = getattr(response, "render", None)
    return render() if callable(render) else response


@contextmanager
def _deferred() -> Iterator[None]:
    """BEGIN DEFERRED for this connection's next transaction (set per connection, which is per
    thread, and put back after)."""
    connection.ensure_connection()
    mode = connection.transaction_mode  # type: ignore[attr-defined]
    connection.transaction_mode = "DEFERRED"  # type: ignore[attr-defined]
    try:
        yield
    finally:
        connection.transaction_mode = mode  # type: ignore[attr-defined]


def _refuse_writes(wrote: list[str]) -> Callable[..., Any]:
    def wrapper(execute: Callable[..., Any], sql: str, *rest: Any) -> Any:
        if sql.lstrip()[:7].upper().startswith(WRITE_STATEMENTS):
            wrote.append(sql[:60])
            raise _WroteDuringRead(sql[:60])
        return execute(sql, *rest)

    return wrapper


def _append(held: Held, heads: Heads) -> None:
    """The read's events, written and sealed. PostgreSQL: each chain's in one statement after
    the page's commit (`appending`), or the usual way when that cannot be. SQLite: in one
    short IMMEDIATE transaction: it holds the database's write lock anyway, so a seal after
    the commit would only queue for it again."""
    from bureau.audit import appending, chain

    if connection.vendor == "postgresql":
        for workspace_id, events in held:
            if not appending.append_sealed(workspace_id, events, heads.get(workspace_id)):
                with transaction.atomic():
                    chain.chain_write(workspace_id, events)
        return
    with transaction.atomic():
        locked_at = time.perf_counter()
        for workspace_id, events in held:
            chain.chain_write_sealed(workspace_id, events)
    chain.note_hold(locked_at)


def _queued_messages(request: HttpRequest) -> list[Any] | None:
    storage = getattr(request, "_messages", None)
    return getattr(storage, "_queued_messages", None)
