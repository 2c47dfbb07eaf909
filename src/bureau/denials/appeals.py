"""Appeals of a denial: levels and their windows (from the one deadline engine), opening an
appeal (late only by a supervisor with a reason), the rebuttal, submission, the outcome, and
outcomes recorded by a later 835 that pays the claim.

Levels: Medicare has five (redetermination … federal court) with amount-in-controversy minimums
for the ALJ and the court; a commercial payer two internal levels (ERISA). Level n+1 opens only
when level n was decided against us (upheld, or only partly overturned); its clock runs from
that decision.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.http import Http404

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record, audit_record_many
from bureau.denials.appeal_models import Appeal, AppealMethod, AppealOutcome
from bureau.denials.models import Denial, DenialEvent, DenialStatus
from bureau.directory.models import PayerKind
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.workqueues import deadlines
from bureau.workqueues.deadlines import AIC_YEAR, ClaimFacts, ClockKind
from bureau.workqueues.sla import local_date

if TYPE_CHECKING:
    from bureau.remittance.models import Era

ZERO = Decimal("0.00")
MAX_MONEY = Decimal("9999999999.99")  # max_digits=12, decimal_places=2
MAX_REBUTTAL = 20_000
MAX_ATTACHMENTS = 4_000
EARLIEST = date(2000, 1, 1)
APPEAL_KINDS = {
    ClockKind.APPEAL,
    ClockKind.REDETERMINATION,
    ClockKind.RECONSIDERATION,
    ClockKind.ALJ,
    ClockKind.APPEALS_COUNCIL,
    ClockKind.FEDERAL_COURT,
}
# Decisions against us: the next level may be asked for.
OPENS_NEXT = {AppealOutcome.UPHELD, AppealOutcome.PARTIALLY_OVERTURNED}


def practice_today(actor: Actor, practice_id: int) -> date:
    """The practice's calendar day: its clocks run out at its midnight, as in the work queue."""
    return local_date(clock.now(), actor.access[practice_id].practice.timezone)


class AppealError(ValueError):
    """The appeal cannot be made or changed; the message says why, for the person."""


@dataclass(frozen=True)
class NextLevel:
    level: int
    kind: str
    label: str
    deadline: date
    source: str
    minimum_in_controversy: Decimal | None
    in_controversy: Decimal
    late: bool


# Lines no longer in dispute: written off, or taken back by the payer.
SETTLED = (DenialStatus.WRITTEN_OFF, DenialStatus.REVERSED)


def claim_rows(denial: Denial, actor: Actor | None = None) -> QuerySet[Denial]:
    """Every denied line worked as one item with `denial` (the claim on that ERA loop, as
    `services.claim_denial_rows`): an appeal is of all of them, for their total. Through the
    actor's scope, or the system's for the payer's own answers."""
    base = (
        Denial.objects.visible_to(actor, Capability.DENIALS_VIEW)
        if actor is not None
        else Denial.objects.for_system([denial.practice_id], reason="appeal of a claim's denial")
    )
    return base.filter(claim_id=denial.claim_id, era_claim_id=denial.era_claim_id)


def denied_total(denial: Denial, actor: Actor | None = None) -> Decimal:
    """What the appeal disputes: the claim's denied lines still in dispute, together."""
    total = (claim_rows(denial, actor).exclude(status__in=SETTLED).aggregate(total=Sum("amount")))[
        "total"
    ]
    return total if total is not None else denial.amount


def _is_medicare(denial: Denial) -> bool:
    return denial.payer is not None and denial.payer.kind == PayerKind.MEDICARE


def level_label(denial: Denial, level: int) -> str:
    if _is_medicare(denial):
        step = deadlines.medicare_appeal_level(level)
        return step.label if step else f"Level {level}"
    return f"Level {level} appeal"


