"""Events are written unsealed (no seq yet) and sealed into their chain right after their
transaction commits (bureau.audit.chain): seq becomes nullable, and the append-only guards let
exactly one UPDATE through, the seal, which changes nothing but seq and the hashes."""

from django.conf import settings
from django.db import migrations, models

from bureau.audit.migrations_sql import (
    APPEND_ONLY_SEALING_SQL,
    APPEND_ONLY_SQL,
    SQLITE_APPEND_ONLY_SQL,
    SQLITE_TRIGGERS,
)


def guards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SEALING_SQL, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        # Altering `seq` rebuilt the table, which took its triggers: put the new ones in.
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}", params=None)
        for statement in SQLITE_APPEND_ONLY_SQL:
            schema_editor.execute(statement, params=None)


def no_sealing(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(APPEND_ONLY_SQL, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0014_workqueue_actions"),
        ("tenancy", "0002_practice_claim_sequence"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="prev_hash",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="auditevent",
            index=models.Index(
                condition=models.Q(("seq__isnull", True)),
                fields=["workspace", "id"],
                name="audit_unsealed",
            ),
        ),
        migrations.RunPython(guards, no_sealing),
    ]
