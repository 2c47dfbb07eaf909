"""Writes of the BAA inventory: validation, `compliance.manage`, and the audit event in the same
transaction. Reads and the inventory's questions (expiring, missing, flow-down gaps) are in
`baa_queries`."""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, fields
from datetime import date
from typing import Any
from uuid import UUID

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.compliance.access import require_manage
from bureau.compliance.baa_queries import baa_readable
from bureau.compliance.models.baa import (
    BaaDirection,
    BusinessAssociateAgreement,
    VendorService,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice

MODEL = "compliance.BusinessAssociateAgreement"
# A missing practice and another workspace's practice are refused in the same words.
NO_SUCH_PRACTICE = "No such practice."
NO_SUCH_SUBCONTRACTOR_BAA = "No such subcontractor BAA."
MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"
MAX_NOTICE_DAYS = 365
MAX_RENEWAL_MONTHS = 120
VENDOR_NAME_MAX = 200


class BaaError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class BaaTerms:
    """What the officer types in for one agreement (the party is given apart: it never changes)."""

    phi_scope: str
    signed_on: date | None = None
    effective_on: date | None = None
    expires_on: date | None = None
    auto_renews: bool = False
    renewal_term_months: int | None = None
    renewal_terms: str = ""
    breach_notice_days: int | None = None
    return_destroy_terms: str = ""
    vendor_name: str = ""  # subcontractor BAAs only
    vendor_service: str = ""  # subcontractor BAAs only


TERM_FIELDS = tuple(f.name for f in fields(BaaTerms))
# Long texts are named in the audit detail when changed, not copied into it.
LONG_TEXTS = {"phi_scope", "renewal_terms", "return_destroy_terms"}


def practice_for_baa(actor: Actor, public_id: Any) -> Practice:
    """The practice of the actor's workspace with this public id; another workspace's practice
    is refused exactly like one that does not exist."""
    try:
        wanted = public_id if isinstance(public_id, UUID) else UUID(str(public_id)[:80])
    except ValueError:
        raise BaaError("practice", NO_SUCH_PRACTICE) from None
    practice = Practice.objects.filter(workspace=actor.workspace, public_id=wanted).first()
    if practice is None:
        raise BaaError("practice", NO_SUCH_PRACTICE)
    return practice


def _check_party(actor: Actor, direction: str, practice: Practice | None, terms: BaaTerms) -> None:
    if direction == BaaDirection.CLIENT:
        if practice is None or practice.workspace_id != actor.workspace.pk:
            raise BaaError("practice", NO_SUCH_PRACTICE)
        if terms.vendor_name.strip() or terms.vendor_service:
            raise BaaError("vendor_name", "A client BAA names the practice, not a vendor.")
    elif direction == BaaDirection.SUBCONTRACTOR:
        if practice is not None:
            raise BaaError("practice", "A subcontractor BAA names the vendor, not a practice.")
        if not terms.vendor_name.strip():
            raise BaaError("vendor_name", "Name the vendor this BAA is with.")
        if len(terms.vendor_name.strip()) > VENDOR_NAME_MAX:
            raise BaaError(
                "vendor_name", f"The vendor's name is over {VENDOR_NAME_MAX} characters."
            )
        if terms.vendor_service not in VendorService.values:
            raise BaaError(
                "vendor_service", "Say what the vendor does (clearinghouse, cloud host…)."
            )
    else:
        raise BaaError("direction", "A BAA is with a client practice or with a subcontractor.")


def _check_terms(terms: BaaTerms, today: date) -> None:
    if not terms.phi_scope.strip():
        raise BaaError("phi_scope", "Describe the PHI this agreement covers.")
    if terms.signed_on is not None:
        if terms.signed_on > today:
            raise BaaError("signed_on", "The signing date is in the future.")
        if terms.effective_on is None:
            raise BaaError("effective_on", "A signed BAA needs the date it takes effect.")
        if terms.effective_on < terms.signed_on:
            raise BaaError("effective_on", "The BAA cannot take effect before it was signed.")
    if terms.expires_on is not None:
        if terms.effective_on is None:
            raise BaaError("effective_on", "An expiry date needs the date the BAA takes effect.")
        if terms.expires_on < terms.effective_on:
            raise BaaError("expires_on", "The BAA cannot expire before it takes effect.")
    if terms.auto_renews:
        if terms.expires_on is None:
            raise BaaError("expires_on", "An auto-renewing BAA needs the end of its first term.")
        months = terms.renewal_term_months
        if months is None or not 1 <= months <= MAX_RENEWAL_MONTHS:
            raise BaaError(
                "renewal_term_months",
                f"An auto-renewing BAA needs its renewal term, 1 to {MAX_RENEWAL_MONTHS} months.",
            )
    elif terms.renewal_term_months is not None:
        raise BaaError("renewal_term_months", "Only an auto-renewing BAA has a renewal term.")
    days = terms.breach_notice_days
    if days is not None and not 1 <= days <= MAX_NOTICE_DAYS:
        raise BaaError(
            "breach_notice_days", f"The breach notice period is 1 to {MAX_NOTICE_DAYS} days."
        )


def _clean(terms: BaaTerms) -> dict[str, Any]:
    values = {name: getattr(terms, name) for name in TERM_FIELDS}
    for name in ("phi_scope", "renewal_terms", "return_destroy_terms", "vendor_name"):
        values[name] = values[name].strip()
    return values


def _mine(actor: Actor, baa: BusinessAssociateAgreement) -> None:
    if baa.workspace_id != actor.workspace.pk:
        raise Http404


def _audit(
    actor: Actor,
    action: AuditAction,
    baa: BusinessAssociateAgreement,
    detail: dict[str, Any],
    reason: str = "",
) -> None:
    audit_record(
        action=action,
        actor=actor,
        practice=baa.practice,  # a client BAA's events show in that practice's own log
        model=MODEL,
        record_ids=[baa.public_id],
        reason=reason,
        detail={"direction": baa.direction, "party": baa.party, **detail},
    )


def _as_json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


@transaction.atomic
def baa_record(
    *, actor: Actor, direction: str, terms: BaaTerms, practice: Practice | None = None
) -> BusinessAssociateAgreement:
    require_manage(actor)
    _check_party(actor, direction, practice, terms)
    _check_terms(terms, timezone.localdate())
    baa = BusinessAssociateAgreement.objects.create(
        workspace=actor.workspace,
        direction=direction,
        practice=practice,
        created_by=actor.user,
        **_clean(terms),
    )
    _audit(
        actor,
        AuditAction.BAA_RECORDED,
        baa,
        {"status": baa.status_on(timezone.localdate()).value},
    )
    return baa


@transaction.atomic
def baa_change(
    *, actor: Actor, baa: BusinessAssociateAgreement, terms: BaaTerms
) -> BusinessAssociateAgreement:
    """New terms for an agreement (a renewal, a corrected date); the party never changes."""
    require_manage(actor)
    _mine(actor, baa)
    _check_party(actor, baa.direction, baa.practice, terms)
    _check_terms(terms, timezone.localdate())
    if (
        baa.terminated_on is not None
        and terms.effective_on
        and terms.effective_on > baa.terminated_on
    ):
        raise BaaError("effective_on", "The BAA cannot take effect after it was terminated.")
    changed: dict[str, Any] = {}
    for name, value in _clean(terms).items():
        old = getattr(baa, name)
        if old != value:
            changed[name] = "changed" if name in LONG_TEXTS else [_as_json(old), _as_json(value)]
            setattr(baa, name, value)
    if not changed:
        return baa
    baa.updated_at = timezone.now()
    baa.save()
    _audit(actor, AuditAction.BAA_CHANGED, baa, {"changed": changed})
    return baa


@transaction.atomic
def baa_terminate(
    *, actor: Actor, baa: BusinessAssociateAgreement, terminated_on: date, reason: str
) -> BusinessAssociateAgreement:
    require_manage(actor)
    _mine(actor, baa)
    if baa.terminated_on is not None:
        raise BaaError("terminated_on", "This BAA is already terminated.")
    if not reason.strip():
        raise BaaError("reason", "Say why the BAA ends.")
    if baa.effective_on is not None and terminated_on < baa.effective_on:
        raise BaaError("terminated_on", "The BAA cannot end before it takes effect.")
    baa.terminated_on = terminated_on
    baa.termination_reason = reason.strip()
    baa.updated_at = timezone.now()
    baa.save(update_fields=["terminated_on", "termination_reason", "updated_at"])
    _audit(
        actor,
        AuditAction.BAA_CHANGED,
        baa,
        {"changed": {"terminated_on": [None, terminated_on.isoformat()]}},
        reason=baa.termination_reason,
    )
    return baa


@transaction.atomic
def baa_set_relies_on(
    *,
    actor: Actor,
    baa: BusinessAssociateAgreement,
    subcontractors: list[BusinessAssociateAgreement],
) -> BusinessAssociateAgreement:
    """The subcontractor BAAs this client BAA relies on (flow-down), replacing the list."""
    require_manage(actor)
    _mine(actor, baa)
    if baa.direction != BaaDirection.CLIENT:
        raise BaaError("relies_on", "Only a client BAA relies on subcontractor BAAs.")
    for sub in subcontractors:
        # Another workspace's BAA is refused like a missing one.
        if sub.workspace_id != actor.workspace.pk:
            raise BaaError("relies_on", NO_SUCH_SUBCONTRACTOR_BAA)
        if sub.direction != BaaDirection.SUBCONTRACTOR:
            raise BaaError("relies_on", "A client BAA relies on subcontractor BAAs only.")
    before = {str(p) for p in baa.relies_on.values_list("public_id", flat=True)}
    after = {str(s.public_id) for s in subcontractors}
    if before == after:
        return baa
    baa.relies_on.set(subcontractors)
    baa.updated_at = timezone.now()
    baa.save(update_fields=["updated_at"])
    _audit(
        actor,
        AuditAction.BAA_CHANGED,
        baa,
        {"relies_on": {"added": sorted(after - before), "removed": sorted(before - after)}},
    )
    return baa


def _check_document(filename: str, content: bytes) -> str:
    name = os.path.basename(filename.replace("\\", "/")).strip()[:200]
    if not content:
        raise BaaError("document", "The file is empty.")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise BaaError(
            "document", f"The file is larger than {MAX_DOCUMENT_BYTES // 1024 // 1024} MB."
        )
    # Sniffed, not trusted from the name or the browser's content type.
    if not content.startswith(PDF_MAGIC):
        raise BaaError("document", "The file is not a PDF.")
    return name or "baa.pdf"


@transaction.atomic
def baa_document_upload(
    *, actor: Actor, baa: BusinessAssociateAgreement, filename: str, content: bytes
) -> BusinessAssociateAgreement:
    """Store the signed agreement (replacing an earlier copy: the audit log keeps both hashes)."""
    require_manage(actor)
    _mine(actor, baa)
    name = _check_document(filename, content)
    previous = baa.document_sha256
    baa.document = content
    baa.document_sha256 = hashlib.sha256(content).hexdigest()
    baa.document_filename = name
    baa.document_size = len(content)
    baa.document_uploaded_at = timezone.now()
    baa.document_uploaded_by = actor.user
    baa.updated_at = baa.document_uploaded_at
    baa.save()
    _audit(
        actor,
        AuditAction.BAA_DOCUMENT_UPLOADED,
        baa,
        {
            "filename": name,
            "size": len(content),
            "sha256": baa.document_sha256,
            "replaced_sha256": previous,
        },
    )
    return baa


@transaction.atomic
def baa_document_download(
    *, actor: Actor, baa: BusinessAssociateAgreement
) -> tuple[str, bytes, str]:
    """(file name, content, sha256) of the stored agreement, the download audited; a BAA the
    actor may not read answers 404, like one without a document."""
    if not baa_readable(actor, baa) or not baa.document_sha256:
        raise Http404
    content = bytes(baa.document)  # type: ignore[arg-type]
    _audit(
        actor,
        AuditAction.BAA_DOCUMENT_DOWNLOADED,
        baa,
        {"filename": baa.document_filename, "sha256": baa.document_sha256},
    )
    return baa.document_filename, content, baa.document_sha256
