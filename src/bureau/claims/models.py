"""Encounters, charge lines, claims and their lines, scrub hits, history and batches.

Every table here carries patient or claim data, so every model is `PracticeScoped` (workspace,
practice, UUID public id, RLS on PostgreSQL) and is read only through scoped selectors.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q

from bureau import clock
from bureau.tenancy.scoping import PracticeScoped, ProviderScope

# The providers a row is attributed to: those who rendered or billed its encounter.
ENCOUNTER_PROVIDERS = ("rendering_provider", "billing_provider")


def encounter_providers(prefix: str) -> ProviderScope:
    """Rows whose encounter (reached through `prefix`) was rendered or billed by an allowed
    provider: the provider scope of everything that hangs off a claim."""
    return ProviderScope(tuple(f"{prefix}__{name}" for name in ENCOUNTER_PROVIDERS))


class Encounter(PracticeScoped):
    """One visit: who was seen, by whom, where, and what was done (charge lines)."""

    provider_scope = ProviderScope(ENCOUNTER_PROVIDERS)

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    rendering_provider = models.ForeignKey(
        "directory.Provider", on_delete=models.PROTECT, related_name="+"
    )
    billing_provider = models.ForeignKey(
        "directory.Provider", on_delete=models.PROTECT, related_name="+"
    )
    facility = models.ForeignKey(
        "directory.ServiceFacility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    date_of_service = models.DateField()  # the practice's local date
    place_of_service = models.CharField(max_length=2, default="11")
    # ICD-10-CM codes in order, without the dot; pointers on charge lines index this list (1-12).
    diagnosis_codes = models.JSONField(default=list)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-date_of_service", "-id"]
        indexes = [models.Index(fields=["workspace", "practice", "date_of_service"])]

    def __str__(self) -> str:
        return f"Encounter {self.date_of_service}"


class ChargeLine(PracticeScoped):
    provider_scope = encounter_providers("encounter")

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="charges")
    line_number = models.PositiveSmallIntegerField()
    procedure_code = models.CharField(max_length=5)  # CPT or HCPCS level II
    modifiers = models.JSONField(default=list)  # up to four two-character modifiers
    diagnosis_pointers = models.JSONField(default=list)  # 1-based, up to four
    units = models.DecimalField(max_digits=7, decimal_places=3, default=1)
    # Total for the line (fee × units).
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    date_of_service = models.DateField()
    place_of_service = models.CharField(max_length=2, blank=True)

    class Meta:
        ordering = ["encounter_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["encounter", "line_number"], name="charge_line_unique"),
            models.CheckConstraint(condition=Q(charge__gte=0), name="charge_non_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.line_number}: {self.procedure_code}"


class ClaimState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCRUBBED = "scrubbed", "Scrubbed (errors)"
    CREDENTIALING_HOLD = "credentialing_hold", "Credentialing hold"
    READY = "ready", "Ready"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"
    PARTIALLY_PAID = "partially_paid", "Partially paid"
    DENIED = "denied", "Denied"
    CLOSED = "closed", "Closed"


class ClaimFrequency(models.TextChoices):
    """CLM05-3: an original claim, or a correction of one the payer already holds."""

    ORIGINAL = "1", "Original"
    REPLACEMENT = "7", "Replacement"
    VOID = "8", "Void"


class Claim(PracticeScoped):
    """One encounter billed to one responsible payer (primary, secondary, tertiary).

    A replacement (CLM05-3 = 7) or void (8) of a claim the payer holds is a claim of its own,
    pointing at the claim it corrects (`replaces`): its own number, lines and history, so the
    payer's answers (277CA, 835) match it like any claim's (see `claims.corrections`)."""

    provider_scope = encounter_providers("encounter")

    encounter = models.ForeignKey(Encounter, on_delete=models.PROTECT, related_name="claims")
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="+")
    coverage = models.ForeignKey("patients.Coverage", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey("directory.Payer", on_delete=models.PROTECT, related_name="+")
    # CLM01, echoed back in 835 CLP01 and 277CA: practice code + sequence, at most 20 characters.
    number = models.CharField(max_length=20)
    responsibility = models.PositiveSmallIntegerField(default=1)  # COB order of `coverage`
    state = models.CharField(max_length=20, choices=ClaimState.choices, default=ClaimState.DRAFT)
    total_charge = models.DecimalField(max_digits=12, decimal_places=2)
    batch = models.ForeignKey(
        "claims.Batch", on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    # The payer's own number for the claim (277CA REF*1K, 835 CLP07), once it has one.
    payer_claim_number = models.CharField(max_length=50, blank=True)
    frequency = models.CharField(
        max_length=1, choices=ClaimFrequency.choices, default=ClaimFrequency.ORIGINAL
    )
    # The claim this one replaces or voids; REF*F8 carries its payer claim number.
    replaces = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="corrections"
    )
    # A replacement's own diagnoses (2300 HI); empty: the encounter's.
    diagnosis_codes = models.JSONField(default=list, blank=True)
    # The encounter's date of service, copied when the claim is made (`save`; an encounter's
    # date never changes): the claims list, newest service first, walks an index on it and
    # stops at a page, instead of joining every visible claim to its encounter to sort them.
    date_of_service = models.DateField(editable=False)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "number"], name="claim_number_unique"),
            # One original per encounter and payer; its corrections are claims of the same pair.
            models.UniqueConstraint(
                fields=["encounter", "coverage"],
                condition=Q(replaces__isnull=True),
                name="claim_per_encounter_coverage",
            ),
            # One correction at a time: a second is refused while one is open.
            models.UniqueConstraint(
                fields=["replaces"],
                condition=~Q(state="closed"),
                name="claim_one_open_correction",
            ),
        ]
        indexes = [
            models.Index(fields=["workspace", "practice", "state"]),
            models.Index(fields=["workspace", "payer", "state"]),
            # The claims list's default order (claims.selectors.SORTS["date"]).
            models.Index(
                fields=["workspace", "-date_of_service", "-id"], name="claim_list_by_service"
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.number}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.date_of_service is None:
            self.date_of_service = self.encounter.date_of_service
        super().save(*args, **kwargs)

    @property
    def billed_diagnoses(self) -> list[str]:
        """The ICD-10-CM codes this claim bills: its own (a replacement's), else the encounter's."""
        return list(self.diagnosis_codes or self.encounter.diagnosis_codes or [])


class ClaimLine(PracticeScoped):
    provider_scope = encounter_providers("claim__encounter")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="lines")
    # The encounter's charge the line bills; None for a line added on a replacement claim.
    charge_line = models.ForeignKey(
        ChargeLine, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    line_number = models.PositiveSmallIntegerField()
    procedure_code = models.CharField(max_length=5)
    modifiers = models.JSONField(default=list)
    diagnosis_pointers = models.JSONField(default=list)
    units = models.DecimalField(max_digits=7, decimal_places=3, default=1)
    charge = models.DecimalField(max_digits=12, decimal_places=2)
    date_of_service = models.DateField()

    class Meta:
        ordering = ["claim_id", "line_number"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "line_number"], name="claim_line_unique")
        ]

    def __str__(self) -> str:
        return f"{self.line_number}: {self.procedure_code}"


class Severity(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"


class ScrubHit(PracticeScoped):
    """One rule's finding on a claim in one scrub run; errors block, warnings don't."""

    provider_scope = encounter_providers("claim__encounter")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="scrub_hits")
    run_at = models.DateTimeField(default=clock.now)
    rule = models.CharField(max_length=60)
    severity = models.CharField(max_length=8, choices=Severity.choices)
    message = models.CharField(max_length=300)
    line_number = models.PositiveSmallIntegerField(null=True, blank=True)
    is_current = models.BooleanField(default=True)

    class Meta:
        ordering = ["-run_at", "severity", "line_number"]
        indexes = [models.Index(fields=["claim", "is_current"])]

    def __str__(self) -> str:
        return f"{self.rule}: {self.message}"


class ClaimEvent(PracticeScoped):
    """A claim's history: every state transition, who made it and why (also in the audit log)."""

    provider_scope = encounter_providers("claim__encounter")

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="history")
    occurred_at = models.DateTimeField(default=clock.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    from_state = models.CharField(max_length=20, blank=True)
    to_state = models.CharField(max_length=20)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [
            # "Was this claim ever rejected?" (the clean-claim and first-pass KPIs, per claim):
            # with only the single-column indexes, SQLite and PostgreSQL both took the
            # workspace's index and read every event of the book for each claim.
            models.Index(fields=["claim", "to_state"], name="claimevent_claim_state"),
        ]

    def __str__(self) -> str:
        return f"{self.from_state} → {self.to_state}"


class Batch(PracticeScoped):
    """One 837P file: ready claims of one practice for one clearinghouse route."""

    # Listed for a provider-limited grant when it carries a claim of an allowed provider; the
    # file itself carries every provider's patients, so its download refuses such a grant.
    provider_scope = encounter_providers("claims__encounter")

    route = models.CharField(max_length=12)
    interchange_control_number = models.PositiveIntegerField()
    file_name = models.CharField(max_length=200)
    content = models.TextField()
    claim_count = models.PositiveIntegerField()
    total_charge = models.DecimalField(max_digits=12, decimal_places=2)
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class AckKind(models.TextChoices):
    IMPLEMENTATION = "999", "999 implementation acknowledgment"
    CLAIM = "277CA", "277CA claim acknowledgement"


class Acknowledgement(PracticeScoped):
    """What came back about a submission: a 999 for a batch (claim None) or a 277CA line for
    one claim. Rejections carry the reason a biller reads in the rejections queue."""

    # A 999 answers for a whole batch (claim NULL), every provider's claims at once: it reaches
    # no provider, so a provider-limited grant sees the 277CA lines of its own claims only.
    provider_scope = encounter_providers("claim__encounter")

    kind = models.CharField(max_length=5, choices=AckKind.choices)
    batch = models.ForeignKey(
        Batch, on_delete=models.PROTECT, null=True, blank=True, related_name="acknowledgements"
    )
    claim = models.ForeignKey(
        Claim, on_delete=models.PROTECT, null=True, blank=True, related_name="acknowledgements"
    )
    accepted = models.BooleanField()
    status_code = models.CharField(max_length=30, blank=True)  # IK5/AK9 or STC01 category:code
    message = models.CharField(max_length=300, blank=True)
    file_name = models.CharField(max_length=200)
    received_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [models.Index(fields=["claim"]), models.Index(fields=["batch"])]

    def __str__(self) -> str:
        return f"{self.kind} {'accepted' if self.accepted else 'rejected'}"


class ControlNumber(models.Model):
    """Interchange/group/transaction control numbers, unique per sender and persisted
    (control data). Incremented under a row lock."""

    workspace = models.OneToOneField(
        "tenancy.Workspace", on_delete=models.PROTECT, related_name="+"
    )
    last_value = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.workspace_id}: {self.last_value}"
