"""Make the live work items agree with the records: open what a rule wants, update what
changed, close what no rule wants any more. One engine for both callers:

* a service that changed records calls `sync_records` in its own transaction, narrowed to the
  records it touched (a claim's state, an ERA's exceptions, an enrollment);
* `refresh` (the `bureau workqueue refresh` command and the nightly task) runs every rule over
  every practice and reports what it had to mend — drift that a service forgot to sync.

Priority, SLA and deadlines are computed here from what the rule returned, with the one
deadline engine, SLA calendar and priority function.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import Field, Q, Sum

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.configuration.resolver import workspace_settings
from bureau.directory.models import Payer
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.models import EraException, ExceptionStatus
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.bulk import allocate_ids, insert
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.rls import practice_scope
from bureau.workqueues import sla
from bureau.workqueues.functions import CLOSED_BY_PERSON, Function
from bureau.workqueues.models import (
    EventKind,
    ItemStatus,
    RecoveryRate,
    WorkItem,
    WorkItemEvent,
)
from bureau.workqueues.priority import priority
from bureau.workqueues.rules import EVERYTHING, RULES, Desired, Narrow, PracticeFacts

REASON = "work queue sync"
BATCH = 2000
# Fields a rule decides; a change in one of them that a refresh finds is drift.
RULE_FIELDS = (
    "title",
    "amount",
    "category",
    "carc",
    "facts",
    "payer_id",
    "claim_id",
    "era_id",
    "era_exception_id",
    "era_line_id",
    "provider_id",
    "enrollment_id",
)
# Fields that move with the calendar and the settings alone (age, deadlines, SLA days).
TIME_FIELDS = ("deadlines", "deadline_due", "sla_due", "priority", "priority_factors")
CLAIM_SUBJECT = frozenset(
    {Function.REJECTIONS, Function.DENIALS, Function.FOLLOWUP, Function.UNDERPAYMENTS}
)


@dataclass
class SyncReport:
    opened: Counter[str] = field(default_factory=Counter)
    closed: Counter[str] = field(default_factory=Counter)
    changed: Counter[str] = field(default_factory=Counter)  # rule fields differed
    recomputed: Counter[str] = field(default_factory=Counter)  # only time fields moved
    returned: int = 0  # expired claims and ended pends put back in the pool

    def add(self, other: SyncReport) -> None:
        self.opened.update(other.opened)
        self.closed.update(other.closed)
        self.changed.update(other.changed)
        self.recomputed.update(other.recomputed)
        self.returned += other.returned

    @property
    def drift(self) -> int:
        return sum(self.opened.values()) + sum(self.closed.values()) + sum(self.changed.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "opened": dict(self.opened),
            "closed": dict(self.closed),
            "changed": dict(self.changed),
            "recomputed": dict(self.recomputed),
            "returned": self.returned,
        }


@dataclass
class _Shared:
    """Read once per sync: the workspace's payers, holidays and recovery rates."""

    workspace: Workspace
    now: datetime
    payers: dict[int, Payer]
    holidays: frozenset[date]
    rates: dict[tuple[int, str], Decimal]

    @classmethod
    def load(cls, workspace: Workspace, now: datetime) -> _Shared:
        rates = {
            (r.payer_id, r.function): (r.recovered / r.worked)
            for r in RecoveryRate.objects.filter(workspace=workspace, worked__gt=0)
        }
        return cls(
            workspace=workspace,
            now=now,
            payers={p.pk: p for p in Payer.objects.filter(workspace=workspace)},
            holidays=sla.holidays(workspace_settings(workspace)),
            rates=rates,
        )


# -- entry points --------------------------------------------------------------------------------


