"""Workforce training (45 CFR 164.308(a)(5)): the courses a billing company runs and who
completed which, when, with what evidence.

Due dates are not stored: they are computed from these rows and the users' grants
(`compliance/training.py`), so a new user, a role change or a new course moves them at once,
whatever created the user (the users page, `bureau createuser`, the demo seed).
Control data: no PHI, not under row-level security.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.timezone import now

from bureau.tenancy.models import Workspace


class CourseKind(models.TextChoices):
    ANNUAL_HIPAA = "annual_hipaa", "Annual HIPAA"
    ROLE_SPECIFIC = "role_specific", "Role-specific"
    ONBOARDING = "onboarding", "Onboarding"


class Course(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=16, choices=CourseKind.choices)
    # tenancy.roles.Role values; empty: every member of the workforce.
    roles = models.JSONField(default=list, blank=True)
    # 12 for the annual course; 0: taken once.
    recurrence_months = models.PositiveSmallIntegerField(default=12)
    # Days allowed after hire (or after the role is first granted) for the first completion.
    days_allowed = models.PositiveSmallIntegerField(default=30)
    active = models.BooleanField(default=True)
    # Nobody owes a course before it existed: the first due date counts from the later of
    # the person's start and this day.
    created_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "title"], name="course_title_unique"),
        ]

    def __str__(self) -> str:
        return self.title


class TrainingCompletion(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="completions")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="training_completions"
    )
    completed_on = models.DateField()
    note = models.TextField(blank=True)
    # The certificate as uploaded (PDF, PNG or JPEG, sniffed), with its SHA-256.
    certificate = models.BinaryField(null=True, blank=True)
    certificate_sha256 = models.CharField(max_length=64, blank=True)
    certificate_filename = models.CharField(max_length=200, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(default=now)

    class Meta:
        ordering = ["-completed_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "course", "completed_on"], name="training_completion_unique"
            ),
        ]
        indexes = [models.Index(fields=["course", "user", "completed_on"])]

    def __str__(self) -> str:
        return f"{self.user_id} {self.course_id} {self.completed_on}"
