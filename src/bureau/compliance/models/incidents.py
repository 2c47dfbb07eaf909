"""`Incident`: the incident log with its timestamps, the breach risk assessment and the decision.

45 CFR 164.402(2): an impermissible use or disclosure of PHI is presumed a breach unless a risk
assessment of four factors shows a low probability that the PHI was compromised: the nature and
extent of the PHI, the unauthorized person, whether the PHI was actually acquired or viewed, and
the extent the risk was mitigated. The breach clock (164.410(b)) starts at discovery: see
`compliance.incidents.deadlines`.

Control data of the workspace (the log names practices and, as confirmed evidence, record ids;
never PHI values): no RLS; reached through `compliance.incident_queries`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from bureau.tenancy.models import Practice, Workspace


class RiskLevel(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class BreachDecision(models.TextChoices):
    UNDETERMINED = "undetermined", "Undetermined"
    NOT_BREACH = "not_breach", "Not a breach (low probability of compromise)"
    BREACH = "breach", "Breach"


def _who() -> models.ForeignKey:  # type: ignore[type-arg]
    return models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )


def _level() -> models.CharField:  # type: ignore[type-arg]
    return models.CharField(max_length=8, choices=RiskLevel.choices, blank=True)


class Incident(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    description = models.TextField()
    systems_affected = models.TextField(blank=True)

    # The timeline: each moment with who. Discovery starts the breach clock.
    discovered_at = models.DateTimeField()
    discovered_by = _who()
    reported_at = models.DateTimeField(null=True, blank=True)
    reported_by = _who()
    contained_at = models.DateTimeField(null=True, blank=True)
    contained_by = _who()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = _who()

    # The four factors of 164.402(2), each described and rated.
    phi_nature = models.TextField(blank=True)
    phi_nature_risk = _level()
    unauthorized_person = models.TextField(blank=True)
    unauthorized_person_risk = _level()
    acquired_or_viewed = models.TextField(blank=True)
    acquired_or_viewed_risk = _level()
    mitigation = models.TextField(blank=True)
    mitigation_risk = _level()

    decision = models.CharField(
        max_length=14, choices=BreachDecision.choices, default=BreachDecision.UNDETERMINED
    )
    decision_reasoning = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = _who()

    affected_practices = models.ManyToManyField(Practice, blank=True, related_name="+")
    # What the officer confirmed from the audit log's proposal: the window, the person and the
    # record ids per practice and model, kept as evidence of how the list was drawn up.
    affected_evidence = models.JSONField(default=dict, blank=True)

    created_at = models.DateTimeField(default=timezone.now)
    created_by = _who()
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-discovered_at", "-id"]
        indexes = [models.Index(fields=["workspace", "discovered_at"])]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None
