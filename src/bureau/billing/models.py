"""Write-off requests: a person asks to take an open insurance balance off a claim's lines.

A request names one claim and, per line, the amount to write off (never more than the line's
open ledger balance). Up to the practice's `writeoffs.auto_approve_limit` it is approved at once;
above it, it waits for someone holding `writeoffs.approve` in the `writeoffs.approver_role`
(a work-queue item), and the requester never decides their own. Approval appends one WRITE_OFF
ledger entry per line (through `bureau.ledger.services`); refusal returns it with a note.

PHI (it names a claim and its patient's balance): `PracticeScoped`, reaching its providers
through the claim's encounter like every claim-linked record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from bureau import clock
from bureau.claims.models import encounter_providers
from bureau.tenancy.scoping import PracticeScoped


class WriteOffReason(models.TextChoices):
    SMALL_BALANCE = "small_balance", "Small balance"
    TIMELY_FILING = "timely_filing", "Timely filing"
    NON_COVERED = "non_covered", "Non-covered service"
    MEDICAL_NECESSITY = "medical_necessity", "Medical necessity lost on appeal"
    CONTRACTUAL_DISPUTE = "contractual_dispute", "Contractual dispute lost"
    BAD_DEBT = "bad_debt", "Bad debt"
    ADMINISTRATIVE = "administrative", "Administrative"


class WriteOffStatus(models.TextChoices):
    PENDING = "pending", "Waiting for approval"
    APPROVED = "approved", "Approved"
    AUTO_APPROVED = "auto_approved", "Auto-approved"
    REFUSED = "refused", "Refused"
    # Approved and posted, then undone: the claim's replacement or void was submitted, which
    # moves the original's whole open balance (its write-off entries too) to the correction.
    TAKEN_BACK = "taken_back", "Taken back: claim corrected"


# Statuses under which the request's amounts are (or are about to be) off the ledger balance.
POSTED_STATUSES = frozenset({WriteOffStatus.APPROVED, WriteOffStatus.AUTO_APPROVED})


class WriteOffRequest(PracticeScoped):
    provider_scope = encounter_providers("claim__encounter")

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="+")
    # The denial the request was made from, when there was one (its page links back here).
    denial = models.ForeignKey(
        "denials.Denial", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    amount = models.DecimalField(max_digits=12, decimal_places=2)  # the lines' total
    reason = models.CharField(max_length=20, choices=WriteOffReason.choices)
    note = models.CharField(max_length=300)
    # Given when the claim has an open denial: approval closes it as written off, and a
    # closed denial names where it started (denials.RootCause values).
    root_cause = models.CharField(max_length=20, blank=True)
    status = models.CharField(
        max_length=14, choices=WriteOffStatus.choices, default=WriteOffStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=clock.now)
    # None with a decision: auto-approved by the practice's limit, no person decided.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        indexes = [models.Index(fields=["workspace", "practice", "status"])]

    def __str__(self) -> str:
        return f"write-off {self.amount} ({self.status})"


class WriteOffLine(PracticeScoped):
    provider_scope = encounter_providers("request__claim__encounter")

    request = models.ForeignKey(WriteOffRequest, on_delete=models.PROTECT, related_name="lines")
    claim_line = models.ForeignKey("claims.ClaimLine", on_delete=models.PROTECT, related_name="+")
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["request_id", "claim_line_id"]
        constraints = [
            models.UniqueConstraint(fields=["request", "claim_line"], name="writeoff_line_once"),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="writeoff_line_positive"),
        ]

    def __str__(self) -> str:
        return f"write-off line {self.amount}"
