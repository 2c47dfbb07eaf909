"""Settings values at three levels: workspace default, practice override, practice+payer
override. Control data (no PHI), not under row-level security."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.timezone import now

from bureau.tenancy.models import Practice, Workspace


class SettingValue(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    # NULL: the workspace default, which overrides the registry's built-in default.
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payer = models.ForeignKey(
        "directory.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    key = models.CharField(max_length=80)
    # JSON as the registry writes it: Decimals as strings.
    value = models.JSONField()
    updated_at = models.DateTimeField(default=now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "key"],
                condition=Q(practice__isnull=True),
                name="setting_workspace_default_unique",
            ),
            models.UniqueConstraint(
                fields=["practice", "key"],
                condition=Q(payer__isnull=True),
                name="setting_practice_unique",
            ),
            models.UniqueConstraint(
                fields=["practice", "payer", "key"],
                condition=Q(payer__isnull=False),
                name="setting_practice_payer_unique",
            ),
            models.CheckConstraint(
                condition=Q(payer__isnull=True) | Q(practice__isnull=False),
                name="setting_payer_needs_practice",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key} = {self.value}"

    @property
    def level(self) -> str:
        if self.practice_id is None:
            return "workspace"
        return "payer" if self.payer_id is not None else "practice"
