"""Questions to the client practice: an item waits on the practice, the practice answers.

A biller working an item asks the practice what only it knows (the op note, the patient's new
insurance card). The item is pended until the day after the practice's answer is due — if no
answer comes it returns to the queue to be chased — and the question shows in the client
portal, where a client viewer answers with a note (`questions.answer`, a capability that
changes nothing else). The answer returns the item to whoever held it (or to the queue), with
the answer in its history. Both clocks show on both sides: the practice's due date and the
billing company's SLA on the item, which keeps running.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.http import Http404

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_per_practice
from bureau.claims.selectors import patient_label
from bureau.configuration.resolver import settings_for
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.workqueues import sla
from bureau.workqueues.functions import CAPABILITY, label_of
from bureau.workqueues.models import EventKind, ItemStatus, PracticeQuestion, WorkItem
from bureau.workqueues.services import (
    QueueError,
    _audit,
    _event,
    _locked,
    _writes,
    held_by_other,
)

QUESTION_MAX = 1000
ANSWER_MAX = 2000
REASON = "the practice's answer returns its work item"
ANSWERED_SHOWN_DAYS = 60  # answered questions stay on the client's page this long


def _text(raw: Any, what: str, limit: int) -> str:
    """Free text without control or format characters, line breaks kept: PostgreSQL refuses a
    NUL, and a bidi override (U+202E) would make the text read, in the client's portal, other
    than it was written."""
    text = "".join(
        c for c in str(raw or "") if c in "\n\t" or unicodedata.category(c) not in ("Cc", "Cf")
    ).strip()
    if not text:
        raise QueueError(f"Write the {what}.")
    if len(text) > limit:
        raise QueueError(f"The {what} is too long ({limit:,} characters at most).")
    return text


def _open_question(item: WorkItem) -> PracticeQuestion | None:
    found: PracticeQuestion | None = (
        PracticeQuestion.objects.for_system([item.practice_id], reason=REASON)
        .filter(item_id=item.pk, answered_at__isnull=True)
        .first()
    )
    return found


def _waiting(question: str) -> str:
    """The pend reason of an item waiting on the practice's answer to `question`."""
    return f"Waiting on the practice: {question}"[:200]


@transaction.atomic
def ask_practice(*, actor: Actor, public_id: Any, question: Any) -> PracticeQuestion:
    """Ask the item's practice; the item waits on it (module doc). Whoever may work the item
    may ask; one open question per item."""
    text = _text(question, "question for the practice", QUESTION_MAX)
    item = _locked(actor, public_id)  # 404 unless the actor may work it
    _writes(actor, [item])
    now = clock.now()
    if held_by_other(item, actor.user, now) and not actor.can(
        Capability.QUEUE_ASSIGN, item.practice_id
    ):
        raise QueueError(f"{item.assignee.label} is working this item.")  # type: ignore[union-attr]
    if _open_question(item) is not None:
        raise QueueError("The practice has not answered the question already asked on this item.")
    effective = settings_for(item.practice)
    holidays = sla.holidays(effective)
    today = sla.local_date(now, item.practice.timezone)
    due = sla.add_business_days(today, int(effective.get("practice_questions.sla_days")), holidays)
    asked = PracticeQuestion.objects.create(
        workspace_id=item.workspace_id,
        practice_id=item.practice_id,
        item=item,
        question=text,
        asked_by=actor.user,
        asked_at=now,
        practice_due=due,
    )
    # Back in the queue the business day after the practice's due date, to chase it.
    back = sla.add_business_days(due, 1, holidays)
    item.status = ItemStatus.PENDED
    item.pended_until = back
    item.resumes_at = sla.start_of_day(back, item.practice.timezone)
    item.pend_reason = _waiting(text)
    item.claimed_until = None
    item.save(
        update_fields=["status", "pended_until", "resumes_at", "pend_reason", "claimed_until"]
    )
    _event(item, EventKind.ASKED, actor, now, text, {"practice_due": due.isoformat()})
    _audit(AuditAction.QUESTION_ASKED, actor, item, practice_due=due.isoformat())
    return asked


@transaction.atomic
def answer_question(*, actor: Actor, public_id: Any, answer: Any) -> PracticeQuestion:
    """The practice's answer: recorded, and the item back with whoever held it (else the
    queue). A question the actor may not answer is a 404 like a missing one."""
    text = _text(answer, "answer", ANSWER_MAX)
    qs = PracticeQuestion.objects.visible_to(actor, Capability.QUESTIONS_ANSWER).select_related(
        "item", "item__practice", "answered_by"
    )
    if connection.vendor == "postgresql":
        qs = qs.select_for_update(of=("self",))
    question: PracticeQuestion | None = qs.filter(public_id=public_id).first()
    if question is None:
        raise Http404
    if question.answered_at is not None:
        by = question.answered_by.label if question.answered_by is not None else "someone"
        raise QueueError(
            f"This question was answered already, by {by} on {question.answered_at:%Y-%m-%d}."
        )
    # The item under its row lock; the practice's user works no queue, so a system read of
    # the one item this question names.
    items = WorkItem.objects.for_system([question.practice_id], reason=REASON).filter(
        pk=question.item_id
    )
    if connection.vendor == "postgresql":
        items = items.select_for_update(of=("self",))
    item = items.select_related("practice").get()
    if item.status == ItemStatus.DONE:
        raise QueueError("The billing company closed this item: no answer is needed any more.")
    now = clock.now()
    question.answer, question.answered_by, question.answered_at = text, actor.user, now
    question.save(update_fields=["answer", "answered_by", "answered_at"])
    if item.status == ItemStatus.PENDED and item.pend_reason == _waiting(question.question):
        # Waiting on this question (not pended again since for another reason): to the person
        # who asked (assigned, no expiry), else to the pool.
        item.status = ItemStatus.CLAIMED if item.assignee_id is not None else ItemStatus.OPEN
        item.pended_until = item.resumes_at = None
        item.claimed_until = None
        item.pend_reason = ""
        item.save(
            update_fields=["status", "pended_until", "resumes_at", "claimed_until", "pend_reason"]
        )
    _event(item, EventKind.ANSWERED, actor, now, text)
    _audit(AuditAction.QUESTION_ANSWERED, actor, item, question=str(question.public_id))
    return question