def next_level(
    denial: Denial, appeals: Sequence[Appeal], today: date, disputed: Decimal | None = None
) -> NextLevel | None:
    """The level that may be opened now, with its deadline; None when none may (one pending,
    the last one won, or every level used)."""
    decided = sorted(appeals, key=lambda a: a.level)
    last = decided[-1] if decided else None
    if last is not None and (not last.outcome or last.outcome not in OPENS_NEXT):
        return None
    level = (last.level + 1) if last else 1
    payer = denial.payer
    facts = ClaimFacts(
        date_of_service=denial.claim.encounter.date_of_service,
        payer_is_medicare=_is_medicare(denial),
        payer_name=payer.name if payer else denial.era.payer_name,
        timely_filing_days=0,
        appeal_limit_days=(denial.appeal_deadline - denial.denied_on).days,
        corrected_claim_days=0,
        accepted_on=denial.denied_on,
        determined_on=denial.denied_on,
        carc=denial.carc,
        group_code=denial.group_code,
        appeal_level=level - 1,
        last_decision_on=last.decided_on if last else None,
    )
    clock = next((c for c in deadlines.claim_clocks(facts) if c.kind in APPEAL_KINDS), None)
    if clock is None:
        if level != 1:
            return None
        # CO-29: the engine gives no appeal clock (an appeal cannot cure late filing), but a
        # proof-of-timely-filing appeal is still made within the payer's limit.
        kind, due, source = (
            ClockKind.APPEAL.value,
            denial.appeal_deadline,
            "payer appeal limit from the denial",
        )
    else:
        kind, due, source = clock.kind.value, clock.due, clock.source
    recovered = sum((a.amount_recovered or ZERO for a in decided), ZERO)
    disputed = denial.amount if disputed is None else disputed
    minimum = None
    if _is_medicare(denial):
        step = deadlines.medicare_appeal_level(level)
        minimum = step.minimum_in_controversy if step else None
    return NextLevel(
        level=level,
        kind=kind,
        label=level_label(denial, level),
        deadline=due,
        source=source,
        minimum_in_controversy=minimum,
        in_controversy=max(disputed - recovered, ZERO),
        late=today > due,
    )


def _locked_denial(actor: Actor, denial: Denial) -> Denial:
    locked: Denial | None = (
        Denial.objects.visible_to(actor, Capability.DENIALS_WORK)
        .select_for_update(of=("self",))
        .select_related("claim__encounter", "payer", "era")
        .filter(pk=denial.pk)
        .first()
    )
    if locked is None:
        raise Http404
    return locked


def _audit(actor: Actor, appeal: Appeal, denial: Denial, detail: dict[str, Any]) -> None:
    audit_record(
        action=AuditAction.DENIAL_UPDATED,
        actor=actor,
        practice=actor.access[denial.practice_id].practice,
        model="denials.Appeal",
        record_ids=[appeal.public_id],
        detail={"denial": str(denial.public_id), "level": appeal.level, **detail},
    )


def _set_status(actor: Actor | None, denial: Denial, status: str) -> dict[str, list[str]]:
    """The status of every line of the claim's denial still in dispute (one item, one status,
    as `services.denial_update` sets it)."""
    moved = claim_rows(denial, actor).exclude(status__in=SETTLED).exclude(status=status)
    was = moved.order_by("id").values_list("status", flat=True).first()
    if was is None:
        return {}  # nothing in dispute changes (settled lines keep theirs: no history line)
    # A settled anchor (written off, reversed) keeps its status; the history names a status
    # that actually moved, never "written off → resolved".
    settled = denial.status in SETTLED
    change = {"status": [was if settled else denial.status, status]}
    moved.update(status=status)
    if not settled:
        denial.status = status
    return change


def _history(actor: Actor | None, denial: Denial, note: str, changes: dict[str, Any]) -> None:
    """The step on the denial's page (its history hangs off the claim's first denied line)."""
    first = claim_rows(denial, actor).order_by("id").first() or denial
    DenialEvent.objects.create(
        workspace_id=denial.workspace_id,
        practice_id=denial.practice_id,
        denial=first,
        user=actor.user if actor is not None else None,
        note=note[:300],
        changes=changes,
    )


