"""Exclusion screening: the OIG list as imported, each screening run, and its hits.

Workspace-scoped control data, not PHI: the list is public and the subjects are the billing
company's own staff and its clients' providers, so none of these is `PracticeScoped`. Nothing
here is deleted: a run is evidence an auditor asks for (which list, which file, who, when, what
was found and how each hit was resolved).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from bureau.directory.models import Provider
from bureau.tenancy.models import Workspace


class ListKind(models.TextChoices):
    FULL = "full", "Full list (UPDATED.csv)"
    EXCLUSIONS = "exclusions", "Monthly supplement: exclusions"
    REINSTATEMENTS = "reinstatements", "Monthly supplement: reinstatements"


class ExclusionListImport(models.Model):
    """One LEIE file taken in: which, whose bytes (SHA-256), what it changed."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=16, choices=ListKind.choices)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField("SHA-256", max_length=64)
    rows_read = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    # A full list retires the entries it replaces; a reinstatements file marks entries.
    rows_retired = models.PositiveIntegerField(default=0)
    rows_reinstated = models.PositiveIntegerField(default=0)
    rows_unmatched = models.PositiveIntegerField(default=0)  # reinstatements of no entry
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    imported_at = models.DateTimeField()

    class Meta:
        ordering = ["-imported_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-imported_at"], name="leie_import_recent")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.get_kind_display()})"


class ExclusionEntry(models.Model):
    """One person or entity on the list as it stands. An entry stops matching when a later
    full list retires it or a reinstatements file reinstates it; it is kept either way, since
    hits point at it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    added_by = models.ForeignKey(
        ExclusionListImport, on_delete=models.PROTECT, related_name="entries_added"
    )
    retired_by = models.ForeignKey(
        ExclusionListImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries_retired",
    )
    reinstated_by = models.ForeignKey(
        ExclusionListImport,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entries_reinstated",
    )
    last_name = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=100, blank=True)
    middle_name = models.CharField(max_length=100, blank=True)
    business_name = models.CharField(max_length=200, blank=True)
    # Folded names (`matching.fold`): what screening compares.
    last_key = models.CharField(max_length=100, blank=True)
    first_key = models.CharField(max_length=100, blank=True)
    general = models.CharField(max_length=100, blank=True)
    specialty = models.CharField(max_length=100, blank=True)
    npi = models.CharField("NPI", max_length=10, blank=True)
    dob = models.DateField("date of birth", null=True, blank=True)
    state = models.CharField(max_length=2, blank=True)
    exclusion_type = models.CharField(max_length=20)
    exclusion_date = models.DateField()
    reinstatement_date = models.DateField(null=True, blank=True)
    # The same listing across imports (names, DOB, NPI, exclusion date): a false positive
    # resolved against it stays resolved when next month's full list brings it again.
    identity = models.CharField(max_length=64)

    class Meta:
        ordering = ["last_name", "first_name", "business_name"]
        verbose_name_plural = "exclusion entries"
        indexes = [
            models.Index(fields=["workspace", "identity"], name="leie_entry_identity"),
            models.Index(fields=["workspace", "last_key"], name="leie_entry_last_key"),
            models.Index(fields=["workspace", "npi"], name="leie_entry_npi"),
        ]

    def __str__(self) -> str:
        return self.business_name or f"{self.last_name}, {self.first_name}"

    @property
    def display_name(self) -> str:
        if self.last_name or self.first_name:
            return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)
        return self.business_name


class ScreeningProfile(models.Model):
    """What screening knows of a person beyond their account: a date of birth (users and
    providers carry none) and former last names (maiden names). Optional; without it a person
    is screened by NPI and name only."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="screening_profile",
    )
    provider = models.OneToOneField(
        Provider,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="screening_profile",
    )
    date_of_birth = models.DateField(null=True, blank=True)
    # Comma-separated: "Marsh, Marsh-Hale".
    former_last_names = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, provider__isnull=True)
                | Q(user__isnull=True, provider__isnull=False),
                name="screening_profile_one_subject",
            )
        ]

    def __str__(self) -> str:
        return f"screening profile of {self.user or self.provider}"

    def former_names(self) -> tuple[str, ...]:
        return tuple(n.strip() for n in self.former_last_names.split(",") if n.strip())


class RunScope(models.TextChoices):
    EVERYONE = "everyone", "Every active user and provider"
    SOME = "some", "Chosen people (e.g. just created)"


class ScreeningRun(models.Model):
    """One screening of the workspace's staff and providers against the list as it stood."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    ran_at = models.DateTimeField()
    ran_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    ran_by_label = models.CharField(max_length=200)  # "system (monthly)" when no one
    scope = models.CharField(max_length=8, choices=RunScope.choices, default=RunScope.EVERYONE)
    # The files whose entries made up the list (each with its SHA-256).
    imports = models.ManyToManyField(ExclusionListImport, related_name="runs")
    entries_in_force = models.PositiveIntegerField(default=0)
    users_screened = models.PositiveIntegerField(default=0)
    providers_screened = models.PositiveIntegerField(default=0)
    hits = models.PositiveIntegerField(default=0)  # raised by this run
    # Matches not raised again: an open hit exists, or resolved as a false positive.
    hits_suppressed = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-ran_at", "-id"]
        indexes = [models.Index(fields=["workspace", "-ran_at"], name="screening_run_recent")]

    def __str__(self) -> str:
        return f"screening {self.ran_at:%Y-%m-%d %H:%M}"


class HitStatus(models.TextChoices):
    OPEN = "open", "Open"
    CONFIRMED = "confirmed", "Confirmed: excluded"
    FALSE_POSITIVE = "false_positive", "False positive"
    UNABLE = "unable_to_determine", "Unable to determine"


class HitBasis(models.TextChoices):
    NPI = "npi", "Same NPI"
    NAME_DOB = "name_dob", "Same name and date of birth"
    NAME_VARIANT = "name_variant", "Name variant (possible)"


class ScreeningHit(models.Model):
    """A subject that matched an entry: a work item the compliance officer resolves."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    run = models.ForeignKey(ScreeningRun, on_delete=models.PROTECT, related_name="hit_rows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="screening_hits",
    )
    provider = models.ForeignKey(
        Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="screening_hits"
    )
    subject_label = models.CharField(max_length=200)  # the name as screened, kept
    entry = models.ForeignKey(ExclusionEntry, on_delete=models.PROTECT, related_name="hits")
    entry_identity = models.CharField(max_length=64)
    basis = models.CharField(max_length=16, choices=HitBasis.choices)
    score = models.PositiveSmallIntegerField()
    why = models.CharField(max_length=200)
    status = models.CharField(max_length=24, choices=HitStatus.choices, default=HitStatus.OPEN)
    resolution_reason = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-score", "subject_label"]
        constraints = [
            models.CheckConstraint(
                condition=Q(user__isnull=False, provider__isnull=True)
                | Q(user__isnull=True, provider__isnull=False),
                name="screening_hit_one_subject",
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="screening_hit_score_range"),
        ]
        indexes = [
            models.Index(fields=["workspace", "status"], name="screening_hit_status"),
            models.Index(fields=["workspace", "entry_identity"], name="screening_hit_identity"),
        ]

    def __str__(self) -> str:
        return f"{self.subject_label} ~ {self.entry}"