# -- reads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuestionRow:
    """One question as the client portal and the item page show it, both clocks included."""

    public_id: str
    item_public_id: str
    practice_id: int
    practice_name: str
    function_label: str
    title: str
    claim_public_id: str
    claim_number: str
    patient: str
    masked: bool
    payer: str
    amount: Decimal
    question: str
    asked_by: str
    asked_at: datetime
    practice_due: date
    practice_clock: str  # on_time / due_today / overdue (the practice's)
    item_sla_due: date
    item_clock: str  # the billing company's SLA on the item
    answer: str
    answered_by: str
    answered_at: datetime | None
    item_done: bool

    @property
    def open(self) -> bool:
        return self.answered_at is None and not self.item_done


def _workable_questions(actor: Actor) -> QuerySet[PracticeQuestion]:
    """Questions on items the actor may work (the item page's rule)."""
    functions: dict[Any, list[str]] = {}
    for function, capability in CAPABILITY.items():
        functions.setdefault(capability, []).append(function)
    return PracticeQuestion.objects.visible_to_any(
        actor, {cap: Q(item__function__in=fs) for cap, fs in functions.items()}
    )


def _row(
    actor: Actor, q: PracticeQuestion, item: WorkItem, now: datetime, *, with_claim: bool = True
) -> QuestionRow:
    """`with_claim=False` on the item's own page, which shows the claim already."""
    today = sla.local_date(now, item.practice.timezone)
    claim = item.claim if with_claim and item.claim_id is not None else None
    patient, masked = patient_label(actor, claim.patient) if claim is not None else ("", False)
    return QuestionRow(
        public_id=str(q.public_id),
        item_public_id=str(item.public_id),
        practice_id=item.practice_id,
        practice_name=item.practice.name,
        function_label=label_of(item.function),
        title=item.title,
        claim_public_id=str(claim.public_id) if claim is not None else "",
        claim_number=claim.number if claim is not None else "",
        patient=patient,
        masked=masked,
        payer=item.payer.name if with_claim and item.payer_id is not None and item.payer else "",
        amount=item.amount,
        question=q.question,
        asked_by=q.asked_by.label,
        asked_at=q.asked_at,
        practice_due=q.practice_due,
        practice_clock=sla.sla_state(q.practice_due, today).value,
        item_sla_due=item.sla_due,
        item_clock=sla.sla_state(item.sla_due, today).value,
        answer=q.answer,
        answered_by=q.answered_by.label if q.answered_by is not None else "",
        answered_at=q.answered_at,
        item_done=item.status == ItemStatus.DONE,
    )


def question_practice_id(*, actor: Actor, public_id: Any) -> int:
    """The practice of a question the actor may answer; 404 otherwise (forbidden = missing)."""
    found = (
        PracticeQuestion.objects.visible_to(actor, Capability.QUESTIONS_ANSWER)
        .filter(public_id=public_id)
        .values_list("practice_id", flat=True)
        .first()
    )
    if found is None:
        raise Http404
    return int(found)


def item_questions(*, actor: Actor, item: WorkItem) -> list[QuestionRow]:
    """The item's questions, newest first, for its page (part of that page's audited read);
    `item` as the page loaded it (practice, claim and patient, payer)."""
    now = clock.now()
    return [
        _row(actor, q, item, now, with_claim=False)
        for q in _workable_questions(actor)
        .filter(item_id=item.pk)
        .select_related("asked_by", "answered_by")
        .order_by("-asked_at", "-id")
    ]


def practice_questions(*, actor: Actor, practice_id: int | None = None) -> list[QuestionRow]:
    """The client portal's list: open questions first (oldest due first), then those answered
    in the last 60 days; one audited read per practice shown."""
    since = clock.now() - timedelta(days=ANSWERED_SHOWN_DAYS)
    qs = PracticeQuestion.objects.visible_to(actor, Capability.QUESTIONS_VIEW).filter(
        Q(answered_at__isnull=True) | Q(answered_at__gte=since)
    )
    if practice_id is not None:
        qs = qs.filter(practice_id=practice_id)
    now = clock.now()
    rows = [
        _row(actor, q, q.item, now)
        for q in qs.select_related(
            "item",
            "item__practice",
            "item__payer",
            "item__claim",
            "item__claim__patient",
            "asked_by",
            "answered_by",
        ).order_by("practice_due", "asked_at")[:500]
    ]
    rows.sort(key=lambda r: (not r.open, r.practice_due if r.open else date.max))
    if rows:
        audit_record_per_practice(
            action=AuditAction.QUESTION_LISTED,
            actor=actor,
            model="workqueues.WorkItem",
            records=[(r.practice_id, r.item_public_id) for r in rows],
        )
    return rows
