"""The reads behind `resolve_actor`, written out in SQL once per process.

They run on every request: two queries, the workspace with the user's live grants, then the
practices those reach. Through the ORM, building and compiling them cost about 1 ms of CPU per
page, roughly ten times what the database took to answer them. The SQL is built from the
models' own table and column names. Practices and the workspace still come back as model
instances (`raw()` applies the same field converters). What counts as a live grant is written
twice: here, and in `GrantQuerySet.live`. A test holds the two to the same answers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cache
from operator import attrgetter
from typing import Any

from django.db import connection, models
from django.db.models.options import Options

from bureau.tenancy.models import Grant, Practice, Workspace


def _column(meta: Options[Any], name: str) -> str:
    """The quoted column of field `name` (a concrete field: a foreign key's `_id` column)."""
    field = meta.get_field(name)
    if not isinstance(field, models.Field) or not field.column:
        raise TypeError(f"{meta.label}.{name} has no column")
    return connection.ops.quote_name(field.column)


def _columns(meta: Options[Any]) -> str:
    return ", ".join(_column(meta, f.name) for f in meta.concrete_fields)


def _table(meta: Options[Any]) -> str:
    return connection.ops.quote_name(meta.db_table)


@cache
def _grants_sql(vendor: str) -> str:
    """The workspace with the user's live grants in it: one row per grant and provider of its
    subset, one row with no grant when there is none, no row when the workspace is gone."""
    grant = Grant._meta
    through = Grant.providers.through._meta
    workspace = Workspace._meta
    # The through table's two foreign keys: to the grant and to the provider.
    to_grant = next(
        f.name for f in through.concrete_fields if f.is_relation and f.related_model is Grant
    )
    to_provider = next(
        f.name for f in through.concrete_fields if f.is_relation and f.related_model is not Grant
    )

    def g(name: str) -> str:
        return f"g.{_column(grant, name)}"

    def w(name: str) -> str:
        return f"w.{_column(workspace, name)}"

    # The workspace's own columns keep their names (raw() builds the instance from them); the
    # grant's are named apart.
    return (
        f"SELECT {', '.join(w(f.name) for f in workspace.concrete_fields)}, "  # noqa: S608 - names from the models
        f"{g('id')} AS grant_id, {g('role')} AS grant_role, "
        f"{g('read_only')} AS grant_read_only, {g('practice')} AS grant_practice_id, "
        f"gp.{_column(through, to_provider)} AS grant_provider_id "
        f"FROM {_table(workspace)} w "
        f"LEFT OUTER JOIN {_table(grant)} g ON {g('workspace')} = {w('id')} "
        f"AND {g('user')} = %s AND {g('revoked_at')} IS NULL "
        f"AND ({g('expires_at')} IS NULL OR {g('expires_at')} > %s) "
        f"LEFT OUTER JOIN {_table(through)} gp ON gp.{_column(through, to_grant)} = {g('id')} "
        f"WHERE {w('id')} = %s"
    )


GrantRow = tuple[int, str, bool, int | None, int | None]
_grant_columns = attrgetter(
    "grant_id", "grant_role", "grant_read_only", "grant_practice_id", "grant_provider_id"
)


def workspace_with_grants(
    user_id: int, workspace_id: int, now: datetime
) -> tuple[Workspace | None, list[GrantRow]]:
    """The workspace (None if it is gone) and, in the same query, (grant id, role, read only,
    practice id or None, provider id or None) for each live grant of the user in it: one row
    per grant and provider of its subset (a grant without a subset has one row, with provider
    None). The grants `Grant.objects.live(now)` gives."""
    sql = _grants_sql(connection.vendor)
    params = [user_id, connection.ops.adapt_datetimefield_value(now), workspace_id]
    found = list(Workspace.objects.raw(sql, params))
    if not found:
        return None, []
    grants = []
    for row in found:
        pk, role, read_only, practice_id, provider_id = _grant_columns(row)
        if pk is not None:  # the one row of a workspace where the user has no live grant
            grants.append((pk, role, bool(read_only), practice_id, provider_id))
    return found[0], grants


def live_grant_rows(user_id: int, workspace_id: int, now: datetime) -> list[GrantRow]:
    """The live grants alone (see `workspace_with_grants`)."""
    return workspace_with_grants(user_id, workspace_id, now)[1]


@cache
def _practices_sql(vendor: str, statuses: int, ids: int) -> str:
    """Practices of a workspace in some statuses (and among some ids, when `ids` > 0), in the
    model's order (by name)."""
    meta = Practice._meta
    marks = ", ".join(["%s"] * statuses)
    sql = (
        f"SELECT {_columns(meta)} FROM {_table(meta)} "  # noqa: S608 - names from the model
        f"WHERE {_column(meta, 'workspace')} = %s AND {_column(meta, 'status')} IN ({marks})"
    )
    if ids:
        sql += f" AND {_column(meta, 'id')} IN ({', '.join(['%s'] * ids)})"
    return sql + f" ORDER BY {_column(meta, 'name')}, {_column(meta, 'id')}"


def visible_practices(
    workspace_id: int, statuses: Sequence[str], ids: Iterable[int] | None = None
) -> list[Practice]:
    """The workspace's practices in `statuses` (only those among `ids`, when given), by name."""
    wanted = sorted(set(ids)) if ids is not None else []
    if ids is not None and not wanted:
        return []
    sql = _practices_sql(connection.vendor, len(statuses), len(wanted))
    return list(Practice.objects.raw(sql, [workspace_id, *statuses, *wanted]))
