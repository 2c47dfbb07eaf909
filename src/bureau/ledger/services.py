"""The ledger's one write path: every writer appends entries through this module.

Every change to a line's insurance balance is a new `LedgerEntry` numbered after the line's last
one. `LedgerAppender` reads the current (sequence, balance) of many lines in ONE aggregate query
and numbers new entries in memory, so posting an ERA of thousands of claims costs a handful of
queries; a concurrent double post still collides on the (line, sequence) unique key.

Writers today:
- claims, at submission: `post_charges` (one CHARGE per line, idempotent);
- remittance, posting an ERA or resolving an exception: a `LedgerAppender` over the claim's
  lines, `append` per payment/adjustment/transfer (`remittance.amounts` decides the amounts).

Where a new writer plugs in (write-offs, patient payments, corrected-claim re-charges): open a
transaction with the practices in RLS scope, build a `LedgerAppender(practice_ids, line_ids)`,
`append(line, EntryKind.WRITE_OFF, -amount, effective_date=..., posted_by_id=..., reason_code=...,
note=...)` — the amount is the signed effect on the insurance balance (see `RAISING`) — then
`flush()`, and audit the change in the same transaction. A reversal is the same kind with the
opposite sign and `reverses_id` set: `unreversed_entries` finds what may be taken back and
`reverse_entries` appends the reversals (a payer's CLP02 = 22 today; a void or replacement claim
moving a balance: `ledger.corrections`). Never write `LedgerEntry` rows any other way: the appender
is what keeps sequences and running balances right, and `bureau ledger check` proves it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Max, Sum

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.claims.models import Claim, ClaimFrequency, ClaimLine
from bureau.ledger import balances
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.bulk import insert
from bureau.tenancy.models import Practice, Workspace

ZERO = Decimal("0.00")
BATCH = 2000
REASON = "ledger posting"
# Kinds that raise the insurance balance; every other kind lowers it. A reversal flips its kind.
RAISING = frozenset({EntryKind.CHARGE, EntryKind.REFUND})


class LedgerAppender:
    """New entries for many lines, numbered after each line's head, written in one bulk insert."""

    def __init__(self, practice_ids: Iterable[int], line_ids: Iterable[int]) -> None:
        self.practice_ids = frozenset(practice_ids)
        self.heads: dict[int, tuple[int, Decimal]] = {}
        ids = list(set(line_ids))
        scoped = LedgerEntry.objects.for_system(self.practice_ids, reason=REASON)
        for start in range(0, len(ids), 10_000):
            rows = (
                scoped.filter(claim_line_id__in=ids[start : start + 10_000])
                .values("claim_line_id")
                .annotate(seq=Max("sequence"), balance=Sum("amount"))
                .order_by()
            )
            for row in rows:
                self.heads[row["claim_line_id"]] = (row["seq"], row["balance"])
        self.pending: list[dict[str, Any]] = []

    def has_entries(self, line_id: int) -> bool:
        return line_id in self.heads

    def balance(self, line_id: int) -> Decimal:
        return self.heads.get(line_id, (0, ZERO))[1]

    def open_balance(self, line: ClaimLine) -> Decimal:
        """What is still open on the line: its ledger balance, or its charge when nothing is
        posted yet (a claim submitted before the ledger existed)."""
        return self.balance(line.pk) if self.has_entries(line.pk) else line.charge

    def append(
        self,
        line: ClaimLine,
        kind: str,
        amount: Decimal,
        *,
        effective_date: date,
        era: models.Model | None = None,  # the remittance.Era that made the entry
        group_code: str = "",
        reason_code: str = "",
        reverses_id: int | None = None,
        posted_by_id: int | None = None,
        note: str = "",
    ) -> dict[str, Any]:
        seq, balance = self.heads.get(line.pk, (0, ZERO))
        balance += amount
        self.heads[line.pk] = (seq + 1, balance)
        entry = {
            "workspace_id": line.workspace_id,
            "practice_id": line.practice_id,
            "claim_id": line.claim_id,
            "claim_line_id": line.pk,
            "sequence": seq + 1,
            "kind": str(kind),
            "amount": amount,
            "balance_after": balance,
            "group_code": group_code,
            "reason_code": reason_code[:5],
            "reverses_id": reverses_id,
            "era_id": era.pk if era is not None else None,
            "effective_date": effective_date,
            "posted_by_id": posted_by_id,
            "note": note[:200],
        }
        self.pending.append(entry)
        return entry

    def flush(self) -> list[dict[str, Any]]:
        """Insert every pending entry (in the caller's transaction); returns their values."""
        written, self.pending = self.pending, []
        now = clock.now()
        for entry in written:
            entry["posted_at"] = now
        insert(LedgerEntry, written)
        balances.apply(written)  # the claims' balances move with their entries, together
        return written


