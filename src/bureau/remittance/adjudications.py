"""When the payer first answered and first paid each claim (`ClaimAdjudication`, a projection
of the 835 loops matched to it).

`note` brings the rows of claims up to date in the transaction that writes their loops or
matches a loop to them (the poster, the manual match); `rebuild` recomputes the rows of some
practices from their loops, set-based (after a bulk load wrote loops directly, or to repair);
`drift` lists every claim whose row is not what its loops say, for `bureau era check`.

Loops are only ever added, so a new loop can only move a claim's dates earlier: `note` merges
(the earlier date wins) rather than recomputes, which keeps two posters of the same claim at
once correct — the second's upsert waits on the first's row and merges into what it wrote. A
loop moved off a claim by a manual re-match is the one case that can move a date later; that
claim is recomputed whole (`moved_from`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from django.db import connection
from django.db.models import Min, Q

from bureau.claims.models import Claim
from bureau.remittance.models import ClaimAdjudication, Era, EraClaim
from bureau.tenancy import rls

REASON = "claim adjudication dates"
TABLE = ClaimAdjudication._meta.db_table
COLUMNS = "workspace_id, practice_id, public_id, claim_id, first_adjudicated, first_paid"


def _fresh_id() -> str:
    return (
        "gen_random_uuid()" if connection.vendor == "postgresql" else "lower(hex(randomblob(16)))"
    )


def _select(where: str) -> str:
    """Each matched claim's row as its loops say, for the claims `where` picks (`c`: the claim,
    `x`: a loop). The claim's own practice and workspace: a loop is matched within its practice."""
    return (
        f"SELECT c.workspace_id, c.practice_id, {_fresh_id()}, c.id, MIN(r.payment_date), "  # noqa: S608
        "MIN(CASE WHEN x.paid > 0 THEN r.payment_date END) "
        f"FROM {EraClaim._meta.db_table} x "  # (names are ours, values params)
        f"JOIN {Era._meta.db_table} r ON r.id = x.era_id "
        "JOIN claims_claim c ON c.id = x.claim_id "
        f"WHERE {where} GROUP BY c.id, c.workspace_id, c.practice_id"
    )


def _earlier(held: str, new: str) -> str:
    """The earlier of two nullable dates, in SQL both engines read."""
    return (
        f"CASE WHEN {held} IS NULL THEN {new} "
        f"WHEN {new} IS NULL OR {held} <= {new} THEN {held} ELSE {new} END"
    )


MERGE = (
    "ON CONFLICT (claim_id) DO UPDATE SET "
    f"first_adjudicated = {_earlier(f'{TABLE}.first_adjudicated', 'excluded.first_adjudicated')}, "
    f"first_paid = {_earlier(f'{TABLE}.first_paid', 'excluded.first_paid')}"
)


def _ids(claim_ids: Iterable[int | None]) -> list[int]:
    # One order for every writer: two posters lock shared claims' rows alike, no deadlock.
    return sorted({i for i in claim_ids if i is not None})


def note(claim_ids: Iterable[int | None], *, moved_from: Iterable[int | None] = ()) -> None:
    """Loops were written for `claim_ids` (or matched to them): merge their dates into the
    claims' rows. `moved_from`: claims a loop was taken off, recomputed whole (a row with no
    loop left is deleted). In the caller's transaction, under its RLS scope."""
    ids = _ids(claim_ids)
    gone = _ids(moved_from)
    with connection.cursor() as cursor:
        if gone:
            marks = ", ".join(["%s"] * len(gone))
            cursor.execute(f"DELETE FROM {TABLE} WHERE claim_id IN ({marks})", gone)  # noqa: S608
            ids = sorted(set(ids) | set(gone))
        if not ids:
            return
        marks = ", ".join(["%s"] * len(ids))
        cursor.execute(
            f"INSERT INTO {TABLE} ({COLUMNS}) "  # noqa: S608 (names are ours, values params)
            + _select(f"x.claim_id IN ({marks})")
            # SQLite reads "ON" after a join as the join's: a WHERE before the upsert's ON.
            + " ORDER BY c.id "
            + MERGE,
            ids,
        )


def rebuild(practice_ids: Iterable[int]) -> int:
    """Recompute the rows of these practices' claims from their loops (in the caller's
    transaction). Returns the number of claims any loop is matched to."""
    ids = sorted(set(practice_ids))
    if not ids:
        return 0
    rls.activate(ids)
    marks = ", ".join(["%s"] * len(ids))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {TABLE} WHERE practice_id IN ({marks})", ids)  # noqa: S608
        cursor.execute(
            f"INSERT INTO {TABLE} ({COLUMNS}) "  # noqa: S608 (names are ours, values params)
            + _select(f"x.practice_id IN ({marks}) AND x.claim_id IS NOT NULL"),
            ids,
        )
        return int(cursor.rowcount)


def _day(value: Any) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def drift(practice_ids: Iterable[int]) -> list[tuple[str, str]]:
    """(claim number, what is wrong) for every claim of these practices whose row is missing,
    extra, or not what its loops say. Read-only."""
    ids = sorted(set(practice_ids))
    expected = {
        r["claim_id"]: (_day(r["first"]), _day(r["paid"]))
        for r in EraClaim.objects.for_system(ids, reason=REASON)
        .filter(claim_id__isnull=False)
        .order_by()
        .values("claim_id")
        .annotate(
            first=Min("era__payment_date"), paid=Min("era__payment_date", filter=Q(paid__gt=0))
        )
        .iterator(chunk_size=10_000)
    }
    held = {
        r["claim_id"]: (_day(r["first_adjudicated"]), _day(r["first_paid"]), r["practice_id"])
        for r in ClaimAdjudication.objects.for_system(ids, reason=REASON)
        .values("claim_id", "first_adjudicated", "first_paid", "practice_id")
        .iterator(chunk_size=10_000)
    }
    claims = {
        pk: (number, practice_id)
        for pk, number, practice_id in Claim.objects.for_system(ids, reason=REASON)
        .filter(pk__in=set(expected) | set(held))
        .values_list("id", "number", "practice_id")
    }
    problems = []
    for claim_id in sorted(set(expected) | set(held)):
        number, practice_id = claims.get(claim_id, (f"#{claim_id}", None))
        want, row = expected.get(claim_id), held.get(claim_id)
        if row is None:
            problems.append((number, "has 835 loops but no adjudication row"))
        elif want is None:
            problems.append((number, "has an adjudication row but no 835 loop"))
        else:
            if row[:2] != want:
                problems.append(
                    (
                        number,
                        f"adjudication row (first 835, first paid) {_shown(row[:2])} "
                        f"≠ its loops' {_shown(want)}",
                    )
                )
            if row[2] != practice_id:
                problems.append((number, "adjudication row names another practice than its claim"))
    return problems


def _shown(values: tuple[Any, ...]) -> str:
    return "(" + ", ".join("—" if v is None else str(v) for v in values) + ")"
