"""ERA services: ingest an 835 file (all or nothing) and resolve posting exceptions.

`ingest_era_text` reads the whole file first (`plan_835`: an `X12Error` reaches the caller
unchanged, nothing written), keeping of each payment only its totals, balancing and claim
numbers; then it reads the file again, claim by claim, and posts every payment inside ONE
transaction: a crash, a kill or an error half-way leaves no trace, and the re-run posts the file
exactly once (each payment's idempotency key is payer + trace number + amount, see `Era`). Two
streamed reads cost less than one read held whole: a 50,000-claim payment never has all its
claims in memory at once.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.db import transaction

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.models import Claim, ClaimLine, ClaimState
from bureau.claims.services import ALLOWED_TRANSITIONS, claim_transition
from bureau.denials.appeals import appeals_paid_by_payer
from bureau.denials.models import Denial
from bureau.denials.services import denials_reversed_by_payer
from bureau.ledger.services import LedgerAppender, unreversed_entries
from bureau.remittance.amounts import (
    LineAmounts,
    adjustments_from_json,
    post_claim_amounts,
    reverse_entries,
    state_after,
)
from bureau.remittance.models import (
    Era,
    EraClaimOutcome,
    EraException,
    EraLine,
    ExceptionReason,
    ExceptionStatus,
)
from bureau.remittance.outcome import EraOutcome, Progress, Ticker
from bureau.remittance.posting import era_status, post_payment, post_remittance
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability
from bureau.x12.errors import X12Error
from bureau.x12.reader835 import Event, iter_remittances, stream_835
from bureau.x12.remit835 import ClaimPayment, PaymentEnd, PaymentHeader, Remittance
from bureau.x12.transaction_sets import split_transaction_sets

ZERO = Decimal("0.00")
MAX_TOTAL = Decimal("1E10")  # money columns: 12 digits, 2 of them cents
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)  # payment dates (BPR16) taken


@dataclass
class EraIngestResult:
    file_name: str
    eras: list[EraOutcome] = field(default_factory=list)

    @property
    def posted(self) -> int:
        return sum(e.posted for e in self.eras)

    @property
    def exceptions(self) -> int:
        return sum(e.exceptions for e in self.eras)

    @property
    def duplicates(self) -> int:
        return sum(1 for e in self.eras if e.duplicate)


def parse_835(text: str) -> list[Remittance]:
    """Every payment in the file (X12Error on malformed input)."""
    return list(iter_remittances(text))


def ingest_remittances(
    *,
    actor: Actor | None,
    workspace: Workspace,
    remittances: list[Remittance],
    file_name: str,
    content: str = "",
    progress: Progress | None = None,
) -> EraIngestResult:
    """Post parsed payments, all of them or none (one transaction)."""
    for remittance in remittances:
        end = remittance.end()
        _check_storable(end, sum((_claim_magnitude(c) for c in remittance.claims), ZERO))
    result = EraIngestResult(file_name)
    ticker = Ticker(total=sum(len(r.claims) for r in remittances), progress=progress)
    contents = (
        transaction_texts(content, [r.segment_index for r in remittances])
        if content
        else [""] * len(remittances)
    )
    with transaction.atomic():
        for remittance, own_content in zip(remittances, contents, strict=True):
            result.eras.append(
                post_remittance(
                    actor=actor,
                    workspace=workspace,
                    remittance=remittance,
                    file_name=file_name,
                    content=own_content,
                    ticker=ticker,
                )
            )
    if progress is not None:
        progress(ticker.total, ticker.total, "done")
    return result


@dataclass
class PaymentPlan:
    """One payment as the first read of a file found it: its totals and balancing, and its
    claims' numbers (which practice it pays) — not the claims themselves."""

    end: PaymentEnd
    numbers: list[str]


def plan_835(text: str) -> list[PaymentPlan]:
    """Every payment of the file, read through once: X12Error on malformed input, or on a
    payment whose amounts Bureau cannot store (`_check_storable`), before anything is written."""
    plans: list[PaymentPlan] = []
    numbers: list[str] = []
    magnitude = ZERO
    for event in stream_835(text):
        if type(event) is ClaimPayment:
            numbers.append(event.patient_control_number)
            if magnitude < MAX_TOTAL:
                magnitude += _claim_magnitude(event)
        elif isinstance(event, PaymentHeader):
            numbers, magnitude = [], ZERO
        elif isinstance(event, PaymentEnd):
            _check_storable(event, magnitude)
            plans.append(PaymentPlan(event, numbers))
    return plans


