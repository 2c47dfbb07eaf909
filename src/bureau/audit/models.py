"""AuditEvent: who did what to which records, from where, and why. Append-only, hash-chained
(the chain: `chain.py`)."""

from __future__ import annotations

from enum import StrEnum, unique

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from bureau.tenancy.models import Practice, Workspace


@unique  # each action is registered once: a repeated value would silently alias another
class AuditAction(StrEnum):
    """Every event type, registered once. A new action is added here and nowhere else."""

    LOGIN = "auth.login"
    LOGIN_FAILED = "auth.login_failed"
    LOCKED_OUT = "auth.locked_out"
    LOGOUT = "auth.logout"
    IDLE_LOGOUT = "auth.idle_logout"
    MFA_ENROLLED = "mfa.enrolled"
    MFA_VERIFIED = "mfa.verified"
    MFA_FAILED = "mfa.failed"
    MFA_RESET = "mfa.reset"
    CONTEXT_SWITCHED = "context.switched"
    USER_CREATED = "user.created"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    GRANT_CREATED = "grant.created"
    GRANT_REVOKED = "grant.revoked"
    PATIENT_LISTED = "patient.listed"
    PATIENT_VIEWED = "patient.viewed"
    PATIENT_CREATED = "patient.created"
    PATIENT_UPDATED = "patient.updated"
    AUDIT_VIEWED = "audit.viewed"
    AUDIT_PURGED = "audit.purged"
    AUDIT_CHAIN_KEYED = "audit.chain_keyed"
    SYSTEM_SEEDED = "system.seeded"
    SETTING_CHANGED = "setting.changed"
    SETTING_CLEARED = "setting.cleared"
    CONFIG_IMPORTED = "config.imported"
    CONFIG_EXPORTED = "config.exported"
    PRACTICE_CREATED = "practice.created"
    PRACTICE_UPDATED = "practice.updated"
    PROVIDER_CREATED = "provider.created"
    PROVIDER_UPDATED = "provider.updated"
    PAYER_CREATED = "payer.created"
    PAYER_UPDATED = "payer.updated"
    ENROLLMENT_CREATED = "enrollment.created"
    ENROLLMENT_UPDATED = "enrollment.updated"
    FACILITY_CREATED = "facility.created"
    FACILITY_UPDATED = "facility.updated"
    PRACTICE_SETUP_EXPORTED = "practice_setup.exported"
    PRACTICE_SETUP_IMPORTED = "practice_setup.imported"
    PRACTICE_SETUP_COPIED = "practice_setup.copied"
    FEE_SCHEDULE_IMPORTED = "fee_schedule.imported"
    CONTRACT_RATES_IMPORTED = "contract_rates.imported"
    CLAIM_STATE_CHANGED = "claim.state_changed"
    ENCOUNTER_CREATED = "encounter.created"
    ENCOUNTER_UPDATED = "encounter.updated"
    CLAIM_CREATED = "claim.created"
    CLAIM_LISTED = "claim.listed"
    CLAIM_VIEWED = "claim.viewed"
    CLAIM_SCRUBBED = "claim.scrubbed"
    CLAIM_UPDATED = "claim.updated"
    COVERAGE_CREATED = "coverage.created"
    BATCH_BUILT = "batch.built"
    BATCH_DOWNLOADED = "batch.downloaded"
    BATCH_TRANSMITTED = "batch.transmitted"
    ACK_RECEIVED = "ack.received"
    INBOUND_QUARANTINED = "inbound.quarantined"
    QUARANTINE_LISTED = "inbound.quarantine_listed"
    UNMATCHED_ACKS_LISTED = "ack.unmatched_listed"
    ERA_UPLOADED = "era.uploaded"
    ERA_INGESTED = "era.ingested"
    ERA_DUPLICATE = "era.duplicate"
    ERA_LISTED = "era.listed"
    ERA_VIEWED = "era.viewed"
    ERA_DOWNLOADED = "era.downloaded"
    ERA_EXCEPTION_LISTED = "era_exception.listed"
    ERA_EXCEPTION_RESOLVED = "era_exception.resolved"
    ERA_CLAIM_MATCHED = "era_claim.matched"
    LEDGER_CHARGES_POSTED = "ledger.charges_posted"
    LEDGER_VIEWED = "ledger.viewed"
    DENIAL_LISTED = "denial.listed"
    DENIAL_VIEWED = "denial.viewed"
    DENIAL_UPDATED = "denial.updated"
    WRITEOFF_REQUESTED = "writeoff.requested"
    WRITEOFF_APPROVED = "writeoff.approved"
    WRITEOFF_REFUSED = "writeoff.refused"
    WRITEOFF_TAKEN_BACK = "writeoff.taken_back"
    WRITEOFF_LISTED = "writeoff.listed"
    WRITEOFF_VIEWED = "writeoff.viewed"
    SIMULATOR_RAN = "simulator.ran"
    WORKITEMS_SYNCED = "workitem.synced"
    WORKITEM_LISTED = "workitem.listed"
    WORKITEM_VIEWED = "workitem.viewed"
    WORKITEM_CLAIMED = "workitem.claimed"
    WORKITEM_ASSIGNED = "workitem.assigned"
    WORKITEM_RELEASED = "workitem.released"
    WORKITEM_PENDED = "workitem.pended"
    WORKITEM_ATTEMPT = "workitem.attempt"
    WORKITEM_DONE = "workitem.done"
    QUESTION_ASKED = "question.asked"
    QUESTION_ANSWERED = "question.answered"
    QUESTION_LISTED = "question.listed"
    KPIS_VIEWED = "report.kpis_viewed"
    MONTHLY_REPORT_GENERATED = "monthly_report.generated"
    MONTHLY_REPORT_LISTED = "monthly_report.listed"
    MONTHLY_REPORT_VIEWED = "monthly_report.viewed"
    MONTHLY_REPORT_DOWNLOADED = "monthly_report.downloaded"
    # Reports: a page read of report figures and claim rows, and an export (a file leaving).
    REPORT_VIEWED = "report.viewed"
    REPORT_EXPORTED = "report.exported"
    # The nightly snapshot of a practice's figures for the owner's home (a stored change).
    KPI_SNAPSHOT_TAKEN = "report.snapshot_taken"
    # The compliance program (issue 15): workforce training and policies.
    COURSE_CHANGED = "compliance.course_changed"
    TRAINING_COMPLETED = "compliance.training_completed"
    POLICY_PUBLISHED = "compliance.policy_published"
    POLICY_REVIEWED = "compliance.policy_reviewed"
    POLICY_ATTESTED = "compliance.policy_attested"
    POLICY_PURGED = "compliance.policy_purged"
    # Evidence handed out: a training certificate, a policy document (each download audited).
    CERTIFICATE_DOWNLOADED = "compliance.certificate_downloaded"
    POLICY_DOWNLOADED = "compliance.policy_downloaded"
    # Access reviews (compliance): a campaign opened, a grant decided, the campaign locked with
    # its evidence bundle, the bundle handed out.
    ACCESS_REVIEW_OPENED = "access_review.opened"
    ACCESS_REVIEW_DECIDED = "access_review.decided"
    ACCESS_REVIEW_LOCKED = "access_review.locked"
    ACCESS_REVIEW_EXPORTED = "access_review.exported"
    # The compliance program (issue 15): the BAA inventory and the incident log.
    BAA_RECORDED = "baa.recorded"
    BAA_CHANGED = "baa.changed"
    BAA_DOCUMENT_UPLOADED = "baa.document_uploaded"
    BAA_DOCUMENT_DOWNLOADED = "baa.document_downloaded"
    INCIDENT_RECORDED = "incident.recorded"
    INCIDENT_CHANGED = "incident.changed"
    # Exclusion screening (compliance): a list file taken in, a run, a hit resolved.
    EXCLUSION_LIST_IMPORTED = "exclusion_list.imported"
    SCREENING_RUN = "screening.ran"
    SCREENING_HIT_RESOLVED = "screening_hit.resolved"
    # Offboarding a client practice (issue 16): the export bundle started, built, downloaded,
    # the offboarding called off, the purge approved and done, the certificate handed out.
    OFFBOARDING_STARTED = "offboarding.started"
    OFFBOARDING_EXPORTED = "offboarding.exported"
    OFFBOARDING_DOWNLOADED = "offboarding.downloaded"
    OFFBOARDING_CANCELLED = "offboarding.cancelled"
    OFFBOARDING_PURGED = "offboarding.purged"
    OFFBOARDING_CERTIFICATE_DOWNLOADED = "offboarding.certificate_downloaded"

    @property
    def is_phi_read(self) -> bool:
        return self in {
            AuditAction.PATIENT_LISTED,
            AuditAction.PATIENT_VIEWED,
            AuditAction.CLAIM_LISTED,
            AuditAction.CLAIM_VIEWED,
            AuditAction.BATCH_DOWNLOADED,
            AuditAction.ERA_LISTED,
            AuditAction.ERA_VIEWED,
            AuditAction.ERA_DOWNLOADED,
            AuditAction.ERA_EXCEPTION_LISTED,
            AuditAction.LEDGER_VIEWED,
            AuditAction.DENIAL_LISTED,
            AuditAction.DENIAL_VIEWED,
            AuditAction.WRITEOFF_LISTED,
            AuditAction.WRITEOFF_VIEWED,
            AuditAction.WORKITEM_LISTED,
            AuditAction.WORKITEM_VIEWED,
            AuditAction.QUESTION_LISTED,
            AuditAction.KPIS_VIEWED,
            AuditAction.MONTHLY_REPORT_LISTED,
            AuditAction.MONTHLY_REPORT_VIEWED,
            AuditAction.MONTHLY_REPORT_DOWNLOADED,
            AuditAction.REPORT_VIEWED,
            AuditAction.REPORT_EXPORTED,
            AuditAction.OFFBOARDING_DOWNLOADED,
        }


