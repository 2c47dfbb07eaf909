"""Work items: one row per piece of work a record's state calls for, derived, never typed in.

An item names its function (rejections, denials, …), its subject (a claim, an ERA, an
exception, an ERA line, a provider × payer enrollment), the dollars at stake, the clocks that
apply (from `deadlines.py`), its SLA due date, its priority (from `priority.py`) and who holds
it. `rules.py` decides which items should be open; `sync.py` makes the table agree, in the
transaction of the change that moved the record, and `bureau workqueue refresh` over everything.

PHI (an item names a claim and shows its patient), hence `PracticeScoped`; an item reaches a
provider through its claim or, for enrollment work, the provider it is about.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from bureau import clock
from bureau.tenancy.scoping import PracticeScoped, ProviderScope
from bureau.workqueues.functions import Function

ITEM_PROVIDERS = (
    "claim__encounter__rendering_provider",
    "claim__encounter__billing_provider",
    "provider",
)


class SubjectKind(models.TextChoices):
    CLAIM = "claim", "Claim"
    CLAIM_LINE = "claim_line", "Claim line"
    ERA = "era", "ERA"
    ERA_EXCEPTION = "era_exception", "ERA exception"
    DENIAL = "denial", "Denial"
    ENROLLMENT = "enrollment", "Enrollment"
    PRACTICE = "practice", "Practice"  # an open step of its onboarding checklist


class ItemStatus(models.TextChoices):
    OPEN = "open", "Open"
    CLAIMED = "claimed", "Claimed"
    PENDED = "pended", "Pended"
    DONE = "done", "Done"


LIVE_STATUSES = (ItemStatus.OPEN, ItemStatus.CLAIMED, ItemStatus.PENDED)


class WorkItem(PracticeScoped):
    provider_scope = ProviderScope(ITEM_PROVIDERS)

    function = models.CharField(max_length=20, choices=Function.choices)
    subject_kind = models.CharField(max_length=16, choices=SubjectKind.choices)
    # The subject's identity within the function, e.g. "claim:812", "era:4", "pair:7:3"; at
    # most one live item per key (a partial unique index), so a race opens one item, not two.
    subject_key = models.CharField(max_length=40)
    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    era = models.ForeignKey(
        "remittance.Era", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    era_exception = models.ForeignKey(
        "remittance.EraException",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    era_line = models.ForeignKey(
        "remittance.EraLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    provider = models.ForeignKey(
        "directory.Provider", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    enrollment = models.ForeignKey(
        "directory.Enrollment", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    payer = models.ForeignKey(
        "directory.Payer", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)  # what the row says: "Rejected: A3:24 …"
    amount = models.DecimalField(max_digits=12, decimal_places=2, default=0)  # dollars at stake
    category = models.CharField(max_length=20, blank=True)  # denial category, for filtering
    carc = models.CharField("CARC", max_length=5, blank=True)
    facts = models.JSONField(default=dict)  # what the rule saw: expected/paid, counts, reason
    deadlines = models.JSONField(default=list)  # [{kind, label, due, source}], nearest first
    deadline_due = models.DateField(null=True, blank=True)  # the nearest clock
    opened_on = models.DateField()  # when the record's state called for work (age counts here)
    sla_due = models.DateField()
    priority = models.BigIntegerField(default=0)
    priority_factors = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=ItemStatus.choices, default=ItemStatus.OPEN)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    claimed_until = models.DateTimeField(null=True, blank=True)  # None with an assignee: assigned
    pended_until = models.DateField(null=True, blank=True)
    # Midnight of `pended_until` in the practice's timezone: the moment the pend ends.
    resumes_at = models.DateTimeField(null=True, blank=True)
    pend_reason = models.CharField(max_length=200, blank=True)
    next_action_on = models.DateField(null=True, blank=True)  # from the latest attempt
    created_at = models.DateTimeField(default=clock.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    resolution = models.CharField(max_length=200, blank=True)
    # Done because a person said so (not because the record moved on): for the functions no
    # record state closes, such an item stays done when the refresh sees its subject again.
    closed_by_person = models.BooleanField(default=False)
    recovered = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-priority", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["practice", "function", "subject_key"],
                condition=~Q(status="done"),
                name="one_live_item_per_subject",
            ),
        ]
        indexes = [
            # The queue: live items, highest priority first, keyset on (priority, id).
            models.Index(
                fields=["workspace", "-priority", "-id"],
                condition=~Q(status="done"),
                name="item_queue",
            ),
            models.Index(
                fields=["workspace", "function", "-priority", "-id"],
                condition=~Q(status="done"),
                name="item_queue_function",
            ),
            models.Index(fields=["practice", "function", "status"], name="item_practice_fn"),
            models.Index(fields=["claim"], name="item_claim"),
            models.Index(fields=["era"], name="item_era"),
            models.Index(fields=["assignee", "status"], name="item_assignee"),
        ]

    def __str__(self) -> str:
        return f"{self.function}: {self.title}"


class EventKind(models.TextChoices):
    OPENED = "opened", "Opened"
    UPDATED = "updated", "Updated"
    CLAIMED = "claimed", "Claimed"
    ASSIGNED = "assigned", "Assigned"
    RELEASED = "released", "Released"
    EXPIRED = "expired", "Claim expired"
    PENDED = "pended", "Pended"
    RESUMED = "resumed", "Back in the queue"
    ATTEMPT = "attempt", "Attempt"
    DONE = "done", "Done"
    REOPENED = "reopened", "Reopened"
    ASKED = "asked", "Asked the practice"
    ANSWERED = "answered", "Practice answered"


class WorkItemEvent(PracticeScoped):
    """An item's history, shown on its page: every status change and attempt, who and when."""

    provider_scope = ProviderScope(tuple(f"item__{p}" for p in ITEM_PROVIDERS))

    item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=10, choices=EventKind.choices)
    occurred_at = models.DateTimeField(default=clock.now)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    note = models.CharField(max_length=300, blank=True)
    detail = models.JSONField(default=dict)

    class Meta:
        ordering = ["occurred_at", "id"]
        indexes = [models.Index(fields=["item", "occurred_at"], name="item_event_item")]

    def __str__(self) -> str:
        return f"{self.kind} {self.occurred_at:%Y-%m-%d}"


