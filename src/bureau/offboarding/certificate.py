"""The certificate of destruction, as JSON and as a PDF rendered from the same data: which
practice, what was destroyed (tables with row counts, files per storage location), how, the
export's hash, who requested, approved and verified it and when, and when the backups that
still hold the data expire under the documented retention (docs/operations.md)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.template.loader import render_to_string

from bureau.configuration.resolver import setting
from bureau.offboarding.catalog import KEPT
from bureau.offboarding.models import Offboarding
from bureau.tenancy.models import Practice
from bureau.web.pdf import render_pdf

FORMAT = "bureau-destruction-certificate/1"
METHOD = (
    "Database rows deleted with SQL DELETE statements narrowed to the practice, in one "
    "transaction (PostgreSQL row-level security admitting this practice alone); stored files "
    "unlinked from the server's disk after that transaction committed. Verified afterwards: "
    "0 rows of the practice in every table, 0 files in every storage location, every other "
    "practice's row counts unchanged, ledger check and audit chain verification passing."
)


def _person(user: Any, at: datetime | None) -> dict[str, Any]:
    return {
        "name": getattr(user, "label", str(user)),
        "username": user.username,
        "at": at.isoformat() if at else None,
    }


def backup_expiry(practice: Practice, purged_at: datetime) -> tuple[int, str]:
    days = int(setting(practice, "offboarding.backup_retention_days"))
    return days, (purged_at + timedelta(days=days)).date().isoformat()


def certificate_document(
    offboarding: Offboarding,
    practice: Practice,
    *,
    deleted: dict[str, int],
    files: dict[str, int],
    file_names: list[str],
    files_remaining: dict[str, int],
    checks: dict[str, Any],
) -> dict[str, Any]:
    assert offboarding.purged_at is not None and offboarding.approved_by is not None
    days, expires = backup_expiry(practice, offboarding.purged_at)
    return {
        "format": FORMAT,
        "title": "Certificate of destruction",
        "offboarding": str(offboarding.public_id),
        "practice": {
            "name": practice.name,
            "code": practice.code,
            "npi": practice.npi,
            "tax_id": practice.tax_id,
            "public_id": str(practice.public_id),
        },
        "workspace": practice.workspace.name,
        "destroyed": {
            "tables": {label: n for label, n in sorted(deleted.items())},
            "rows": sum(deleted.values()),
            "files": files,
            "file_names": sorted(file_names),
        },
        "method": METHOD,
        "export": {
            "sha256": offboarding.bundle_sha256,
            "bytes": offboarding.bundle_bytes,
            "exported_at": offboarding.exported_at.isoformat() if offboarding.exported_at else None,
        },
        "requested_by": _person(offboarding.requested_by, offboarding.requested_at),
        "approved_by": _person(offboarding.approved_by, offboarding.approved_at),
        "verified_by": {
            **_person(offboarding.approved_by, offboarding.verified_at),
            "how": "Bureau's automatic verification, run on the approver's purge",
        },
        "purged_at": offboarding.purged_at.isoformat(),
        "override_reason": offboarding.override_reason,
        "verification": {
            "rows_remaining": 0,
            "files_remaining": files_remaining,
            **checks,
        },
        "backups": {
            "retention_days": days,
            "expire_by": expires,
            "note": (
                f"Database backups taken before the purge still hold the practice's data; under "
                f"the documented retention of {days} days the last of them expires by {expires}."
            ),
        },
        "kept": KEPT,
    }


def certificate_pdf(document: dict[str, Any]) -> bytes:
    html = render_to_string("offboarding/certificate_pdf.html", {"c": document})
    return render_pdf(html)
