"""Each claim's balance, kept beside its ledger entries (`ClaimBalance`, a projection).

`apply` adds a flush's entries to their claims' rows in the same transaction (an upsert that
adds, so two posters on one claim serialise on its row and neither loses the other's sums);
`rebuild` recomputes the rows of some practices from the ledger, set-based (after a bulk load
that wrote entries directly, or to repair); `drift` lists every claim whose row is not what its
entries add up to, for `bureau ledger check`. Money is summed in SQL and rounded to the cent:
SQLite keeps decimals as floating point, PostgreSQL as NUMERIC, and a balance is cents on both.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Min, Q, Sum

from bureau.claims.models import Claim
from bureau.ledger.models import ClaimBalance, EntryKind, LedgerEntry
from bureau.tenancy import rls

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
REASON = "claim balances"
TABLE = ClaimBalance._meta.db_table
COLUMNS = (
    "workspace_id, practice_id, public_id, claim_id, payer_id, encounter_id, "
    "date_of_service, first_charged, insurance, transferred"
)


def _earliest(a: str, b: str) -> str:
    """The earlier of two nullable dates in SQL both engines read (LEAST skips NULLs only on
    PostgreSQL; SQLite's min() answers NULL)."""
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL OR {a} <= {b} THEN {a} ELSE {b} END"


ON_CONFLICT = (
    "ON CONFLICT (claim_id) DO UPDATE SET "
    f"insurance = ROUND({TABLE}.insurance + excluded.insurance, 2), "
    f"transferred = ROUND({TABLE}.transferred + excluded.transferred, 2), "
    f"first_charged = {_earliest(f'{TABLE}.first_charged', 'excluded.first_charged')}"
)


@dataclass
class _Delta:
    insurance: Decimal = ZERO
    transferred: Decimal = ZERO
    first_charged: date | None = None

    def add(self, entry: dict[str, Any]) -> None:
        self.insurance += entry["amount"]
        if entry["kind"] == EntryKind.PATIENT_RESPONSIBILITY:
            self.transferred += entry["amount"]
        if entry["kind"] == EntryKind.CHARGE:
            day = entry["effective_date"]
            self.first_charged = day if self.first_charged is None else min(day, self.first_charged)


def apply(entries: Sequence[dict[str, Any]]) -> None:
    """Add `entries` (as `LedgerAppender.flush` wrote them) to their claims' balances, creating
    a claim's row with its first entries. In the caller's transaction, under its RLS scope."""
    deltas: dict[int, _Delta] = {}
    for entry in entries:
        deltas.setdefault(entry["claim_id"], _Delta()).add(entry)
    if not deltas:
        return
    ids = sorted(deltas)  # one order for every writer: two flushes lock rows alike, no deadlock
    rows = [deltas[i] for i in ids]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"INSERT INTO {TABLE} ({COLUMNS}) "  # noqa: S608 (names are ours, values params)
                "SELECT c.workspace_id, c.practice_id, d.public_id, c.id, c.payer_id, "
                "c.encounter_id, e.date_of_service, d.first_charged, d.insurance, d.transferred "
                "FROM unnest(%s::bigint[], %s::uuid[], %s::numeric[], %s::numeric[], %s::date[]) "
                "AS d(claim_id, public_id, insurance, transferred, first_charged) "
                "JOIN claims_claim c ON c.id = d.claim_id "
                "JOIN claims_encounter e ON e.id = c.encounter_id "
                "ORDER BY c.id " + ON_CONFLICT,
                [
                    ids,
                    [uuid.uuid4() for _ in ids],
                    [r.insurance for r in rows],
                    [r.transferred for r in rows],
                    [r.first_charged for r in rows],
                ],
            )
            return
        cursor.executemany(
            f"INSERT INTO {TABLE} ({COLUMNS}) "  # noqa: S608 (names are ours, values params)
            "SELECT c.workspace_id, c.practice_id, %s, c.id, c.payer_id, c.encounter_id, "
            "e.date_of_service, %s, %s, %s FROM claims_claim c "
            "JOIN claims_encounter e ON e.id = c.encounter_id WHERE c.id = %s " + ON_CONFLICT,
            [
                (uuid.uuid4().hex, r.first_charged, r.insurance, r.transferred, i)
                for i, r in zip(ids, rows, strict=True)
            ],
        )


