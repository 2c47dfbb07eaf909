"""Patients: the first PHI entity. Reached only through `.visible_to(actor, capability)`."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone

from bureau.tenancy.scoping import PracticeScoped, ProviderScope

# A patient belongs to the providers who rendered or billed one of the patient's encounters. A
# provider-limited grant sees those patients only (minimum necessary: the demographics and
# policies of the practice's other patients are none of its business), so a new patient with no
# encounter yet is registered, and first billed, by someone with access to the whole practice.
PATIENT_PROVIDERS = ("rendering_provider", "billing_provider")


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class Patient(PracticeScoped):
    provider_scope = ProviderScope(PATIENT_PROVIDERS, via=("claims.Encounter", "patient_id", "pk"))

    account_number = models.CharField(max_length=20)
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=1, choices=Sex.choices, default=Sex.UNKNOWN)
    address_line1 = models.CharField(max_length=120, blank=True)
    address_line2 = models.CharField(max_length=120, blank=True)
    city = models.CharField(max_length=60, blank=True)
    state = models.CharField(max_length=2, blank=True)
    postal_code = models.CharField(max_length=10, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            # Account numbers are one practice's, whatever their case: A-100 and a-100 on two
            # charts would be one patient to anyone reading them aloud.
            models.UniqueConstraint(
                "practice", Upper("account_number"), name="patient_account_unique_any_case"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "practice", "last_name", "first_name"]),
            models.Index(fields=["workspace", "account_number"]),
        ]

    def __str__(self) -> str:
        return f"Patient {self.account_number}"


class CobOrder(models.IntegerChoices):
    PRIMARY = 1, "Primary"
    SECONDARY = 2, "Secondary"
    TERTIARY = 3, "Tertiary"


class Relationship(models.TextChoices):
    """Patient's relationship to the subscriber (X12 individual relationship codes)."""

    SELF = "18", "Self"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    OTHER = "G8", "Other relationship"


class Coverage(PracticeScoped):
    """A patient's insurance policy with one payer, in coordination-of-benefits order."""

    # Follows its patient.
    provider_scope = ProviderScope(
        PATIENT_PROVIDERS, via=("claims.Encounter", "patient_id", "patient_id")
    )

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="coverages")
    payer = models.ForeignKey("directory.Payer", on_delete=models.PROTECT, related_name="+")
    member_id = models.CharField(max_length=80)
    group_number = models.CharField(max_length=50, blank=True)
    cob_order = models.PositiveSmallIntegerField(choices=CobOrder.choices, default=CobOrder.PRIMARY)
    relationship = models.CharField(
        max_length=2, choices=Relationship.choices, default=Relationship.SELF
    )
    # The subscriber when not the patient (a parent's or spouse's policy).
    subscriber_first_name = models.CharField(max_length=60, blank=True)
    subscriber_last_name = models.CharField(max_length=60, blank=True)
    subscriber_date_of_birth = models.DateField(null=True, blank=True)
    subscriber_sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    effective_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["cob_order", "effective_date"]
        indexes = [models.Index(fields=["workspace", "practice", "patient"])]

    def __str__(self) -> str:
        return f"Coverage {self.get_cob_order_display()} {self.member_id}"
