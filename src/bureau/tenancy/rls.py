"""PostgreSQL row-level security: the third layer.

Every PHI table gets a policy comparing its `practice_id` with the transaction setting
`app.practice_ids`. The setting is local to the transaction (`set_config(..., true)`), so a request,
task or command that forgets to set it sees zero PHI rows rather than someone else's.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.apps import apps
from django.db import connection, transaction
from django.db.backends.base.base import BaseDatabaseWrapper

SETTING = "app.practice_ids"
POLICY = "practice_isolation"


class ScopeOutsideTransaction(RuntimeError):
    """The RLS setting lives for one transaction; setting it in autocommit mode does nothing."""


def activate(practice_ids: Iterable[int]) -> None:
    """Let the current transaction see rows of these practices (PostgreSQL; no-op elsewhere)."""
    if connection.vendor != "postgresql":
        return
    if not connection.in_atomic_block:
        raise ScopeOutsideTransaction("practice scope must be set inside transaction.atomic()")
    value = ",".join(str(pid) for pid in sorted(set(practice_ids)))
    # Our backend remembers what this transaction already holds (and forgets it at commit,
    # rollback, savepoint rollback or reconnect): a repeat costs no round trip.
    if getattr(connection, "rls_scope", None) == value:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [SETTING, value])
    _remember(value)


def _remember(value: str | None) -> None:
    if hasattr(connection, "rls_scope"):
        connection.rls_scope = value


def current() -> set[int]:
    """The practices the current transaction's setting admits (empty outside PostgreSQL)."""
    if connection.vendor != "postgresql":
        return set()
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [SETTING])
        row = cursor.fetchone()
    value = (row[0] or "") if row else ""
    if connection.in_atomic_block:
        _remember(value)  # the server's word: corrects anything set behind activate's back
    return {int(v) for v in value.split(",") if v.strip()}


def widen(practice_ids: set[int]) -> None:
    """Make the transaction's setting admit these practices too, keeping what the caller
    already opened (PostgreSQL; no-op elsewhere)."""
    if connection.vendor != "postgresql":
        return
    opened = current()
    if not practice_ids <= opened:
        activate(opened | practice_ids)


@contextmanager
def practice_scope(practice_ids: Iterable[int]) -> Iterator[None]:
    """A transaction in which the given practices' rows are visible: for commands, tasks and
    the demo seed, which act for the system rather than for a person."""
    with transaction.atomic():
        activate(practice_ids)
        yield


def phi_tables() -> list[str]:
    from bureau.tenancy.scoping import PracticeScoped

    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, PracticeScoped) and not model._meta.proxy
    )


def install_policies(db: BaseDatabaseWrapper, app_role: str = "") -> None:
    """Enable RLS with the practice policy on every PHI table; grant the runtime role.

    Runs after every `migrate`, so a PHI model added later is covered by construction, and the
    test suite checks that every `PracticeScoped` table has its policy.
    """
    if db.vendor != "postgresql":
        return
    # The setting parsed once per query (a scalar subquery is an InitPlan; the outer cast makes
    # ANY take it as one array, not as a subquery of rows), not once per row: current_setting
    # is only stable, so written inline PostgreSQL parses the list again for every row it
    # filters (a count of 650 claims spent most of its time there).
    predicate = (
        "practice_id = ANY ((SELECT string_to_array(NULLIF(current_setting('app.practice_ids',"
        " true), ''), ',')::bigint[])::bigint[])"
    )
    with db.cursor() as cursor:
        for table in phi_tables():
            quoted = db.ops.quote_name(table)
            cursor.execute(f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {quoted}")
            cursor.execute(
                f"CREATE POLICY {POLICY} ON {quoted} USING ({predicate}) WITH CHECK ({predicate})"
            )
        if app_role:
            role = db.ops.quote_name(app_role)
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {role}")
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {role}"
            )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}")
