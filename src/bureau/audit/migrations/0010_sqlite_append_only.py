"""SQLite refuses UPDATE and DELETE on the audit table as PostgreSQL does (0003); retention's
purge is the one way through (see bureau.audit.migrations_sql)."""

from django.db import migrations

from bureau.audit.migrations_sql import SQLITE_APPEND_ONLY_SQL, SQLITE_DROP_SQL


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_APPEND_ONLY_SQL:
            schema_editor.execute(statement, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_DROP_SQL:
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0009_keyed_chain")]
    operations = [migrations.RunPython(forwards, backwards)]
