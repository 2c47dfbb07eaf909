from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.db import connections
from django.db.models.signals import post_migrate


def _restore_sqlite_guard(using: str = "default", **kwargs: Any) -> None:
    """SQLite drops a table's triggers with the table, and Django rebuilds a table to alter it:
    after every migrate (and flush) put the append-only triggers back where they are due."""
    from bureau.audit.migrations_sql import PURGE_PERMIT_TABLE, install_sqlite_guard

    connection = connections[using]
    if connection.vendor != "sqlite":
        return
    tables = connection.introspection.table_names()
    if PURGE_PERMIT_TABLE in tables and "audit_auditevent" in tables:
        install_sqlite_guard(connection)


class AuditConfig(AppConfig):
    name = "bureau.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        post_migrate.connect(_restore_sqlite_guard, sender=self)
