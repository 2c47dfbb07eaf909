"""Sealing the audit chain (DESIGN §5): numbering and linking the events `chain.chain_write`
inserted unsealed, in the order they were written, and moving the chain's head over them.

`seal` is the only place events are numbered and linked. It runs right after the transaction
that wrote events commits (`chain`), reads the head and the waiting events without a lock,
links them in Python, then moves the head in one short write that happens only if the head has
not moved meanwhile (else it reads again). So the head is locked for that write alone, not for
the request or the ERA posting that wrote the events. A waiting row whose own MAC fails was not
written by Bureau: it is never sealed, and verify reports it.
"""

from __future__ import annotations

import hmac
import os
import time
from functools import cache

from django.db import connection, transaction
from django.db.models import Field

from bureau.audit import links
from bureau.audit.models import AuditChainHead, AuditEvent


def seal(workspace_id: int | None) -> int:
    """Number and link every unsealed event of one chain, oldest first (the one place events
    join a chain). Returns how many it sealed; a row whose own MAC does not hold (written
    without the key) is left unsealed for verify to report.

    Optimistic: the head and the waiting events are read without a lock and linked in Python,
    then one short write moves the head and seals the events only if the head is still where
    it was read. Another seal that got there first makes that write change nothing, and this
    one reads again. So the head is locked for that one write (on PostgreSQL a single
    statement), not for the reads and the hashing."""
    chain = links.chain_name(workspace_id)
    total = lost = after = 0
    while lost < SEAL_ATTEMPTS:
        # The waiting events with the head beside them, one statement (one snapshot): a page's
        # seal is a read and a write. Nothing waiting, no head needed.
        params = [chain, chain, *([] if workspace_id is None else [workspace_id]), after]
        fetched: list[AuditEvent] = list(
            AuditEvent.objects.raw(
                _waiting_sql(connection.vendor, workspace_id is None), [*params, SEAL_BATCH]
            )
        )
        if not fetched:
            return total
        head: tuple[int, str] = (fetched[0].head_seq, fetched[0].head_hash)  # type: ignore[attr-defined]
        if head[0] is None:
            AuditChainHead.objects.get_or_create(chain=chain)
            lost += 1
            continue
        # Rows that fail their MAC stay where they are (verify names them) and are stepped over.
        batch = [e for e in fetched if written_by_bureau(e)]
        if batch and not _advance(chain, head, linked(head, batch)):
            lost += 1
            continue
        total += len(batch)
        if len(fetched) < SEAL_BATCH:
            # All that was waiting when read. Anything committed since has a seal of its own
            # coming; no need to read again.
            return total
        after = fetched[-1].pk
    return total


@cache
def _waiting_sql(vendor: str, global_chain: bool) -> str:
    """The seal's read, written out once per process: it runs after every audited request, and
    through the ORM (a filter, two subqueries for the head) building it cost more CPU than the
    database took to answer. Names come from the models; the head is the chain's first row, as
    `get_or_create` leaves it. `raw()` applies the model fields' converters, as a queryset does."""
    quote = connection.ops.quote_name

    def columns(model: type[AuditEvent] | type[AuditChainHead]) -> dict[str, str]:
        fields = [f for f in model._meta.concrete_fields if isinstance(f, Field)]
        return {f.name: quote(f.column) for f in fields if f.column}

    event, head = columns(AuditEvent), columns(AuditChainHead)
    events, heads = quote(AuditEvent._meta.db_table), quote(AuditChainHead._meta.db_table)

    def of_head(name: str) -> str:
        return (
            f"(SELECT {head[name]} FROM {heads} WHERE {head['chain']} = %s"  # noqa: S608 - names from the models
            f" ORDER BY {head['id']} LIMIT 1)"
        )

    workspace = f"{event['workspace']} IS NULL" if global_chain else f"{event['workspace']} = %s"
    return (
        f"SELECT {', '.join(event.values())}, {of_head('seq')} AS head_seq, "  # noqa: S608 - names from the models
        f"{of_head('hash')} AS head_hash FROM {events} "
        f"WHERE {workspace} AND {event['seq']} IS NULL AND {event['id']} > %s "
        f"ORDER BY {event['id']} LIMIT %s"
    )


def linked(head: tuple[int, str], batch: list[AuditEvent]) -> list[AuditEvent]:
    """Number and link `batch` from `head` (seq, hash), in order."""
    seq, prev = head
    for event in batch:
        seq += 1
        event.seq, event.prev_hash = seq, prev
        event.hash = prev = links.link(prev, event)
    return batch


def written_by_bureau(event: AuditEvent) -> bool:
    """An unsealed event's hash is the MAC of its own content under the key."""
    return hmac.compare_digest(event.hash, links.link("", event))


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
