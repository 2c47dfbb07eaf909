"""Control data of tenancy: workspaces (billing companies), practices (their clients), grants.

These tables carry no PHI and are not under row-level security; PHI tables derive from
`PracticeScoped` (see `scoping.py`).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.timezone import now

from bureau.tenancy.roles import Role


class Workspace(models.Model):
    """A billing company. Every user belongs to exactly one."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    created_at = models.DateTimeField(default=now)

    def __str__(self) -> str:
        return self.name


class PracticeStatus(models.TextChoices):
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    # Offboarding: the client is leaving; its data stays readable until the purge.
    OFFBOARDING = "offboarding", "Offboarding"
    OFFBOARDED = "offboarded", "Offboarded"


class Practice(models.Model):
    """A client practice of the billing company: the scope of PHI."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="practices")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    name = models.CharField(max_length=200)
    # Short code used in claim numbers (CLM01 is at most 20 characters).
    code = models.CharField(max_length=8)
    # The last claim sequence handed out (claim numbers are `CODE-000123`): a counter on the
    # practice row, which its lock serializes, instead of a max() over claims that a
    # provider-limited actor could not even see all of.
    claim_sequence = models.PositiveIntegerField(default=0)
    specialty = models.CharField(max_length=100, blank=True)
    npi = models.CharField("NPI", max_length=10)
    tax_id = models.CharField("tax id", max_length=10)
    timezone = models.CharField(max_length=64, default="America/New_York")
    # The billing address (837P loop 2010AA N3/N4): where the practice is, ZIP+4 stored as
    # `NNNNN-NNNN`. Blank on a practice still being set up (an open onboarding step).
    address_line1 = models.CharField("address line 1", max_length=55, blank=True)
    address_line2 = models.CharField("address line 2", max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField("ZIP+4", max_length=10, blank=True)
    status = models.CharField(
        max_length=12, choices=PracticeStatus.choices, default=PracticeStatus.ACTIVE
    )
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "code"], name="practice_code_unique"),
            models.UniqueConstraint(fields=["workspace", "npi"], name="practice_npi_unique"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def has_billing_address(self) -> bool:
        return bool(self.address_line1 and self.city and self.state and self.postal_code)


class GrantQuerySet(models.QuerySet["Grant"]):
    def live(self, at: datetime | None = None) -> GrantQuerySet:
        """Grants in force now. Expiry is a filter, not a job: a grant is dead the moment
        its `expires_at` passes, at the very next request."""
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )


class Grant(models.Model):
    """One user's role on one practice, or on all practices of the workspace."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="grants")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="grants"
    )
    # NULL means every practice of the workspace, including practices added later.
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="grants"
    )
    role = models.CharField(max_length=32, choices=[(r.value, r.label) for r in Role])
    # Empty means every provider of the practice.
    providers = models.ManyToManyField("directory.Provider", blank=True, related_name="grants")
    read_only = models.BooleanField(default=False)
    expires_at = models.DateTimeField(null=True, blank=True)
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants_given",
    )
    reason = models.TextField()
    created_at = models.DateTimeField(default=now)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="grants_revoked",
    )
    revoke_reason = models.TextField(blank=True)

    objects = GrantQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["user", "revoked_at"])]

    def __str__(self) -> str:
        return f"{self.role} on {self.scope_label}"

    @property
    def role_enum(self) -> Role:
        return Role(self.role)

    @property
    def is_live(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)

    @property
    def scope_label(self) -> str:
        return self.practice.name if self.practice is not None else "All practices"
