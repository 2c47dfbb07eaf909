"""The database guards that make the audit table append-only, on PostgreSQL and on SQLite.

Both refuse every UPDATE, and every DELETE except retention's: a row more than seven years old,
in a transaction that opened the guard (`audit_purge`). PostgreSQL's opening is a
transaction-local setting; SQLite has none, so it is a row in `audit_purge_permit` that the
purge inserts and removes inside its transaction.
"""

from __future__ import annotations

from typing import Any

APPEND_ONLY_SQL = """
CREATE OR REPLACE FUNCTION bureau_audit_append_only() RETURNS trigger AS $$
BEGIN
    -- Retention purge: rows past seven years, in a transaction that asked for it.
    IF TG_OP = 'DELETE'
       AND current_setting('bureau.audit_purge', true) = 'on'
       AND OLD.occurred_at < now() - interval '7 years' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_append_only ON audit_auditevent;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_auditevent
    FOR EACH ROW EXECUTE FUNCTION bureau_audit_append_only();
"""

# Sealing (0015): the one UPDATE allowed gives an unsealed event its number and link; every
# other column must stay as it was written.
SEALED_COLUMNS = (
    "id", "workspace_id", "occurred_at", "user_id", "actor_label", "practice_id", "action",
    "model", "record_ids", "ip", "user_agent", "request_id", "reason", "detail",
)  # fmt: skip
_PG_SAME = (
    ", ".join(f"NEW.{c}" for c in SEALED_COLUMNS),
    ", ".join(f"OLD.{c}" for c in SEALED_COLUMNS),
)
APPEND_ONLY_SEALING_SQL = f"""
CREATE OR REPLACE FUNCTION bureau_audit_append_only() RETURNS trigger AS $$
BEGIN
    -- Retention purge: rows past seven years, in a transaction that asked for it.
    IF TG_OP = 'DELETE'
       AND current_setting('bureau.audit_purge', true) = 'on'
       AND OLD.occurred_at < now() - interval '7 years' THEN
        RETURN OLD;
    END IF;
    -- Sealing: an unsealed event gets its seq and hashes, and nothing else changes.
    IF TG_OP = 'UPDATE' AND OLD.seq IS NULL AND NEW.seq IS NOT NULL
       AND ({_PG_SAME[0]}) IS NOT DISTINCT FROM ({_PG_SAME[1]}) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""
_SQLITE_SAME = " AND ".join(f"NEW.{c} IS OLD.{c}" for c in SEALED_COLUMNS)

DROP_SQL = """
DROP TRIGGER IF EXISTS audit_append_only ON audit_auditevent;
DROP FUNCTION IF EXISTS bureau_audit_append_only();
"""

PURGE_PERMIT_TABLE = "audit_purge_permit"
SQLITE_TRIGGERS = ("audit_append_only_update", "audit_append_only_delete")

# One statement each: SQLite's driver runs one at a time. Django stores datetimes on SQLite as
# "YYYY-MM-DD HH:MM:SS[.ffffff]" in UTC, which compares as text with datetime('now', ...).
SQLITE_APPEND_ONLY_SQL = (
    "CREATE TABLE IF NOT EXISTS audit_purge_permit (id INTEGER PRIMARY KEY CHECK (id = 1))",
    f"""CREATE TRIGGER IF NOT EXISTS audit_append_only_update
    BEFORE UPDATE ON audit_auditevent
    WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {_SQLITE_SAME})
    BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_append_only_delete
    BEFORE DELETE ON audit_auditevent
    WHEN NOT (
        EXISTS (SELECT 1 FROM audit_purge_permit)
        AND OLD.occurred_at < datetime('now', '-7 years')
    )
    BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: DELETE refused'); END""",
)

SQLITE_DROP_SQL = (
    *(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS),
    "DROP TABLE IF EXISTS audit_purge_permit",
)


def install_sqlite_guard(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in SQLITE_APPEND_ONLY_SQL:
            cursor.execute(statement)


def drop_sqlite_triggers(connection: Any) -> None:
    """What an attacker with the database file can do (tests), and what a flush needs."""
    with connection.cursor() as cursor:
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
