"""Taking in an LEIE file: the full list replaces the workspace's list, an exclusions
supplement adds to it, a reinstatements supplement takes people off it.

One transaction per file, with its audit event: a file that fails to parse at its last line
leaves nothing behind. Rows are stored in batches as they are read, so the 80,000-row list is
never held whole.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.compliance.leie import LeieError, LeieRecord, read_leie
from bureau.compliance.matching import fold
from bureau.compliance.models.screening import ExclusionEntry, ExclusionListImport, ListKind
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability

if TYPE_CHECKING:
    from bureau.tenancy.actor import Actor

BATCH = 1000


def listing_identity(
    *,
    last_name: str,
    first_name: str,
    business_name: str,
    dob: object,
    npi: str,
    exclusion_date: object,
) -> str:
    """The same listing across files (name, DOB, NPI, exclusion date), as a digest: how a
    reinstatement finds its entry and a resolved hit recognizes next month's copy."""
    parts = (fold(last_name), fold(first_name), fold(business_name), str(dob), npi)
    text = "|".join((*parts, str(exclusion_date)))
    return hashlib.sha256(text.encode()).hexdigest()


def record_identity(record: LeieRecord) -> str:
    return listing_identity(
        last_name=record.last_name,
        first_name=record.first_name,
        business_name=record.business_name,
        dob=record.dob,
        npi=record.npi,
        exclusion_date=record.exclusion_date,
    )


def in_force(workspace: Workspace) -> Q:
    """Entries that match today: not replaced by a later full list, not reinstated."""
    today = timezone.localdate()
    return Q(workspace=workspace, retired_by__isnull=True, reinstated_by__isnull=True) & (
        Q(reinstatement_date__isnull=True) | Q(reinstatement_date__gt=today)
    )


def lock_screening(workspace: Workspace) -> None:
    """Hold the workspace's row until the transaction ends: imports and runs of one workspace
    take turns (PostgreSQL; SQLite's single writer already does)."""
    list(Workspace.objects.select_for_update().filter(pk=workspace.pk).values_list("pk"))


class _Hashed:
    """The file's lines, hashed as the reader takes them (SHA-256 of every byte)."""

    def __init__(self, lines: Iterable[bytes]):
        self._lines = lines
        self.digest = hashlib.sha256()

    def __iter__(self) -> Iterator[bytes]:
        for line in self._lines:
            self.digest.update(line)
            yield line


