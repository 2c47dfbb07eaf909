"""The append-only claim-line ledger: charges at submission, appends, the `ledger check`.

Every change to a line's insurance balance is a new `LedgerEntry` numbered after the line's last
one. `LedgerAppender` reads the current (sequence, balance) of many lines in ONE aggregate query
and numbers new entries in memory, so posting an ERA of thousands of claims costs a handful of
queries; a concurrent double post still collides on the (line, sequence) unique key.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Max, Sum

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.claims.models import Claim, ClaimLine
from bureau.remittance.models import EntryKind, Era, EraClaim, LedgerEntry
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.bulk import insert
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

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
        era: Era | None = None,
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
        return written


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
        if written:
            charged = {e["claim_id"] for e in written}
            by_practice: dict[int, list[Claim]] = {}
            for claim in claims:
                if claim.pk in charged:
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
                detail={"entries": len(written), "effective_date": effective_date.isoformat()},
                label="" if actor is not None else "system",
            )
        rls.activate(scope)  # for_system narrowed the caller's scope; give it back
        return len(written)


# -- the check ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class LineProblem:
    claim_number: str
    line_number: int
    problem: str

    def __str__(self) -> str:
        return f"claim {self.claim_number} line {self.line_number}: {self.problem}"


def _sign_ok(kind: str, amount: Decimal, reversal: bool) -> bool:
    raising = kind in RAISING
    if reversal:
        raising = not raising
    return amount >= 0 if raising else amount <= 0


def _check_line(entries: list[dict[str, Any]], charge: Decimal) -> list[str]:
    problems: list[str] = []
    by_id = {e["id"]: e for e in entries}
    running = ZERO
    charged = ZERO
    for n, entry in enumerate(entries, 1):
        if entry["sequence"] != n:
            problems.append(f"sequence {entry['sequence']} where {n} was expected")
            break
    for entry in entries:
        running += entry["amount"]
        if entry["balance_after"] != running:
            problems.append(
                f"entry {entry['sequence']}: balance_after {entry['balance_after']} ≠ {running}"
            )
        if entry["kind"] == EntryKind.CHARGE:
            charged += entry["amount"]
        reversed_id = entry["reverses_id"]
        if reversed_id is not None:
            original = by_id.get(reversed_id)
            if original is None:
                problems.append(f"entry {entry['sequence']} reverses an entry of another line")
            elif original["kind"] != entry["kind"]:
                problems.append(f"entry {entry['sequence']} reverses a {original['kind']} entry")
        if not _sign_ok(entry["kind"], entry["amount"], reversed_id is not None):
            problems.append(f"entry {entry['sequence']}: {entry['kind']} of {entry['amount']}")
    if charged != charge:
        problems.append(f"charges {charged} ≠ line charge {charge}")
    if entries and running != entries[-1]["balance_after"]:
        problems.append(f"Σ amount {running} ≠ last balance {entries[-1]['balance_after']}")
    return problems


def ledger_check(*, workspace: Workspace | None = None) -> list[LineProblem]:
    """Every line with entries, proved: sequences 1..n, running balances, charges = the line's
    charge, signs by kind, reversals of the same line and kind, Σ amount = the last balance, and
    each entry's claim, practice and workspace those of its line (copied, not key-checked)."""
    practices = Practice.objects.all()
    if workspace is not None:
        practices = practices.filter(workspace=workspace)
    practice_ids = list(practices.values_list("id", flat=True))
    problems: list[LineProblem] = []
    if not practice_ids:
        return problems
    with transaction.atomic():
        entries = (
            LedgerEntry.objects.for_system(practice_ids, reason="ledger check")
            .order_by("claim_line_id", "sequence", "id")
            .values(
                "id",
                "claim_line_id",
                "sequence",
                "kind",
                "amount",
                "balance_after",
                "reverses_id",
                "claim_id",
                "practice_id",
                "workspace_id",
            )
        )
        info: dict[int, LineFacts] = {
            pk: LineFacts(charge, number, claim_number, (claim_id, practice_id, workspace_id))
            for pk, charge, number, claim_number, claim_id, practice_id, workspace_id in (
                ClaimLine.objects.for_system(practice_ids, reason="ledger check")
                .values_list(
                    "id",
                    "charge",
                    "line_number",
                    "claim__number",
                    "claim_id",
                    "practice_id",
                    "workspace_id",
                )
                .iterator(chunk_size=10_000)
            )
        }
        current: list[dict[str, Any]] = []
        for entry in entries.iterator(chunk_size=10_000):
            if current and entry["claim_line_id"] != current[0]["claim_line_id"]:
                problems.extend(_line_problems(current, info))
                current = []
            current.append(entry)
        if current:
            problems.extend(_line_problems(current, info))
    return problems


class LineFacts(NamedTuple):
    charge: Decimal
    line_number: int
    claim_number: str
    owners: tuple[int, int, int]  # claim, practice, workspace


def _line_problems(group: list[dict[str, Any]], info: dict[int, LineFacts]) -> list[LineProblem]:
    line_id = group[0]["claim_line_id"]
    if line_id not in info:
        return [LineProblem("?", 0, f"claim line {line_id} not found")]
    facts = info[line_id]
    texts = _check_line(group, facts.charge)
    texts.extend(
        f"entry {e['sequence']} belongs to claim/practice/workspace "
        f"{e['claim_id']}/{e['practice_id']}/{e['workspace_id']}, its line to "
        + "/".join(str(v) for v in facts.owners)
        for e in group
        if (e["claim_id"], e["practice_id"], e["workspace_id"]) != facts.owners
    )
    return [LineProblem(facts.claim_number, facts.line_number, text) for text in texts]


# -- selectors ---------------------------------------------------------------------------------
def _reading(actor: Actor, claim: Claim) -> Capability:
    """Payments are read by whoever may view them, and by the poster who posts them."""
    if actor.can(Capability.PAYMENTS_VIEW, claim.practice_id):
        return Capability.PAYMENTS_VIEW
    return Capability.PAYMENTS_POST


def ledger_for_claim(*, actor: Actor, claim: Claim) -> list[LedgerEntry]:
    """The claim's ledger, line by line in posting order (the caller view audits LEDGER_VIEWED)."""
    return list(
        LedgerEntry.objects.visible_to(actor, _reading(actor, claim))
        .filter(claim_id=claim.pk)
        .select_related("claim_line", "era")
        # Not the 835 as received, once per entry: the ledger names its ERA, no more.
        .defer("era__content")
        .order_by("claim_line__line_number", "sequence")
    )


def remittances_for_claim(*, actor: Actor, claim: Claim) -> list[EraClaim]:
    """Every ERA claim loop matched to the claim, oldest payment first."""
    capability = _reading(actor, claim)
    return list(
        EraClaim.objects.visible_to(actor, capability)
        .filter(claim_id=claim.pk)
        .select_related("era")
        .defer("era__content")
        .order_by("era__payment_date", "id")
    )
