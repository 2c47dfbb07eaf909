"""Control data of offboarding a client practice: the offboarding itself (export bundle, its
job progress, approval, purge, verification, certificate) and the purge permit.

Neither holds PHI. The export bundle is a file under VAR_DIR (`bundle.py`); this row keeps its
path, size and SHA-256. The certificate of destruction names tables, counts and file names,
never a patient.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class OffboardingStatus(models.TextChoices):
    EXPORTING = "exporting", "Building the export"
    EXPORT_FAILED = "export_failed", "Export failed"
    EXPORTED = "exported", "Export ready: waiting for the purge"
    PURGED = "purged", "Purged and certified"
    CANCELLED = "cancelled", "Called off"


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# An offboarding that still holds the practice: at most one at a time (parallel starts → one).
LIVE = (OffboardingStatus.EXPORTING, OffboardingStatus.EXPORT_FAILED, OffboardingStatus.EXPORTED)


class Offboarding(models.Model):
    """One client practice leaving: its export, then a purge a second person approves."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey("tenancy.Practice", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=16, choices=OffboardingStatus.choices, default=OffboardingStatus.EXPORTING
    )
    reason = models.TextField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(default=timezone.now)
    # The export job (what the progress bar reads).
    job_state = models.CharField(max_length=8, choices=JobState.choices, default=JobState.QUEUED)
    stage = models.CharField(max_length=120, blank=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=500, blank=True)
    # The bundle: a zip under VAR_DIR/offboarding (never in the database).
    bundle_path = models.CharField(max_length=500, blank=True)
    bundle_sha256 = models.CharField(max_length=64, blank=True)
    bundle_bytes = models.PositiveBigIntegerField(default=0)
    exported_at = models.DateTimeField(null=True, blank=True)
    manifest = models.JSONField(default=dict)  # per file: rows, bytes, sha256
    # The purge.
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)  # open A/R or open items purged anyway
    purged_at = models.DateTimeField(null=True, blank=True)
    deleted = models.JSONField(default=dict)  # table label → rows deleted
    purged_files = models.JSONField(default=list)  # [{"location", "path"}], deleted after commit
    verified_at = models.DateTimeField(null=True, blank=True)
    certificate = models.JSONField(default=dict)
    certificate_pdf = models.BinaryField(null=True, blank=True, editable=False)
    # Called off before the purge.
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One offboarding per practice that is not called off: two owners starting at
            # once get one; a purged practice is never offboarded again.
            models.UniqueConstraint(
                fields=["practice"],
                condition=~Q(status=OffboardingStatus.CANCELLED),
                name="offboarding_one_per_practice",
            ),
            models.CheckConstraint(
                condition=Q(done__lte=models.F("total")) | Q(total=0),
                name="offboarding_progress_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"offboarding of practice {self.practice_id} ({self.status})"

    @property
    def percent(self) -> int:
        if self.job_state == JobState.DONE:
            return 100
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def running(self) -> bool:
        return self.job_state in (JobState.QUEUED, JobState.RUNNING)


class PurgePermit(models.Model):
    """Lets the ledger's append-only trigger (PostgreSQL) accept DELETEs of one practice's
    entries: written and deleted inside the purge's own transaction, so no other transaction
    ever sees one (see migration 0002)."""

    practice = models.OneToOneField("tenancy.Practice", on_delete=models.PROTECT, related_name="+")
    offboarding = models.OneToOneField(Offboarding, on_delete=models.PROTECT, related_name="+")

    def __str__(self) -> str:
        return f"purge permit for practice {self.practice_id}"