def _claim_magnitude(claim: ClaimPayment) -> Decimal:
    amounts = [claim.charge, claim.paid, claim.patient_responsibility or ZERO]
    amounts += [a.amount for a in claim.adjustments]
    for svc in claim.services:
        amounts += [svc.charge, svc.paid, svc.allowed or ZERO]
        amounts += [a.amount for a in svc.adjustments]
    return sum((abs(a) for a in amounts), ZERO)


def _check_storable(end: PaymentEnd, claims_magnitude: Decimal) -> None:
    """An X12 amount may have 18 digits; Bureau's money columns hold 10 before the point. Every
    sum posting makes of one payment's amounts (its totals, what an exception puts at stake) is
    at most the sum of them all without sign, so that is what must fit: refused before anything
    is written, rather than failing in the database half-way."""
    header = end.header
    if not FIRST_DAY <= header.payment_date <= LAST_DAY:
        # Deadlines are counted from the payment date (a denial's appeal limit): a date where
        # the calendar ends would fail half-way, not as the file's fault.
        raise X12Error(
            header.segment_index,
            f"payment {header.trace_number}: BPR16 {header.payment_date.isoformat()} is not a "
            f"payment date Bureau can post ({FIRST_DAY.year}-{LAST_DAY.year})",
            segment_id="ST",
        )
    total = abs(header.payment_amount) + claims_magnitude
    total += sum((abs(p.amount) for p in end.provider_adjustments), ZERO)
    if total >= MAX_TOTAL:
        raise X12Error(
            header.segment_index,
            f"payment {header.trace_number}: its amounts add up to more than Bureau can post",
            segment_id="ST",
        )


def transaction_texts(text: str, indexes: Sequence[int]) -> list[str]:
    """Each payment's own interchange (ISA, GS, its ST…SE, GE, IEA) for `Era.content`, found
    by the position of its ST (`indexes`). The payments must be exactly the file's transaction
    sets: an ERA never stores another payment's segments, and never the whole file in place of
    its own."""
    sets = {s.index: s.text for s in split_transaction_sets(text, "835")}
    if sorted(sets) != sorted(indexes):
        raise X12Error(None, "the file's transaction sets are not the payments read from it")
    return [sets[index] for index in indexes]


def _claims_of_payment(events: Iterator[Event]) -> Iterator[ClaimPayment]:
    """The claims of the next payment in `events`, up to its PaymentEnd."""
    for event in events:
        if type(event) is ClaimPayment:
            yield event
        elif isinstance(event, PaymentEnd):
            return


def ingest_era_text(
    *,
    actor: Actor | None,
    workspace: Workspace,
    text: str,
    file_name: str,
    progress: Progress | None = None,
) -> EraIngestResult:
    """Read an 835 interchange and post it (see the module doc)."""
    plans = plan_835(text)
    contents = transaction_texts(text, [p.end.header.segment_index for p in plans])
    result = EraIngestResult(file_name)
    ticker = Ticker(total=sum(p.end.claim_count for p in plans), progress=progress)
    with transaction.atomic():
        events = stream_835(text)
        for plan, content in zip(plans, contents, strict=True):
            claims = _claims_of_payment(events)
            result.eras.append(
                post_payment(
                    actor=actor,
                    workspace=workspace,
                    end=plan.end,
                    numbers=plan.numbers,
                    claims=claims,
                    file_name=file_name,
                    content=content,
                    ticker=ticker,
                )
            )
            for _ in claims:  # a duplicate payment leaves its claims unread
                pass
    if progress is not None:
        progress(ticker.total, ticker.total, "done")
    return result


class ResolutionError(ValueError):
    """The exception cannot be resolved that way (the message says why)."""


def open_exception(actor: Actor, exception: EraException, note: str) -> EraException:
    """The exception, locked, if the actor may post on its practice, it is still open and the
    poster wrote why (every way of resolving one starts here)."""
    actor.require(Capability.PAYMENTS_POST, exception.practice_id)
    rls.activate(actor.practice_ids())
    if not note.strip():
        raise ResolutionError("a note is required to resolve an exception")
    current: EraException | None = (
        EraException.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .select_for_update(of=("self",))  # era_claim is an outer join: lock the row only
        .select_related("era_claim", "era")
        .filter(pk=exception.pk)
        .first()
    )
    if current is None:
        raise ResolutionError("no such exception")
    if current.status != ExceptionStatus.OPEN:
        raise ResolutionError("this exception is already resolved")
    return current