class AuditEvent(models.Model):
    # Chain key: events of one workspace form one chain; events with no workspace (a failed
    # login for an unknown name) form the "global" chain.
    workspace = models.ForeignKey(
        Workspace, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # None until sealed into the chain, right after its transaction commits (chain.py).
    seq = models.PositiveBigIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # Snapshot of who the user was at the time: survives renames and deactivation.
    actor_label = models.CharField(max_length=200)
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    action = models.CharField(max_length=40, choices=[(a.value, a.value) for a in AuditAction])
    model = models.CharField(max_length=80, blank=True)
    record_ids = models.JSONField(default=list, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    reason = models.TextField(blank=True)
    # Changed field names, old/new values of setup data, counts — never PHI values.
    detail = models.JSONField(default=dict, blank=True)
    prev_hash = models.CharField(max_length=64, blank=True)
    # Sealed: the link. Unsealed: the MAC of the event's own content (no seq, no predecessor).
    hash = models.CharField(max_length=64)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "seq"], name="audit_chain_seq_unique"),
        ]
        indexes = [
            models.Index(fields=["workspace", "practice", "occurred_at"]),
            models.Index(fields=["workspace", "user", "occurred_at"]),
            models.Index(fields=["workspace", "action", "occurred_at"]),
            # What `seal` picks up: a handful of rows at any moment.
            models.Index(
                fields=["workspace", "id"], condition=Q(seq__isnull=True), name="audit_unsealed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action}"


class AuditChainHead(models.Model):
    """The tip of one workspace's chain. A seal moves it only from where it read it, in the
    same write as the events it links, so concurrent seals extend the chain one after another
    instead of forking it (chain.seal)."""

    chain = models.CharField(max_length=40, unique=True)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default="0" * 64)

    def __str__(self) -> str:
        return f"{self.chain} at {self.seq}"
