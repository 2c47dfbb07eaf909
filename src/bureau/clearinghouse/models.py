"""Control data of the clearinghouse exchange: what we sent and what we took in.

Neither model holds PHI — file names, hashes, counts and control numbers only — so they are plain
models (no practice scoping); the 837/835/999/277CA content lives in the PHI tables of claims
and remittance.
"""

from __future__ import annotations

from django.db import models

from bureau import clock


class TransmissionStatus(models.TextChoices):
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed (will retry)"


class Transmission(models.Model):
    """One batch handed to its route. A failed attempt is kept with its error and retried by
    the next run; once SENT the batch is never sent again."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey("tenancy.Practice", on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=12)
    file_name = models.CharField(max_length=200)
    batch_public_id = models.UUIDField(unique=True)  # claims.Batch.public_id
    interchange_control_number = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=TransmissionStatus.choices)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["workspace", "status"])]

    def __str__(self) -> str:
        return f"{self.file_name} {self.status}"


class InboundKind(models.TextChoices):
    ERA = "835", "835 remittance"
    IMPLEMENTATION = "999", "999 implementation acknowledgment"
    CLAIM_ACK = "277CA", "277CA claim acknowledgement"


class InboundRecord(models.Model):
    """One inbound file taken in, keyed by its content hash: the same bytes delivered again
    (a resend, a crash before the inbox was cleared) are recognised and not processed twice."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=12)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    kind = models.CharField(max_length=5, choices=InboundKind.choices)
    received_at = models.DateTimeField(default=clock.now)
    outcome = models.JSONField(default=dict)  # counts and control numbers, never PHI

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "route", "sha256"], name="inbound_once_per_content"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"


class QuarantinedFile(models.Model):
    """An inbound file a route delivered that could not be taken in: nothing of it was posted.

    Control data like `InboundRecord`: the name, hash and why. The content (PHI: an 835 names
    patients) is kept on disk at `path`, beside the route's own archive copy (`<name>.error`).
    The same name and content delivered again is recognised and not read again; the same bytes
    under another name (a resend someone asked for) are a new delivery and are tried again.
    """

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    route = models.CharField(max_length=12)
    file_name = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField(default=0)  # characters of the text as read
    error = models.CharField(max_length=500)  # one line: the X12Error, or the exception's type
    path = models.CharField(max_length=500)  # the kept copy on this server
    quarantined_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-quarantined_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "route", "file_name", "sha256"],
                name="quarantine_once_per_delivery",
            )
        ]

    def __str__(self) -> str:
        return f"{self.route} {self.file_name}"