@transaction.atomic
def era_exception_resolve(
    *, actor: Actor, exception: EraException, action: str, note: str
) -> EraException:
    """Close an ERA exception: "post" posts the claim as the payer sent it (after a poster's
    review of an overpayment, a policy hold, ...); "dismiss" closes it without posting."""
    if action not in ("post", "dismiss"):
        raise ResolutionError(f"unknown action {action!r}: post or dismiss")
    current = open_exception(actor, exception, note)
    note = note.strip()
    era = (
        Era.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .select_for_update()
        .get(pk=current.era_id)
    )
    if action == "post":
        _post_as_received(actor, current, era)
    era_claim = current.era_claim
    if era_claim is not None:
        era_claim.outcome = (
            EraClaimOutcome.RESOLVED if action == "post" else EraClaimOutcome.DISMISSED
        )
        era_claim.save(update_fields=["outcome"])
    current.status = ExceptionStatus.POSTED if action == "post" else ExceptionStatus.DISMISSED
    current.resolved_at = clock.now()
    current.resolved_by = actor.user
    current.resolution_note = note[:300]
    current.save(update_fields=["status", "resolved_at", "resolved_by", "resolution_note"])
    era.exception_count = max(era.exception_count - 1, 0)
    if action == "post":
        era.posted_count += 1
    era.status = era_status(era)
    era.save(update_fields=["exception_count", "posted_count", "status"])
    audit_record(
        action=AuditAction.ERA_EXCEPTION_RESOLVED,
        actor=actor,
        practice=current.practice,
        model="remittance.EraException",
        record_ids=[current.public_id],
        detail={
            "action": action,
            "reason": current.reason,
            "era": era.trace_number,
            "amount": str(current.amount),
            "note": note[:200],
        },
    )
    from bureau.workqueues.hooks import remittance_changed

    remittance_changed(
        actor=actor,
        workspace_id=era.workspace_id,
        practice_ids=[current.practice_id],
        claim_ids=[current.claim_id] if current.claim_id else [],
        era_ids=[era.pk],
        cause=f"ERA exception {action}",
    )
    return current


def _post_as_received(actor: Actor, exc: EraException, era: Era) -> None:
    era_claim = exc.era_claim
    if exc.reason == ExceptionReason.BALANCE_MISMATCH or era_claim is None:
        raise ResolutionError("an ERA that does not add up cannot be posted; dismiss it")
    if era_claim.claim_id is None:
        raise ResolutionError("the claim was not matched; there is nothing to post it to")
    ordered = list(
        ClaimLine.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .filter(claim_id=era_claim.claim_id)
        .order_by("line_number")
    )
    lines = {ln.pk: ln for ln in ordered}
    era_lines = list(
        EraLine.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .filter(era_claim_id=era_claim.pk)
        .order_by("id")
    )
    if any(el.claim_line_id is None for el in era_lines):
        raise ResolutionError("a service line was not matched; there is nothing to post it to")
    appender = LedgerAppender([era.practice_id], list(lines))
    common = {"era": era, "effective_date": era.payment_date, "posted_by_id": actor.user.pk}
    claim = (
        Claim.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .select_for_update()
        .get(pk=era_claim.claim_id)
    )
    if era_claim.status_code == "22":
        originals = unreversed_entries([era.practice_id], [claim.pk]).get(claim.pk, [])
        if not originals:
            raise ResolutionError("nothing posted on this claim is left to reverse")
        reverse_entries(appender, originals, lines, **common)
        denials_reversed_by_payer(
            actor=actor, practices=[exc.practice], claim_ids=[claim.pk], era=era
        )
        target = ClaimState.ACCEPTED
    else:
        items = [
            LineAmounts(lines[el.claim_line_id], el.paid, adjustments_from_json(el.adjustments))
            for el in era_lines
            if el.claim_line_id is not None
        ]
        claim_adjustments = adjustments_from_json(era_claim.adjustments)
        if any(a < 0 for *_, a in claim_adjustments) or any(
            a < 0 for item in items for *_, a in item.adjustments
        ):
            raise ResolutionError("negative adjustments cannot be posted as received")
        unassigned = ZERO if era_lines else era_claim.paid
        post_claim_amounts(appender, ordered, items, claim_adjustments, unassigned, **common)
        denied = (
            Denial.objects.for_system([era.practice_id], reason="ERA exception posting")
            .filter(era_claim_id=era_claim.pk)
            .exists()
        )
        target = state_after([appender.balance(pk) for pk in lines], era_claim.paid, denied)
        appeals_paid_by_payer(
            actor=actor, practices=[exc.practice], paid={claim.pk: era_claim.paid}, era=era
        )
    appender.flush()
    state = ClaimState(claim.state)
    if target != state and target in ALLOWED_TRANSITIONS[state]:
        claim_transition(
            actor=actor,  # the poster who reviewed and posted it, never "system"
            claim=claim,
            to_state=target,
            note=f"ERA {era.trace_number} posted after review",
            capability=Capability.PAYMENTS_POST,
        )
