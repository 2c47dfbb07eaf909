"""Proof the purge did what it says: 0 rows of the practice left in every purged table and 0
files in every storage location, every other practice's counts as they were, and the ledger
check and the audit chains still passing (the same functions as `bureau ledger check` and
`bureau audit verify`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection

from bureau.audit.chain import audit_verify_all
from bureau.ledger.check import ledger_check
from bureau.offboarding.catalog import StoredFile, purged_tables
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

Counts = dict[str, dict[int, int]]  # table label → {practice id: rows}


def counts_by_practice() -> Counts:
    """Rows per practice in every purged table (counts only, no row is read). Inside a
    transaction; on PostgreSQL the scope admits every practice for these counts alone."""
    rls.activate(Practice.objects.values_list("pk", flat=True))
    counts: Counts = {}
    with connection.cursor() as cursor:
        for table in purged_tables():
            source, practice_column = table.practice_sql()
            cursor.execute(
                f"SELECT {practice_column}, COUNT(*) FROM {source} GROUP BY {practice_column}"  # noqa: S608 (our table names)
            )
            counts[table.label] = {
                int(pid): int(n) for pid, n in cursor.fetchall() if pid is not None
            }
    return counts


@dataclass
class Verification:
    remaining: dict[str, int] = field(default_factory=dict)  # tables with rows left
    others_changed: list[str] = field(default_factory=list)
    files_remaining: list[str] = field(default_factory=list)
    ledger_problems: list[str] = field(default_factory=list)
    audit_problems: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not (
            self.remaining
            or self.others_changed
            or self.files_remaining
            or self.ledger_problems
            or self.audit_problems
        )

    def problems(self) -> list[str]:
        said = [f"{label}: {n} rows left" for label, n in sorted(self.remaining.items())]
        said += self.others_changed + [f"file left: {p}" for p in self.files_remaining]
        return said + self.ledger_problems + self.audit_problems


def verify_rows(practice: Practice, before: Counts, after: Counts) -> Verification:
    """The database half, inside the purge's transaction: a failure rolls the purge back."""
    found = Verification()
    for label, per_practice in after.items():
        left = per_practice.get(practice.pk, 0)
        if left:
            found.remaining[label] = left
        for pid in set(per_practice) | set(before.get(label, {})):
            if pid == practice.pk:
                continue
            was, now = before.get(label, {}).get(pid, 0), per_practice.get(pid, 0)
            if was != now:
                found.others_changed.append(f"{label}: practice {pid} had {was} rows, now {now}")
    found.ledger_problems = [str(p) for p in ledger_check()]
    found.audit_problems = [str(p) for p in audit_verify_all()]
    return found


def verify_files(files: list[StoredFile]) -> dict[str, int]:
    """Files still on disk per storage location (after the deletes): all zeros when done."""
    left: dict[str, int] = {}
    for stored in files:
        left.setdefault(stored.location, 0)
        if stored.path.exists():
            left[stored.location] += 1
    return left
