"""`MonthlyReport`: one stored, versioned monthly client report of one practice.

Customer data (the practice's money, month by month): it carries workspace and practice, lives
under RLS and is reached through `.visible_to`. A month regenerated (a late ERA dated in it) is
a new row with the next `version`; earlier versions are kept, never updated, so what a client
downloaded in March can be shown again in June. The PDF is stored as rendered, with its
SHA-256, so a copy the client forwards can be checked against ours.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from bureau import clock
from bureau.tenancy.scoping import PracticeScoped, ProviderScope


class Trigger(models.TextChoices):
    SCHEDULE = "schedule", "scheduled run"  # on the 1st, or `--scheduled` on any day
    COMMAND = "command", "bureau reports monthly"


class MonthlyReport(PracticeScoped):
    provider_scope = ProviderScope(
        reason="a practice's whole month (every provider's claims in one set of figures): a "
        "grant limited to some providers sees none of it"
    )

    month = models.DateField()  # the month's first day
    version = models.PositiveSmallIntegerField()
    generated_at = models.DateTimeField(default=clock.now)
    # None: the system (the scheduled run, or `bureau reports monthly` by an operator); a
    # person when a service is called for one.
    generated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    figures = models.JSONField()  # see reports.monthly: Decimals as strings
    pdf = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "month", "version"], name="monthly_report_version"
            ),
        ]

    def __str__(self) -> str:
        return f"monthly report {self.month:%Y-%m} v{self.version}"

    @property
    def generated_by_label(self) -> str:
        if self.generated_by_id:
            return self.generated_by.username  # type: ignore[union-attr]
        return f"system ({self.get_trigger_display()})"
