"""The evidence bundle of an access review: a ZIP an auditor opens without Bureau.

    review.json     the campaign: scope, due date, reviewers, who opened and locked it, when
    roster.csv      every grant as it stood when the campaign opened
    decisions.csv   each grant's decision, comment, who decided and when
    changes.csv     the grants the review revoked (or found already gone)
    manifest.json   each file's SHA-256 and size, and one SHA-256 over those lines

The same data gives the same bytes (fixed file order, timestamps and attributes in the ZIP),
so the SHA-256 stored on the campaign can be recomputed by anyone from the data.

The CSVs are opened in a spreadsheet by an auditor: a cell a reviewer typed (a comment, a
name) that a spreadsheet would run as a formula (`=`, `+`, `-`, `@` first) is written with an
apostrophe before it, as every export's (`reports.export.csv_cell`)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from bureau.reports.export import csv_cell

if TYPE_CHECKING:
    from bureau.compliance.models.access_review import AccessReview, AccessReviewItem

ROSTER_COLUMNS = [
    "item",
    "grant",
    "username",
    "full_name",
    "practice",
    "role",
    "read_only",
    "providers",
    "expires_at",
    "granted_by",
    "granted_at",
    "last_login_at",
]
DECISION_COLUMNS = ["item", "username", "practice", "role", "decision", "comment"]
DECISION_COLUMNS += ["decided_by", "decided_at"]
CHANGE_COLUMNS = ["item", "grant", "username", "practice", "role", "change", "grant_ended_at"]
CHANGE_COLUMNS += ["decided_by"]
MANIFEST = "manifest.json"
EPOCH = datetime(1980, 1, 1, tzinfo=UTC)  # the earliest time a ZIP entry can carry


def iso(value: datetime | None) -> str:
    """An instant in UTC, to the second, ISO 8601 (empty for none)."""
    if value is None:
        return ""
    return value.astimezone(UTC).replace(microsecond=0).isoformat()


def evidence_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _csv(columns: list[str], rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    # Every cell is text here (dates already ISO): csv_cell only neutralises a formula.
    writer.writerows([csv_cell(value) for value in row] for row in rows)
    return out.getvalue().encode()


def _json(document: dict[str, Any]) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def _username(user: Any) -> str:
    return user.username if user is not None else ""


def _providers(item: AccessReviewItem) -> str:
    return "; ".join(f"{p['npi']} {p['name']}" for p in item.providers)


def _review_document(review: AccessReview) -> dict[str, Any]:
    reviewers = sorted(
        (r.practice.name if r.practice else "All practices", r.user.username)
        for r in review.reviewers.select_related("practice", "user")
    )
    return {
        "review": str(review.public_id),
        "workspace": review.workspace.slug,
        "title": review.title,
        "scope": "whole workspace"
        if review.whole_workspace
        else sorted(p.name for p in review.practices.all()),
        "due_on": review.due_on.isoformat(),
        "opened_by": _username(review.created_by) or "scheduled task",
        "opened_at": iso(review.created_at),
        "status": review.status,
        "completed_at": iso(review.completed_at),
        "locked_by": _username(review.locked_by),
        "locked_at": iso(review.locked_at),
        "reviewers": [{"practice": p, "reviewer": u} for p, u in reviewers],
    }


def bundle_files(review: AccessReview) -> dict[str, bytes]:
    """The bundle's files by name, manifest included."""
    items = list(review.items.select_related("decided_by").order_by(*_ORDER))
    roster = [
        [
            str(i.public_id),
            str(i.grant_public_id),
            i.username,
            i.full_name,
            i.practice_name,
            i.role,
            "yes" if i.read_only else "no",
            _providers(i),
            iso(i.expires_at),
            i.granted_by,
            iso(i.granted_at),
            iso(i.last_login_at),
        ]
        for i in items
    ]
    decisions = [
        [
            str(i.public_id),
            i.username,
            i.practice_name,
            i.role,
            i.decision,
            i.comment,
            _username(i.decided_by),
            iso(i.decided_at),
        ]
        for i in items
    ]
    changes = [
        [
            str(i.public_id),
            str(i.grant_public_id),
            i.username,
            i.practice_name,
            i.role,
            i.change,
            iso(i.grant_ended_at),
            _username(i.decided_by),
        ]
        for i in items
        if i.change
    ]
    files = {
        "review.json": _json(_review_document(review)),
        "roster.csv": _csv(ROSTER_COLUMNS, roster),
        "decisions.csv": _csv(DECISION_COLUMNS, decisions),
        "changes.csv": _csv(CHANGE_COLUMNS, changes),
    }
    files[MANIFEST] = _json(manifest(files))
    return files


_ORDER = ("practice_name", "username", "role", "granted_at", "id")


def manifest_lines(files: dict[str, bytes]) -> str:
    """`sha256sum` lines of the files (manifest aside), by name: what the bundle hash covers."""
    return "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n"
        for name, data in sorted(files.items())
        if name != MANIFEST
    )


def manifest(files: dict[str, bytes]) -> dict[str, Any]:
    return {
        "files": [
            {"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
            for name, data in sorted(files.items())
            if name != MANIFEST
        ],
        "algorithm": "SHA-256 over the sha256sum lines of the files, sorted by name",
        "sha256": hashlib.sha256(manifest_lines(files).encode()).hexdigest(),
    }


def evidence_bundle(review: AccessReview) -> bytes:
    """The ZIP: fixed entry order, timestamp (the lock, else the opening) and attributes."""
    stamp = max(review.locked_at or review.created_at, EPOCH).astimezone(UTC)
    date_time = (stamp.year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, data in sorted(bundle_files(review).items()):
            entry = zipfile.ZipInfo(name, date_time=date_time)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o644 << 16
            entry.create_system = 3
            bundle.writestr(entry, data)
    return out.getvalue()
