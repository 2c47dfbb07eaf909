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
    """How a denial is worked (the values of the pre-H13 set are kept, so stored rows stay
    valid; migration 0004 re-derives `other` rows whose CARC now has a category)."""

    ELIGIBILITY = "eligibility", "Eligibility"
    COORDINATION_OF_BENEFITS = "cob", "Coordination of benefits / wrong payer"
    AUTHORIZATION = "authorization", "Authorization / referral"
    MISSING_INFORMATION = "missing_info", "Missing information / attachments"
    CODING = "coding", "Coding"
    BUNDLING = "bundling", "Bundling"
    MEDICAL_NECESSITY = "medical_necessity", "Medical necessity / non-covered"
    FREQUENCY = "frequency", "Frequency / benefit maximum"
    CREDENTIALING = "credentialing", "Provider credentialing"
    TIMELY_FILING = "timely_filing", "Timely filing"
    DUPLICATE = "duplicate", "Duplicate"
    OTHER = "other", "Other"


class RootCause(models.TextChoices):
    """Where a resolved denial started: asked for when it is closed, so reports can say."""

    REGISTRATION = "registration", "Registration"
    ELIGIBILITY = "eligibility", "Eligibility"
    AUTHORIZATION = "authorization", "Authorization"
    CODING = "coding", "Coding"
    DOCUMENTATION = "documentation", "Documentation"
    CHARGE_ENTRY = "charge_entry", "Charge entry"
    PAYER_ERROR = "payer_error", "Payer error"
    CREDENTIALING = "credentialing", "Credentialing"


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
    root_cause = models.CharField(max_length=20, choices=RootCause.choices, blank=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["appeal_deadline", "id"]
        indexes = [
            models.Index(fields=["workspace", "practice", "status"]),
            models.Index(fields=["workspace", "category"]),
        ]

    def __str__(self) -> str:
        return f"{self.group_code}-{self.carc} {self.amount}"


# Statuses that close a denial: closing asks for a root cause.
CLOSED_STATUSES = frozenset({"resolved", "written_off"})

# Statuses the work that causes them sets, never picked on the form: filing an appeal (which
# checks its deadline) and the payer's reversal on an 835.
SET_BY_THEIR_WORK = {
    "appealed": "Appealed is set by filing the appeal below, which checks its deadline.",
    "reversed": "Reversed by payer is set only by the payer's 835.",
    # Else a denial could close as written off with its balance still open on the ledger and
    # no approver: the write-off (its limit, its approver, its ledger entry) sets it.
    "written_off": "Written off is set by an approved write-off: request one from this page.",
}


class DenialEvent(PracticeScoped):
    """A denial's history on its page: every note and change (status, assignee, category, root
    cause), who and when. The audit log keeps the same facts for compliance; this is the working
    record people read, so it is PHI-scoped like the denial itself."""

    provider_scope = encounter_providers("denial__claim__encounter")

    denial = models.ForeignKey(Denial, on_delete=models.PROTECT, related_name="events")
    occurred_at = models.DateTimeField(default=clock.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    changes = models.JSONField(default=dict)  # field → [before, after]

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["denial", "occurred_at"], name="denial_event_denial")]

    def __str__(self) -> str:
        return f"denial event {self.occurred_at:%Y-%m-%d}"


class CarcCategory(models.Model):
    """The default CARC → category table (reference data, no PHI): loaded from
    `denials/data/carc_categories.csv` by migration 0004 and `bureau denial_codes load`.
    `group_code` / `rarc` blank = any; a row outside [start, stop] is not used for a denial
    dated then (a code stopped before the ERA date does not categorise it)."""

    code = models.CharField(max_length=5)
    group_code = models.CharField(max_length=2, blank=True)
    rarc = models.CharField("RARC", max_length=6, blank=True)
    description = models.CharField(max_length=300, blank=True)
    start = models.DateField(null=True, blank=True)
    stop = models.DateField(null=True, blank=True)
    category = models.CharField(max_length=20, choices=DenialCategory.choices)

    class Meta:
        ordering = ["code", "group_code", "rarc", "start"]
        indexes = [models.Index(fields=["code"], name="carc_category_code")]

    def __str__(self) -> str:
        return f"{self.group_code or '*'}-{self.code} {self.rarc} → {self.category}"


class CategoryOverride(models.Model):
    """A workspace's own category for a CARC (optionally one group code), with its reason: it
    wins over the default table for that workspace's new denials. Not PHI (no claim)."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    carc = models.CharField("CARC", max_length=5)
    group_code = models.CharField(max_length=2, blank=True)
    category = models.CharField(max_length=20, choices=DenialCategory.choices)
    reason = models.CharField(max_length=200)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["carc", "group_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "carc", "group_code"], name="category_override_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.group_code or '*'}-{self.carc} → {self.category}"


from bureau.denials.appeal_models import Appeal, AppealLetterTemplate  # noqa: E402,F401
