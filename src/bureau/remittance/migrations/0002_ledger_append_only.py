"""The ledger and PLB postings are append-only: PostgreSQL refuses UPDATE and DELETE on them."""

from django.db import migrations

TABLES = ("remittance_ledgerentry", "remittance_provideradjustmententry")

FUNCTION = """
CREATE OR REPLACE FUNCTION bureau_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (post a reversal instead)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

FORWARD = FUNCTION + "".join(
    f"""
DROP TRIGGER IF EXISTS ledger_append_only ON {table};
CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION bureau_ledger_append_only();
"""
    for table in TABLES
)

BACKWARD = "".join(f"DROP TRIGGER IF EXISTS ledger_append_only ON {t};\n" for t in TABLES) + (
    "DROP FUNCTION IF EXISTS bureau_ledger_append_only();\n"
)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("remittance", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
