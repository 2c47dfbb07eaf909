"""Scoped reads of the ledger: a claim's entries, and the money panel of the claim page.

The claim page (claims/) reads a claim's money here, not from remittance/: the ledger sits below
both. The panel also lists the claim's ERA claim loops, which are remittance's records; the
remittance app registers its reader at start-up (`register_remittance_reader`, called from
`RemittanceConfig.ready`), so neither claims/ nor the ledger imports remittance/.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.models import Acknowledgement, Claim
from bureau.ledger.models import LedgerEntry
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.x12 import adjustment_codes

ZERO = Decimal("0.00")

RemittanceReader = Callable[..., list[Any]]  # (*, actor, claim) -> the claim's ERA claim loops
_remittance_readers: list[RemittanceReader] = []


def register_remittance_reader(reader: RemittanceReader) -> None:
    """Called once by the remittance app: how the claim page lists a claim's remittances."""
    if reader not in _remittance_readers:
        _remittance_readers.append(reader)


def reading_capability(actor: Actor, claim: Claim) -> Capability:
    """Payments are read by whoever may view them, and by the poster who posts them."""
    if actor.can(Capability.PAYMENTS_VIEW, claim.practice_id):
        return Capability.PAYMENTS_VIEW
    return Capability.PAYMENTS_POST


def ledger_for_claim(*, actor: Actor, claim: Claim) -> list[LedgerEntry]:
    """The claim's ledger, line by line in posting order (the caller audits LEDGER_VIEWED)."""
    return list(
        LedgerEntry.objects.visible_to(actor, reading_capability(actor, claim))
        .filter(claim_id=claim.pk)
        .select_related("claim_line", "era")
        # Not the 835 as received, once per entry: the ledger names its ERA, no more.
        .defer("era__content")
        .order_by("claim_line__line_number", "sequence")
    )


# -- a claim's money ---------------------------------------------------------------------------
@dataclass(frozen=True)
class LedgerRow:
    line_number: int
    procedure_code: str
    kind: str
    kind_label: str
    group_code: str
    reason_code: str
    description: str
    amount: Decimal
    balance_after: Decimal
    effective_date: date
    era_public_id: str | None
    trace_number: str
    note: str
    reversal: bool


@dataclass(frozen=True)
class LineBalance:
    line_number: int
    procedure_code: str
    charge: Decimal
    balance: Decimal


@dataclass(frozen=True)
class ClaimMoney:
    remittances: list[Any]  # remittance.EraClaim rows, from the registered reader
    acknowledgements: list[Acknowledgement]
    entries: list[LedgerRow]
    balances: list[LineBalance]
    insurance_balance: Decimal
    shows_ledger: bool


def claim_money(*, actor: Actor, claim: Claim) -> ClaimMoney:
    """A claim's acknowledgements (claims.view) and, for actors with payments.view on its
    practice, its remittances and ledger with each line's insurance balance (audited)."""
    acks = list(
        Acknowledgement.objects.visible_to(actor, Capability.CLAIMS_VIEW)
        .filter(claim_id=claim.pk)
        .order_by("-received_at", "-id")
    )
    if not actor.can(Capability.PAYMENTS_VIEW, claim.practice_id):
        return ClaimMoney([], acks, [], [], ZERO, shows_ledger=False)
    remittances = [r for read in _remittance_readers for r in read(actor=actor, claim=claim)]
    entries = ledger_for_claim(actor=actor, claim=claim)
    rows: list[LedgerRow] = []
    balances: dict[int, LineBalance] = {}
    for e in entries:
        line = e.claim_line
        rows.append(
            LedgerRow(
                line_number=line.line_number,
                procedure_code=line.procedure_code,
                kind=e.kind,
                kind_label=e.get_kind_display(),
                group_code=e.group_code,
                reason_code=e.reason_code,
                description=(
                    adjustment_codes.carc_description(e.reason_code) if e.reason_code else ""
                ),
                amount=e.amount,
                balance_after=e.balance_after,
                effective_date=e.effective_date,
                era_public_id=str(e.era.public_id) if e.era else None,
                trace_number=e.era.trace_number if e.era else "",
                note=e.note,
                reversal=e.reverses_id is not None,
            )
        )
        balances[line.pk] = LineBalance(
            line.line_number, line.procedure_code, line.charge, e.balance_after
        )
    audit_record(
        action=AuditAction.LEDGER_VIEWED,
        actor=actor,
        practice=actor.access[claim.practice_id].practice,
        model="claims.Claim",
        record_ids=[claim.public_id],
        detail={"entries": len(rows), "remittances": len(remittances)},
    )
    ordered = sorted(balances.values(), key=lambda b: b.line_number)
    return ClaimMoney(
        remittances=remittances,
        acknowledgements=acks,
        entries=rows,
        balances=ordered,
        insurance_balance=sum((b.balance for b in ordered), ZERO),
        shows_ledger=True,
    )
