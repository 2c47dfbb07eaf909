"""Users: one login per person, belonging to exactly one workspace."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models

from bureau.tenancy.models import Workspace


class User(AbstractUser):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # NULL only for platform operators created with `createsuperuser`; they see no PHI.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.PROTECT, null=True, blank=True, related_name="users"
    )
    full_name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["username"]

    @property
    def label(self) -> str:
        """How the audit log names this person, snapshotted into each event."""
        return self.label_of(self.username, self.full_name)

    @staticmethod
    def label_of(username: str, full_name: str) -> str:
        """`label` from the two columns, for lists read without building users."""
        return f"{full_name} <{username}>" if full_name else username

    @property
    def display_name(self) -> str:
        return self.full_name or self.username
