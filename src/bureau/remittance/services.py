"""ERA services: ingest an 835 file (all or nothing) and resolve posting exceptions.

`ingest_era_text` parses the whole file first (an `X12Error` reaches the caller unchanged, nothing
written), then posts every payment in it inside ONE transaction: a crash, a kill or an error
half-way leaves no trace, and the re-run posts the file exactly once (each payment's idempotency
key is payer + trace number + amount, see `Era`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.models import Claim, ClaimLine, ClaimState
from bureau.claims.services import ALLOWED_TRANSITIONS, claim_transition
from bureau.denials.models import Denial
from bureau.denials.services import denials_reversed_by_payer
from bureau.remittance.amounts import (
    LineAmounts,
    adjustments_from_json,
    post_claim_amounts,
    reverse_entries,
    state_after,
    unreversed_entries,
)
from bureau.remittance.ledger import LedgerAppender
from bureau.remittance.models import (
    Era,
    EraClaimOutcome,
    EraException,
    EraLine,
    ExceptionReason,
    ExceptionStatus,
)
from bureau.remittance.outcome import EraOutcome, Progress, Ticker
from bureau.remittance.posting import era_status, post_remittance
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability
from bureau.x12.reader835 import iter_remittances
from bureau.x12.remit835 import Remittance

ZERO = Decimal("0.00")


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
    result = EraIngestResult(file_name)
    ticker = Ticker(total=sum(len(r.claims) for r in remittances), progress=progress)
    contents = transaction_texts(content, remittances) if content else [""] * len(remittances)
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


def transaction_texts(text: str, remittances: list[Remittance]) -> list[str]:
    """Each payment's own interchange (ISA, GS, its ST…SE, GE, IEA) for `Era.content`, so a
    file of many payments is not stored once per payment. A single-payment file is kept
    exactly as received; anything unexpected falls back to the whole file."""
    if len(remittances) <= 1:
        return [text] * len(remittances)
    body = text.lstrip("\ufeff \r\n\t")
    if not body.startswith("ISA") or len(body) < 106:
        return [text] * len(remittances)
    element, terminator = body[3], body[105]
    segments = [seg.strip("\r\n") for seg in body.split(terminator)]
    segments = [seg for seg in segments if seg]
    heads = [seg for seg in segments[:2] if seg.startswith(("ISA", "GS"))]
    trailers = [seg for seg in segments[-2:] if seg.startswith(("GE", "IEA"))]
    if len(heads) != 2 or len(trailers) != 2:
        return [text] * len(remittances)
    ge = trailers[0].split(element)
    ge[1] = "1"  # this interchange holds one transaction set
    out: list[str] = []
    for remittance in remittances:
        start = remittance.segment_index - 1
        if not 0 <= start < len(segments) or not segments[start].startswith("ST" + element):
            return [text] * len(remittances)
        end = next(
            (i for i in range(start, len(segments)) if segments[i].startswith("SE" + element)),
            None,
        )
        if end is None:
            return [text] * len(remittances)
        parts = [*heads, *segments[start : end + 1], element.join(ge), trailers[1]]
        out.append("\n".join(part + terminator for part in parts) + "\n")
    return out


def ingest_era_text(
    *,
    actor: Actor | None,
    workspace: Workspace,
    text: str,
    file_name: str,
    progress: Progress | None = None,
) -> EraIngestResult:
    """Parse an 835 interchange and post it (see the module doc)."""
    remittances = parse_835(text)
    return ingest_remittances(
        actor=actor,
        workspace=workspace,
        remittances=remittances,
        file_name=file_name,
        content=text,
        progress=progress,
    )


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
    current.resolved_at = timezone.now()
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
