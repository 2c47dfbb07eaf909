"""Writes of the directory (control data): providers, payers, enrollment.

Each service is one transaction with its audit event. Setup changes require a reason, and the
event records old and new values (setup data, never PHI).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.credentialing import ReleaseResult, release_credentialing_holds
from bureau.directory.models import (
    ClearinghouseRoute,
    Enrollment,
    EnrollmentStatus,
    Payer,
    PayerKind,
    Provider,
    ProviderKind,
)
from bureau.directory.npi import is_valid_npi
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.x12 import codes


class DirectoryError(ValueError):
    """A setup change that cannot be made; `field` names the form field at fault."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise DirectoryError("Give a reason for this change (at least a few words).", "reason")
    return reason


def require_practice_manage(actor: Actor, practice: Practice) -> None:
    if practice.workspace_id != actor.workspace.pk or not actor.can(
        Capability.SETUP_MANAGE, practice
    ):
        raise CapabilityDenied(Capability.SETUP_MANAGE)


def require_workspace_manage(actor: Actor) -> None:
    if not actor.can_workspace(Capability.SETUP_MANAGE):
        raise CapabilityDenied(Capability.SETUP_MANAGE)


def unique_violated(exc: IntegrityError, constraint: str, columns: tuple[str, ...]) -> bool:
    """Whether `exc` is this unique constraint's: PostgreSQL names the constraint, SQLite lists
    the table's columns (`UNIQUE constraint failed: t.a, t.b`)."""
    text = str(exc)
    return constraint in text or all(f".{c}" in text for c in columns)


