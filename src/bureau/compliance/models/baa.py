"""`BusinessAssociateAgreement`: the BAA inventory, both directions (45 CFR 164.314(a), 164.502(e)).

A *client* BAA is the one a client practice (the covered entity) signed with the billing company:
it names how many days the billing company has to tell the practice of a breach. A
*subcontractor* BAA is the one the billing company signed with a vendor that touches PHI on its
behalf (clearinghouse, cloud host, offshore team, shredding): the days are those the vendor owes
us. A client BAA *relies on* the subcontractor BAAs whose vendors serve that client (flow-down,
164.502(e)(1)(ii)): if one of them lapses, the promise to the client is broken.

Control data of the workspace, not PHI: no RLS; reached through `compliance.baa_queries`.
The signed PDF is kept in the row with its SHA-256, so a copy an auditor holds can be checked.
"""

from __future__ import annotations

import calendar
import uuid
from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bureau.tenancy.models import Practice, Workspace


class BaaDirection(models.TextChoices):
    CLIENT = "client", "Client practice (we are its business associate)"
    SUBCONTRACTOR = "subcontractor", "Subcontractor (our vendor)"


class VendorService(models.TextChoices):
    CLEARINGHOUSE = "clearinghouse", "Clearinghouse"
    CLOUD_HOST = "cloud_host", "Cloud host"
    OFFSHORE_TEAM = "offshore_team", "Offshore team"
    SHREDDING = "shredding", "Shredding"
    SOFTWARE = "software", "Software vendor"
    OTHER = "other", "Other"


class BaaStatus(models.TextChoices):
    DRAFT = "draft", "Draft (not signed)"
    PENDING = "pending", "Signed, not yet effective"
    IN_FORCE = "in_force", "In force"
    EXPIRED = "expired", "Expired"
    TERMINATED = "terminated", "Terminated"


class BusinessAssociateAgreement(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    direction = models.CharField(max_length=14, choices=BaaDirection.choices)
    # Client direction: the covered entity. Subcontractor direction: none (the vendor below).
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="baas"
    )
    vendor_name = models.CharField(max_length=200, blank=True)
    vendor_service = models.CharField(max_length=20, choices=VendorService.choices, blank=True)
    phi_scope = models.TextField()
    signed_on = models.DateField(null=True, blank=True)
    effective_on = models.DateField(null=True, blank=True)
    # The last day of the current term; None: evergreen (in force until terminated).
    expires_on = models.DateField(null=True, blank=True)
    auto_renews = models.BooleanField(default=False)
    # An auto-renewing BAA rolls its expiry forward by this many months at each term's end.
    renewal_term_months = models.PositiveSmallIntegerField(null=True, blank=True)
    renewal_terms = models.TextField(blank=True)
    # Client: days the billing company has to notify the practice of a breach. Subcontractor:
    # days the vendor has to notify us. None: the contract says nothing (the 60-day rule holds).
    breach_notice_days = models.PositiveSmallIntegerField(null=True, blank=True)
    return_destroy_terms = models.TextField(blank=True)
    terminated_on = models.DateField(null=True, blank=True)
    termination_reason = models.TextField(blank=True)
    # Flow-down: a client BAA relies on the subcontractor BAAs of the vendors serving it.
    relies_on = models.ManyToManyField(
        "self", symmetrical=False, blank=True, related_name="relied_on_by"
    )
    document = models.BinaryField(null=True, blank=True)
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_filename = models.CharField(max_length=200, blank=True)
    document_size = models.PositiveIntegerField(null=True, blank=True)
    document_uploaded_at = models.DateTimeField(null=True, blank=True)
    document_uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["direction", "vendor_name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(direction=BaaDirection.CLIENT, practice__isnull=False, vendor_name="")
                    | (
                        Q(direction=BaaDirection.SUBCONTRACTOR, practice__isnull=True)
                        & ~Q(vendor_name="")
                    )
                ),
                name="baa_party_matches_direction",
            ),
            models.CheckConstraint(
                condition=Q(expires_on__isnull=True)
                | Q(effective_on__isnull=True)
                | Q(expires_on__gte=models.F("effective_on")),
                name="baa_expiry_after_effective",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "direction"])]

    def __str__(self) -> str:
        return f"BAA with {self.party}"

    @property
    def party(self) -> str:
        """Who the agreement is with: the practice, or the vendor."""
        if self.direction == BaaDirection.CLIENT and self.practice_id is not None:
            return self.practice.name  # type: ignore[union-attr]
        return self.vendor_name

    @property
    def is_client(self) -> bool:
        return self.direction == BaaDirection.CLIENT

    def current_expiry(self, today: date) -> date | None:
        """The last day of the term running on `today`: an auto-renewing BAA rolls forward by
        its renewal term until the term covers `today`; None for an evergreen one."""
        if self.expires_on is None:
            return None
        if not self.auto_renews or not self.renewal_term_months:
            return self.expires_on
        end = self.expires_on
        while end < today:
            end = add_months(end, self.renewal_term_months)
        return end

    def status_on(self, today: date) -> BaaStatus:
        if self.terminated_on is not None and self.terminated_on <= today:
            return BaaStatus.TERMINATED
        if self.signed_on is None or self.effective_on is None:
            return BaaStatus.DRAFT
        if self.effective_on > today:
            return BaaStatus.PENDING
        expiry = self.current_expiry(today)
        if expiry is not None and expiry < today:
            return BaaStatus.EXPIRED
        return BaaStatus.IN_FORCE

    def in_force_on(self, day: date) -> bool:
        return self.status_on(day) == BaaStatus.IN_FORCE


def add_months(day: date, months: int) -> date:
    """The same day `months` later, clamped to the month's end (Jan 31 + 1 month: Feb 28/29)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