def sync_records(
    *,
    actor: Actor | None,
    workspace: Workspace,
    practice_ids: Iterable[int],
    claim_ids: Iterable[int] = (),
    era_ids: Iterable[int] = (),
    pairs: Iterable[tuple[int, int]] = (),
    functions: Sequence[str] | None = None,
    cause: str = "",
) -> SyncReport:
    """Bring the items of these records up to date, in the caller's transaction."""
    narrow = Narrow(
        claim_ids=frozenset(claim_ids) or None,
        era_ids=frozenset(era_ids) or None,
        pairs=frozenset(pairs) or None,
    )
    report = SyncReport()
    if narrow.everything:  # nothing touched: nothing to do (never the whole book by accident)
        return report
    shared = _Shared.load(workspace, clock.now())
    practices = Practice.objects.filter(workspace=workspace, pk__in=set(practice_ids))
    # Each rule reads one practice under RLS; the caller's wider scope comes back after.
    opened = rls.current()
    try:
        for practice in practices:
            report.add(_sync_practice(shared, practice, narrow, functions, actor, cause))
    finally:
        if connection.vendor == "postgresql":
            rls.activate(opened)
    return report


def refresh(*, workspace: Workspace, functions: Sequence[str] | None = None) -> SyncReport:
    """Recompute every item of the workspace from its records, practice by practice (one
    transaction each), put expired claims and ended pends back in the pool, and recompute
    the recovery rates that weigh priority. Returns what it mended."""
    now = clock.now()
    with transaction.atomic():
        recovery_rates_recompute(workspace=workspace, now=now)
    shared = _Shared.load(workspace, now)
    report = SyncReport()
    for practice in Practice.objects.filter(workspace=workspace).order_by("pk"):
        with practice_scope([practice.pk]):
            report.returned += _return_to_pool(shared, practice)
            report.add(
                _sync_practice(shared, practice, EVERYTHING, functions, None, "refresh: recomputed")
            )
    if report.drift >= ANALYZE_AFTER:
        analyze_items()
    return report


# A refresh that opened or closed this many items has moved the table far enough that the
# queue's plan should not wait for autovacuum (a first refresh of a book opens them all).
ANALYZE_AFTER = 1000


