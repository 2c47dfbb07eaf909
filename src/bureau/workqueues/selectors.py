"""Reading the queue: the items a person may work (each function under its own capability,
narrowed by practice and provider grants), filtered in any combination, highest priority
first, keyset-paged so page one costs the same at a million claims; one audit event per
practice names the items shown."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, QuerySet, Sum
from django.http import Http404

from bureau import clock
from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_per_practice
from bureau.denials.selectors import URGENT_DAYS
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.web.links import record_url
from bureau.workqueues.functions import CAPABILITY, Function, label_of
from bureau.workqueues.models import ItemStatus, WorkItem
from bureau.workqueues.sla import SlaState, local_date, sla_state

PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
AGE_BUCKETS: dict[str, tuple[int, int | None]] = {
    "0-30": (0, 30),
    "31-60": (31, 60),
    "61-90": (61, 90),
    "91-120": (91, 120),
    "120+": (121, None),
}
ASSIGNEE_CHOICES = ("anyone", "mine", "unassigned")


def workable(actor: Actor) -> QuerySet[WorkItem]:
    """Every item the actor may work: each function where they hold its capability."""
    functions: dict[Any, list[str]] = {}
    for function, capability in CAPABILITY.items():
        functions.setdefault(capability, []).append(function)
    return WorkItem.objects.visible_to_any(
        actor, {capability: Q(function__in=fs) for capability, fs in functions.items()}
    )


def item_practice_id(*, actor: Actor, public_id: Any) -> int:
    """The practice of an item the actor may work; 404 otherwise (forbidden = missing)."""
    found = workable(actor).filter(public_id=public_id).values_list("practice_id", flat=True)
    practice_id = found.first()
    if practice_id is None:
        raise Http404
    return int(practice_id)


def items_practice_ids(*, actor: Actor, public_ids: list[Any]) -> list[int]:
    """The practices of items the actor may work, in order; 404 when any is missing or
    not theirs (forbidden = missing), before anything is written."""
    found = dict(
        workable(actor).filter(public_id__in=public_ids).values_list("public_id", "practice_id")
    )
    if len(found) != len(set(public_ids)):
        raise Http404
    return sorted(set(found.values()))


def people_of(*, actor: Actor) -> list[tuple[str, str]]:
    """(public id, label) of the workspace's active people, by username, for a supervisor's
    assign menus (each assignment is checked against the item: the person must be able to
    work it). Tuples, not users: the queue lists them on every page it shows a supervisor."""
    rows = (
        User.objects.filter(workspace=actor.workspace, is_active=True)
        .order_by("username")
        .values_list("public_id", "username", "full_name")
    )
    return [(str(pk), User.label_of(name, full)) for pk, name, full in rows]


def functions_of(actor: Actor) -> list[tuple[str, str]]:
    return [(f.value, f.label) for f in Function if actor.can(CAPABILITY[f])]


@dataclass(frozen=True)
class QueueFilters:
    functions: tuple[str, ...] = ()
    practice_id: int | None = None
    payer_id: int | None = None
    category: str = ""
    carc: str = ""
    assignee: str = "anyone"  # anyone | mine | unassigned | a user's public id (supervisors)
    age: str = ""
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    sla: str = ""
    deadline_days: int | None = None
    status: str = "live"  # live | open | claimed | pended | done

    def query(self) -> dict[str, str]:
        """The filters as query parameters (for the take-next form and the pager)."""
        out: dict[str, str] = {}
        for name in ("category", "carc", "age", "sla"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        if self.assignee != "anyone":
            out["assignee"] = self.assignee
        if self.status != "live":
            out["status"] = self.status
        if self.amount_min is not None:
            out["amount_min"] = str(self.amount_min)
        if self.amount_max is not None:
            out["amount_max"] = str(self.amount_max)
        if self.deadline_days is not None:
            out["deadline_days"] = str(self.deadline_days)
        return out


def filtered(
    qs: QuerySet[WorkItem], filters: QueueFilters, *, actor: Actor, today: date
) -> QuerySet[WorkItem]:
    if filters.status == "live":
        qs = qs.exclude(status=ItemStatus.DONE)  # the queue indexes' own predicate
    elif filters.status in ItemStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.functions:
        qs = qs.filter(function__in=list(filters.functions))
    if filters.practice_id is not None:
        qs = qs.filter(practice_id=filters.practice_id)
    if filters.payer_id is not None:
        qs = qs.filter(payer_id=filters.payer_id)
    if filters.category:
        qs = qs.filter(category=filters.category)
    if filters.carc:
        qs = qs.filter(carc=filters.carc)
    if filters.assignee == "mine":
        qs = qs.filter(assignee=actor.user)
    elif filters.assignee == "unassigned":
        qs = qs.filter(assignee__isnull=True)
    elif filters.assignee not in ASSIGNEE_CHOICES:
        qs = qs.filter(assignee__public_id=filters.assignee)
    if filters.age in AGE_BUCKETS:
        low, high = AGE_BUCKETS[filters.age]
        qs = qs.filter(opened_on__lte=today - timedelta(days=low))
        if high is not None:
            qs = qs.filter(opened_on__gt=today - timedelta(days=high + 1))
    if filters.amount_min is not None:
        qs = qs.filter(amount__gte=filters.amount_min)
    if filters.amount_max is not None:
        qs = qs.filter(amount__lte=filters.amount_max)
    if filters.sla == SlaState.BREACHED:
        qs = qs.filter(sla_due__lt=today)
    elif filters.sla == SlaState.DUE_TODAY:
        qs = qs.filter(sla_due=today)
    elif filters.sla == SlaState.WITHIN:
        qs = qs.filter(sla_due__gt=today)
    if filters.deadline_days is not None:
        qs = qs.filter(deadline_due__lte=today + timedelta(days=filters.deadline_days))
    return qs


# -- the page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    item: WorkItem
    function_label: str
    patient: str
    masked: bool
    sla: str
    deadline: str
    overdue: bool
    held_by: str
    urgent: bool = False  # the nearest clock runs out within URGENT_DAYS (or has): highlighted
    # What the row prints, ready: a page of rows through the template's filters, {% url %} and
    # three-step lookups cost twice what the rest of the page did.
    href: str = ""  # the item's page
    claim_href: str = ""  # "take it" (the a key)
    css: str = ""  # breached, urgent
    practice_name: str = ""
    pended_to: str | None = None  # "mm-dd" when pended
    claim_number: str = ""
    payer_name: str = "—"
    sla_text: str = ""
    sla_due: str = ""  # mm-dd
    opened: str = ""  # yyyy-mm-dd


# What a row reads (`_row`, queue.html, the audit and the cursor): a page fetches these columns
# only, not the facts and priority breakdown of every item, nor every column of its claim.
ROW_FIELDS = (
    "public_id",
    "practice_id",
    "function",
    "status",
    "title",
    "amount",
    "priority",
    "opened_on",
    "sla_due",
    "deadline_due",
    "deadlines",
    "pended_until",
    "claimed_until",
    "payer__name",
    "assignee__username",
    "assignee__full_name",
    "claim__number",
    "claim__patient__practice_id",
    "claim__patient__first_name",
    "claim__patient__last_name",
)


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    next_cursor: str  # "" on the last page
    first: bool
    per_page: int


def parse_cursor(raw: str) -> tuple[int, int] | None:
    """ "priority:id" of the last row shown; anything else starts from the top."""
    head, _, tail = raw.partition(":")
    if not (head.lstrip("-").isascii() and head.lstrip("-").isdigit() and tail.isascii()):
        return None
    if not tail.isdigit() or len(head) > 20 or len(tail) > 20:
        return None
    priority, pk = int(head), int(tail)
    if not (-(2**63) <= priority < 2**63 and 0 < pk < 2**63):
        return None
    return priority, pk


def _deadline_text(item: WorkItem, today: date) -> tuple[str, bool]:
    if item.deadline_due is None:
        return "", False
    days = (item.deadline_due - today).days
    label = item.deadlines[0]["label"] if item.deadlines else "Deadline"
    if days > 0:
        return f"{label}: due in {days} day{'s' if days != 1 else ''}", False
    if days == 0:
        return f"{label}: due today", True
    return f"{label}: overdue by {-days} day{'s' if days != -1 else ''}", True


def _row(actor: Actor, item: WorkItem, today: date, now: Any) -> QueueRow:
    from bureau.claims.selectors import patient_label

    patient, masked = ("", False)
    if item.claim_id is not None:
        patient, masked = patient_label(actor, item.claim.patient)  # type: ignore[union-attr]
    deadline, overdue = _deadline_text(item, today)
    held = ""
    if item.assignee_id is not None and item.status == ItemStatus.CLAIMED:
        expired = item.claimed_until is not None and item.claimed_until < now
        held = "" if expired else item.assignee.label  # type: ignore[union-attr]
    sla = sla_state(item.sla_due, today).value
    urgent = item.deadline_due is not None and (item.deadline_due - today).days < URGENT_DAYS
    pended = item.status == ItemStatus.PENDED
    return QueueRow(
        item=item,
        function_label=label_of(item.function),
        patient=patient,
        masked=masked,
        sla=sla,
        deadline=deadline,
        overdue=overdue,
        held_by=held,
        urgent=urgent,
        href=record_url(item.public_id, "workqueues:item"),
        claim_href=record_url(item.public_id, "workqueues:claim"),
        css=("breached" if sla == SlaState.BREACHED else "") + (" urgent" if urgent else ""),
        practice_name=item.practice.name,
        pended_to=_month_day(item.pended_until) if pended else None,
        claim_number=(item.claim.number if item.claim is not None else "") or "",
        payer_name=(item.payer.name if item.payer is not None else "") or "—",
        sla_text=sla.replace("_", ""),
        sla_due=_month_day(item.sla_due),
        opened=item.opened_on.isoformat(),
    )


def _month_day(day: date | None) -> str:
    return f"{day.month:02d}-{day.day:02d}" if day is not None else ""


def queue_page(
    *, actor: Actor, filters: QueueFilters, cursor: str = "", per_page: int = PAGE_SIZE
) -> QueuePage:
    now = clock.now()
    today = now.date()
    per_page = max(1, min(per_page, MAX_PAGE_SIZE))
    qs = filtered(workable(actor), filters, actor=actor, today=today)
    after = parse_cursor(cursor)
    if after is not None:
        priority, pk = after
        qs = qs.filter(Q(priority__lt=priority) | Q(priority=priority, id__lt=pk))
    items = list(
        # Not the practice: the actor holds it (`access`), name and timezone.
        qs.select_related("payer", "assignee", "claim__patient")
        .only(*ROW_FIELDS)
        .order_by("-priority", "-id")[: per_page + 1]
    )
    more = len(items) > per_page
    items = items[:per_page]
    for item in items:
        item.practice = actor.access[item.practice_id].practice
    audit_record_per_practice(
        action=AuditAction.WORKITEM_LISTED,
        actor=actor,
        model="workqueues.WorkItem",
        records=[(i.practice_id, i.public_id) for i in items],
        # The cursor as parsed, never as sent: raw input (a NUL) is no JSON PostgreSQL stores.
        detail={"cursor": f"{after[0]}:{after[1]}"} if after is not None else None,
    )
    last = items[-1] if items else None
    return QueuePage(
        rows=[_row(actor, item, local_date(now, item.practice.timezone), now) for item in items],
        next_cursor=f"{last.priority}:{last.pk}" if more and last is not None else "",
        first=after is None,
        per_page=per_page,
    )


# -- home ----------------------------------------------------------------------------------------


@dataclass
class WorkSummary:
    """For the person signed in, by function and practice: my items, free items I may take,
    breached SLAs."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    mine: int = 0
    free: int = 0
    breached: int = 0


def work_summary(*, actor: Actor) -> WorkSummary:
    now = clock.now()
    today = now.date()
    qs = workable(actor).exclude(status=ItemStatus.DONE)
    # An expired claim or an ended pend is back in the pool: free to take, no longer mine.
    free = (
        Q(status=ItemStatus.OPEN)
        | Q(status=ItemStatus.CLAIMED, claimed_until__lt=now)
        | Q(status=ItemStatus.PENDED, resumes_at__lte=now)
    )
    rows = (
        qs.values("function", "practice_id")
        .annotate(
            mine=Count("pk", filter=Q(assignee=actor.user) & ~free),
            free=Count("pk", filter=free),
            breached=Count("pk", filter=Q(sla_due__lt=today)),
            dollars=Sum("amount"),
        )
        .order_by("function", "practice_id")
    )
    practices: dict[int, Practice] = {p.pk: p for p in actor.practices()}
    summary = WorkSummary()
    for found in rows:
        row: dict[str, Any] = dict(found)
        row["function_label"] = label_of(row["function"])
        row["practice"] = practices.get(row["practice_id"])
        summary.rows.append(row)
        summary.mine += row["mine"]
        summary.free += row["free"]
        summary.breached += row["breached"]
    return summary
