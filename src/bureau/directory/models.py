"""Providers of a practice (control data). Payers, enrollment and fee schedules come later."""

from __future__ import annotations

import uuid

from django.db import models

from bureau.tenancy.models import Practice, Workspace


class Provider(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="providers")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="providers")
    name = models.CharField(max_length=200)
    npi = models.CharField("NPI", max_length=10)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["practice", "npi"], name="provider_npi_unique")
        ]

    def __str__(self) -> str:
        return self.name
