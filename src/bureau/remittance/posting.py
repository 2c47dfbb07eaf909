"""Posting one 835 payment to the ledger: match, check, post, deny, flag.

`post_payment` runs inside the caller's transaction (the ingest of a whole file is one). It takes
the payment's totals and balancing (`PaymentEnd`, from a first streamed read) and its claims as
an iterator, and posts them in chunks of `CHUNK` claims: per chunk it reads what it needs in a
few queries (claims, lines, ledger heads, reversal originals, contract rates), decides per claim
in memory, and writes with bulk inserts — the cost of an ERA grows with its rows, not with its
claims' round trips, and a 50,000-claim payment never has all its claims (or their rows) in
memory at once. A claim met twice in one payment (a reversal and its correction) is read fresh
from what the earlier chunk wrote. `post_remittance` posts a `Remittance` held whole.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence

from django.db import IntegrityError, transaction

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.directory.models import Payer
from bureau.remittance.matching import practices_of_numbers
from bureau.remittance.models import Era, EraStatus
from bureau.remittance.outcome import EraOutcome, Ticker
from bureau.remittance.payee import payee_practice
from bureau.remittance.poster import ClaimPoster, era_status
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability
from bureau.x12.remit835 import (
    ClaimPayment,
    PaymentEnd,
    PaymentHeader,
    Remittance,
)

REASON = "ERA posting"
CHUNK = 1_000  # claims posted per round of queries and bulk inserts

__all__ = ["CHUNK", "era_status", "post_payment", "post_remittance"]


def _duplicate(
    workspace: Workspace, practice_ids: list[int], identifier: str, r: PaymentHeader
) -> bool:
    return (
        Era.objects.for_system(practice_ids, reason=REASON)
        .filter(
            workspace=workspace,
            payer_identifier=identifier,
            trace_number=r.trace_number,
            payment_amount=r.payment_amount,
        )
        .exists()
    )


def _audit_duplicate(
    actor: Actor | None, workspace: Workspace, r: PaymentHeader, file_name: str
) -> None:
    audit_record(
        action=AuditAction.ERA_DUPLICATE,
        actor=actor,
        workspace=workspace if actor is None else None,
        model="remittance.Era",
        label="" if actor is not None else "system",
        detail={"trace": r.trace_number, "amount": str(r.payment_amount), "file": file_name},
    )


def post_remittance(
    *,
    actor: Actor | None,
    workspace: Workspace,
    remittance: Remittance,
    file_name: str,
    content: str = "",
    ticker: Ticker | None = None,
) -> EraOutcome:
    """Post one 835 payment held whole, inside the caller's transaction."""
    return post_payment(
        actor=actor,
        workspace=workspace,
        end=remittance.end(),
        numbers=[c.patient_control_number for c in remittance.claims],
        claims=remittance.claims,
        file_name=file_name,
        content=content,
        ticker=ticker,
    )


def post_payment(
    *,
    actor: Actor | None,
    workspace: Workspace,
    end: PaymentEnd,
    numbers: Sequence[str],
    claims: Iterable[ClaimPayment],
    file_name: str,
    content: str = "",
    ticker: Ticker | None = None,
) -> EraOutcome:
    """Post one 835 payment inside the caller's transaction; see the module doc. `end` is the
    payment as a first read found it (totals, balancing), `numbers` its claims' CLP01s and
    `claims` the claims themselves, read again (consumed only if the payment is posted)."""
    r = end.header
    ticker = ticker or Ticker(total=end.claim_count)
    identifier = (r.payer_id or r.originator_id)[:80]
    outcome = EraOutcome(r.trace_number, r.payment_amount, r.payer_name, claims=end.claim_count)
    ws_ids = list(Practice.objects.filter(workspace=workspace).values_list("id", flat=True))
    rls.activate(set(ws_ids) | (set(actor.practice_ids()) if actor is not None else set()))
    # A person's upload knows only the practices they may post for: claims elsewhere are
    # numbers like any unknown one, and the payee is refused before "duplicate" is told.
    postable = (
        ws_ids if actor is None else [p for p in ws_ids if actor.can(Capability.PAYMENTS_POST, p)]
    )
    practice = payee_practice(
        workspace,
        r,
        lambda: practices_of_numbers(workspace.pk, postable, numbers),
        postable=postable,
    )
    if actor is not None:
        actor.require(Capability.PAYMENTS_POST, practice)
    if _duplicate(workspace, ws_ids, identifier, r):
        _audit_duplicate(actor, workspace, r, file_name)
        outcome.duplicate = True
        return outcome
    payer = (
        Payer.objects.filter(workspace=workspace, payer_id=r.payer_id).first()
        if r.payer_id
        else None
    )
    outcome.practice_code = practice.code
    problems = list(end.problems)
    era = Era(
        workspace=workspace,
        practice=practice,
        payer=payer,
        payer_name=r.payer_name[:60],
        payer_identifier=identifier,
        trace_number=r.trace_number,
        payment_amount=r.payment_amount,
        credit_debit=r.credit_debit or "C",
        payment_method=r.payment_method,
        payment_date=r.payment_date,
        total_paid=end.total_paid,
        total_provider_adjustments=end.total_provider_adjustments,
        claim_count=end.claim_count,
        status=EraStatus.EXCEPTION if problems else EraStatus.POSTED,
        balancing_problems=problems,
        file_name=file_name[:200],
        control_number=r.control_number,
        content=content,
        ingested_by=actor.user if actor is not None else None,
    )
    try:
        with transaction.atomic():  # a concurrent ingest of the same payment wins; we are the dup
            era.save(force_insert=True)
    except IntegrityError:
        _audit_duplicate(actor, workspace, r, file_name)
        outcome.duplicate = True
        return outcome
    outcome.era_id = era.pk
    poster = ClaimPoster(actor, practice, payer, era, end, problems, ticker, outcome)
    for chunk in _chunks(claims, CHUNK):
        poster.post(chunk)
    poster.finish()
    return outcome


def _chunks(claims: Iterable[ClaimPayment], size: int) -> Iterator[list[ClaimPayment]]:
    """The claims in chunks of at most `size`. A reversal of a claim already met in the open
    chunk starts the next one: a chunk reads what a reversal may take back (`unreversed_entries`)
    before it posts anything, so the reversal must see the earlier posting written, as it does
    when the two fall in different chunks. Where the boundaries fall never changes the outcome."""
    chunk: list[ClaimPayment] = []
    seen: set[str] = set()
    for claim in claims:
        number = claim.patient_control_number.strip()
        if claim.is_reversal and number in seen:
            yield chunk
            chunk, seen = [], set()
        chunk.append(claim)
        seen.add(number)
        if len(chunk) >= size:  # handed over full, before the next claim is read
            yield chunk
            chunk, seen = [], set()
    if chunk:
        yield chunk