def analyze_items() -> None:
    """Bring PostgreSQL's statistics of the work items up to date (migration 0003 explains
    why through a function: the runtime role does not own the table)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT bureau_analyze_workitems()")


# -- one practice --------------------------------------------------------------------------------


def _sync_practice(
    shared: _Shared,
    practice: Practice,
    narrow: Narrow,
    functions: Sequence[str] | None,
    actor: Actor | None,
    cause: str,
) -> SyncReport:
    facts = PracticeFacts.load(practice, shared.now, shared.payers)
    report = SyncReport()
    touched: list[Any] = []
    for function in functions or list(RULES):
        rule = RULES[function]
        where = rule.existing(facts, narrow)
        if where is None:
            continue
        desired = {d.subject_key: d for d in rule.desired(facts, narrow)}
        live = _live(practice, function, where)
        if function in CLOSED_BY_PERSON:
            _drop_worked(practice, function, desired, live)
        touched += _open(shared, facts, function, desired, live, actor, report)
        touched += _update(shared, facts, function, desired, live, report)
        touched += _close(shared, practice, function, desired, live, actor, cause, report)
    if report.drift or sum(report.recomputed.values()):
        audit_record_many(
            action=AuditAction.WORKITEMS_SYNCED,
            actor=actor,
            workspace=shared.workspace if actor is None else None,
            model="workqueues.WorkItem",
            targets=[(practice, touched[:2000])],
            detail={**report.as_dict(), "cause": cause[:200]},
            label="" if actor is not None else "system",
        )
    return report


class LiveItem:
    """A live item as the sync compares it: the columns it decides, read as plain values (no
    model instance, no priority breakdown JSON) so a refresh of 200,000 items stays cheap."""

    __slots__ = ("row",)

    def __init__(self, row: dict[str, Any]) -> None:
        self.row = row

    def __getattr__(self, name: str) -> Any:
        try:
            return self.row[name]
        except KeyError:
            raise AttributeError(name) from None


LOADED = (
    "pk",
    "public_id",
    "workspace_id",
    "practice_id",
    "subject_key",
    "opened_on",
    *RULE_FIELDS,
    "deadlines",
    "deadline_due",
    "sla_due",
    "priority",
)
# Compared to decide whether an item moved; `priority_factors` follows `priority`.
COMPARED = (*RULE_FIELDS, "deadlines", "deadline_due", "sla_due", "priority")


def _live(practice: Practice, function: str, where: Q) -> dict[str, LiveItem]:
    rows = (
        WorkItem.objects.for_system([practice.pk], reason=REASON)
        .filter(practice_id=practice.pk, function=function)
        .exclude(status=ItemStatus.DONE)
        .filter(where)
        .values_list(*LOADED)
    )
    return {row[4]: LiveItem(dict(zip(LOADED, row, strict=True))) for row in rows}


def _drop_worked(
    practice: Practice, function: str, desired: dict[str, Desired], live: dict[str, LiveItem]
) -> None:
    """A person closed these: the record still shows the condition, but the work is done."""
    keys = [k for k in desired if k not in live]
    worked: set[str] = set()
    for start in range(0, len(keys), BATCH):
        worked |= set(
            WorkItem.objects.for_system([practice.pk], reason=REASON)
            .filter(
                practice_id=practice.pk,
                function=function,
                status=ItemStatus.DONE,
                closed_by_person=True,
                subject_key__in=keys[start : start + BATCH],
            )
            .values_list("subject_key", flat=True)
        )
    for key in worked:
        del desired[key]


def computed(
    shared: _Shared, facts: PracticeFacts, function: str, d: Desired, opened_on: date
) -> dict[str, Any]:
    """Deadlines, SLA due date and priority of an item: the one place they are derived."""
    today = facts.today
    clocks = sorted(d.clocks, key=lambda c: c.due)
    nearest = clocks[0] if clocks else None
    days = sla.sla_days(facts.effective, function, d.payer_id)
    rank = priority(
        dollars=d.amount,
        days_left=nearest.days_left(today) if nearest is not None else None,
        age_days=max((today - opened_on).days, 0),
        recovery_rate=shared.rates.get((d.payer_id, function)) if d.payer_id else None,
    )
    return {
        "deadlines": [
            {
                "kind": c.kind.value,
                "label": c.kind.label,
                "due": c.due.isoformat(),
                "source": c.source,
            }
            for c in clocks
        ],
        "deadline_due": nearest.due if nearest is not None else None,
        "sla_due": sla.add_business_days(opened_on, days, shared.holidays),
        "priority": rank.score,
        "priority_factors": {"rows": [list(row) for row in rank.explain()]},
    }


def _rule_values(d: Desired) -> dict[str, Any]:
    return {
        "title": d.title[:200],
        "amount": d.amount,
        "category": d.category,
        "carc": d.carc,
        "facts": d.facts,
        "payer_id": d.payer_id,
        "claim_id": d.claim_id,
        "era_id": d.era_id,
        "era_exception_id": d.era_exception_id,
        "era_line_id": d.era_line_id,
        "provider_id": d.provider_id,
        "enrollment_id": d.enrollment_id,
    }


def _open(
    shared: _Shared,
    facts: PracticeFacts,
    function: str,
    desired: dict[str, Desired],
    live: dict[str, LiveItem],
    actor: Actor | None,
    report: SyncReport,
) -> list[Any]:
    new: list[WorkItem] = []
    for key, d in desired.items():
        if key in live:
            continue
        opened_on = min(facts.local_date(d.opened_at), facts.today)
        new.append(
            WorkItem(
                workspace_id=facts.practice.workspace_id,
                practice_id=facts.practice.pk,
                function=function,
                subject_kind=d.subject_kind,
                subject_key=key,
                opened_on=opened_on,
                created_at=shared.now,
                created_by=actor.user if actor is not None else None,
                **_rule_values(d),
                **computed(shared, facts, function, d, opened_on),
            )
        )
    if not new:
        return []
    ids = allocate_ids(WorkItem, len(new))  # PostgreSQL: known before the insert, for events
    for item, pk in zip(new, ids or [], strict=False):
        item.pk = pk
    insert(WorkItem, new)
    _events(new, EventKind.OPENED, actor, shared.now)
    report.opened[function] += len(new)
    return [item.public_id for item in new]


def _update(
    shared: _Shared,
    facts: PracticeFacts,
    function: str,
    desired: dict[str, Desired],
    live: dict[str, LiveItem],
    report: SyncReport,
) -> list[Any]:
    changed: dict[tuple[str, ...], list[tuple[int, dict[str, Any]]]] = defaultdict(list)
    drifted: list[Any] = []
    for key, item in live.items():
        d = desired.get(key)
        if d is None:
            continue
        values = {**_rule_values(d), **computed(shared, facts, function, d, item.opened_on)}
        moved = [name for name in COMPARED if item.row[name] != values[name]]
        if not moved:
            continue
        if "priority" in moved:
            moved.append("priority_factors")
        changed[tuple(moved)].append((item.pk, values))
        if any(name in RULE_FIELDS for name in moved):
            report.changed[function] += 1
            drifted.append(item.public_id)
        else:
            report.recomputed[function] += 1
    for fields, rows in changed.items():
        _save(facts.practice, rows, list(fields))
    return drifted


def _save(practice: Practice, rows: list[tuple[int, dict[str, Any]]], fields: list[str]) -> None:
    """Write these fields of these items (pk, new values). Most days only the calendar moved
    (priority, SLA): on PostgreSQL one UPDATE … FROM (VALUES …) per 1,000 items, not Django's
    CASE per field."""
    if connection.vendor != "postgresql":
        items = [WorkItem(pk=pk, **{name: values[name] for name in fields}) for pk, values in rows]
        WorkItem.objects.for_system([practice.pk], reason=REASON).bulk_update(
            items, fields, batch_size=200
        )
        return
    columns: list[Field[Any, Any]] = [
        cast(Field, WorkItem._meta.get_field(name))  # type: ignore[type-arg]
        for name in fields
    ]
    table = WorkItem._meta.db_table
    sets = ", ".join(f"{c.column} = v.{c.column}" for c in columns)
    names = ", ".join(["id", *(str(c.column) for c in columns)])
    casts = ["bigint", *(str(c.db_type(connection)) for c in columns)]
    with connection.cursor() as cursor:
        for start in range(0, len(rows), 1000):
            batch = rows[start : start + 1000]
            row = "(" + ", ".join(f"%s::{cast}" for cast in casts) + ")"
            params: list[Any] = []
            for pk, values in batch:
                params.append(pk)
                params += [c.get_db_prep_save(values[c.name], connection) for c in columns]
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} FROM (VALUES {', '.join([row] * len(batch))})"  # noqa: S608 - columns from the model
                f" AS v({names}) WHERE t.id = v.id",
                params,
            )


def _close(
    shared: _Shared,
    practice: Practice,
    function: str,
    desired: dict[str, Desired],
    live: dict[str, LiveItem],
    actor: Actor | None,
    cause: str,
    report: SyncReport,
) -> list[Any]:
    gone = [item for key, item in live.items() if key not in desired]
    if not gone:
        return []
    recovered = _recovered(practice, function, gone)
    scoped = WorkItem.objects.for_system([practice.pk], reason=REASON)
    for start in range(0, len(gone), BATCH):
        scoped.filter(pk__in=[i.pk for i in gone[start : start + BATCH]]).update(
            status=ItemStatus.DONE,
            resolved_at=shared.now,
            resolved_by=actor.user if actor is not None else None,
            resolution=(cause or "The record no longer calls for this work.")[:200],
            claimed_until=None,
        )
    worth = [(i.pk, {"recovered": recovered[i.pk]}) for i in gone if i.pk in recovered]
    if worth:
        _save(practice, worth, ["recovered"])
    _events(gone, EventKind.DONE, actor, shared.now, note=cause)
    report.closed[function] += len(gone)
    return [item.public_id for item in gone]


def _recovered(practice: Practice, function: str, items: list[LiveItem]) -> dict[int, Decimal]:
    """What the work brought in: payments on the claim since the item opened (at most the
    dollars at stake), or for an ERA exception whether it was posted."""
    found: dict[int, Decimal] = {}
    if function in CLAIM_SUBJECT:
        claims = [i.claim_id for i in items if i.claim_id is not None]
        paid: dict[int, list[tuple[date, Decimal]]] = defaultdict(list)
        for start in range(0, len(claims), BATCH):
            rows = (
                LedgerEntry.objects.for_system([practice.pk], reason=REASON)
                .filter(claim_id__in=claims[start : start + BATCH], kind=EntryKind.PAYMENT)
                .values_list("claim_id", "effective_date", "amount")
            )
            for claim_id, day, amount in rows:
                paid[claim_id].append((day, amount))
        for item in items:
            since = sum(
                (-a for day, a in paid.get(item.claim_id or 0, []) if day >= item.opened_on),
                Decimal(0),
            )
            found[item.pk] = max(min(since, item.amount), Decimal("0.00"))
    elif function in (Function.ERA_EXCEPTIONS, Function.POSTING_REVIEW):
        posted = set(
            EraException.objects.for_system([practice.pk], reason=REASON)
            .filter(
                Q(pk__in=[i.era_exception_id for i in items if i.era_exception_id])
                | Q(era_id__in=[i.era_id for i in items if i.era_id]),
                status=ExceptionStatus.POSTED,
            )
            .values_list("era_id", "pk")
        )
        eras = {era for era, _ in posted}
        exceptions = {pk for _, pk in posted}
        for item in items:
            ok = (
                item.era_exception_id in exceptions
                if item.era_exception_id
                else item.era_id in eras
            )
            found[item.pk] = item.amount if ok else Decimal("0.00")
    return found


def _events(
    items: Sequence[Any],
    kind: EventKind,
    actor: Actor | None,
    now: datetime,
    note: str = "",
) -> None:
    user_id = actor.user.pk if actor is not None else None
    insert(
        WorkItemEvent,
        [
            WorkItemEvent(
                workspace_id=item.workspace_id,
                practice_id=item.practice_id,
                item_id=item.pk,
                kind=kind,
                occurred_at=now,
                user_id=user_id,
                note=note[:300],
            )
            for item in items
        ],
    )


# -- the pool ------------------------------------------------------------------------------------


def _return_to_pool(shared: _Shared, practice: Practice) -> int:
    """Claims past their expiry and pends past their date go back to the pool, with history."""
    items = list(
        WorkItem.objects.for_system([practice.pk], reason=REASON).filter(
            Q(status=ItemStatus.CLAIMED, claimed_until__lt=shared.now)
            | Q(status=ItemStatus.PENDED, resumes_at__lte=shared.now),
            practice_id=practice.pk,
        )
    )
    expired = [i for i in items if i.status == ItemStatus.CLAIMED]
    resumed = [i for i in items if i.status == ItemStatus.PENDED]
    for item in items:
        item.assignee = None
        item.status = ItemStatus.OPEN
        item.claimed_until = None
        item.pended_until = item.resumes_at = None
    WorkItem.objects.for_system([practice.pk], reason=REASON).bulk_update(
        items, ["status", "assignee", "claimed_until", "pended_until", "resumes_at"], batch_size=500
    )
    _events(expired, EventKind.EXPIRED, None, shared.now)
    _events(resumed, EventKind.RESUMED, None, shared.now)
    return len(items)


# -- recovery rates ------------------------------------------------------------------------------


def recovery_rates_recompute(*, workspace: Workspace, now: datetime) -> int:
    """Worked and recovered dollars per payer and function over the last 12 months, from the
    items closed in that time with a known recovery. Aggregates only: no record leaves."""
    since = now - timedelta(days=365)
    practice_ids = list(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    with practice_scope(practice_ids):
        totals = list(
            WorkItem.objects.for_system(practice_ids, reason="recovery rates")
            .filter(
                workspace=workspace,
                status=ItemStatus.DONE,
                resolved_at__gte=since,
                recovered__isnull=False,
                payer__isnull=False,
            )
            .values("payer_id", "function")
            .annotate(worked=Sum("amount"), recovered_sum=Sum("recovered"))
            .order_by()
        )
    RecoveryRate.objects.filter(workspace=workspace).delete()
    RecoveryRate.objects.bulk_create(
        [
            RecoveryRate(
                workspace=workspace,
                payer_id=row["payer_id"],
                function=row["function"],
                worked=row["worked"],
                recovered=row["recovered_sum"],
                computed_at=now,
            )
            for row in totals
            if row["worked"] > 0
        ]
    )
    return len(totals)
