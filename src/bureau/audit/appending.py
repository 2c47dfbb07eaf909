"""A read page's events joining the chain in one statement, on PostgreSQL (issue 12).

An event written in a change's transaction is sealed right after it commits (`chain`): its
INSERT, then the seal's read of the head and the waiting events, then the seal's write. A page
that changed nothing has no transaction its events must share, so once the page is built its
events are numbered and linked in Python from the head as read, and inserted sealed by the same
statement that moves the head, only if the head is still where it was read and no event is
waiting for a seal (those come first). Two round trips instead of three, and nothing read back.

The head's row is locked by that statement alone (autocommit). A page that loses the race reads
the head again; one that keeps losing, or finds events waiting or no head, writes its events
the usual way (unsealed, sealed after).
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from contextlib import nullcontext
from datetime import datetime
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.db.models import Field

from bureau.audit import links
from bureau.audit.models import AuditChainHead, AuditEvent
from bureau.audit.sealing import linked, note_hold_ms

# Reads of the head before a page gives up on the race and writes the usual way.
ATTEMPTS = 3


Head = tuple[int, str]  # (seq, hash)


def read_head(workspace_id: int | None) -> tuple[Head | None, bool]:
    """The chain's head (None when it has none or events wait for a seal: those come first),
    and whether the current transaction has written anything, in one statement. Read by a page
    before its commit: a transaction holds an id only once it writes (or locks rows), so this
    sees what the statements' first words can miss (a write behind a comment, a MERGE, a
    function), and a page that changed something writes its events with its change."""
    global_chain = workspace_id is None
    where = [] if global_chain else [workspace_id]
    with connection.cursor() as cursor:
        cursor.execute(_head_sql(global_chain), [*where, links.chain_name(workspace_id)])
        seq, hash_, waiting, wrote = cursor.fetchone()
    head = None if seq is None or waiting else (seq, hash_)
    return head, bool(wrote)


def append_sealed(
    workspace_id: int | None, events: Sequence[AuditEvent], head: Head | None = None
) -> bool:
    """Insert `events` into their chain, numbered and linked, in autocommit (PostgreSQL), from
    `head` when the caller read it (`read_head`), else from the head as read here. False,
    having written nothing, when the caller must write them the usual way: the chain has no
    head yet, events are waiting for a seal, or the head kept moving."""
    chain = links.chain_name(workspace_id)
    global_chain = workspace_id is None
    where = [] if global_chain else [workspace_id]
    fields = _fields()
    for _ in range(ATTEMPTS):
        if head is None:
            head = read_head(workspace_id)[0]
            if head is None:
                return False
        with connection.cursor() as cursor:
            batch = linked(head, list(events))
            last = batch[-1]
            rows = json.dumps([_row(event, fields) for event in batch])
            # Inside a transaction (a test's; never a request's) a failed write must not abort
            # the rest of it: a savepoint. In autocommit, where requests run this, none.
            with transaction.atomic() if connection.in_atomic_block else nullcontext():
                cursor.execute(
                    _insert_sql(global_chain),
                    [last.seq, last.hash, chain, *head, *where, rows],
                )
                written = cursor.fetchall()
        if written:
            if len(written) != len(batch):
                raise RuntimeError(f"{chain}: {len(batch)} events linked, {len(written)} written")
            by_seq = {seq: pk for pk, seq, _ in written}
            for event in batch:
                event.pk = by_seq[event.seq]
            note_hold_ms(max(float(held) for _, _, held in written))
            return True
        for event in events:  # lost the race: as they were, for the next read or the caller
            event.seq, event.prev_hash = None, ""
        head = None
    return False


def _row(event: AuditEvent, fields: list[Field[Any, Any]]) -> dict[str, Any]:
    """One event as a JSON object of its columns: dates in ISO form (PostgreSQL reads them
    back to the microsecond the hash covers), JSON columns as they are (dumped as Django's
    JSONField dumps them: a value it could not store fails here too)."""
    row = {}
    for field in fields:
        value = getattr(event, field.attname)
        row[str(field.column)] = value.isoformat() if isinstance(value, datetime) else value
    return row


def _fields() -> list[Field[Any, Any]]:
    concrete = AuditEvent._meta.concrete_fields
    return [f for f in concrete if isinstance(f, Field) and not f.primary_key]


def _waiting(global_chain: bool) -> str:
    quote = connection.ops.quote_name
    table = quote(AuditEvent._meta.db_table)
    workspace = quote(AuditEvent._meta.get_field("workspace").column)
    match = f"{workspace} IS NULL" if global_chain else f"{workspace} = %s"
    return f"SELECT 1 FROM {table} WHERE {match} AND seq IS NULL"  # noqa: S608 - names from the model


@cache
def _head_sql(global_chain: bool) -> str:
    """The head (seq, hash; NULLs when the chain has none), whether any event of the chain
    waits for a seal, and whether this transaction has written."""
    heads = connection.ops.quote_name(AuditChainHead._meta.db_table)
    return (
        f"SELECT h.seq, h.hash, EXISTS ({_waiting(global_chain)}),"  # noqa: S608 - names from the models
        " pg_current_xact_id_if_assigned() IS NOT NULL"
        f" FROM (SELECT 1) AS one LEFT JOIN {heads} AS h ON h.chain = %s"
    )


@cache
def _insert_sql(global_chain: bool) -> str:
    """Move the head over the events and insert them, in one statement that does nothing if the
    head has moved or an event is waiting. The events come as one JSON array (one parameter:
    quoting each of a page's hundred-odd values into the statement cost more CPU than the rest
    of the append), each column read as its type without a length (the insert's own
    assignment then refuses a value too long, as an INSERT of the value would)."""
    quote = connection.ops.quote_name
    fields = _fields()
    columns = ", ".join(quote(f.column) for f in fields if f.column)
    types = ", ".join(
        f"{quote(f.column or '')} {re.sub(r'[(].*[)]', '', f.db_type(connection) or 'text')}"
        for f in fields
    )
    heads = quote(AuditChainHead._meta.db_table)
    events = quote(AuditEvent._meta.db_table)
    return f"""
        WITH head AS (
            UPDATE {heads} SET seq = %s, hash = %s
            WHERE chain = %s AND seq = %s AND hash = %s AND NOT EXISTS ({_waiting(global_chain)})
            RETURNING 1
        )
        INSERT INTO {events} ({columns})
        SELECT {columns} FROM jsonb_to_recordset(%s::jsonb) AS v({types})
        WHERE EXISTS (SELECT 1 FROM head)
        RETURNING id, seq, extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000
    """  # noqa: S608 - names from the models, values as parameters
