"""The purge: every row of the practice in every purged table, in one transaction, and its
stored files after that transaction commits.

Rows are deleted table by table, children first (`catalog.purged_tables`), by one DELETE per
table narrowed to the practice and its workspace; on PostgreSQL under row-level security
admitting this practice alone, so no statement here can reach another practice's rows. The
ledger's append-only trigger lets the ledger's DELETEs through only while this transaction
holds a purge permit for the practice (offboarding migration 0002); the permit is deleted
again before commit. Files go after commit (`transaction.on_commit`): a purge rolled back
leaves every file in place.
"""

from __future__ import annotations

from pathlib import Path

from django.db import connection, transaction

from bureau.claims.batches import outbox_dir
from bureau.claims.models import Batch
from bureau.offboarding.catalog import BUNDLES, OUTBOX, StoredFile, purged_tables
from bureau.offboarding.models import Offboarding, PurgePermit
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

REASON = "offboarding purge of the practice's data"


def stored_files(practice: Practice, offboarding: Offboarding) -> list[StoredFile]:
    """The practice's files on disk, per storage location: the 837P files its batches left in
    the clearinghouse outbox, and its export bundle. (The 837P and 835 content, letters and
    report PDFs are columns of purged rows: they go with them.)"""
    found: list[StoredFile] = []
    with transaction.atomic():
        batches = Batch.objects.for_system([practice.pk], reason=REASON).values_list(
            "route", "file_name"
        )
        for route, file_name in batches:
            path = outbox_dir(route) / Path(file_name).name
            found.append(StoredFile(OUTBOX, path))
    if offboarding.bundle_path:
        found.append(StoredFile(BUNDLES, Path(offboarding.bundle_path)))
    return found


def purge_rows(practice: Practice, offboarding: Offboarding) -> dict[str, int]:
    """Delete the practice's rows of every purged table; {table label: rows deleted}. Runs in
    the caller's transaction."""
    if not connection.in_atomic_block:
        raise RuntimeError("the purge runs inside its transaction")
    rls.activate([practice.pk])
    permit = PurgePermit.objects.create(practice=practice, offboarding=offboarding)
    deleted: dict[str, int] = {}
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        for table in purged_tables():
            via = table.via
            if via is None:
                cursor.execute(
                    f"DELETE FROM {quote(table.db_table)} WHERE practice_id = %s"  # noqa: S608 (our table names)
                    " AND workspace_id = %s",
                    [practice.pk, practice.workspace_id],
                )
            else:  # a child table: its rows under the practice's parent rows
                column, parent = via
                cursor.execute(
                    f"DELETE FROM {quote(table.db_table)} WHERE {quote(column)} IN"  # noqa: S608 (our table names)
                    f" (SELECT id FROM {quote(parent.db_table)}"
                    " WHERE practice_id = %s AND workspace_id = %s)",
                    [practice.pk, practice.workspace_id],
                )
            deleted[table.label] = max(cursor.rowcount, 0)
    permit.delete()
    return deleted


def delete_files(files: list[StoredFile]) -> list[StoredFile]:
    """Remove the files; return those still there (a delete refused by the disk)."""
    left = []
    for stored in files:
        try:
            stored.path.unlink(missing_ok=True)
        except OSError:
            pass
        if stored.path.exists():
            left.append(stored)
    return left
