"""An item's page: its subject (claim lines, denial lines with CARC/RARC, the ERA, the
exception, the underpayment), its clocks and priority breakdown, its history and attempts.
Each subject record is read through its own scoped manager under a capability the actor
holds on the practice; the view is one audited read."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.http import Http404

from bureau import clock
from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.models import Claim, ClaimLine
from bureau.claims.selectors import patient_label
from bureau.denials.models import Denial
from bureau.remittance.exception_queue import exception_rows
from bureau.remittance.models import Era, EraException
from bureau.remittance.selectors import carc_description
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.workqueues.functions import CAPABILITY, CLOSED_BY_PERSON, Function, label_of
from bureau.workqueues.models import Attempt, ItemStatus, WorkItem, WorkItemEvent
from bureau.workqueues.questions import QuestionRow, item_questions
from bureau.workqueues.selectors import workable
from bureau.workqueues.sla import local_date, sla_state
from bureau.x12.adjustment_codes import rarc_description


@dataclass(frozen=True)
class ClockRow:
    label: str
    due: date
    text: str
    source: str
    overdue: bool


@dataclass
class ItemDetail:
    item: WorkItem
    function_label: str
    sla: str
    clocks: list[ClockRow]
    priority_rows: list[list[str]]
    patient: str = ""
    masked: bool = False
    claim: Claim | None = None
    claim_lines: list[ClaimLine] = field(default_factory=list)
    denials: list[dict[str, Any]] = field(default_factory=list)
    era: Era | None = None
    exception: EraException | None = None
    exception_rows: list[Any] = field(default_factory=list)  # resolvable here, as on the list
    events: list[WorkItemEvent] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    questions: list[QuestionRow] = field(default_factory=list)  # to the practice, newest first
    held_by_other: bool = False
    can_assign: bool = False
    can_close: bool = False
    people: list[User] = field(default_factory=list)


def _clock_rows(item: WorkItem, today: date) -> list[ClockRow]:
    rows = []
    for c in item.deadlines:
        due = date.fromisoformat(c["due"])
        days = (due - today).days
        if days > 0:
            text = f"due in {days} day{'s' if days != 1 else ''}"
        elif days == 0:
            text = "due today"
        else:
            text = f"overdue by {-days} day{'s' if days != -1 else ''}"
        rows.append(ClockRow(c["label"], due, text, c["source"], days <= 0))
    return rows


def item_detail(*, actor: Actor, public_id: Any) -> ItemDetail:
    from bureau.workqueues.services import assignable_people, held_by_other

    now = clock.now()
    item = (
        workable(actor)
        .select_related("practice", "payer", "assignee", "provider", "enrollment", "resolved_by")
        .filter(public_id=public_id)
        .first()
    )
    if item is None:
        raise Http404
    practice_id = item.practice_id
    today = local_date(now, item.practice.timezone)
    detail = ItemDetail(
        item=item,
        function_label=label_of(item.function),
        sla=sla_state(item.sla_due, today).value,
        clocks=_clock_rows(item, today),
        priority_rows=item.priority_factors.get("rows", []),
        held_by_other=held_by_other(item, actor.user, now),
        can_assign=actor.can(Capability.QUEUE_ASSIGN, practice_id)
        and item.status != ItemStatus.DONE,
        can_close=item.function in CLOSED_BY_PERSON and item.status != ItemStatus.DONE,
    )
    if item.claim_id is not None and actor.can(Capability.CLAIMS_VIEW, practice_id):
        claim = (
            Claim.objects.visible_to(actor, Capability.CLAIMS_VIEW)
            .select_related("patient", "payer", "encounter")
            .filter(pk=item.claim_id)
            .first()
        )
        if claim is not None:
            detail.claim = claim
            detail.patient, detail.masked = patient_label(actor, claim.patient)
            detail.claim_lines = list(
                ClaimLine.objects.visible_to(actor, Capability.CLAIMS_VIEW).filter(claim=claim)
            )
    if item.claim_id is not None and actor.can(Capability.DENIALS_VIEW, practice_id):
        for d in (
            Denial.objects.visible_to(actor, Capability.DENIALS_VIEW)
            .filter(claim_id=item.claim_id)
            .select_related("claim_line")
            .order_by("denied_on", "id")
        ):
            detail.denials.append(
                {
                    "denial": d,
                    "line": d.claim_line.line_number if d.claim_line else None,
                    "code": d.claim_line.procedure_code if d.claim_line else "",
                    "carc_text": carc_description(d.carc),
                    "rarcs": [(code, rarc_description(code)) for code in d.rarcs],
                }
            )
    if item.era_id is not None and actor.can(Capability.PAYMENTS_VIEW, practice_id):
        detail.era = (
            Era.objects.visible_to(actor, Capability.PAYMENTS_VIEW).filter(pk=item.era_id).first()
        )
    if item.era_exception_id is not None and actor.can(Capability.PAYMENTS_VIEW, practice_id):
        detail.exception = (
            EraException.objects.visible_to(actor, Capability.PAYMENTS_VIEW)
            .filter(pk=item.era_exception_id)
            .first()
        )
    if item.function in (Function.POSTING_REVIEW, Function.ERA_EXCEPTIONS) and actor.can(
        Capability.PAYMENTS_VIEW, practice_id
    ):
        detail.exception_rows = exception_rows(
            actor=actor,
            era_id=item.era_id if item.function == Function.POSTING_REVIEW else None,
            exception_id=item.era_exception_id,
        )
    detail.events = list(
        WorkItemEvent.objects.visible_to(actor, CAPABILITY[item.function])
        .filter(item=item)
        .select_related("user")
    )
    detail.questions = item_questions(actor=actor, item=item)
    detail.attempts = list(
        Attempt.objects.visible_to(actor, CAPABILITY[item.function])
        .filter(item=item)
        .select_related("user")
    )
    if detail.can_assign:
        detail.people = assignable_people(actor=actor, item=item)
    audit_record(
        action=AuditAction.WORKITEM_VIEWED,
        actor=actor,
        practice=actor.access[practice_id].practice,
        model="workqueues.WorkItem",
        record_ids=[item.public_id],
        detail={"function": item.function, "shown": _shown(detail)},
    )
    return detail


def _shown(detail: ItemDetail) -> dict[str, Any]:
    """The records the page shows besides the item, by public id: who looked at which patient
    through a work item is as answerable as through the claim's own page."""
    shown: dict[str, Any] = {}
    if detail.claim is not None:
        shown["claim"] = str(detail.claim.public_id)
        if not detail.masked:
            shown["patient"] = str(detail.claim.patient.public_id)
    if detail.denials:
        shown["denials"] = [str(d["denial"].public_id) for d in detail.denials]
    if detail.era is not None:
        shown["era"] = str(detail.era.public_id)
    if detail.exception is not None:
        shown["era_exception"] = str(detail.exception.public_id)
    return shown
