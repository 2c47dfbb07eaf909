"""ERAs (835 payments), their claims and lines, PLB postings, ERA exceptions, jobs.

Every table that names a patient, a claim or a payment to a practice is `PracticeScoped` (RLS on
PostgreSQL, read only through scoped selectors). `IngestJob` is control data: a file name, a
status and counts, never content.

The claim-line ledger the poster writes to lives in its own app (`bureau.ledger`), shared with
every other writer. `ProviderAdjustmentEntry` stays here: a PLB adjusts the practice's payment on
one ERA, not any claim line's balance, so it is part of the remittance, not of the ledger. Like
the ledger it is append-only (a PostgreSQL trigger refuses UPDATE and DELETE).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bureau import clock
from bureau.claims.models import encounter_providers
from bureau.tenancy.scoping import HighVolumePracticeScoped, PracticeScoped, ProviderScope


class EraStatus(models.TextChoices):
    POSTED = "posted", "Posted"
    PARTIAL = "partial", "Posted with exceptions"
    EXCEPTION = "exception", "Not posted (exception)"


class Era(PracticeScoped):
    """One 835 transaction set: one payment (check, EFT or non-payment) to one practice.

    Idempotency key: payer identifier + TRN02 + BPR02 within the workspace — the same payment
    delivered twice (a re-sent file, a re-run after a crash) is recognised, never posted twice."""

    # One payment covers claims of many providers: a provider-limited grant lists the ERAs that
    # pay at least one claim of an allowed provider and sees only those claim loops in them;
    # the raw file carries every provider's patients, so its download refuses such a grant.
    provider_scope = encounter_providers("claims__claim__encounter")

    payer = models.ForeignKey(
        "directory.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payer_name = models.CharField(max_length=60)
    payer_identifier = models.CharField(max_length=80)  # REF*2U, else TRN03
    trace_number = models.CharField(max_length=50)  # TRN02: check or EFT number
    payment_amount = models.DecimalField(max_digits=12, decimal_places=2)  # BPR02
    credit_debit = models.CharField(max_length=1, default="C")
    payment_method = models.CharField(max_length=3)  # ACH, CHK, NON, ...
    payment_date = models.DateField()  # BPR16
    total_paid = models.DecimalField(max_digits=12, decimal_places=2)  # ΣCLP04
    total_provider_adjustments = models.DecimalField(max_digits=12, decimal_places=2)  # ΣPLB
    claim_count = models.PositiveIntegerField()
    posted_count = models.PositiveIntegerField(default=0)
    exception_count = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=EraStatus.choices)
    balancing_problems = models.JSONField(default=list)
    file_name = models.CharField(max_length=200)
    control_number = models.CharField(max_length=9)  # ST02
    content = models.TextField()  # the interchange as received (PHI: scoped like the rest)
    received_at = models.DateTimeField(default=clock.now)
    ingested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-payment_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "payer_identifier", "trace_number", "payment_amount"],
                name="era_payment_once",
            )
        ]
        indexes = [models.Index(fields=["workspace", "practice", "payment_date"])]

    def __str__(self) -> str:
        return f"ERA {self.trace_number} {self.payment_amount}"


class EraClaimOutcome(models.TextChoices):
    POSTED = "posted", "Posted"
    EXCEPTION = "exception", "Exception"
    RESOLVED = "resolved", "Posted after review"
    DISMISSED = "dismissed", "Dismissed"


class EraClaim(HighVolumePracticeScoped):
    """One CLP loop as received, matched (or not) to our claim by CLP01."""

    # Unmatched loops (claim NULL) reach no provider: hidden from provider-limited grants.
    provider_scope = encounter_providers("claim__encounter")

    era = models.ForeignKey(Era, on_delete=models.PROTECT, related_name="claims")
    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="remittances"
    )
    patient_control_number = models.CharField(max_length=38)  # CLP01
    status_code = models.CharField(max_length=2)  # CLP02
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    payer_claim_number = models.CharField(max_length=50, blank=True)  # CLP07
    adjustments = models.JSONField(default=list)  # claim-level CAS: [{group, reason, amount}]
    remark_codes = models.JSONField(default=list)
    outcome = models.CharField(max_length=10, choices=EraClaimOutcome.choices)

    class Meta:
        ordering = ["era_id", "id"]

    def __str__(self) -> str:
        return f"CLP {self.patient_control_number}"


class EraLine(HighVolumePracticeScoped):
    """One SVC loop as received, matched to our claim line; carries the underpayment check."""

    provider_scope = encounter_providers("era_claim__claim__encounter")

    era_claim = models.ForeignKey(EraClaim, on_delete=models.PROTECT, related_name="lines")
    claim_line = models.ForeignKey(
        "claims.ClaimLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    procedure_code = models.CharField(max_length=48)
    modifiers = models.JSONField(default=list)
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    paid = models.DecimalField(max_digits=12, decimal_places=2)
    allowed = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)  # AMT*B6
    adjustments = models.JSONField(default=list)  # [{group, reason, amount}]
    remark_codes = models.JSONField(default=list)
    # The payer contract's allowed amount for the line (units included), when one exists, and
    # how far the payer's allowed fell short of it beyond the practice's tolerance.
    expected = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    underpaid_by = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["era_claim_id", "id"]
        indexes = [models.Index(fields=["workspace", "practice", "underpaid_by"])]

    def __str__(self) -> str:
        return f"SVC {self.procedure_code}"


class ProviderAdjustmentEntry(PracticeScoped):
    """A PLB adjustment, posted to the practice (provider level), not to any claim line.
    Positive amounts reduced the payment (a recovery), negative ones increased it (interest)."""

    provider_scope = ProviderScope(
        reason="a PLB adjusts the practice's whole payment, and its reference may name another "
        "provider's claim: it belongs to no one provider"
    )

    era = models.ForeignKey(Era, on_delete=models.PROTECT, related_name="provider_adjustments")
    reason = models.CharField(max_length=2)  # PLB03-1
    reference = models.CharField(max_length=50, blank=True)  # PLB03-2
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    fiscal_period_end = models.DateField()
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    effective_date = models.DateField()
    posted_at = models.DateTimeField(default=clock.now)
    posted_by = models.ForeignKey(  # the person whose upload posted it; None: the system
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["era_id", "id"]

    def __str__(self) -> str:
        return f"PLB {self.reason} {self.amount}"


class ExceptionReason(models.TextChoices):
    UNMATCHED_CLAIM = "unmatched_claim", "Unmatched claim"
    UNMATCHED_LINE = "unmatched_line", "Unmatched service line"
    BALANCE_MISMATCH = "balance_mismatch", "Balance mismatch"
    OVERPAYMENT = "overpayment", "Overpayment"
    TAKEBACK = "takeback", "Takeback"
    POLICY_HOLD = "policy_hold", "Policy hold"


class ExceptionStatus(models.TextChoices):
    OPEN = "open", "Open"
    POSTED = "posted", "Posted by a poster"
    DISMISSED = "dismissed", "Dismissed"


class EraException(PracticeScoped):
    """Something on an ERA that was not posted automatically; a poster resolves it."""

    # An exception with no claim of ours (an unmatched loop, a whole-ERA problem) reaches no
    # provider: it is worked by someone with access to the whole practice.
    provider_scope = encounter_providers("claim__encounter")

    era = models.ForeignKey(Era, on_delete=models.PROTECT, related_name="exceptions")
    era_claim = models.ForeignKey(
        EraClaim, on_delete=models.PROTECT, null=True, blank=True, related_name="exceptions"
    )
    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reason = models.CharField(max_length=20, choices=ExceptionReason.choices)
    detail = models.CharField(max_length=300)
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)  # dollars at stake
    status = models.CharField(
        max_length=10, choices=ExceptionStatus.choices, default=ExceptionStatus.OPEN
    )
    created_at = models.DateTimeField(default=clock.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    resolution_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "practice", "status"])]

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}"

    @property
    def matchable(self) -> bool:
        """An open claim loop that matched none of our claims: a poster may name the claim."""
        return (
            self.status == ExceptionStatus.OPEN
            and self.reason == ExceptionReason.UNMATCHED_CLAIM
            and self.era_claim_id is not None
            and self.claim_id is None
        )

    @property
    def placeable(self) -> bool:
        """An open claim loop matched to our claim but with service lines that matched none of
        its lines: a poster may place them."""
        return (
            self.status == ExceptionStatus.OPEN
            and self.reason == ExceptionReason.UNMATCHED_LINE
            and self.era_claim_id is not None
            and self.claim_id is not None
        )


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class IngestJob(models.Model):
    """A background ERA/acknowledgement ingest: what the progress bar reads. Control data:
    the uploaded file itself waits on disk under VAR_DIR, never in this table.

    A running job holds a lease: the worker that claimed it (`worker`, its process identity)
    renews `heartbeat_at` while it works. A job whose lease lapsed and whose worker is gone is
    stale: the sweep (`job_sweep`) retries it once or fails it. The upload stays on disk while a
    retry is possible and is deleted when the job ends for good."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=200)
    path = models.CharField(max_length=500)  # the waiting file on disk
    status = models.CharField(max_length=8, choices=JobStatus.choices, default=JobStatus.QUEUED)
    stage = models.CharField(max_length=120, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    result = models.JSONField(default=dict)
    error = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)  # runs a worker started (or lost)
    # Last sign of life: set when queued or claimed, renewed by the worker while it runs.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    worker = models.CharField(max_length=200, blank=True)  # host/boot/pid/start of the claimer
    task_id = models.CharField(max_length=64, blank=True)  # the task row of the current attempt

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")) | Q(total=0),
                name="ingest_job_progress_bounded",
            ),
        ]
        indexes = [models.Index(fields=["status", "heartbeat_at"], name="ingest_job_lease")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        return (
            100
            if self.status == JobStatus.DONE
            else (int(100 * self.done / self.total) if self.total else 0)
        )


class ClaimAdjudication(HighVolumePracticeScoped):
    """When the payer first answered a claim (the payment date, BPR16, of the first 835 loop
    matched to it, whatever it said) and first paid it (of the first loop with money): one row
    per claim any loop is matched to.

    A projection of the loops, kept by `remittance.adjudications.note` in the transaction that
    writes or re-matches them, rebuilt by `adjudications.rebuild` and proved equal to the loops
    by `bureau era check`. It is what "first adjudicated / first paid in the period" reads (the
    KPIs, payer performance): a range on an index, where searching every claim's loops for
    one in the period and none before it cost a practice's dashboard a fifth of its time on a
    1M-claim book.
    """

    provider_scope = encounter_providers("claim__encounter")

    claim = models.OneToOneField(
        "claims.Claim", on_delete=models.PROTECT, related_name="adjudication", db_constraint=False
    )
    first_adjudicated = models.DateField()
    first_paid = models.DateField(null=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["workspace", "practice", "first_adjudicated"],
                name="claimadjudication_first",
            ),
            models.Index(
                fields=["workspace", "practice", "first_paid"], name="claimadjudication_paid"
            ),
        ]

    def __str__(self) -> str:
        return f"claim {self.claim_id}: answered {self.first_adjudicated}, paid {self.first_paid}"
