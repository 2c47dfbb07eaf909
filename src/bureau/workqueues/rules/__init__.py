"""The rule of every function, in one table: which records call for work, and which live items
a narrow sync must look at (the same records the rule reads)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import Q

from bureau.workqueues.functions import Function
from bureau.workqueues.rules import claims, remits, setup, writeoffs
from bureau.workqueues.rules.base import EVERYTHING, Desired, Narrow, PracticeFacts

__all__ = ["EVERYTHING", "RULES", "Desired", "FunctionRule", "Narrow", "PracticeFacts"]


@dataclass(frozen=True)
class FunctionRule:
    function: Function
    desired: Callable[[PracticeFacts, Narrow], Iterable[Desired]]
    # The live items a sync of this narrow compares with; None: the narrow cannot touch them.
    existing: Callable[[PracticeFacts, Narrow], Q | None]


def _claim_items(facts: PracticeFacts, narrow: Narrow) -> Q | None:
    return claims.claim_items(narrow)


def _era_items(facts: PracticeFacts, narrow: Narrow) -> Q | None:
    return remits.era_items(narrow)


def _underpayment_items(facts: PracticeFacts, narrow: Narrow) -> Q | None:
    return remits.underpayment_items(narrow)


RULES: dict[str, FunctionRule] = {
    rule.function: rule
    for rule in (
        FunctionRule(Function.REJECTIONS, claims.rejections, _claim_items),
        FunctionRule(Function.DENIALS, remits.denials, _claim_items),
        FunctionRule(Function.POSTING_REVIEW, remits.posting_review, _era_items),
        FunctionRule(Function.ERA_EXCEPTIONS, remits.era_exceptions, _era_items),
        FunctionRule(Function.FOLLOWUP, claims.followup, _claim_items),
        FunctionRule(Function.CREDENTIALING, claims.credentialing, claims.pair_items),
        FunctionRule(Function.UNDERPAYMENTS, remits.underpayments, _underpayment_items),
        FunctionRule(Function.SETUP_GAPS, setup.setup_gaps, setup.setup_gap_items),
        FunctionRule(
            Function.WRITEOFF_APPROVAL, writeoffs.writeoff_approvals, writeoffs.writeoff_items
        ),
    )
}
if set(RULES) != set(Function.values):  # pragma: no cover - guarded by a test
    raise RuntimeError("every function needs exactly one rule")
