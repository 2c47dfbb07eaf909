"""A/R aging: what is owed on claims, by how long it has been owed, across the book.

Money comes from the ledger only. A claim's insurance balance is the sum of its lines' entries
as of the report date (entries effective on or before it); the patient's balance is what the
payer moved to the patient (PATIENT_RESPONSIBILITY entries, negative on the insurance balance,
so the patient owes minus their sum). Bureau records no patient payment yet: when it does, the
patient balance subtracts them here, in the same inner query.

Age counts whole days from the claim's start — its date of service, or its first submission
(the day its charges were posted: claims post charges when first submitted) — to the as-of
date. Insurance and patient balances are aged apart, each in five buckets.

Aggregation happens in the database, in two levels: an inner query of one row per claim
(balances and start date, claims with nothing owed left out) built by the ORM on the actor's
scoped rows (practice *and* provider grant, RLS on PostgreSQL), and an outer query grouping
those by practice and payer with one conditional sum per bucket. Nothing iterates claims in
Python but the claim rows a page or an export shows.

The inner query reads each claim's balance row (`ledger.ClaimBalance`, kept by the ledger's
write path in the same transaction, proved by `bureau ledger check`) when the report is as of a
date no entry in scope is dated after — today, as a rule; only the open claims are read (a
partial index), so the book's aging does not grow with its history: on a generated 1M-claim
book the ledger path took ~35 s. As of an earlier date it sums the ledger up to that date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F, Min, Q, Sum, Value
from django.db.models.functions import Coalesce

from bureau.directory.selectors import payer_list
from bureau.ledger.models import ClaimBalance, EntryKind, LedgerEntry
from bureau.reports.filters import AgingBasis, ReportFilters, bucket_edges
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

ZERO = Decimal("0.00")
CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")
BUCKETS = ("0–30", "31–60", "61–90", "91–120", "120+")
# Claim rows a page shows under one payer (largest balances first); the export takes more.
PAGE_CLAIMS = 200
EXPORT_CLAIMS = 10_000
# A PDF is read by a person, and its renderer takes ~0.4 s a page, growing with the table
# (2,490 claims: minutes): the largest balances, the rest in the CSV.
PDF_CLAIMS = 500


def money(value: Any) -> Decimal:
    """A sum as the database returned it, as cents: PostgreSQL answers NUMERIC (a Decimal);
    SQLite keeps decimals as REAL, so its sums arrive as floats and are rounded to the cent
    here, once (str() first: the float's shortest form, not its binary expansion)."""
    if value is None:
        return ZERO
    return Decimal(str(value)).quantize(CENT)


@dataclass(frozen=True)
class Buckets:
    amounts: tuple[Decimal, ...]

    @property
    def total(self) -> Decimal:
        return sum(self.amounts, ZERO)

    def __add__(self, other: Buckets) -> Buckets:
        return Buckets(tuple(a + b for a, b in zip(self.amounts, other.amounts, strict=True)))

    @classmethod
    def empty(cls) -> Buckets:
        return cls((ZERO,) * len(BUCKETS))

    @classmethod
    def one(cls, index: int, amount: Decimal) -> Buckets:
        return cls(tuple(amount if i == index else ZERO for i in range(len(BUCKETS))))


@dataclass
class AgingRow:
    """One row of the report: the book, a practice, a payer within a practice."""

    label: str
    public_id: str
    claims: int = 0
    insurance: Buckets = field(default_factory=Buckets.empty)
    patient: Buckets = field(default_factory=Buckets.empty)
    children: list[AgingRow] = field(default_factory=list)

    def add(self, other: AgingRow) -> None:
        self.claims += other.claims
        self.insurance = self.insurance + other.insurance
        self.patient = self.patient + other.patient

    @property
    def total(self) -> Decimal:
        return self.insurance.total + self.patient.total


@dataclass(frozen=True)
class ClaimAging:
    practice_id: int
    practice_name: str
    payer_name: str
    public_id: str
    number: str
    patient_account: str
    patient_name: str
    masked: bool
    date_of_service: date
    start: date
    days: int
    bucket: int
    insurance: Decimal
    patient: Decimal

    @property
    def bucket_label(self) -> str:
        return BUCKETS[self.bucket]


@dataclass(frozen=True)
class AgingReport:
    filters: ReportFilters
    book: AgingRow  # its children: the practices, theirs: the payers
    practice_ids: frozenset[int]  # the practices the report read (audited)


def bucket_of(start: date, as_of: date) -> int:
    """The bucket of a claim that started on `start` (day 30 is 0–30, day 31 is 31–60)."""
    return next((i for i, edge in enumerate(bucket_edges(as_of)) if start >= edge), 4)


# -- the inner query: one row per claim with something owed ------------------------------------
# Its columns: claim_ref, practice_ref, payer_ref, owed_insurance, owed_transfer (Σ transfers to
# the patient, ≤ 0), start; and the `shown` columns a claim row asks for.
OWED = (
    Q(owed_insurance__gte=HALF_CENT)
    | Q(owed_insurance__lte=-HALF_CENT)
    | Q(owed_transfer__gte=HALF_CENT)
    | Q(owed_transfer__lte=-HALF_CENT)
)


def _claim_balances(
    actor: Actor,
    filters: ReportFilters,
    capability: Capability,
    practice_ids: Iterable[int],
    shown: dict[str, F] | None = None,
    *,
    from_ledger: bool,
) -> Any:  # a values() QuerySet of dicts, one per claim (its keys are annotations)
    """`shown`: more columns of the claim, for claim rows. `from_ledger`: see `needs_ledger`."""
    ids = sorted(practice_ids)
    if from_ledger:
        return _from_ledger(actor, filters, capability, ids, shown)
    return _from_balances(actor, filters, capability, ids, shown)


def needs_ledger(
    actor: Actor, filters: ReportFilters, capability: Capability, practice_ids: Iterable[int]
) -> bool:
    """Whether the report must sum the ledger: some entry in scope is dated after the as-of
    date, so the claims' balance rows (every entry) are not its balances (entries up to it).
    As of today, as a rule, none is, and the balance rows answer (one indexed probe)."""
    entries = LedgerEntry.objects.visible_to(actor, capability).filter(
        practice_id__in=sorted(practice_ids)
    )
    if filters.practice_id is not None:
        entries = entries.filter(practice_id=filters.practice_id)
    return dated_after(entries, filters.as_of)


def dated_after(entries: Any, day: date) -> bool:
    """Whether some of these (scoped) ledger entries are dated after `day`: then the claims'
    balance rows, which sum every entry, are not the balances as of `day`, and the ledger
    must be summed up to it."""
    return bool(entries.filter(effective_date__gt=day).exists())


def _from_balances(
    actor: Actor,
    filters: ReportFilters,
    capability: Capability,
    practice_ids: list[int],
    shown: dict[str, F] | None,
) -> Any:
    rows = ClaimBalance.objects.visible_to(actor, capability).filter(practice_id__in=practice_ids)
    return _owed_from_balances(rows, filters, shown)


def _owed_from_balances(rows: Any, filters: ReportFilters, shown: dict[str, F] | None) -> Any:
    """`rows`: balance rows already scoped (an actor's, or a KPI scope's)."""
    if filters.practice_id is not None:
        rows = rows.filter(practice_id=filters.practice_id)
    if filters.payer_id is not None:
        rows = rows.filter(payer_id=filters.payer_id)
    if filters.basis is AgingBasis.SERVICE:
        start: Any = F("date_of_service")
    else:
        start = Coalesce(F("first_charged"), F("date_of_service"))
    return (
        # The open-balance index's own condition first, so the planner takes it.
        rows.filter(~Q(insurance=0) | ~Q(transferred=0))
        .order_by()
        .values(
            claim_ref=F("claim_id"),
            practice_ref=F("practice_id"),
            payer_ref=F("payer_id"),
            owed_insurance=F("insurance"),
            owed_transfer=F("transferred"),
            start=start,
            **(shown or {}),  # claim__… columns: a balance row names its claim as an entry does
        )
        .filter(OWED)
    )


def _from_ledger(
    actor: Actor | None,
    filters: ReportFilters,
    capability: Capability | None,
    practice_ids: list[int],
    shown: dict[str, F] | None,
    entries: Any = None,
) -> Any:
    """`entries`: the ledger already scoped (the system's read of one practice for its monthly
    report); by default the actor's, under `capability`, in `practice_ids`."""
    if entries is None:
        if actor is None or capability is None:
            raise ValueError("the ledger of an actor under a capability, or one already scoped")
        entries = LedgerEntry.objects.visible_to(actor, capability).filter(
            practice_id__in=practice_ids
        )
    entries = entries.filter(effective_date__lte=filters.as_of)
    if filters.practice_id is not None:
        entries = entries.filter(practice_id=filters.practice_id)
    if filters.payer_id is not None:
        entries = entries.filter(claim__payer_id=filters.payer_id)
    if filters.basis is AgingBasis.SERVICE:
        start: Any = Min("claim__encounter__date_of_service")
    else:
        # The first charge; without one (a claim paid before the ledger charged it), as the
        # balance rows do, its date of service.
        start = Coalesce(
            Min("effective_date", filter=Q(kind=EntryKind.CHARGE)),
            Min("claim__encounter__date_of_service"),
        )
    return (
        entries.order_by()
        .values(
            claim_ref=F("claim_id"),
            practice_ref=F("practice_id"),
            payer_ref=F("claim__payer_id"),
            **(shown or {}),
        )
        .annotate(
            owed_insurance=Sum("amount"),
            owed_transfer=Coalesce(
                Sum("amount", filter=Q(kind=EntryKind.PATIENT_RESPONSIBILITY)), Value(ZERO)
            ),
            start=start,
        )
        .filter(OWED)
    )


def _bucket_sums(column: str) -> list[str]:
    """SUM(CASE …) per bucket of `column`; %s are the bucket edges, newest first."""
    sums = [f"SUM(CASE WHEN start >= %s THEN {column} ELSE 0 END)"]
    sums += [f"SUM(CASE WHEN start < %s AND start >= %s THEN {column} ELSE 0 END)"] * 3
    sums += [f"SUM(CASE WHEN start < %s THEN {column} ELSE 0 END)"]
    return sums


def _edge_params(as_of: date) -> list[date]:
    e = bucket_edges(as_of)
    return [e[0], e[0], e[1], e[1], e[2], e[2], e[3], e[3]]


def _bucket_rows(claims: Any, as_of: date) -> list[tuple[Any, ...]]:
    """(practice, payer, claims, five insurance sums, five patient sums) per practice and
    payer, from the per-claim balances `claims`: one statement."""
    inner_sql, inner_params = claims.query.sql_with_params()
    columns = ", ".join([*_bucket_sums("owed_insurance"), *_bucket_sums("(0 - owed_transfer)")])
    sql = (
        f"SELECT practice_ref, payer_ref, COUNT(*), {columns} "  # noqa: S608 (no value in it)
        f"FROM ({inner_sql}) AS owed GROUP BY practice_ref, payer_ref"
    )
    params = [*_edge_params(as_of), *_edge_params(as_of), *inner_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return list(cursor.fetchall())


def insurance_buckets(
    balances: Any, entries: Any, as_of: date, basis: AgingBasis
) -> tuple[int, Buckets]:
    """The claims owed something and their insurance balance by bucket as of `as_of`, from
    balance rows and ledger entries the caller scoped (a KPI's scope; the system's read of one
    practice for its monthly report): the report's own inner and outer queries, every payer
    summed — from the balance rows when no entry is dated after `as_of`, else the ledger's.
    `balances` None: always the ledger (a month's end is in the past)."""
    filters = ReportFilters(None, None, as_of, basis)
    if balances is not None and not dated_after(entries, as_of):
        inner = _owed_from_balances(balances, filters, None)
    else:
        inner = _from_ledger(None, filters, None, [], None, entries=entries)
    count, buckets = 0, Buckets.empty()
    for _practice, _payer, claims, *sums in _bucket_rows(inner, as_of):
        count += claims
        buckets = buckets + Buckets(tuple(money(v) for v in sums[:5]))
    return count, buckets


def aging_by_bucket(
    *, actor: Actor, filters: ReportFilters, capability: Capability = Capability.REPORTS_VIEW
) -> AgingReport:
    """The book → practice → payer totals, one SQL statement (the caller audits the read)."""
    practice_ids = actor.practice_ids(capability)
    from_ledger = needs_ledger(actor, filters, capability, practice_ids)
    claims = _claim_balances(actor, filters, capability, practice_ids, from_ledger=from_ledger)
    rows = _bucket_rows(claims, filters.as_of)
    payers = {
        pk: (name, str(public_id))
        for pk, name, public_id in payer_list(actor=actor)
        .filter(pk__in={r[1] for r in rows})
        .values_list("pk", "name", "public_id")
    }
    by_practice: dict[int, AgingRow] = {}
    for practice_id, payer_id, count, *sums in rows:
        practice = actor.access[practice_id].practice
        parent = by_practice.setdefault(
            practice_id, AgingRow(practice.name, str(practice.public_id))
        )
        payer_name, payer_public_id = payers[payer_id]
        row = AgingRow(
            payer_name,
            payer_public_id,
            count,
            Buckets(tuple(money(v) for v in sums[:5])),
            Buckets(tuple(money(v) for v in sums[5:])),
        )
        parent.children.append(row)
        parent.add(row)
    book = AgingRow("All practices", "")
    for parent in sorted(by_practice.values(), key=lambda r: r.label.lower()):
        parent.children.sort(key=lambda r: (-r.total, r.label))
        book.children.append(parent)
        book.add(parent)
    return AgingReport(filters, book, frozenset(by_practice))


# -- claim rows ----------------------------------------------------------------------------------
def claim_practice_ids(actor: Actor) -> frozenset[int]:
    """Practices whose claim rows the actor may see in a report: the report's and the claims'."""
    return actor.practice_ids(Capability.REPORTS_VIEW) & actor.practice_ids(Capability.CLAIMS_VIEW)


# Grouped by, not aggregated: PostgreSQL has no MIN(uuid), and each is one value per claim.
CLAIM_COLUMNS = {
    "number": F("claim__number"),
    "claim_public_id": F("claim__public_id"),
    "account": F("claim__patient__account_number"),
    "first": F("claim__patient__first_name"),
    "last": F("claim__patient__last_name"),
    "service": F("claim__encounter__date_of_service"),
    "payer_name": F("claim__payer__name"),
}


def aging_claims(
    *, actor: Actor, filters: ReportFilters, limit: int = PAGE_CLAIMS
) -> tuple[list[ClaimAging], int]:
    """The claims owed something under the filters (practice and payer, when given), largest
    balance first, at most `limit`, and how many there are. Read under `claims.view` (claim
    numbers and patients are claim data) in the practices the actor may also report on.
    Patient names are initials without `patients.demographics` on the claim's practice."""
    scope = claim_practice_ids(actor)
    from_ledger = needs_ledger(actor, filters, Capability.CLAIMS_VIEW, scope)
    total = _claim_balances(
        actor, filters, Capability.CLAIMS_VIEW, scope, from_ledger=from_ledger
    ).count()
    rows: list[dict[str, Any]] = list(
        _claim_balances(
            actor, filters, Capability.CLAIMS_VIEW, scope, CLAIM_COLUMNS, from_ledger=from_ledger
        ).order_by("-owed_insurance", "-owed_transfer", "number")[:limit]
    )
    shown = []
    for r in rows:
        name, masked = _name_shown(actor, r["practice_ref"], r["first"], r["last"])
        start = _as_date(r["start"])
        insurance, patient = money(r["owed_insurance"]), -money(r["owed_transfer"])
        shown.append(
            ClaimAging(
                practice_id=r["practice_ref"],
                practice_name=actor.access[r["practice_ref"]].practice.name,
                payer_name=r["payer_name"],
                public_id=str(r["claim_public_id"]),
                number=r["number"],
                patient_account=r["account"],
                patient_name=name,
                masked=masked,
                date_of_service=_as_date(r["service"]),
                start=start,
                days=(filters.as_of - start).days,
                bucket=bucket_of(start, filters.as_of),
                insurance=insurance,
                patient=patient,
            )
        )
    return shown, total


def _name_shown(actor: Actor, practice_id: int, first: str, last: str) -> tuple[str, bool]:
    """The claim list's rule (claims.selectors): initials only without demographics."""
    if actor.can(Capability.PATIENTS_DEMOGRAPHICS, practice_id):
        return f"{last}, {first}", False
    return f"{first[:1]}. {last[:1]}.", True


def _as_date(value: Any) -> date:
    """A MIN() of a date column: a date on PostgreSQL, its ISO text on SQLite."""
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