def appeal_create(
    *,
    actor: Actor,
    denial: Denial,
    level: int | str | None,
    late_reason: str = "",
    today: date | None = None,
) -> Appeal:
    """Open the next level of appeal. Past its deadline only a supervisor (denials.supervise)
    may, and only with a reason; Medicare's ALJ and court levels need their minimum amount in
    controversy."""
    actor.require(Capability.DENIALS_WORK, denial.practice_id)
    today = today or practice_today(actor, denial.practice_id)
    late_reason = (late_reason or "").replace("\x00", "").strip()  # no NUL in PG text
    if len(late_reason) > 300:
        raise AppealError("The reason is too long (300 characters at most).")
    with transaction.atomic():
        # Every denied line of the claim, locked in id order before anything is read: the
        # claim's appeal is one, opened from any line's page, so two people on two lines'
        # pages must queue on the same rows (locking only their own line let both insert
        # level 1 and the second hit the unique constraint: a 500).
        list(
            claim_rows(denial, actor)
            .select_for_update(of=("self",))
            .order_by("id")
            .values_list("id", flat=True)
        )
        locked = _locked_denial(actor, denial)
        if locked.status in (DenialStatus.WRITTEN_OFF, DenialStatus.REVERSED):
            raise AppealError(
                f"A denial that is {locked.get_status_display().lower()} cannot be appealed."
            )
        # The claim's denial is one item: its appeals hang off its first denied line, whichever
        # line's page the appeal was opened from.
        anchor = claim_rows(locked, actor).order_by("id").first() or locked
        existing = list(
            Appeal.objects.visible_to(actor, Capability.DENIALS_WORK).filter(
                denial__in=claim_rows(locked, actor)
            )
        )
        step = next_level(locked, existing, today, denied_total(locked, actor))
        if step is None:
            raise AppealError(
                "No appeal level can be opened now: one is pending, the last one "
                "was won, or every level has been used."
            )
        if level not in (None, "") and str(level).strip() != str(step.level):
            raise AppealError(f"The next level is {step.level}; level {level} cannot be opened.")
        if (
            step.minimum_in_controversy is not None
            and step.in_controversy < step.minimum_in_controversy
        ):
            raise AppealError(
                f"{step.label} needs at least ${step.minimum_in_controversy} in controversy "
                f"({AIC_YEAR} amount); this claim has ${step.in_controversy}."
            )
        approved_by = None
        if step.late:
            if not actor.can(Capability.DENIALS_SUPERVISE, locked.practice_id):
                raise AppealError(
                    f"The deadline ({step.deadline:%Y-%m-%d}) has passed; only a "
                    "supervisor may open a late appeal, with a reason."
                )
            if not late_reason:
                raise AppealError(
                    f"The deadline ({step.deadline:%Y-%m-%d}) has passed; a reason is required."
                )
            approved_by = actor.user
        appeal = Appeal.objects.create(
            workspace_id=locked.workspace_id,
            practice_id=locked.practice_id,
            denial=anchor,
            level=step.level,
            kind=step.kind,
            deadline=step.deadline,
            deadline_source=step.source[:300],
            late_reason=late_reason if step.late else "",
            late_approved_by=approved_by,
            created_by=actor.user,
        )
        changes = _set_status(actor, locked, DenialStatus.APPEALED)
        _history(
            actor,
            locked,
            f"{step.label} opened for ${step.in_controversy}, due {step.deadline:%Y-%m-%d}"
            + (f" (late: {late_reason})" if step.late else ""),
            changes,
        )
        _audit(
            actor,
            appeal,
            locked,
            {
                "opened": step.kind,
                "deadline": str(step.deadline),
                **({"late_reason": late_reason} if step.late else {}),
                **changes,
            },
        )
    return appeal


def appeal_get(*, actor: Actor, public_id: Any, capability: Capability) -> Appeal:
    appeal: Appeal | None = (
        Appeal.objects.visible_to(actor, capability)
        .select_related(
            "denial__claim__encounter", "denial__payer", "denial__era", "denial__claim_line"
        )
        .filter(public_id=public_id)
        .first()
    )
    if appeal is None or not actor.can(capability, appeal.denial.practice_id):
        raise Http404
    return appeal


def _locked_appeal(actor: Actor, appeal: Appeal) -> Appeal:
    actor.require(Capability.DENIALS_WORK, appeal.practice_id)
    locked: Appeal | None = (
        Appeal.objects.visible_to(actor, Capability.DENIALS_WORK)
        .select_for_update()
        .filter(pk=appeal.pk)
        .first()
    )
    if locked is None:
        raise Http404
    return locked


def appeal_write(*, actor: Actor, appeal: Appeal, rebuttal: str, attachments: str) -> Appeal:
    rebuttal = (rebuttal or "").replace("\x00", "").replace("\r\n", "\n").strip()
    attachments = (attachments or "").replace("\x00", "").replace("\r\n", "\n").strip()
    if len(rebuttal) > MAX_REBUTTAL:
        raise AppealError(f"The rebuttal is too long ({MAX_REBUTTAL} characters at most).")
    if len(attachments) > MAX_ATTACHMENTS:
        raise AppealError(f"The attachments list is too long ({MAX_ATTACHMENTS} at most).")
    with transaction.atomic():
        locked = _locked_appeal(actor, appeal)
        if locked.submitted_on is not None:
            raise AppealError("The appeal was submitted; its letter cannot change.")
        locked.rebuttal, locked.attachments = rebuttal, attachments
        locked.save(update_fields=["rebuttal", "attachments"])
        _audit(
            actor,
            locked,
            appeal.denial,
            {"rebuttal": len(rebuttal), "attachments": len(attachments.splitlines())},
        )
    return locked


