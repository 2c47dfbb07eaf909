"""The export bundle: everything a practice's data amounts to, in one documented zip.

Layout (README.md in the zip says the same, for whoever opens it years later):

    README.md             the format
    manifest.json         per file: rows (JSON lines), bytes, SHA-256
    practice.json         the practice's own details
    configuration.json    the practice setup document (`configuration_document`)
    audit_events.jsonl    the audit events about the practice
    data/<app>.<model>.jsonl   one row per line, every column, parents before children
    files/...             raw 837P and 835 interchanges, appeal letters, report PDFs

Rows are read in one transaction (a consistent snapshot) as the system for this practice only
(`for_system`); the zip is written beside its final name and moved into place when complete.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any
from uuid import UUID

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from bureau.audit.models import AuditEvent
from bureau.offboarding.catalog import KEPT, Table, exported_tables
from bureau.offboarding.configuration import configuration_document, practice_details
from bureau.tenancy import rls
from bureau.tenancy.models import Practice
from bureau.tenancy.scoping import PracticeScoped

FORMAT = "bureau-offboarding-export/1"
REASON = "offboarding export of the practice's own data"
Progress = Callable[[int, int, str], None]

# Columns holding a whole file: written under files/ and referenced from the row, so the
# JSON lines stay readable and the raw interchange is byte for byte what was sent or received.
FILE_COLUMNS: dict[tuple[str, str], str] = {
    ("claims.Batch", "content"): "files/x12/837",
    ("remittance.Era", "content"): "files/x12/835",
}


def bundle_root() -> Path:
    base = getattr(settings, "BUREAU_OFFBOARDING_DIR", None)
    return Path(base) if base else Path(settings.VAR_DIR) / "offboarding"


def bundle_path(practice: Practice, public_id: UUID) -> Path:
    return bundle_root() / str(practice.workspace.slug) / f"{practice.code}-{public_id}.zip"


def _safe(name: str) -> str:
    cleaned = re.sub(r"[^A-Za-z0-9._-]+", "_", name or "")[:80].strip("._")
    return cleaned or "file"


def json_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)  # money stays exact: never a float
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, UUID):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


@dataclass
class Entry:
    rows: int | None
    bytes: int
    sha256: str
    table: str = ""


@dataclass
class Writer:
    """Writes zip members and remembers each one's size and hash for the manifest."""

    zf: zipfile.ZipFile
    entries: dict[str, Entry] = field(default_factory=dict)

    def add(self, name: str, content: bytes, rows: int | None = None, table: str = "") -> None:
        self.zf.writestr(name, content)
        self.entries[name] = Entry(rows, len(content), hashlib.sha256(content).hexdigest(), table)

    def lines(self, name: str, rows: Iterator[dict[str, Any]], table: str = "") -> int:
        """A JSON-lines member. The lines go to a temporary file first: a zip takes one open
        member at a time, and a row's own files (`_row_dict`) are added while rows stream."""
        digest, size, count = hashlib.sha256(), 0, 0
        with tempfile.TemporaryFile() as spool:
            for row in rows:
                line = (json.dumps(row, sort_keys=True, ensure_ascii=False) + "\n").encode()
                spool.write(line)
                digest.update(line)
                size += len(line)
                count += 1
            spool.seek(0)
            with self.zf.open(name, "w", force_zip64=True) as out:
                shutil.copyfileobj(spool, out)
        self.entries[name] = Entry(count, size, digest.hexdigest(), table)
        return count


def table_rows(table: Table, practice: Practice) -> models.QuerySet[Any]:
    """The practice's rows of a table: PHI through the system scope of this one practice."""
    model = table.model
    via = table.via
    qs: models.QuerySet[Any]
    if issubclass(model, PracticeScoped):
        qs = model.objects.for_system([practice.pk], reason=REASON)
    elif via is not None:
        parents = via[1].model._default_manager.filter(practice_id=practice.pk)
        qs = model._default_manager.filter(**{f"{via[0]}__in": parents.values("pk")})
    else:
        qs = model._default_manager.filter(practice_id=practice.pk)
    return qs.order_by("pk")


def _row_dict(obj: models.Model, table: Table, writer: Writer) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in obj._meta.concrete_fields:
        value = getattr(obj, column.attname)
        folder = FILE_COLUMNS.get((table.label, column.name))
        if folder is None and isinstance(column, models.BinaryField) and value is not None:
            folder = f"files/{table.model._meta.app_label}.{table.model._meta.model_name}"
        if folder is not None and value not in (None, "", b""):
            content = bytes(value) if isinstance(value, bytes | memoryview) else value.encode()
            suffix = ".pdf" if content.startswith(b"%PDF") else ""
            base = _safe(str(getattr(obj, "file_name", "") or column.name))
            name = f"{folder}/{getattr(obj, 'public_id', obj.pk)}-{base}{suffix}"
            writer.add(name, content, table=table.label)
            row[column.attname] = {"file": name}
            continue
        row[column.attname] = json_value(value)
    return row


