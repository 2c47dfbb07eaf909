"""`bureau ledger check`: prove every claim line's ledger adds up.

Read-only, for the system (every practice of a workspace, or of all): sequences 1..n, running
balances, charges equal to the line's charge (or reversed to zero on a replaced or voided
claim), signs by kind, reversals within the line and kind, and each entry's copied
claim/practice/workspace equal to its line's; and each claim's balance row (`ClaimBalance`,
the projection A/R aging reads) equal to what its entries add up to. Any writer's mistake
shows here, which is why every writer goes through `bureau.ledger.services`.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction

from bureau.claims.models import ClaimLine
from bureau.ledger import balances
from bureau.ledger.corrections import corrected_claim_ids
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.ledger.services import RAISING, ZERO
from bureau.tenancy.models import Practice, Workspace


@dataclass(frozen=True)
class LineProblem:
    claim_number: str
    line_number: int
    problem: str

    def __str__(self) -> str:
        line = f" line {self.line_number}" if self.line_number else ""  # 0: the whole claim
        return f"claim {self.claim_number}{line}: {self.problem}"


def _sign_ok(kind: str, amount: Decimal, reversal: bool) -> bool:
    raising = kind in RAISING
    if reversal:
        raising = not raising
    return amount >= 0 if raising else amount <= 0


def _check_line(
    entries: list[dict[str, Any]], charge: Decimal, corrected: bool = False
) -> list[str]:
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
    # A replaced or voided claim's charges are reversed when its correction is submitted
    # (`ledger.corrections`): net zero is right for it, and for it only.
    if charged != charge and not (corrected and charged == ZERO):
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
        corrected = corrected_claim_ids(practice_ids)
        current: list[dict[str, Any]] = []
        for entry in entries.iterator(chunk_size=10_000):
            if current and entry["claim_line_id"] != current[0]["claim_line_id"]:
                problems.extend(_line_problems(current, info, corrected))
                current = []
            current.append(entry)
        if current:
            problems.extend(_line_problems(current, info, corrected))
        problems += [
            LineProblem(number, 0, f"claim balance: {text}")
            for number, text in balances.drift(practice_ids)
        ]
    return problems


class LineFacts(NamedTuple):
    charge: Decimal
    line_number: int
    claim_number: str
    owners: tuple[int, int, int]  # claim, practice, workspace


def _line_problems(
    group: list[dict[str, Any]], info: dict[int, LineFacts], corrected: set[int]
) -> list[LineProblem]:
    line_id = group[0]["claim_line_id"]
    if line_id not in info:
        return [LineProblem("?", 0, f"claim line {line_id} not found")]
    facts = info[line_id]
    texts = _check_line(group, facts.charge, facts.owners[0] in corrected)
    texts.extend(
        f"entry {e['sequence']} belongs to claim/practice/workspace "
        f"{e['claim_id']}/{e['practice_id']}/{e['workspace_id']}, its line to "
        + "/".join(str(v) for v in facts.owners)
        for e in group
        if (e["claim_id"], e["practice_id"], e["workspace_id"]) != facts.owners
    )
    return [LineProblem(facts.claim_number, facts.line_number, text) for text in texts]
