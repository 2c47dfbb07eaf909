"""Matching an 835 to our claims: CLP01 → Claim.number, SVC → ClaimLine.

Lines match first by REF*6R, which our 837 sends as "<claim number>-<line number>" and payers
echo back; a payer that drops it is matched by (procedure, modifiers, charge) in line order, each
of our lines used at most once. All claims of an ERA are loaded in one query, their lines in one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bureau.claims.models import Claim, ClaimLine
from bureau.x12.remit835 import ClaimPayment, ServicePayment

REASON = "ERA posting: match remittance to claims"
_PUNCTUATION = re.compile(r"[^A-Z0-9]")


@dataclass
class ClaimMatch:
    """One CLP loop and what it matched: the claim (or None) and, per SVC, our line (or None)."""

    payment: ClaimPayment
    claim: Claim | None
    lines: list[ClaimLine]  # all of the claim's lines, in line order
    services: list[tuple[ServicePayment, ClaimLine | None]]

    @property
    def unmatched_services(self) -> list[ServicePayment]:
        return [svc for svc, line in self.services if line is None]


def claims_by_number(
    workspace_id: int, practice_ids: Iterable[int], numbers: Iterable[str]
) -> dict[str, Claim]:
    wanted = sorted({n.strip() for n in numbers if n.strip()})
    found: dict[str, Claim] = {}
    scoped = Claim.objects.for_system(practice_ids, reason=REASON)
    for start in range(0, len(wanted), 10_000):
        for claim in scoped.filter(
            workspace_id=workspace_id, number__in=wanted[start : start + 10_000]
        ):
            found[claim.number] = claim
    return found


def practices_of_numbers(
    workspace_id: int, practice_ids: Iterable[int], numbers: Iterable[str]
) -> set[int]:
    """The practices (among `practice_ids`) holding claims numbered `numbers`: which practice
    an ERA pays when its payee names none, without loading the claims."""
    wanted = sorted({n.strip() for n in numbers if n.strip()})
    found: set[int] = set()
    scoped = Claim.objects.for_system(practice_ids, reason=REASON)
    for start in range(0, len(wanted), 10_000):
        found.update(
            scoped.filter(workspace_id=workspace_id, number__in=wanted[start : start + 10_000])
            .values_list("practice_id", flat=True)
            .distinct()
        )
    return found


def lines_by_claim(practice_ids: Iterable[int], claim_ids: list[int]) -> dict[int, list[ClaimLine]]:
    found: dict[int, list[ClaimLine]] = {}
    scoped = ClaimLine.objects.for_system(practice_ids, reason=REASON)
    for start in range(0, len(claim_ids), 10_000):
        for line in scoped.filter(claim_id__in=claim_ids[start : start + 10_000]).order_by(
            "claim_id", "line_number"
        ):
            found.setdefault(line.claim_id, []).append(line)
    return found


def _key(code: str, modifiers: Iterable[str], charge: object) -> tuple[str, tuple[str, ...], str]:
    return (code.strip().upper(), tuple(m for m in modifiers if m), f"{charge:.2f}")


def match_services(
    claim: Claim, lines: list[ClaimLine], services: Iterable[ServicePayment]
) -> list[tuple[ServicePayment, ClaimLine | None]]:
    by_control = {f"{claim.number}-{line.line_number}": line for line in lines}
    used: set[int] = set()
    pairs: list[tuple[ServicePayment, ClaimLine | None]] = []
    for svc in services:
        line = by_control.get(svc.line_control_number.strip())
        if line is None or line.pk in used:
            want = _key(svc.procedure_code, svc.modifiers, abs(svc.charge))  # reversals: negative
            line = next(
                (
                    candidate
                    for candidate in lines
                    if candidate.pk not in used
                    and _key(candidate.procedure_code, candidate.modifiers, candidate.charge)
                    == want
                ),
                None,
            )
        if line is not None:
            used.add(line.pk)
        pairs.append((svc, line))
    return pairs


def bare_number(number: str) -> str:
    """A claim number without case or punctuation: how a payer that re-keys a claim by hand
    tends to send ours back ("SPT-000123" as "spt000123")."""
    return _PUNCTUATION.sub("", number.upper())