def _batches(records: Iterator[LeieRecord]) -> Iterator[list[LeieRecord]]:
    batch: list[LeieRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _entry(record: LeieRecord, listing: ExclusionListImport, identity: str) -> ExclusionEntry:
    return ExclusionEntry(
        workspace_id=listing.workspace_id,
        added_by=listing,
        last_name=record.last_name,
        first_name=record.first_name,
        middle_name=record.middle_name,
        business_name=record.business_name,
        last_key=fold(record.last_name)[:100],
        first_key=fold(record.first_name)[:100],
        general=record.general,
        specialty=record.specialty,
        npi=record.npi,
        dob=record.dob,
        state=record.state,
        exclusion_type=record.exclusion_type,
        exclusion_date=record.exclusion_date,
        reinstatement_date=record.reinstatement_date,
        identity=identity,
    )


def _add(batch: list[LeieRecord], listing: ExclusionListImport, *, skip_listed: bool) -> None:
    """Store the batch's entries; a supplement skips a listing already in force."""
    identities = [record_identity(r) for r in batch]
    present: set[str] = set()
    if skip_listed:
        present = set(
            ExclusionEntry.objects.filter(in_force(listing.workspace), identity__in=identities)
            .values_list("identity", flat=True)
            .distinct()
        )
    new = []
    for record, identity in zip(batch, identities, strict=True):
        if identity not in present:
            new.append(_entry(record, listing, identity))
            present.add(identity)
    ExclusionEntry.objects.bulk_create(new, batch_size=BATCH)
    listing.rows_added += len(new)


def _reinstate(batch: list[LeieRecord], listing: ExclusionListImport) -> None:
    """Mark the entries each row names as reinstated; rows naming none are counted."""
    by_identity: dict[str, LeieRecord] = {}
    for record in batch:
        if record.reinstatement_date is None:
            raise LeieError("a reinstatement with no date", line=record.line, column="REINDATE")
        by_identity[record_identity(record)] = record
    found = ExclusionEntry.objects.filter(
        in_force(listing.workspace), identity__in=list(by_identity)
    ).only("id", "identity")
    matched: set[str] = set()
    for entry in found:
        ExclusionEntry.objects.filter(pk=entry.pk).update(
            reinstated_by=listing,
            reinstatement_date=by_identity[entry.identity].reinstatement_date,
        )
        matched.add(entry.identity)
        listing.rows_reinstated += 1
    listing.rows_unmatched += sum(1 for r in batch if record_identity(r) not in matched)


@dataclass(frozen=True)
class ImportSource:
    """A file to take in: its name as the officer knows it, and its bytes line by line."""

    file_name: str
    lines: Iterable[bytes]

    @classmethod
    def of(cls, file_name: str, handle: BinaryIO) -> ImportSource:
        return cls(file_name=file_name, lines=handle)


@transaction.atomic
def exclusion_list_import(
    *, workspace: Workspace, actor: Actor | None, kind: ListKind, source: ImportSource
) -> ExclusionListImport:
    """Take in one LEIE file for `workspace`. `actor` None: the system (the command).
    Raises LeieError (nothing kept) for a bad file, CapabilityDenied without compliance.manage."""
    if actor is not None and (
        actor.workspace.pk != workspace.pk or not actor.can_workspace(Capability.COMPLIANCE_MANAGE)
    ):
        raise CapabilityDenied(Capability.COMPLIANCE_MANAGE)
    lock_screening(workspace)
    listing = ExclusionListImport.objects.create(
        workspace=workspace,
        kind=kind,
        file_name=source.file_name[:255],
        sha256="",
        imported_by=actor.user if actor else None,
        imported_at=timezone.now(),
    )
    hashed = _Hashed(source.lines)
    for batch in _batches(read_leie(hashed)):
        listing.rows_read += len(batch)
        if kind == ListKind.REINSTATEMENTS:
            _reinstate(batch, listing)
        else:
            _add(batch, listing, skip_listed=kind == ListKind.EXCLUSIONS)
    if kind == ListKind.FULL and listing.rows_read == 0:
        # A full list replaces the list in force: one with no rows (a header alone, a file cut
        # short) would take every exclusion off, and the next run would clear everyone. OIG's
        # UPDATED.csv is never empty; a month with nothing new comes as an empty supplement.
        raise LeieError(
            "a full list with no rows would take every exclusion off the list in force "
            "(is this OIG's UPDATED.csv?)"
        )
    if kind == ListKind.FULL:
        listing.rows_retired = (
            ExclusionEntry.objects.filter(workspace=workspace, retired_by__isnull=True)
            .exclude(added_by=listing)
            .update(retired_by=listing)
        )
    listing.sha256 = hashed.digest.hexdigest()
    listing.save()
    audit_record(
        action=AuditAction.EXCLUSION_LIST_IMPORTED,
        actor=actor,
        workspace=workspace,
        model="compliance.ExclusionListImport",
        record_ids=[listing.public_id],
        label="" if actor else "system (exclusion list import)",
        detail={
            "file": listing.file_name,
            "kind": str(kind),
            "sha256": listing.sha256,
            "rows_read": listing.rows_read,
            "rows_added": listing.rows_added,
            "rows_retired": listing.rows_retired,
            "rows_reinstated": listing.rows_reinstated,
            "rows_unmatched": listing.rows_unmatched,
        },
    )
    return listing
