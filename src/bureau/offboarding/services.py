"""Offboarding a client practice: start (export bundle as a background job), call off, and the
purge a second person approves; every step one transaction with its audit event.

Who: starting and calling off need `setup.offboard` on the practice (the owner's). Approving the
purge needs `setup.offboard` or `compliance.manage` there, and a different person from the one
who started it (two-person rule), after the waiting period (`offboarding.purge_wait_days` from
its start, once the export is ready). Open A/R or open work items block the purge unless the
approver writes why it goes ahead anyway. Rows added or removed since the export (a roster
imported, an ERA posted during the wait) refuse the purge until the export is built again:
nothing is destroyed that the client was not given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone

from bureau.accounts.services import grants_revoke_for_offboarded_practice
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.configuration.resolver import setting
from bureau.ledger.models import ClaimBalance
from bureau.offboarding import purge, verify
from bureau.offboarding.catalog import BUNDLES, OUTBOX, StoredFile
from bureau.offboarding.models import LIVE, JobState, Offboarding, OffboardingStatus
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice, PracticeStatus
from bureau.tenancy.practices import practice_move_for_offboarding
from bureau.tenancy.roles import Capability
from bureau.workqueues.models import LIVE_STATUSES, WorkItem

REASON_MAX = 2000


class OffboardingError(ValueError):
    """A step that cannot be taken now; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PurgeNotVerified(RuntimeError):
    """The purge's verification failed: the transaction is rolled back, nothing is deleted."""


def _reason(text: str, field: str = "reason") -> str:
    text = (text or "").strip()
    if len(text) < 4:
        raise OffboardingError("Give a reason (at least a few words): it is recorded.", field)
    if len(text) > REASON_MAX:
        raise OffboardingError(f"A reason is at most {REASON_MAX} characters.", field)
    return text


def may_start(actor: Actor, practice: Practice) -> bool:
    return practice.workspace_id == actor.workspace.pk and actor.can(
        Capability.SETUP_OFFBOARD, practice
    )


def may_approve(actor: Actor, practice: Practice) -> bool:
    return practice.workspace_id == actor.workspace.pk and (
        actor.can(Capability.SETUP_OFFBOARD, practice)
        or actor.can(Capability.COMPLIANCE_MANAGE, practice)
    )


def _audit(
    actor: Actor, action: AuditAction, ob: Offboarding, practice: Practice, **kw: object
) -> None:
    audit_record(
        action=action,
        actor=actor,
        practice=practice,
        model="offboarding.Offboarding",
        record_ids=[ob.public_id],
        **kw,  # type: ignore[arg-type]
    )


# -- start, export, call off ------------------------------------------------------------------
@transaction.atomic
def offboarding_start(*, actor: Actor, practice: Practice, reason: str) -> Offboarding:
    """Begin offboarding: the practice goes to offboarding and its export bundle is queued.
    Two owners starting at once get one offboarding (the practice row's lock, then the
    one-per-practice constraint)."""
    if not may_start(actor, practice):
        raise CapabilityDenied(Capability.SETUP_OFFBOARD)
    reason = _reason(reason)
    locked = Practice.objects.select_for_update().get(pk=practice.pk)
    if (
        Offboarding.objects.filter(practice=locked)
        .exclude(status=OffboardingStatus.CANCELLED)
        .exists()
    ):
        raise OffboardingError(f"{locked.name} is already being offboarded.")
    if locked.status not in (PracticeStatus.ACTIVE, PracticeStatus.ONBOARDING):
        raise OffboardingError(f"{locked.name} is {locked.get_status_display()}: not offboarded.")
    try:
        with transaction.atomic():
            ob = Offboarding.objects.create(
                workspace=actor.workspace, practice=locked, reason=reason, requested_by=actor.user
            )
    except IntegrityError as exc:
        raise OffboardingError(f"{locked.name} is already being offboarded.") from exc
    practice_move_for_offboarding(
        actor=actor, practice=locked, status=PracticeStatus.OFFBOARDING, reason=reason
    )
    _audit(actor, AuditAction.OFFBOARDING_STARTED, ob, locked, reason=reason)
    transaction.on_commit(lambda: offboarding_enqueue(ob.pk))
    practice.status = locked.status
    return ob


def offboarding_enqueue(offboarding_id: int) -> None:
    from bureau.offboarding.tasks import offboarding_export_run

    offboarding_export_run.enqueue(offboarding_id)


