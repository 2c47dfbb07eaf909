"""The append-only claim-line ledger: every movement on a claim line's insurance balance.

A claim line's insurance balance is the sum of its `LedgerEntry.amount`s. A charge is positive;
payments, adjustments, transfers to patient responsibility and write-offs are negative; a
reversal repeats the original entry's kind with the opposite sign and points at it. Entries are
numbered per line (`sequence`, unique) and carry the running `balance_after`, so a concurrent
double post collides on the unique key and `bureau ledger check` can prove every line adds up.
Nothing here is ever updated or deleted (a PostgreSQL trigger refuses it).

Why an app of its own: the ledger has several writers — claims post charges at submission,
remittance posts payments and adjustments, write-offs and patient payments come next — and none
of them should import another to reach it. The ledger sits below them all: it names claim lines
(`claims.models`) and, for entries an ERA made, the ERA by its label ("remittance.Era"), but it
imports no writer. Writers go through `bureau.ledger.services` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from bureau import clock
from bureau.claims.models import encounter_providers
from bureau.tenancy.scoping import HighVolumePracticeScoped


class EntryKind(models.TextChoices):
    CHARGE = "charge", "Charge"
    PAYMENT = "payment", "Payment"
    ADJUSTMENT = "adjustment", "Adjustment"
    PATIENT_RESPONSIBILITY = "patient_resp", "Transfer to patient"
    WRITE_OFF = "write_off", "Write-off"
    REFUND = "refund", "Refund"


class LedgerEntry(HighVolumePracticeScoped):
    """One append-only movement on a claim line's insurance balance (see the module doc)."""

    provider_scope = encounter_providers("claim__encounter")

    # Copied from the line (checked by `ledger check`): indexed for the claim page, no FK check.
    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.PROTECT, related_name="ledger", db_constraint=False
    )
    # Indexed by the (line, sequence) key below; no separate index (every index slows posting).
    claim_line = models.ForeignKey(
        "claims.ClaimLine", on_delete=models.PROTECT, related_name="ledger", db_index=False
    )
    sequence = models.PositiveIntegerField()  # 1, 2, 3 … per line
    kind = models.CharField(max_length=12, choices=EntryKind.choices)
    # The signed effect on the line's insurance balance.
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    balance_after = models.DecimalField(max_digits=12, decimal_places=2)
    group_code = models.CharField(max_length=2, blank=True)  # CAS group for adjustments
    reason_code = models.CharField(max_length=5, blank=True)  # CARC
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+", db_index=False
    )
    # The ERA whose posting made the entry (None: a charge, a write-off, a patient payment).
    # Named by label, not imported: the ledger sits below remittance (module doc).
    era = models.ForeignKey(
        "remittance.Era", on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    effective_date = models.DateField()  # business date: the ERA's payment date, the batch date
    posted_at = models.DateTimeField(default=clock.now)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
    )
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["claim_line_id", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["claim_line", "sequence"], name="ledger_line_sequence"),
        ]
        indexes = [models.Index(fields=["workspace", "practice", "effective_date"])]
        # The table keeps the name it was created under in `remittance`: the move to this app
        # changed no row, and the append-only trigger (remittance 0002) and the RLS policy
        # name this table.
        db_table = "remittance_ledgerentry"

    def __str__(self) -> str:
        return f"{self.kind} {self.amount}"


class ClaimBalance(HighVolumePracticeScoped):
    """What a claim owes now: the sums of its ledger entries, one row per claim with any.

    A projection of the ledger, kept by its one write path (`LedgerAppender.flush`) in the
    same transaction as the entries, rebuilt by `bureau.ledger.balances.rebuild` and proved
    equal to the ledger by `bureau ledger check`. It carries copies of what A/R aging groups
    and ages by (the claim's payer, encounter, date of service, first charge date), so aging
    reads the open claims alone: on a 1M-claim book the ledger's 5.8M entries took ~35 s to
    group by claim, the few hundred thousand open balances a fraction of a second.
    """

    provider_scope = encounter_providers("encounter")

    claim = models.OneToOneField(
        "claims.Claim", on_delete=models.PROTECT, related_name="balance", db_constraint=False
    )
    payer = models.ForeignKey(
        "directory.Payer",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    encounter = models.ForeignKey(
        "claims.Encounter",
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    date_of_service = models.DateField()
    # The effective date of the claim's first charge: its first submission (None: no charge).
    first_charged = models.DateField(null=True)
    # Σ amount of every entry: the insurance balance (what the payer still owes).
    insurance = models.DecimalField(max_digits=14, decimal_places=2)
    # Σ amount of the transfers to patient responsibility (≤ 0): the patient owes minus this.
    transferred = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        indexes = [
            # Aging reads only claims that still owe something (most of a book is settled).
            models.Index(
                fields=["workspace", "practice", "payer"],
                name="claimbalance_open",
                condition=~models.Q(insurance=0) | ~models.Q(transferred=0),
                # Covering (PostgreSQL): aging's buckets and the A/R KPIs sum and age open
                # balances from the index alone. On the 1M-claim book a practice's 13k open
                # balances took 20–25 ms to fetch row by row, ~5 ms from the index.
                include=["insurance", "transferred", "date_of_service", "first_charged"],
            ),
            # KPIs take the claims first submitted in a period from here (`reports.kpis.facts`).
            models.Index(
                fields=["workspace", "practice", "first_charged"],
                name="claimbalance_first_charged",
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id}: {self.insurance} / {self.transferred}"
