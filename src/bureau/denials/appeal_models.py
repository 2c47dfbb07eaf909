"""Appeals of a denial and the letter templates they are written from (issue 13).

An `Appeal` is one level of appeal (Medicare: redetermination … federal court; a commercial
payer: its internal levels). Its deadline comes from the deadline engine when it is opened; an
upheld outcome opens the next level. The letter's PDF is stored with the appeal, with its
SHA-256, so what was sent can be shown to have been sent unchanged.

Models reference Denial by string: `denials/models.py` imports this module.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from bureau import clock
from bureau.claims.models import encounter_providers
from bureau.tenancy.scoping import PracticeScoped


class AppealMethod(models.TextChoices):
    PORTAL = "portal", "Payer portal"
    FAX = "fax", "Fax"
    MAIL = "mail", "Mail"
    EDI = "edi", "EDI"


class AppealOutcome(models.TextChoices):
    OVERTURNED = "overturned", "Overturned"
    PARTIALLY_OVERTURNED = "partial", "Partially overturned"
    UPHELD = "upheld", "Upheld"


class Appeal(PracticeScoped):
    provider_scope = encounter_providers("denial__claim__encounter")

    denial = models.ForeignKey("denials.Denial", on_delete=models.PROTECT, related_name="appeals")
    level = models.PositiveSmallIntegerField()  # 1 = first level
    kind = models.CharField(max_length=20)  # the deadline engine's ClockKind value
    deadline = models.DateField()
    deadline_source = models.CharField(max_length=300)
    # Opened past the deadline: only a supervisor, with a reason.
    late_reason = models.CharField(max_length=300, blank=True)
    late_approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    rebuttal = models.TextField(blank=True)
    attachments = models.TextField(blank=True)  # one per line, as listed in the letter
    submitted_on = models.DateField(null=True, blank=True)
    method = models.CharField(max_length=8, choices=AppealMethod.choices, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    outcome = models.CharField(max_length=12, choices=AppealOutcome.choices, blank=True)
    decided_on = models.DateField(null=True, blank=True)
    amount_recovered = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    letter_pdf = models.BinaryField(null=True, blank=True)
    letter_sha256 = models.CharField(max_length=64, blank=True)
    letter_rendered_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["denial", "level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["denial", "level"], name="appeal_one_per_level")
        ]

    def __str__(self) -> str:
        return f"Appeal level {self.level}"


class AppealLetterTemplate(models.Model):
    """A workspace's own letter for a denial category and/or appeal level; blank category or
    null level match any. Without one, the shipped default template is used."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    category = models.CharField(max_length=20, blank=True)
    level = models.PositiveSmallIntegerField(null=True, blank=True)
    name = models.CharField(max_length=100)
    body = models.TextField()  # Django template syntax, rendered with the letter's context only
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "category", "level"], name="appeal_template_one_per_slot"
            )
        ]

    def __str__(self) -> str:
        return self.name