@transaction.atomic
def offboarding_retry_export(*, actor: Actor, offboarding: Offboarding) -> Offboarding:
    """Queue the export again (the same offboarding, a new bundle): after a failure, or when
    the practice changed since the bundle was built. The waiting period runs from the new one."""
    if not may_start(actor, offboarding.practice):
        raise CapabilityDenied(Capability.SETUP_OFFBOARD)
    ob = Offboarding.objects.select_for_update().get(pk=offboarding.pk)
    if ob.status not in (OffboardingStatus.EXPORT_FAILED, OffboardingStatus.EXPORTED):
        raise OffboardingError("Only a failed or finished export is built again.")
    ob.status, ob.job_state = OffboardingStatus.EXPORTING, JobState.QUEUED
    ob.error, ob.done, ob.total, ob.stage = "", 0, 0, ""
    ob.save(update_fields=["status", "job_state", "error", "done", "total", "stage"])
    _audit(actor, AuditAction.OFFBOARDING_STARTED, ob, ob.practice, detail={"retry": True})
    transaction.on_commit(lambda: offboarding_enqueue(ob.pk))
    return ob


@transaction.atomic
def offboarding_cancel(*, actor: Actor, offboarding: Offboarding, reason: str) -> Offboarding:
    """Call the offboarding off before its purge: the bundle is deleted (its download answers
    404 from now on) and the practice is active again."""
    if not may_start(actor, offboarding.practice):
        raise CapabilityDenied(Capability.SETUP_OFFBOARD)
    reason = _reason(reason)
    ob = Offboarding.objects.select_for_update().get(pk=offboarding.pk)
    if ob.status not in LIVE:
        raise OffboardingError(f"This offboarding is {ob.get_status_display().lower()}.")
    path = ob.bundle_path
    ob.status = OffboardingStatus.CANCELLED
    ob.cancelled_by, ob.cancelled_at, ob.cancel_reason = actor.user, timezone.now(), reason
    ob.bundle_path = ""
    ob.save(
        update_fields=["status", "cancelled_by", "cancelled_at", "cancel_reason", "bundle_path"]
    )
    practice_move_for_offboarding(
        actor=actor, practice=ob.practice, status=PracticeStatus.ACTIVE, reason=reason
    )
    _audit(actor, AuditAction.OFFBOARDING_CANCELLED, ob, ob.practice, reason=reason)
    if path:
        transaction.on_commit(lambda: Path(path).unlink(missing_ok=True))
    return ob


# -- the purge ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class OpenWork:
    """What is still open in the practice: A/R (claims the payer still owes) and work items."""

    open_claims: int
    open_ar: Decimal
    open_items: int

    @property
    def any(self) -> bool:
        return bool(self.open_claims or self.open_items)

    def said(self) -> str:
        return (
            f"{self.open_claims} claim(s) with open A/R (${self.open_ar}) and "
            f"{self.open_items} open work item(s)"
        )


def open_work(practice: Practice) -> OpenWork:
    with transaction.atomic():
        balances = ClaimBalance.objects.for_system([practice.pk], reason="offboarding check")
        owing = balances.filter(~Q(insurance=0))
        total = owing.aggregate(s=Sum("insurance"))["s"] or Decimal("0.00")
        items = WorkItem.objects.for_system([practice.pk], reason="offboarding check")
        return OpenWork(
            open_claims=owing.count(),
            open_ar=total,
            open_items=items.filter(status__in=LIVE_STATUSES).count(),
        )


def purge_opens_at(ob: Offboarding) -> datetime | None:
    """When the purge may be approved: once an export is ready, the waiting period counted from
    the day the offboarding started (the client's notice). Not from the latest export: a
    bundle built again because the practice changed meanwhile (ERAs still post while its A/R
    runs out, the queue still makes work) would otherwise restart the wait each time, and a
    practice that keeps changing could never be purged."""
    if ob.exported_at is None:
        return None
    days = int(setting(ob.practice, "offboarding.purge_wait_days"))
    return ob.requested_at + timedelta(days=days)


def approval_refusal(actor: Actor, ob: Offboarding, now: datetime) -> str | None:
    """Why this actor may not approve the purge now (None: they may)."""
    if not may_approve(actor, ob.practice):
        return "Approving a purge needs the owner's or a compliance officer's access."
    if ob.status != OffboardingStatus.EXPORTED:
        return f"This offboarding is {ob.get_status_display().lower()}."
    if ob.requested_by_id == actor.user.pk:
        return "A second person approves the purge: not the one who started the offboarding."
    opens = purge_opens_at(ob)
    if opens is None or now < opens:
        when = opens.date().isoformat() if opens else "after the export"
        return f"The waiting period runs until {when}: the purge may be approved from then."
    return None


@dataclass
class Purged:
    offboarding: Offboarding
    deleted: dict[str, int]
    files: list[StoredFile]


def changed_since_export(ob: Offboarding, practice: Practice, now: verify.Counts) -> list[str]:
    """Tables whose rows of the practice number otherwise than in the bundle's manifest: a
    purge now would destroy rows the client was never given (or the bundle lists rows gone)."""
    exported = {  # the JSON-lines files; a stored file (rows None) names its table too
        entry["table"]: int(entry["rows"])
        for entry in (ob.manifest.get("files") or {}).values()
        if entry.get("table") in now and entry.get("rows") is not None
    }
    return [
        f"{label}: {rows} rows exported, {now[label].get(practice.pk, 0)} now"
        for label, rows in sorted(exported.items())
        if now[label].get(practice.pk, 0) != rows
    ]