def unreversed_entries(
    practice_ids: Sequence[int], claim_ids: Sequence[int]
) -> dict[int, list[dict[str, Any]]]:
    """Per claim, its posted non-charge entries that no reversal points at yet: what a reversal
    (a payer's CLP02 = 22, a voided or replaced claim) may take back."""
    if not claim_ids:
        return {}
    rows = list(
        LedgerEntry.objects.for_system(practice_ids, reason=REASON)
        .filter(claim_id__in=list(claim_ids))
        .exclude(kind=EntryKind.CHARGE)
        .order_by("claim_line_id", "sequence")
        .values(
            "id",
            "claim_id",
            "claim_line_id",
            "kind",
            "amount",
            "group_code",
            "reason_code",
            "reverses_id",
        )
    )
    reversed_ids = {r["reverses_id"] for r in rows if r["reverses_id"] is not None}
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        if row["reverses_id"] is None and row["id"] not in reversed_ids:
            found.setdefault(row["claim_id"], []).append(row)
    return found


def reverse_entries(
    appender: LedgerAppender,
    originals: Sequence[dict[str, Any]],
    lines: dict[int, ClaimLine],
    *,
    note: str,
    **common: Any,
) -> None:
    """Append, for each original (rows of `unreversed_entries`), the same kind with the opposite
    sign pointing at it; `common` carries effective_date, era, posted_by_id."""
    for entry in originals:
        appender.append(
            lines[entry["claim_line_id"]],
            entry["kind"],
            -entry["amount"],
            group_code=entry["group_code"],
            reason_code=entry["reason_code"],
            reverses_id=entry["id"],
            note=note,
            **common,
        )


def post_charges(
    *, claims: Sequence[Claim], effective_date: date, actor: Actor | None = None
) -> int:
    """One CHARGE entry per line of `claims` that has none yet (sequence 1, balance = charge).

    Called when claims are submitted; idempotent, so a re-run or an ERA for a claim submitted
    before the ledger existed never charges a line twice. Returns the number of entries made."""
    if not claims:
        return 0
    practice_ids = {c.practice_id for c in claims}
    with transaction.atomic():
        scope = practice_ids | (set(actor.practice_ids()) if actor is not None else set())
        rls.activate(scope)
        lines = list(
            ClaimLine.objects.for_system(practice_ids, reason=REASON)
            .filter(claim_id__in=[c.pk for c in claims])
            .exclude(claim__frequency=ClaimFrequency.VOID)  # a void bills nothing
            .order_by("claim_id", "line_number")
        )
        appender = LedgerAppender(practice_ids, [line.pk for line in lines])
        user_id = actor.user.pk if actor is not None else None
        for line in lines:
            if not appender.has_entries(line.pk):
                appender.append(
                    line,
                    EntryKind.CHARGE,
                    line.charge,
                    effective_date=effective_date,
                    posted_by_id=user_id,
                    note="claim submitted",
                )
        written = appender.flush()
        audit_claims_posted(
            actor,
            claims,
            written,
            {"entries": len(written), "effective_date": effective_date.isoformat()},
        )
        rls.activate(scope)  # for_system narrowed the caller's scope; give it back
        return len(written)


def audit_claims_posted(
    actor: Actor | None,
    claims: Sequence[Claim],
    written: Sequence[dict[str, Any]],
    detail: dict[str, Any],
) -> None:
    """One ledger-posted event per practice naming the claims that got entries (none: none)."""
    if not written:
        return
    posted = {e["claim_id"] for e in written}
    by_practice: dict[int, list[Claim]] = {}
    for claim in claims:
        if claim.pk in posted:
            by_practice.setdefault(claim.practice_id, []).append(claim)
    practices = Practice.objects.in_bulk(list(by_practice))
    first = next(iter(by_practice.values()))[0]
    audit_record_many(
        action=AuditAction.LEDGER_CHARGES_POSTED,
        actor=actor,
        workspace=Workspace.objects.get(pk=first.workspace_id) if actor is None else None,
        model="claims.Claim",
        targets=[
            (practices[pid], [c.public_id for c in made])
            for pid, made in sorted(by_practice.items())
        ],
        detail=detail,
        label="" if actor is not None else "system",
    )