class PracticeQuestion(PracticeScoped):
    """A question the billing company asks the client practice about one work item (missing
    documentation, a registration detail): the item waits on the practice until it answers.

    Two clocks show: the practice's (`practice_due`, `practice_questions.sla_days` business
    days from asking) and the billing company's own SLA on the item, which keeps running — the
    client sees both, so neither side can say it was waiting on the other unseen."""

    provider_scope = ProviderScope(tuple(f"item__{p}" for p in ITEM_PROVIDERS))

    item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="questions")
    question = models.CharField(max_length=1000)
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    asked_at = models.DateTimeField(default=clock.now)
    practice_due = models.DateField()
    answer = models.CharField(max_length=2000, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-asked_at", "-id"]
        constraints = [
            # One open question per item: a second is asked once the first is answered.
            models.UniqueConstraint(
                fields=["item"],
                condition=Q(answered_at__isnull=True),
                name="one_open_question_per_item",
            ),
        ]
        indexes = [models.Index(fields=["workspace", "practice", "answered_at"])]

    def __str__(self) -> str:
        return f"question on item {self.item_id}"


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    PORTAL = "portal", "Payer portal"
    FAX = "fax", "Fax"
    MAIL = "mail", "Mail"
    EDI = "edi", "EDI (276/277)"


class Outcome(models.TextChoices):
    """What the attempt learned. The first ones are the 277 claim status categories a payer
    answers with (X12 code list 507), so a phone call and a 277 record the same facts."""

    A0 = "A0", "A0 Acknowledged: forwarded"
    A1 = "A1", "A1 Acknowledged: received"
    A3 = "A3", "A3 Returned as unprocessable"
    A4 = "A4", "A4 Not found"
    A7 = "A7", "A7 Rejected for invalid information"
    P0 = "P0", "P0 Pending: adjudication in progress"
    P1 = "P1", "P1 Pending: in process"
    P2 = "P2", "P2 Pending: payer review"
    P3 = "P3", "P3 Pending: information requested"
    P4 = "P4", "P4 Pending: patient requested information"
    F0 = "F0", "F0 Finalized"
    F1 = "F1", "F1 Finalized: payment"
    F2 = "F2", "F2 Finalized: denial"
    F3 = "F3", "F3 Finalized: revised"
    F4 = "F4", "F4 Finalized: adjudication complete, no payment"
    APPEAL_SENT = "appeal_sent", "Appeal or reconsideration sent"
    CORRECTED = "corrected", "Corrected claim sent"
    RESUBMITTED = "resubmitted", "Resubmitted"
    INFO_SENT = "info_sent", "Requested information sent"
    LEFT_MESSAGE = "left_message", "Left a message / no answer"
    PROMISED = "promised", "Payer promised payment or reprocessing"
    OTHER = "other", "Other"


class Attempt(PracticeScoped):
    """One structured follow-up attempt: what productivity reports count."""

    provider_scope = ProviderScope(tuple(f"item__{p}" for p in ITEM_PROVIDERS))

    item = models.ForeignKey(WorkItem, on_delete=models.PROTECT, related_name="attempts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    occurred_at = models.DateTimeField(default=clock.now)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    representative = models.CharField(max_length=80, blank=True)
    reference = models.CharField(max_length=60, blank=True)  # the payer's call/ticket number
    outcome = models.CharField(max_length=14, choices=Outcome.choices)
    minutes = models.PositiveSmallIntegerField()
    next_action_on = models.DateField(null=True, blank=True)
    note = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["user", "occurred_at"], name="attempt_user_day")]
        constraints = [
            models.CheckConstraint(condition=Q(minutes__lte=1440), name="attempt_minutes_day")
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.outcome}"


class RecoveryRate(models.Model):
    """Share of worked dollars recovered per payer and function over the last 12 months
    (control data: an aggregate, no record in it). Recomputed by the refresh; read by the
    priority of every item."""

    workspace = models.ForeignKey("tenancy.Workspace", on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey("directory.Payer", on_delete=models.CASCADE, related_name="+")
    function = models.CharField(max_length=20, choices=Function.choices)
    worked = models.DecimalField(max_digits=14, decimal_places=2)
    recovered = models.DecimalField(max_digits=14, decimal_places=2)
    computed_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "payer", "function"], name="recovery_rate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.payer_id} {self.function}: {self.recovered}/{self.worked}"
