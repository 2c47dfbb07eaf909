"""Patients: the first PHI entity. Reached only through `.visible_to(actor, capability)`."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from bureau.tenancy.scoping import PracticeScoped


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class Patient(PracticeScoped):
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
            models.UniqueConstraint(
                fields=["practice", "account_number"], name="patient_account_unique"
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "practice", "last_name", "first_name"]),
            models.Index(fields=["workspace", "account_number"]),
        ]

    def __str__(self) -> str:
        return f"Patient {self.account_number}"
