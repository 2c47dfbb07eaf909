"""The ledger stays append-only, except inside one practice's approved purge (PostgreSQL).

`bureau_ledger_append_only()` (remittance 0002) refused every UPDATE and DELETE of ledger and
PLB entries. It now lets a DELETE through when a purge permit for the row's practice exists: the
purge writes that permit and deletes it again in its own transaction (`purge.py`), so no other
transaction, practice or statement kind is ever let through. UPDATE stays refused always.
SQLite has no such trigger (the ledger's services are the only writers there).
"""

from django.db import migrations

ALLOWING = """
CREATE OR REPLACE FUNCTION bureau_ledger_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' AND EXISTS (
        SELECT 1 FROM offboarding_purgepermit WHERE practice_id = OLD.practice_id
    ) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% is append-only: % refused (post a reversal instead)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""

REFUSING = """
CREATE OR REPLACE FUNCTION bureau_ledger_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused (post a reversal instead)', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(ALLOWING, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(REFUSING, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("offboarding", "0001_offboarding"),
        ("remittance", "0008_claim_adjudication"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