def offboarding_approve(
    *, actor: Actor, offboarding: Offboarding, override_reason: str = ""
) -> Offboarding:
    """Approve and run the purge: rows deleted and verified in one transaction (a failed check
    rolls everything back), the practice offboarded and its grants revoked, files deleted
    after commit and then the certificate of destruction issued."""
    with transaction.atomic():
        done = _purge(actor, offboarding, override_reason)
        transaction.on_commit(lambda: offboarding_certify(done.offboarding.pk))
    return done.offboarding


def _purge(actor: Actor, offboarding: Offboarding, override_reason: str) -> Purged:
    # Two approvers at once: the second waits on this lock, then finds it purged.
    ob = Offboarding.objects.select_for_update().get(pk=offboarding.pk)
    practice = Practice.objects.select_for_update().get(pk=ob.practice_id)
    ob.practice = practice
    now = timezone.now()
    refusal = approval_refusal(actor, ob, now)
    if refusal is not None:
        if not may_approve(actor, practice):
            raise CapabilityDenied(refusal)
        raise OffboardingError(refusal)
    work = open_work(practice)
    override = (override_reason or "").strip()
    if work.any:
        if len(override) < 4:
            raise OffboardingError(
                f"{practice.name} still has {work.said()}: give the reason the purge goes ahead.",
                "override_reason",
            )
        override = _reason(override, "override_reason")
    else:
        override = ""
    files = purge.stored_files(practice, ob)
    before = verify.counts_by_practice()
    changed = changed_since_export(ob, practice, before)
    if changed:
        raise OffboardingError(
            f"{practice.name} changed since its export ({'; '.join(changed[:5])}): build the "
            "export again, so the client has every record, then approve."
        )
    deleted = purge.purge_rows(practice, ob)
    after = verify.counts_by_practice()
    checked = verify.verify_rows(practice, before, after)
    if not checked.passed:
        raise PurgeNotVerified("; ".join(checked.problems()[:10]))
    ob.status = OffboardingStatus.PURGED
    ob.approved_by, ob.approved_at, ob.purged_at = actor.user, now, now
    ob.override_reason = override
    ob.bundle_path = ""
    ob.deleted = deleted
    ob.purged_files = [{"location": f.location, "path": str(f.path)} for f in files]
    ob.save(
        update_fields=[
            "status",
            "approved_by",
            "approved_at",
            "purged_at",
            "override_reason",
            "bundle_path",
            "deleted",
            "purged_files",
        ]
    )
    reason = f"offboarded: purge of {practice.name} approved and verified"
    practice_move_for_offboarding(
        actor=actor, practice=practice, status=PracticeStatus.OFFBOARDED, reason=reason
    )
    grants_revoke_for_offboarded_practice(actor=actor, practice=practice, reason=reason)
    _audit(
        actor,
        AuditAction.OFFBOARDING_PURGED,
        ob,
        practice,
        reason=override,
        detail={
            "deleted": deleted,
            "rows": sum(deleted.values()),
            "files": [str(f.path.name) for f in files],
            "open_work": work.said() if work.any else "",
            "bundle_sha256": ob.bundle_sha256,
        },
    )
    return Purged(ob, deleted, files)


def offboarding_certify(offboarding_id: int) -> Offboarding:
    """After the purge committed: delete its files, check none is left per storage location,
    and issue the certificate of destruction (JSON and PDF). Safe to run again."""
    from bureau.offboarding.certificate import certificate_document, certificate_pdf

    ob = Offboarding.objects.get(pk=offboarding_id)
    if ob.status != OffboardingStatus.PURGED:
        raise OffboardingError("Only a purged practice gets a certificate of destruction.")
    files = [StoredFile(f["location"], Path(f["path"])) for f in ob.purged_files]
    purge.delete_files(files)
    remaining = verify.verify_files(files)
    with transaction.atomic():
        ob = (
            Offboarding.objects.select_for_update(of=("self",))
            .select_related("practice__workspace", "requested_by", "approved_by")
            .get(pk=offboarding_id)
        )
        per_location = {OUTBOX: 0, BUNDLES: 0}
        for stored in files:
            per_location[stored.location] = per_location.get(stored.location, 0) + 1
        ob.verified_at = None if any(remaining.values()) else timezone.now()
        document = certificate_document(
            ob,
            ob.practice,
            deleted=ob.deleted,
            files=per_location,
            file_names=[f"{f.location}: {f.path.name}" for f in files],
            files_remaining={k: remaining.get(k, 0) for k in per_location},
            checks={
                "other_practices_unchanged": True,
                "ledger_check": "passed",
                "audit_verify": "passed",
            },
        )
        ob.certificate = document
        ob.certificate_pdf = certificate_pdf(document)
        ob.save(update_fields=["verified_at", "certificate", "certificate_pdf"])
    return ob
