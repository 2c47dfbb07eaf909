"""Where the book's rows go: PostgreSQL COPY for the big tables, `bulk_create` on SQLite.

Rows are tuples in a table's column order, with primary keys the generator chose itself from
ranges it reserved (`IdRange`), so a child row names its parent without reading anything back.

On PostgreSQL the load runs as the table owner (system work, like `seed-demo`; the owner is not
subject to row-level security, which is only ENABLEd, so COPY is allowed). Before loading, the
foreign keys, unique constraints and secondary indexes of the loaded tables are dropped and,
after loading, recreated from the definitions PostgreSQL itself printed for them
(`pg_get_constraintdef`, `pg_indexes`): one index build and one validating join per constraint
instead of one index insert and one key check per row. All of it happens in the caller's
transaction, so a failed run leaves nothing behind — and holds exclusive locks on those tables
while it runs: generate a book on a database nobody is working in. `public_id` columns get
`gen_random_uuid()` as their default for the length of the transaction, so the UUIDs are made
by the server rather than in Python.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from django.db import connection, models

FLUSH_ROWS = 50_000


class IdRange:
    """Fresh primary keys for one table, handed out in blocks reserved from its sequence
    (PostgreSQL: one `setval` per block; nobody else may insert meanwhile) or after its
    largest id (SQLite, where an explicit id moves the AUTOINCREMENT counter itself)."""

    BLOCK = 100_000

    def __init__(self, model: type[models.Model]) -> None:
        self.table = model._meta.db_table
        self.next = 0
        self.end = 0  # exclusive
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {self.table}")  # noqa: S608
                self.next = self.end = cursor.fetchone()[0] + 1
                self.end = 2**62  # single writer: the whole range is ours

    def __call__(self) -> int:
        if self.next >= self.end:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                    " nextval(pg_get_serial_sequence(%s, 'id')) + %s)",
                    [self.table, self.table, self.BLOCK - 1],
                )
                last = cursor.fetchone()[0]
            self.next, self.end = last - self.BLOCK + 1, last + 1
        value = self.next
        self.next += 1
        return value


class Table:
    """Buffered rows of one model; `columns` are attnames and must name every concrete field
    but `public_id` (a forgotten column fails at once, not as a NULL deep in a load)."""

    def __init__(self, model: type[models.Model], columns: list[str]) -> None:
        self.model = model
        self.columns = columns
        fields = {f.attname for f in model._meta.concrete_fields} - {"public_id"}
        missing, unknown = fields - set(columns), set(columns) - fields
        if missing or unknown:
            raise ValueError(f"{model.__name__}: missing {missing}, unknown {unknown}")
        self.rows: list[tuple[Any, ...]] = []
        self.written = 0
        self.ids = IdRange(model)
        self.on_postgres = connection.vendor == "postgresql"
        by_attname = {f.attname: f for f in model._meta.concrete_fields}
        self.json = [isinstance(by_attname[c], models.JSONField) for c in columns]

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows.append(row)
        if len(self.rows) >= FLUSH_ROWS:
            self.flush()

    def flush(self) -> None:
        rows, self.rows = self.rows, []
        if not rows:
            return
        self.written += len(rows)
        if self.on_postgres:
            self._copy(rows)
        else:
            make = self.model
            cols = self.columns
            self.model._base_manager.bulk_create(
                [make(**dict(zip(cols, row, strict=True))) for row in rows], batch_size=2000
            )

    def _copy(self, rows: list[tuple[Any, ...]]) -> None:
        import json

        table = self.model._meta.db_table
        names = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        json_at = [i for i, is_json in enumerate(self.json) if is_json]
        raw = connection.connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
            for row in rows:
                if json_at:
                    values = list(row)
                    for i in json_at:
                        values[i] = json.dumps(values[i])
                    copy.write_row(values)
                else:
                    copy.write_row(row)


class BulkLoad:
    """The constraint and index dance around a PostgreSQL bulk load (see the module doc);
    a no-op on SQLite."""

    def __init__(self, models_: Iterable[type[models.Model]], say: Callable[[str], None]) -> None:
        self.tables = [m._meta.db_table for m in models_]
        self.say = say
        self.fks: list[tuple[str, str, str]] = []
        self.uniques: list[tuple[str, str, str]] = []
        self.indexes: list[str] = []
        self.on_postgres = connection.vendor == "postgresql"

    def __enter__(self) -> BulkLoad:
        if not self.on_postgres:
            return self
        with connection.cursor() as cursor:
            # Altering a table with deferred key checks still queued on it is refused: run
            # them now (rows written earlier in this transaction), then defer again.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid),"
                " c.contype FROM pg_constraint c WHERE c.conrelid = ANY(%s::regclass[])"
                " AND c.contype IN ('f', 'u') ORDER BY c.contype, c.conname",
                [self.tables],
            )
            for table, name, definition, kind in cursor.fetchall():
                (self.fks if kind == "f" else self.uniques).append((table, name, definition))
            cursor.execute(
                "SELECT i.indexdef, i.schemaname || '.' || i.indexname FROM pg_indexes i"
                " WHERE i.tablename = ANY(%s) AND i.schemaname = current_schema()"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid ="
                " (i.schemaname || '.' || i.indexname)::regclass)",
                [self.tables],
            )
            found = cursor.fetchall()
            self.indexes = [definition for definition, _ in found]
            for table, name, _ in self.fks + self.uniques:
                cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            for _, qualified in found:
                cursor.execute(f"DROP INDEX {qualified}")
            for table in self.tables:
                cursor.execute(
                    "SELECT 1 FROM information_schema.columns WHERE table_name = %s"
                    " AND column_name = 'public_id'",
                    [table],
                )
                if cursor.fetchone():
                    cursor.execute(
                        f"ALTER TABLE {table} ALTER COLUMN public_id SET DEFAULT gen_random_uuid()"
                    )
        self.say(
            f"  dropped {len(self.fks)} foreign keys, {len(self.uniques)} unique constraints "
            f"and {len(self.indexes)} indexes on {len(self.tables)} tables for the load"
        )
        return self

    def restore(self) -> None:
        if not self.on_postgres:
            return
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            for table in self.tables:
                cursor.execute(
                    "SELECT 1 FROM information_schema.columns WHERE table_name = %s"
                    " AND column_name = 'public_id'",
                    [table],
                )
                if cursor.fetchone():
                    cursor.execute(f"ALTER TABLE {table} ALTER COLUMN public_id DROP DEFAULT")
            for definition in self.indexes:
                cursor.execute(definition)
            for table, name, definition in self.uniques + self.fks:
                cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')

    def __exit__(self, *exc: object) -> None:
        return None

    def analyze(self) -> None:
        """Statistics and the visibility map, as autovacuum keeps them on a live database: a
        book loaded in bulk and only ANALYZEd fetches every row an index-only scan names
        (covering indexes, e.g. aging's open balances, read the heap as if not covering).
        VACUUM cannot run inside a transaction (a test's): there, statistics alone."""
        if not self.on_postgres:
            return
        statement = "ANALYZE" if connection.in_atomic_block else "VACUUM (ANALYZE)"
        with connection.cursor() as cursor:
            for table in self.tables:
                cursor.execute(f"{statement} {table}")