def _audit_rows(practice: Practice) -> Iterator[dict[str, Any]]:
    events = AuditEvent.objects.filter(practice_id=practice.pk).order_by("occurred_at", "id")
    for event in events.iterator(chunk_size=2000):
        yield {
            f.attname: json_value(getattr(event, f.attname)) for f in event._meta.concrete_fields
        }


@dataclass(frozen=True)
class Built:
    path: Path
    sha256: str
    size: int
    manifest: dict[str, Any]


def build_bundle(practice: Practice, public_id: UUID, progress: Progress) -> Built:
    """Write the practice's bundle; return where, its hash and its manifest."""
    tables = exported_tables()
    total = len(tables) + 3
    path = bundle_path(practice, public_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.part")
    try:
        with partial.open("wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
            writer = Writer(zf)
            with transaction.atomic():  # one snapshot of every table
                rls.activate([practice.pk])
                progress(0, total, "Configuration")
                writer.add("practice.json", _json_bytes(practice_details(practice)))
                writer.add("configuration.json", _json_bytes(configuration_document(practice)))
                for done, table in enumerate(tables, start=1):
                    progress(done, total, f"Exporting {table.label}")
                    rows = table_rows(table, practice).iterator(chunk_size=2000)
                    writer.lines(
                        table.file_name, (_row_dict(o, table, writer) for o in rows), table.label
                    )
                progress(len(tables) + 1, total, "Audit events")
                writer.lines("audit_events.jsonl", _audit_rows(practice), "audit.AuditEvent")
            progress(len(tables) + 2, total, "Manifest")
            writer.add("README.md", readme(practice, tables).encode())
            manifest = _manifest(practice, public_id, writer)
            writer.add("manifest.json", _json_bytes(manifest))
        sha = _sha256_of(partial)
        partial.replace(path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    progress(total, total, "Done")
    return Built(path, sha, path.stat().st_size, manifest)


def _json_bytes(document: Any) -> bytes:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False).encode()


def _sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _manifest(practice: Practice, public_id: UUID, writer: Writer) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "offboarding": str(public_id),
        "practice": {
            "public_id": str(practice.public_id),
            "name": practice.name,
            "code": practice.code,
            "npi": practice.npi,
        },
        "created_at": timezone.now().isoformat(),
        "files": {
            name: {"rows": e.rows, "bytes": e.bytes, "sha256": e.sha256, "table": e.table}
            for name, e in sorted(writer.entries.items())
        },
        "kept_after_purge": KEPT,
    }


def read_manifest(content: IO[bytes] | bytes) -> dict[str, Any]:
    """The manifest of a bundle (for tests and for checking a bundle received)."""
    source = io.BytesIO(content) if isinstance(content, bytes) else content
    with zipfile.ZipFile(source) as zf:
        manifest: dict[str, Any] = json.loads(zf.read("manifest.json"))
        return manifest


def readme(practice: Practice, tables: list[Table]) -> str:
    listed = "\n".join(f"- `{t.file_name}`: `{t.label}` ({t.db_table})" for t in tables)
    return f"""# Export of {practice.name} ({practice.code}) from Bureau

Format `{FORMAT}`. Everything Bureau held about this practice when the export was made.

## Files

- `manifest.json`: for every other file, its `rows` (JSON-lines files: one row per line),
  `bytes` and `sha256` (hex SHA-256 of the file's bytes). Check each file against it.
  The whole zip's SHA-256 is shown in Bureau and on the certificate of destruction.
- `practice.json`: the practice's own details (name, NPI, tax id, billing address, status).
- `configuration.json`: the practice's whole setup as a Bureau practice setup document
  (format `bureau.practice-setup/1`: settings and payer overrides, custom scrub rules,
  facilities, providers, enrollments, fee schedule, contract rates, payers and their routes);
  `bureau config import --practice NPI configuration.json` applies it in another Bureau.
- `audit_events.jsonl`: every audit event about the practice (who read or changed what, when).
- `data/<app>.<model>.jsonl`: one file per table, one JSON object per line with every column
  under its database name (`patient_id` is the `id` of a row of `data/patients.patient.jsonl`).
  Listed parents first, so loading them in this order satisfies every reference:

{listed}

- `files/x12/837/`: the 837P interchanges sent (claims batches), byte for byte.
- `files/x12/835/`: the 835 remittance interchanges received, byte for byte.
- `files/<app>.<model>/`: documents kept in the database (appeal letters, monthly reports).
  A row's column holding such a file reads `{{"file": "<path in this zip>"}}`.

## Values

Money is a decimal string with two places (`"125.00"`), never a float. Dates are ISO 8601
(`2026-03-01`), times ISO 8601 in UTC. Identifiers: `id` is the row's key in Bureau's
database; `public_id` its UUID as shown in Bureau's pages. Binary values not under `files/`
are base64.
"""
