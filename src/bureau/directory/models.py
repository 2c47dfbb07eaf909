"""Directory (control data): providers, facilities, payers, enrollment, fee schedules, contracts.

None of these carry PHI, so they are not `PracticeScoped`; practice-owned rows still carry their
workspace and practice and are read through selectors that scope by the actor's practices.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from bureau.tenancy.models import Practice, Workspace


class ProviderKind(models.TextChoices):
    INDIVIDUAL = "individual", "Individual (NPI type 1)"
    ORGANIZATION = "organization", "Group / organization (NPI type 2)"


class Provider(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="providers")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="providers")
    kind = models.CharField(
        max_length=12, choices=ProviderKind.choices, default=ProviderKind.INDIVIDUAL
    )
    name = models.CharField(max_length=200)
    # Individuals: last and first name for NM1*82; organizations use `name`.
    last_name = models.CharField(max_length=60, blank=True)
    first_name = models.CharField(max_length=35, blank=True)
    npi = models.CharField("NPI", max_length=10)
    taxonomy = models.CharField(max_length=10, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "npi"], name="provider_npi_unique")
        ]

    def __str__(self) -> str:
        return self.name


class ServiceFacility(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="facilities")
    name = models.CharField(max_length=200)
    npi = models.CharField("NPI", max_length=10, blank=True)
    address_line1 = models.CharField(max_length=120)
    city = models.CharField(max_length=60)
    state = models.CharField(max_length=2)
    postal_code = models.CharField(max_length=10)
    # A closed clinic is deactivated, never deleted: its encounters and claims still point at it.
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "service facilities"

    def __str__(self) -> str:
        return self.name


class ClearinghouseRoute(models.TextChoices):
    FOLDER = "folder", "Folder drop"
    SFTP = "sftp", "SFTP"
    SIMULATOR = "simulator", "Payer simulator"


class PayerKind(models.TextChoices):
    MEDICARE = "medicare", "Medicare"
    MEDICAID = "medicaid", "Medicaid"
    COMMERCIAL = "commercial", "Commercial"
    OTHER = "other", "Other"


class Payer(models.Model):
    """A payer known to the whole workspace (every client bills the same Aetna)."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="payers")
    name = models.CharField(max_length=200)
    payer_id = models.CharField("payer id", max_length=80)
    kind = models.CharField(max_length=12, choices=PayerKind.choices, default=PayerKind.COMMERCIAL)
    timely_filing_days = models.PositiveIntegerField(default=365)
    appeal_limit_days = models.PositiveIntegerField(default=180)
    route = models.CharField(
        max_length=12, choices=ClearinghouseRoute.choices, default=ClearinghouseRoute.SIMULATOR
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "payer_id"], name="payer_id_unique")
        ]

    def __str__(self) -> str:
        return self.name


class EnrollmentStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    ACTIVE = "active", "Active"
    TERMINATED = "terminated", "Terminated"


class Enrollment(models.Model):
    """Credentialing: may this provider bill this payer for this practice, and since when."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="enrollments")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="enrollments")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="enrollments")
    status = models.CharField(
        max_length=12, choices=EnrollmentStatus.choices, default=EnrollmentStatus.PENDING
    )
    effective_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    revalidation_date = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["provider", "payer"], name="enrollment_unique"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(effective_date__isnull=True)
                | Q(end_date__gte=models.F("effective_date")),
                name="enrollment_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider} × {self.payer}: {self.status}"


class FeeSchedule(models.Model):
    """A price list: the workspace default (practice NULL) or one practice's override."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    practice = models.OneToOneField(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="fee_schedule"
    )
    name = models.CharField(max_length=120)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace"],
                condition=Q(practice__isnull=True),
                name="one_default_fee_schedule",
            )
        ]

    def __str__(self) -> str:
        return self.name


class FeeScheduleLine(models.Model):
    schedule = models.ForeignKey(FeeSchedule, on_delete=models.CASCADE, related_name="lines")
    code = models.CharField(max_length=5)
    modifier = models.CharField(max_length=2, blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["code", "modifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["schedule", "code", "modifier"], name="fee_line_unique"
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="fee_amount_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.code}{('-' + self.modifier) if self.modifier else ''} {self.amount}"


class ContractRate(models.Model):
    """Expected allowed amount per code, payer and practice (for underpayment checks)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="contract_rates")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="contract_rates")
    code = models.CharField(max_length=5)
    modifier = models.CharField(max_length=2, blank=True)
    allowed_amount = models.DecimalField(max_digits=12, decimal_places=2)

    class Meta:
        ordering = ["payer__name", "code", "modifier"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "payer", "code", "modifier"], name="contract_rate_unique"
            ),
            models.CheckConstraint(
                condition=Q(allowed_amount__gte=0), name="contract_amount_non_negative"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.code}: {self.allowed_amount}"
