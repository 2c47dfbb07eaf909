"""Policies and procedures (45 CFR 164.316): each policy's versions with their documents,
the annual reviews, and the workforce's attestations (who acknowledged which version when).

A version is kept six years after it was last in effect (164.316(b)(2)); a purge clears its
document and keeps the row, with the document's SHA-256, as the record that it existed.
Control data: no PHI, not under row-level security.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from bureau.tenancy.models import Workspace


class Policy(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # The latest version published: the one the workforce attests to.
    current_version = models.ForeignKey(
        "compliance.PolicyVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "title"], name="policy_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class PolicyVersion(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    policy = models.ForeignKey(Policy, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    effective_on = models.DateField()
    # The document (PDF); NULL once purged, when the SHA-256 and file name remain.
    document = models.BinaryField(null=True, blank=True)
    document_sha256 = models.CharField(max_length=64)
    document_filename = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    published_at = models.DateTimeField(default=now)
    purged_at = models.DateTimeField(null=True, blank=True)
    purged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="policy_version_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.policy_id} v{self.number}"


class PolicyReview(models.Model):
    """One review of a version (the annual review the rule asks for), kept as history."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.ForeignKey(PolicyVersion, on_delete=models.PROTECT, related_name="reviews")
    reviewed_on = models.DateField()
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    note = models.TextField(blank=True)
    recorded_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-reviewed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.version_id} reviewed {self.reviewed_on}"


class Attestation(models.Model):
    """A person's acknowledgement of one version of a policy: once per person and version."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    version = models.ForeignKey(
        PolicyVersion, on_delete=models.PROTECT, related_name="attestations"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="policy_attestations"
    )
    acknowledged_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-acknowledged_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="attestation_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} attested {self.version_id}"