def _jsonable(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _changes(obj: Any, new: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Set `new` on `obj`, returning {field: {"old": ..., "new": ...}} for what changed."""
    changed = {}
    for name, value in new.items():
        old = getattr(obj, name)
        if old != value:
            changed[name] = {"old": _jsonable(old), "new": _jsonable(value)}
            setattr(obj, name, value)
    return changed


# -- providers ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProviderData:
    name: str
    npi: str
    kind: str = ProviderKind.INDIVIDUAL
    last_name: str = ""
    first_name: str = ""
    taxonomy: str = ""
    is_active: bool = True


def _clean_provider(data: ProviderData) -> dict[str, Any]:
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    for key in ("name", "npi", "last_name", "first_name", "taxonomy"):
        values[key] = (values[key] or "").strip()
    if not values["name"]:
        raise DirectoryError("A provider name is required.", "name")
    if not is_valid_npi(values["npi"]):
        raise DirectoryError(
            f"NPI {values['npi']!r} is not valid: 10 digits starting with 1 or 2, "
            "with a correct check digit.",
            "npi",
        )
    if values["kind"] not in ProviderKind.values:
        raise DirectoryError("Unknown provider kind.", "kind")
    # Checked as the 837P writer checks it (PRV03): a code it would drop is refused here.
    taxonomy = values["taxonomy"].upper()
    if taxonomy and not codes.is_taxonomy(taxonomy):
        raise DirectoryError(
            f"Taxonomy {values['taxonomy']!r} is not a taxonomy code: nine letters or digits "
            "and a final X, as 207Q00000X.",
            "taxonomy",
        )
    values["taxonomy"] = taxonomy
    for key, limit in (("name", 200), ("last_name", 60), ("first_name", 35)):
        if len(values[key]) > limit:
            raise DirectoryError(f"At most {limit} characters ({len(values[key])} given).", key)
    return values


NPI_TAKEN = "This practice already has a provider with that NPI."


def _save_provider(provider: Provider, **save: Any) -> None:
    """Save under a savepoint: two people adding one NPI at once both pass `_npi_taken`, and
    the database's provider_npi_unique refuses the second. That is a form error, not a 500."""
    try:
        with transaction.atomic():
            provider.save(**save)
    except IntegrityError as exc:
        if unique_violated(exc, "provider_npi_unique", ("practice_id", "npi")):
            raise DirectoryError(NPI_TAKEN, "npi") from exc
        raise


def _npi_taken(practice: Practice, npi: str, exclude: int | None = None) -> bool:
    return Provider.objects.filter(practice=practice, npi=npi).exclude(pk=exclude or 0).exists()


@transaction.atomic
def provider_create(
    *, actor: Actor, practice: Practice, data: ProviderData, reason: str
) -> Provider:
    require_practice_manage(actor, practice)
    reason = require_reason(reason)
    values = _clean_provider(data)
    if _npi_taken(practice, values["npi"]):
        raise DirectoryError(NPI_TAKEN, "npi")
    provider = Provider(workspace=actor.workspace, practice=practice, **values)
    _save_provider(provider, force_insert=True)
    audit_record(
        action=AuditAction.PROVIDER_CREATED,
        actor=actor,
        practice=practice,
        model="directory.Provider",
        record_ids=[provider.public_id],
        reason=reason,
        detail={"new": values},
    )
    # Exclusion screening on creation (issue 15), in this transaction: the provider and
    # their screening against the OIG list commit together (nothing while no list is in).
    from bureau.compliance.screening import screen_one

    screen_one(provider)
    return provider


@transaction.atomic
def provider_update(
    *, actor: Actor, provider: Provider, data: ProviderData, reason: str
) -> Provider:
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    require_provider_manage(actor, provider)
    reason = require_reason(reason)
    values = _clean_provider(data)
    if _npi_taken(provider.practice, values["npi"], exclude=provider.pk):
        raise DirectoryError(NPI_TAKEN, "npi")
    changed = _changes(provider, values)
    if changed:
        _save_provider(provider, update_fields=list(changed))
        audit_record(
            action=AuditAction.PROVIDER_UPDATED,
            actor=actor,
            practice=provider.practice,
            model="directory.Provider",
            record_ids=[provider.public_id],
            reason=reason,
            detail={"changes": changed},
        )
    return provider


@transaction.atomic
def provider_set_active(*, actor: Actor, provider: Provider, active: bool, reason: str) -> Provider:
    """Deactivate (or reactivate) a provider; the rest of the row stays as it is, so a provider
    whose NPI predates today's checks can still be retired. An inactive provider is offered on
    no new encounter; their claims and enrollments stay."""
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    require_provider_manage(actor, provider)
    reason = require_reason(reason)
    changed = _changes(provider, {"is_active": active})
    if changed:
        provider.save(update_fields=["is_active"])
        audit_record(
            action=AuditAction.PROVIDER_UPDATED,
            actor=actor,
            practice=provider.practice,
            model="directory.Provider",
            record_ids=[provider.public_id],
            reason=reason,
            detail={"changes": changed},
        )
    return provider


# -- payers -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PayerData:
    name: str
    payer_id: str
    kind: str = PayerKind.COMMERCIAL
    timely_filing_days: int = 365
    appeal_limit_days: int = 180
    route: str = ClearinghouseRoute.SIMULATOR
    is_active: bool = True


def _clean_payer(data: PayerData) -> dict[str, Any]:
    values = {f.name: getattr(data, f.name) for f in fields(data)}
    values["name"] = (values["name"] or "").strip()
    values["payer_id"] = (values["payer_id"] or "").strip().upper()
    if not values["name"]:
        raise DirectoryError("A payer name is required.", "name")
    if not values["payer_id"]:
        raise DirectoryError("A payer id is required.", "payer_id")
    for key, label in (("timely_filing_days", "Timely filing"), ("appeal_limit_days", "Appeal")):
        if not isinstance(values[key], int) or values[key] <= 0:
            raise DirectoryError(f"{label} limit must be a whole number of days above 0.", key)
    if values["kind"] not in PayerKind.values:
        raise DirectoryError("Unknown payer kind.", "kind")
    if values["route"] not in ClearinghouseRoute.values:
        raise DirectoryError("Unknown clearinghouse route.", "route")
    return values


PAYER_ID_TAKEN = "A payer with this payer id exists already."


def _save_payer(payer: Payer, **save: Any) -> None:
    """Save under a savepoint: a payer id saved twice at once is refused by payer_id_unique,
    which is a form error, not a 500."""
    try:
        with transaction.atomic():
            payer.save(**save)
    except IntegrityError as exc:
        if unique_violated(exc, "payer_id_unique", ("workspace_id", "payer_id")):
            raise DirectoryError(PAYER_ID_TAKEN, "payer_id") from exc
        raise


@transaction.atomic
def payer_create(*, actor: Actor, data: PayerData, reason: str) -> Payer:
    require_workspace_manage(actor)
    reason = require_reason(reason)
    values = _clean_payer(data)
    if Payer.objects.filter(workspace=actor.workspace, payer_id=values["payer_id"]).exists():
        raise DirectoryError(PAYER_ID_TAKEN, "payer_id")
    payer = Payer(workspace=actor.workspace, **values)
    _save_payer(payer, force_insert=True)
    audit_record(
        action=AuditAction.PAYER_CREATED,
        actor=actor,
        model="directory.Payer",
        record_ids=[payer.public_id],
        reason=reason,
        detail={"new": values},
    )
    return payer


@transaction.atomic
def payer_update(*, actor: Actor, payer: Payer, data: PayerData, reason: str) -> Payer:
    require_workspace_manage(actor)
    payer = Payer.objects.select_for_update().get(pk=payer.pk, workspace=actor.workspace)
    reason = require_reason(reason)
    values = _clean_payer(data)
    if (
        Payer.objects.filter(workspace=actor.workspace, payer_id=values["payer_id"])
        .exclude(pk=payer.pk)
        .exists()
    ):
        raise DirectoryError(PAYER_ID_TAKEN, "payer_id")
    changed = _changes(payer, values)
    if changed:
        _save_payer(payer, update_fields=list(changed))
        audit_record(
            action=AuditAction.PAYER_UPDATED,
            actor=actor,
            model="directory.Payer",
            record_ids=[payer.public_id],
            reason=reason,
            detail={"changes": changed},
        )
    return payer


@transaction.atomic
def payer_set_active(*, actor: Actor, payer: Payer, active: bool, reason: str) -> Payer:
    """Deactivate (or reactivate) a payer for the whole workspace: an inactive payer leaves
    the enrollment matrix and fails the clearinghouse-route step of the practices billing it."""
    require_workspace_manage(actor)
    payer = Payer.objects.select_for_update().get(pk=payer.pk, workspace=actor.workspace)
    reason = require_reason(reason)
    changed = _changes(payer, {"is_active": active})
    if changed:
        payer.save(update_fields=["is_active"])
        audit_record(
            action=AuditAction.PAYER_UPDATED,
            actor=actor,
            model="directory.Payer",
            record_ids=[payer.public_id],
            reason=reason,
            detail={"changes": changed},
        )
    return payer


# -- enrollment ---------------------------------------------------------------------------------
# Dates a person means: a typo such as 0205 or 20255 is refused rather than stored.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2199, 12, 31)
DATE_LABELS = {
    "effective_date": "effective date",
    "end_date": "end date",
    "revalidation_date": "revalidation date",
}


@dataclass(frozen=True)
class EnrollmentData:
    status: str
    effective_date: date | None = None
    end_date: date | None = None
    revalidation_date: date | None = None


@dataclass(frozen=True)
class EnrollmentChange:
    enrollment: Enrollment
    changed: bool  # False: the form said what was stored already; nothing was written
    release: ReleaseResult = field(default_factory=ReleaseResult)


def _clean_enrollment(data: EnrollmentData) -> dict[str, Any]:
    if data.status not in EnrollmentStatus.values:
        raise DirectoryError("Unknown enrollment status.", "status")
    for name, label in DATE_LABELS.items():
        value = getattr(data, name)
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise DirectoryError(
                f"The {label} must be between {EARLIEST_DATE:%Y} and {LATEST_DATE:%Y}.", name
            )
    if data.effective_date and data.end_date and data.end_date < data.effective_date:
        raise DirectoryError("The end date is before the effective date.", "end_date")
    if data.status == EnrollmentStatus.ACTIVE and data.effective_date is None:
        raise DirectoryError("An active enrollment needs an effective date.", "effective_date")
    return {f.name: getattr(data, f.name) for f in fields(data)}


def require_provider_manage(actor: Actor, provider: Provider) -> None:
    """setup.manage on the provider's practice, and on this provider when the grant is limited
    to some providers (their enrollments are their setup)."""
    require_practice_manage(actor, provider.practice)
    allowed = actor.provider_ids(provider.practice, Capability.SETUP_MANAGE)
    if allowed is not None and provider.pk not in allowed:
        raise CapabilityDenied(Capability.SETUP_MANAGE)


@transaction.atomic
def enrollment_change(
    *, actor: Actor, provider: Provider, payer: Payer, data: EnrollmentData, reason: str
) -> EnrollmentChange:
    """Create or change the enrollment of `provider` with `payer` (for the provider's practice).
    An enrollment left active with an effective date releases the provider's claims held for
    this payer (re-scrubbed, `claims.credentialing`), in this transaction."""
    practice = provider.practice
    require_provider_manage(actor, provider)
    if payer.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("payer outside the workspace")
    reason = require_reason(reason)
    values = _clean_enrollment(data)
    enrollment = (
        Enrollment.objects.select_for_update().filter(provider=provider, payer=payer).first()
    )
    if enrollment is None:
        enrollment = Enrollment.objects.create(
            workspace=actor.workspace,
            practice=practice,
            provider=provider,
            payer=payer,
            **values,
        )
        action = AuditAction.ENROLLMENT_CREATED
        detail: dict[str, Any] = {"new": {k: _jsonable(v) for k, v in values.items()}}
    else:
        changed = _changes(enrollment, values)
        if not changed:
            return EnrollmentChange(enrollment, changed=False)
        enrollment.save(update_fields=list(changed))
        action = AuditAction.ENROLLMENT_UPDATED
        detail = {"changes": changed}
    # Before the enrollment's own event, so that event can say what the change released.
    release = release_credentialing_holds(actor=actor, enrollment=enrollment, reason=reason)
    detail |= {"provider": str(provider.public_id), "payer": payer.payer_id}
    if release.released or release.held:
        detail["holds"] = {
            "released": [str(c.public_id) for c in (*release.ready, *release.scrubbed)],
            "still_held": [str(c.public_id) for c, _ in release.held],
        }
    audit_record(
        action=action,
        actor=actor,
        practice=practice,
        model="directory.Enrollment",
        record_ids=[enrollment.public_id],
        reason=reason,
        detail=detail,
    )
    # The queue's credentialing item and setup gaps of this provider × payer, in this change.
    from bureau.workqueues.hooks import enrollments_changed

    enrollments_changed(
        actor=actor,
        workspace_id=practice.workspace_id,
        practice_id=practice.pk,
        pairs=[(provider.pk, payer.pk)],
    )
    return EnrollmentChange(enrollment, changed=True, release=release)


def enrollment_upsert(
    *, actor: Actor, provider: Provider, payer: Payer, data: EnrollmentData, reason: str
) -> Enrollment:
    """`enrollment_change`, for callers that need only the enrollment."""
    return enrollment_change(
        actor=actor, provider=provider, payer=payer, data=data, reason=reason
    ).enrollment


def enrollment_create(
    *, actor: Actor, provider: Provider, payer: Payer, data: EnrollmentData, reason: str
) -> EnrollmentChange:
    """A new enrollment of `provider` with `payer`; one that exists already is refused (its own
    page changes it), also when two people create it at once (enrollment_unique)."""
    exists = Enrollment.objects.filter(provider=provider, payer=payer).exists()
    if exists:
        raise DirectoryError(
            f"{provider.name} already has an enrollment with {payer.name}: change it instead.",
            "payer",
        )
    try:
        with transaction.atomic():
            return enrollment_change(
                actor=actor, provider=provider, payer=payer, data=data, reason=reason
            )
    except IntegrityError as exc:
        if unique_violated(exc, "enrollment_unique", ("provider_id", "payer_id")):
            raise DirectoryError(
                f"{provider.name} already has an enrollment with {payer.name}: change it instead.",
                "payer",
            ) from exc
        raise