def rebuild(practice_ids: Iterable[int]) -> int:
    """Recompute the balances of these practices' claims from their ledger entries (in the
    caller's transaction). Returns the number of claims with entries."""
    ids = sorted(set(practice_ids))
    if not ids:
        return 0
    rls.activate(ids)
    marks = ", ".join(["%s"] * len(ids))
    fresh_id = (
        "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    )
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE practice_id IN ({marks})", ids)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {TABLE} ({COLUMNS}) "  # noqa: S608 (names are ours, values params)
            f"SELECT c.workspace_id, c.practice_id, {fresh_id}, c.id, c.payer_id, c.encounter_id, "
            "e.date_of_service, MIN(CASE WHEN l.kind = %s THEN l.effective_date END), "
            "ROUND(SUM(l.amount), 2), "
            "ROUND(COALESCE(SUM(CASE WHEN l.kind = %s THEN l.amount END), 0), 2) "
            f"FROM {LedgerEntry._meta.db_table} l "
            "JOIN claims_claim c ON c.id = l.claim_id "
            "JOIN claims_encounter e ON e.id = c.encounter_id "
            f"WHERE l.practice_id IN ({marks}) "
            "GROUP BY c.id, c.workspace_id, c.practice_id, c.payer_id, c.encounter_id, "
            "e.date_of_service",
            [str(EntryKind.CHARGE), str(EntryKind.PATIENT_RESPONSIBILITY), *ids],
        )
        return int(cursor.rowcount)


def _cents(value: Any) -> Decimal:
    return ZERO if value is None else Decimal(str(value)).quantize(CENT)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def drift(practice_ids: Iterable[int]) -> list[tuple[str, str]]:
    """(claim number, what is wrong) for every claim of these practices whose balance row is
    missing, extra, or not what its entries and its claim say. Read-only."""
    ids = sorted(set(practice_ids))
    entries = LedgerEntry.objects.for_system(ids, reason=REASON)
    expected = {
        r["claim_id"]: (
            _cents(r["insurance"]),
            _cents(r["transferred"]),
            _day(r["first_charged"]),
        )
        for r in entries.order_by()
        .values("claim_id")
        .annotate(
            insurance=Sum("amount"),
            transferred=Sum("amount", filter=Q(kind=EntryKind.PATIENT_RESPONSIBILITY)),
            first_charged=Min("effective_date", filter=Q(kind=EntryKind.CHARGE)),
        )
        .iterator(chunk_size=10_000)
    }
    held = {
        r["claim_id"]: r
        for r in ClaimBalance.objects.for_system(ids, reason=REASON)
        .values(
            "claim_id",
            "insurance",
            "transferred",
            "first_charged",
            "payer_id",
            "encounter_id",
            "date_of_service",
            "practice_id",
        )
        .iterator(chunk_size=10_000)
    }
    claims = {
        r["id"]: r
        for r in Claim.objects.for_system(ids, reason=REASON)
        .filter(pk__in=set(expected) | set(held))
        .values("id", "number", "payer_id", "encounter_id", "practice_id")
        .annotate(service=Min("encounter__date_of_service"))
    }
    problems = []
    for claim_id in sorted(set(expected) | set(held)):
        claim = claims.get(claim_id)
        number = claim["number"] if claim else f"#{claim_id}"
        problems += [
            (number, text)
            for text in _claim_drift(expected.get(claim_id), held.get(claim_id), claim)
        ]
    return problems


def _claim_drift(
    expected: tuple[Decimal, Decimal, date | None] | None,
    row: dict[str, Any] | None,
    claim: dict[str, Any] | None,
) -> list[str]:
    if row is None:
        return ["has ledger entries but no balance row"]
    if expected is None:
        return ["has a balance row but no ledger entry"]
    held = (_cents(row["insurance"]), _cents(row["transferred"]), _day(row["first_charged"]))
    texts = []
    if held != expected:
        texts.append(
            "balance row (insurance, transferred, first charge) "
            f"{_shown(held)} ≠ its entries' {_shown(expected)}"
        )
    if claim is not None:
        copied = (
            row["payer_id"],
            row["encounter_id"],
            row["practice_id"],
            _day(row["date_of_service"]),
        )
        actual = (
            claim["payer_id"],
            claim["encounter_id"],
            claim["practice_id"],
            _day(claim["service"]),
        )
        if copied != actual:
            texts.append(
                f"balance row copies payer/encounter/practice/service {copied}, claim has {actual}"
            )
    return texts


def _shown(values: tuple[Any, ...]) -> str:
    return "(" + ", ".join("—" if v is None else str(v) for v in values) + ")"
