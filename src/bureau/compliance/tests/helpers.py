"""Shared by the screening tests: the demo workspace, actors, and LEIE files built in memory."""

from __future__ import annotations

import io
from pathlib import Path

from django.db.models import QuerySet

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.compliance.exclusion_lists import ImportSource, exclusion_list_import
from bureau.compliance.leie import COLUMNS
from bureau.compliance.models.screening import ExclusionListImport, ListKind
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Workspace

# The last audit event before the test (set by the `screening_from_scratch` fixture).
EVENTS_BEFORE = [0]


def new_events() -> QuerySet[AuditEvent]:
    """Audit events written by the test (the demo seed's own screening events left out)."""
    return AuditEvent.objects.filter(pk__gt=EVENTS_BEFORE[0])


DATA = Path(__file__).resolve().parent.parent / "data"
FULL = DATA / "leie_synthetic.csv"
EXCLUSIONS = DATA / "leie_synthetic_exclusions.csv"
REINSTATEMENTS = DATA / "leie_synthetic_reinstatements.csv"


def summit() -> Workspace:
    return Workspace.objects.get(slug="summit")


def actor_named(username: str) -> Actor:
    actor = resolve_actor(User.objects.get(username=username))
    assert actor is not None
    return actor


def leie_bytes(*rows: dict[str, str]) -> bytes:
    """An LEIE file of `rows` (column name -> value; missing columns blank, EXCLDATE set)."""
    lines = [",".join(COLUMNS)]
    for cells in rows:
        full = {"EXCLDATE": "20250101", "EXCLTYPE": "1128a1", **cells}
        lines.append(",".join(full.get(c, "") for c in COLUMNS))
    return ("\r\n".join(lines) + "\r\n").encode()


def import_bytes(
    data: bytes,
    *,
    kind: ListKind = ListKind.FULL,
    workspace: Workspace | None = None,
    actor: Actor | None = None,
    name: str = "test.csv",
) -> ExclusionListImport:
    return exclusion_list_import(
        workspace=workspace or summit(),
        actor=actor,
        kind=kind,
        source=ImportSource(file_name=name, lines=io.BytesIO(data)),
    )


def import_file(path: Path, kind: ListKind = ListKind.FULL) -> ExclusionListImport:
    with path.open("rb") as handle:
        return exclusion_list_import(
            workspace=summit(),
            actor=None,
            kind=kind,
            source=ImportSource(file_name=path.name, lines=handle),
        )
