"""Access reviews: a campaign that freezes who holds which access, a decision on each grant
(confirmed, or revoked through the grants service), and a locked evidence bundle.

Each item copies what its grant *was* when the campaign opened (the person, practice, role,
providers, who granted it and when, the person's last login): a grant changed or revoked later
does not rewrite the roster the reviewer signed off. Not PHI (names of staff and their access),
so workspace-scoped rather than `PracticeScoped`."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from bureau.tenancy.models import Grant, Practice, Workspace


class AccessReviewStatus(models.TextChoices):
    OPEN = "open", "Open"
    COMPLETE = "complete", "Complete"  # every grant decided; not yet locked
    LOCKED = "locked", "Locked"  # decisions final, evidence bundle stored


class AccessDecision(models.TextChoices):
    CONFIRMED = "confirmed", "Confirmed"
    REVOKED = "revoked", "Revoked"


class AccessChange(models.TextChoices):
    """What a revoke decision did to the live grant."""

    REVOKED = "revoked", "Grant revoked by this review"
    ALREADY_REVOKED = "already_revoked", "Grant already revoked before the decision"
    ALREADY_EXPIRED = "already_expired", "Grant already expired before the decision"


class AccessReview(models.Model):
    """One campaign: the whole workspace, or the practices chosen."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(
        Workspace, on_delete=models.PROTECT, related_name="access_reviews"
    )
    title = models.CharField(max_length=200)
    # True: every practice, and the all-practices grants; False: `practices` only (with the
    # all-practices grants, which reach those practices too).
    whole_workspace = models.BooleanField(default=True)
    practices = models.ManyToManyField(Practice, blank=True, related_name="+")
    due_on = models.DateField()
    # None: opened by the scheduled task (`open_due_campaigns`), not by a person.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=now)
    status = models.CharField(
        max_length=16, choices=AccessReviewStatus.choices, default=AccessReviewStatus.OPEN
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    locked_at = models.DateTimeField(null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The evidence bundle (a ZIP), computed once at lock and kept as handed to an auditor.
    evidence = models.BinaryField(null=True, blank=True, editable=False)
    evidence_sha256 = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["workspace", "created_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_locked(self) -> bool:
        return self.status == AccessReviewStatus.LOCKED


class AccessReviewer(models.Model):
    """Who decides a practice's grants in a campaign; practice None: the all-practices grants.
    A `compliance.manage` holder decides any of them as well."""

    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="reviewers")
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "practice"], name="access_reviewer_one_per_practice"
            ),
            models.UniqueConstraint(
                fields=["review"],
                condition=Q(practice__isnull=True),
                name="access_reviewer_one_for_all_practices",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} reviews {self.practice or 'all practices'}"


class AccessReviewItem(models.Model):
    """One grant as it stood when the campaign opened, and the decision on it."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    review = models.ForeignKey(AccessReview, on_delete=models.CASCADE, related_name="items")
    grant = models.ForeignKey(Grant, on_delete=models.PROTECT, related_name="+")
    # -- frozen at opening: what the grant was ------------------------------------------------
    grant_public_id = models.UUIDField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    username = models.CharField(max_length=150)
    full_name = models.CharField(max_length=200, blank=True)
    # None: a grant on all practices of the workspace.
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    practice_name = models.CharField(max_length=200)
    role = models.CharField(max_length=32)
    read_only = models.BooleanField(default=False)
    # [{"npi": ..., "name": ...}] the grant was limited to; empty: every provider.
    providers = models.JSONField(default=list, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.CharField(max_length=150, blank=True)  # username; blank: the system
    granted_at = models.DateTimeField()
    last_login_at = models.DateTimeField(null=True, blank=True)
    # -- the decision ----------------------------------------------------------------------------
    decision = models.CharField(max_length=16, choices=AccessDecision.choices, blank=True)
    comment = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # A revoke's effect on the grant, and when the grant stopped (by this review or before).
    change = models.CharField(max_length=24, choices=AccessChange.choices, blank=True)
    grant_ended_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["practice_name", "username", "role", "id"]
        constraints = [
            models.UniqueConstraint(fields=["review", "grant"], name="access_review_item_once"),
        ]
        indexes = [models.Index(fields=["review", "decision"])]

    def __str__(self) -> str:
        return f"{self.username}: {self.role} on {self.practice_name}"

    @property
    def is_decided(self) -> bool:
        return bool(self.decision)
