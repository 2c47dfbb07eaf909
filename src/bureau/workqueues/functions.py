"""The functions work is routed by, and the capability that works each: data, in one place.

A person sees a function's items in the practices where they hold its capability, narrowed by
their provider grants like every other PHI list."""

from __future__ import annotations

from django.db import models

from bureau.tenancy.roles import Capability


class Function(models.TextChoices):
    REJECTIONS = "rejections", "Rejections"
    DENIALS = "denials", "Denials"
    POSTING_REVIEW = "posting_review", "Posting review"
    ERA_EXCEPTIONS = "era_exceptions", "ERA exceptions"
    FOLLOWUP = "followup", "Follow-up"
    CREDENTIALING = "credentialing", "Credentialing holds"
    UNDERPAYMENTS = "underpayments", "Underpayments"
    SETUP_GAPS = "setup_gaps", "Setup gaps"
    WRITEOFF_APPROVAL = "writeoff_approval", "Write-off approvals"


CAPABILITY: dict[str, Capability] = {
    Function.REJECTIONS: Capability.CLAIMS_EDIT,
    Function.DENIALS: Capability.DENIALS_WORK,
    Function.POSTING_REVIEW: Capability.PAYMENTS_POST,
    Function.ERA_EXCEPTIONS: Capability.PAYMENTS_POST,
    # Chasing a silent payer is the biller's A/R work on the claims they submitted.
    Function.FOLLOWUP: Capability.CLAIMS_EDIT,
    Function.CREDENTIALING: Capability.SETUP_MANAGE,
    # Recovering an underpaid line is an appeal of the payer's adjudication.
    Function.UNDERPAYMENTS: Capability.DENIALS_WORK,
    Function.SETUP_GAPS: Capability.SETUP_MANAGE,
    # A write-off above the practice's auto-approve limit waits for an approver (billing/).
    Function.WRITEOFF_APPROVAL: Capability.WRITEOFFS_APPROVE,
}

# Functions whose items no record state closes: the person working them says it is done
# (an underpayment accepted or recovered, a revalidation filed). Such a "done" stays done.
CLOSED_BY_PERSON: frozenset[str] = frozenset({Function.UNDERPAYMENTS, Function.SETUP_GAPS})


def functions_for(capability: Capability) -> list[str]:
    return [f for f, cap in CAPABILITY.items() if cap == capability]


def label_of(function: str) -> str:
    return str(Function(function).label)