def parse_date(value: str, what: str, today: date) -> date:
    text = (value or "").strip()
    if not text.isascii():
        raise AppealError(f"The {what} must be a date like 2026-03-31.")
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise AppealError(f"The {what} must be a date like 2026-03-31.") from exc
    if day < EARLIEST or day > today:
        raise AppealError(f"The {what} must be between {EARLIEST} and today.")
    return day


def parse_money(value: str) -> Decimal:
    text = (value or "").strip().replace(",", "").lstrip("$")
    if not text.isascii() or not text:
        raise AppealError("The amount must be a number like 125.00.")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:
        raise AppealError("The amount must be a number like 125.00.") from exc
    if not amount.is_finite() or amount < 0 or amount > MAX_MONEY:
        raise AppealError("The amount must be between 0 and 9,999,999,999.99.")
    if amount != amount.quantize(Decimal("0.01")):
        raise AppealError("The amount has at most two decimal places.")
    return amount.quantize(Decimal("0.01"))


def appeal_submit(
    *,
    actor: Actor,
    appeal: Appeal,
    submitted_on: str,
    method: str,
    reference: str,
    late_reason: str = "",
    today: date | None = None,
) -> Appeal:
    """Record that the appeal was sent; the letter is frozen as rendered then. Sent after its
    deadline is appealing late: as when opening one, only a supervisor may, with a reason
    (unless a supervisor already approved the appeal as late when it was opened)."""
    from bureau.denials.letters import store_pdf

    actor.require(Capability.DENIALS_WORK, appeal.practice_id)
    today = today or practice_today(actor, appeal.practice_id)
    day = parse_date(submitted_on, "submission date", today)
    if method not in AppealMethod.values:
        raise AppealError("Choose how the appeal was sent.")
    reference = (reference or "").replace("\x00", "").strip()
    if len(reference) > 100:
        raise AppealError("The reference is too long (100 characters at most).")
    late_reason = (late_reason or "").replace("\x00", "").strip()  # no NUL in PG text
    if len(late_reason) > 300:
        raise AppealError("The reason is too long (300 characters at most).")
    if day < appeal.denial.denied_on:
        raise AppealError(
            f"The submission date cannot be before the denial ({appeal.denial.denied_on})."
        )
    with transaction.atomic():
        locked = _locked_appeal(actor, appeal)
        if locked.submitted_on is not None:
            raise AppealError("The appeal was already submitted.")
        if locked.outcome:
            raise AppealError("The appeal already has an outcome.")
        # An appeal opened in time but sent after its deadline is a late appeal too: the rule
        # on opening would mean nothing if marking it sent later were free.
        late = day > locked.deadline and locked.late_approved_by_id is None
        if late:
            if not actor.can(Capability.DENIALS_SUPERVISE, locked.practice_id):
                raise AppealError(
                    f"Sent after the deadline ({locked.deadline:%Y-%m-%d}): only a supervisor "
                    "may record a late appeal, with a reason."
                )
            if not late_reason:
                raise AppealError(
                    f"Sent after the deadline ({locked.deadline:%Y-%m-%d}): a reason is required."
                )
            locked.late_reason, locked.late_approved_by = late_reason, actor.user
            locked.save(update_fields=["late_reason", "late_approved_by"])
        # Rendered now, always: a PDF downloaded while drafting was stored, and the rebuttal
        # may have changed since; the letter frozen is the one as it stands when sent.
        store_pdf(actor, locked, appeal.denial)
        locked.submitted_on, locked.method, locked.reference = day, method, reference
        locked.save(update_fields=["submitted_on", "method", "reference"])
        _history(
            actor,
            appeal.denial,
            f"{level_label(appeal.denial, locked.level)} submitted {day:%Y-%m-%d} by "
            f"{locked.get_method_display().lower()}"
            + (f", ref {reference}" if reference else "")
            + (f" (late: {late_reason})" if late else ""),
            {},
        )
        _audit(
            actor,
            locked,
            appeal.denial,
            {
                "submitted_on": str(day),
                "method": method,
                "reference": reference,
                "letter_sha256": locked.letter_sha256,
                **({"late_reason": late_reason} if late else {}),
            },
        )
    return locked


def _status_after(outcome: str) -> str:
    return (
        DenialStatus.RESOLVED if outcome == AppealOutcome.OVERTURNED else DenialStatus.IN_PROGRESS
    )


