"""Denials: one row per denied claim or line on an ERA, categorised and given a deadline.

`category` comes from the CARC → category table in `categories.py`; `appeal_deadline` is the
ERA's payment date plus the payer's appeal limit. PHI (it names a claim), so `PracticeScoped`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from bureau import clock
from bureau.claims.models import encounter_providers
from bureau.tenancy.scoping import PracticeScoped


class DenialCategory(models.TextChoices):
    ELIGIBILITY = "eligibility", "Eligibility"
    AUTHORIZATION = "authorization", "Authorization"
    CODING = "coding", "Coding"
    MEDICAL_NECESSITY = "medical_necessity", "Medical necessity"
    TIMELY_FILING = "timely_filing", "Timely filing"
    DUPLICATE = "duplicate", "Duplicate"
    BUNDLING = "bundling", "Bundling"
    COORDINATION_OF_BENEFITS = "cob", "Coordination of benefits"
    MISSING_INFORMATION = "missing_info", "Missing information"
    OTHER = "other", "Other"


class DenialStatus(models.TextChoices):
    OPEN = "open", "Open"
    IN_PROGRESS = "in_progress", "In progress"
    APPEALED = "appealed", "Appealed"
    RESOLVED = "resolved", "Resolved"
    WRITTEN_OFF = "written_off", "Written off"
    REVERSED = "reversed", "Reversed by payer"


class Denial(PracticeScoped):
    provider_scope = encounter_providers("claim__encounter")

    claim = models.ForeignKey("claims.Claim", on_delete=models.PROTECT, related_name="denials")
    claim_line = models.ForeignKey(
        "claims.ClaimLine", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    era = models.ForeignKey("remittance.Era", on_delete=models.PROTECT, related_name="denials")
    era_claim = models.ForeignKey(
        "remittance.EraClaim", on_delete=models.PROTECT, related_name="denials"
    )
    payer = models.ForeignKey(
        "directory.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    group_code = models.CharField(max_length=2)
    carc = models.CharField("CARC", max_length=5)
    rarcs = models.JSONField("RARCs", default=list)
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    category = models.CharField(max_length=20, choices=DenialCategory.choices)
    denied_on = models.DateField()  # the ERA's payment date
    appeal_deadline = models.DateField()
    status = models.CharField(
        max_length=12, choices=DenialStatus.choices, default=DenialStatus.OPEN
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["appeal_deadline", "id"]
        indexes = [
            models.Index(fields=["workspace", "practice", "status"]),
            models.Index(fields=["workspace", "category"]),
        ]

    def __str__(self) -> str:
        return f"{self.group_code}-{self.carc} {self.amount}"


from bureau.denials.appeal_models import Appeal, AppealLetterTemplate  # noqa: E402,F401