def appeal_decide(
    *,
    actor: Actor,
    appeal: Appeal,
    outcome: str,
    decided_on: str,
    amount: str,
    today: date | None = None,
) -> Appeal:
    """Record the payer's decision; the denial's status follows (resolved on overturn)."""
    actor.require(Capability.DENIALS_WORK, appeal.practice_id)
    today = today or practice_today(actor, appeal.practice_id)
    if outcome not in AppealOutcome.values:
        raise AppealError("Choose the outcome.")
    day = parse_date(decided_on, "decision date", today)
    recovered = parse_money(amount) if (amount or "").strip() else ZERO
    with transaction.atomic():
        locked = _locked_appeal(actor, appeal)
        denial = _locked_denial(actor, appeal.denial)
        if locked.outcome:
            raise AppealError("The appeal already has an outcome.")
        if locked.submitted_on is None:
            raise AppealError("Mark the appeal submitted before recording its outcome.")
        if day < locked.submitted_on:
            raise AppealError("The decision cannot come before the submission.")
        disputed = denied_total(denial, actor)
        if recovered > disputed:
            raise AppealError(f"The amount recovered cannot exceed the denied ${disputed}.")
        if outcome == AppealOutcome.UPHELD and recovered != ZERO:
            raise AppealError("An upheld appeal recovers nothing.")
        locked.outcome, locked.decided_on, locked.amount_recovered = outcome, day, recovered
        locked.save(update_fields=["outcome", "decided_on", "amount_recovered"])
        changes = _set_status(actor, denial, _status_after(outcome))
        _history(
            actor,
            denial,
            f"{level_label(denial, locked.level)}: {locked.get_outcome_display().lower()}, "
            f"${recovered} recovered (decided {day:%Y-%m-%d})",
            changes,
        )
        _audit(
            actor,
            locked,
            denial,
            {
                "outcome": outcome,
                "decided_on": str(day),
                "amount_recovered": str(recovered),
                **changes,
            },
        )
    return locked


def appeals_paid_by_payer(
    *,
    actor: Actor | None,
    practices: Sequence[Practice],
    paid: Mapping[int, Decimal],
    era: Era,
    settled: Collection[int] = (),
) -> int:
    """A later 835 paid claims under appeal: their pending appeals take the outcome by
    themselves (overturned when the denied amount is paid, or when the claim is in `settled`
    — paid all the payer allows with no denying reason left, `appeal_payer.paid_as_allowed`;
    partially otherwise), the payment shared among the claim's appealed denials in deadline
    order. Returns how many decided."""
    claim_ids = [cid for cid, amount in paid.items() if amount > 0]
    if not claim_ids:
        return 0
    by_id = {p.pk: p for p in practices}
    pending = list(
        Appeal.objects.for_system(list(by_id), reason="appeal paid by 835")
        .filter(denial__claim_id__in=claim_ids, outcome="")
        .exclude(denial__era=era)
        .select_related("denial")
        .order_by("denial__appeal_deadline", "id")
    )
    if not pending:
        return 0
    left = {cid: paid[cid] for cid in claim_ids}
    per_practice: dict[int, list[Any]] = {}
    for appeal in pending:
        denial = appeal.denial
        disputed = denied_total(denial)
        share = min(left[denial.claim_id], disputed)
        left[denial.claim_id] -= share
        if share <= 0:
            continue
        appeal.outcome = (
            AppealOutcome.OVERTURNED
            if share >= disputed or denial.claim_id in settled
            else AppealOutcome.PARTIALLY_OVERTURNED
        )
        appeal.amount_recovered = share
        appeal.decided_on = era.payment_date
        appeal.save(update_fields=["outcome", "amount_recovered", "decided_on"])
        changes = _set_status(None, denial, _status_after(appeal.outcome))
        _history(
            None,
            denial,
            f"Payer paid ${share} on the level {appeal.level} appeal "
            f"({appeal.get_outcome_display().lower()}, ERA {era.trace_number})",
            changes,
        )
        per_practice.setdefault(appeal.practice_id, []).append(appeal.public_id)
    if not per_practice:
        return 0
    audit_record_many(
        action=AuditAction.DENIAL_UPDATED,
        actor=actor,
        workspace=era.workspace if actor is None else None,
        model="denials.Appeal",
        targets=[(by_id[pid], ids) for pid, ids in sorted(per_practice.items())],
        detail={"outcome": "from 835", "era": era.trace_number},
        label="" if actor is not None else "system",
    )
    return sum(len(v) for v in per_practice.values())
