"""Where a practice's data lives: every table with rows of one practice, found from the app
registry, each either exported and purged or kept with a stated reason.

A model belongs to a practice when it has a foreign key to `tenancy.Practice`, or a required
foreign key to a model that does (a row that cannot exist without the practice's row). A test
fails on any such model that is in neither list, so a new PHI table cannot be left out of the
export bundle or survive a purge unnoticed. Child rows without a practice column of their own
(none today: every PHI model carries `practice`) would be reached through their parents.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import connection, models

from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.tenancy.scoping import PracticeScoped

C = Capability

# Control tables of the practice's own configuration: exported (configuration.json and their
# own files) and purged with its PHI, since nothing of the practice is billed any more.
PURGED_CONTROL: tuple[str, ...] = (
    "directory.Enrollment",
    "directory.ContractRate",
    "configuration.SettingValue",
    "clearinghouse.Transmission",
    "directory.FeeSchedule",  # the practice's own fee schedule (NULL practice: the workspace's)
    "directory.FeeScheduleLine",
)

# Tables without a practice column, reached through a parent that has one:
# {child: (the child's key column to the parent, the parent's label)}.
CHILD_TABLES: dict[str, tuple[str, str]] = {
    "directory.FeeScheduleLine": ("schedule_id", "directory.FeeSchedule"),
}

# Tables that keep the practice's rows after its purge, and why. None holds a patient field.
KEPT: dict[str, str] = {
    "audit.AuditEvent": "The record of every access and change: kept (seven years, DESIGN §5); "
    "it holds no patient fields. Exported as audit_events.jsonl.",
    "tenancy.Grant": "Who had access to the practice: revoked at the purge, kept as the history "
    "the audit log and access reviews refer to.",
    "tenancy.Grant_providers": "The provider limits of those grants, kept with them.",
    "directory.Provider": "Clinicians of the practice: public NPPES data (names, NPIs), no PHI; "
    "grants' provider limits and exclusion-screening evidence name them. In configuration.json.",
    "directory.ServiceFacility": "Places of service of the practice: its addresses, no PHI. In "
    "configuration.json.",
    "compliance.AccessReviewer": "Access-review evidence, kept six years (164.316); no PHI.",
    "compliance.AccessReviewItem": "Access-review evidence, kept six years (164.316); no PHI.",
    "compliance.AccessReview_practices": "Access-review evidence, kept six years; no PHI.",
    "compliance.BusinessAssociateAgreement_relies_on": "Which BAAs a BAA relies on (flow-down): "
    "contract evidence kept with them; no PHI.",
    "compliance.BusinessAssociateAgreement": "The BAA whose return-or-destroy terms this "
    "offboarding carries out: contract evidence, kept six years; no PHI.",
    "compliance.Incident_affected_practices": "The incident log (breach clock evidence), kept "
    "six years; no PHI.",
    "offboarding.Offboarding": "This offboarding: the export's hash, who approved, the "
    "certificate of destruction.",
    "offboarding.PurgePermit": "Written and deleted inside the purge's own transaction.",
}

# What each app's rows carry, for the download rule (every file is a PHI read: the actor needs
# every capability covering what it carries).
CARRIES_BY_APP: dict[str, frozenset[Capability]] = {
    "patients": frozenset({C.PATIENTS_VIEW, C.PATIENTS_DEMOGRAPHICS}),
    "claims": frozenset({C.CLAIMS_VIEW, C.PATIENTS_DEMOGRAPHICS}),
    "ledger": frozenset({C.PAYMENTS_VIEW}),
    "remittance": frozenset({C.PAYMENTS_VIEW, C.PATIENTS_DEMOGRAPHICS}),
    "denials": frozenset({C.DENIALS_VIEW, C.PATIENTS_DEMOGRAPHICS}),
    "workqueues": frozenset({C.CLAIMS_VIEW}),
    "billing": frozenset({C.WRITEOFFS_VIEW}),
    "reports": frozenset({C.REPORTS_VIEW}),
    "directory": frozenset({C.SETUP_VIEW}),
    "configuration": frozenset({C.SETUP_VIEW}),
    "clearinghouse": frozenset({C.CLAIMS_VIEW}),
    "audit": frozenset({C.AUDIT_VIEW}),
}


@dataclass(frozen=True)
class Table:
    """One table of the practice's data in the bundle and the purge."""

    model: type[models.Model]

    @property
    def label(self) -> str:
        return self.model._meta.label

    @property
    def db_table(self) -> str:
        return self.model._meta.db_table

    @property
    def file_name(self) -> str:
        """The bundle's JSON-lines file of the table: `data/<app>.<model>.jsonl`."""
        return f"data/{self.model._meta.app_label}.{self.model._meta.model_name}.jsonl"

    @property
    def via(self) -> tuple[str, Table] | None:
        """For a child table: (its key column to the parent, the parent), else None."""
        found = CHILD_TABLES.get(self.label)
        if found is None:
            return None
        return found[0], Table(apps.get_model(found[1]))

    def practice_sql(self) -> tuple[str, str]:
        """(FROM clause, practice id column) to count or delete the table's rows by practice:
        the table itself, or the child joined to its parent."""
        quote = connection.ops.quote_name
        via = self.via
        if via is None:
            return quote(self.db_table), "practice_id"
        column, parent = via
        return (
            f"{quote(self.db_table)} JOIN {quote(parent.db_table)} parent"
            f" ON {quote(self.db_table)}.{quote(column)} = parent.id",
            "parent.practice_id",
        )

    @property
    def phi(self) -> bool:
        return issubclass(self.model, PracticeScoped)

    @property
    def carries(self) -> frozenset[Capability]:
        return CARRIES_BY_APP[self.model._meta.app_label]


def _all_models() -> Iterator[type[models.Model]]:
    """Every model with a table of its own (many-to-many tables included, proxies not)."""
    for model in apps.get_models(include_auto_created=True):
        if model._meta.managed and not model._meta.proxy:
            yield model


def _foreign_keys(model: type[models.Model]) -> Iterator[models.ForeignKey[Any, Any]]:
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey):
            yield field


def practice_bound_models() -> set[str]:
    """Labels of every model whose rows belong to a practice: a foreign key to Practice, or a
    required foreign key to such a model (repeated until nothing new is found)."""
    bound = {
        m._meta.label
        for m in _all_models()
        if any(f.related_model is Practice for f in _foreign_keys(m))
    }
    while True:
        found = {
            m._meta.label
            for m in _all_models()
            if m._meta.label not in bound
            and any(not f.null and f.related_model._meta.label in bound for f in _foreign_keys(m))
        }
        if not found:
            return bound
        bound |= found


def purged_tables() -> list[Table]:
    """Every table purged, children before parents (the order the purge deletes in)."""
    labels = {m._meta.label for m in _all_models() if issubclass(m, PracticeScoped)}
    labels |= set(PURGED_CONTROL)
    return _children_first([apps.get_model(label) for label in sorted(labels)])


def _children_first(found: list[type[models.Model]]) -> list[Table]:
    """Topological order over the foreign keys among `found` (self-references ignored: their
    rows go in the same statement). Ties keep name order, so the order is stable."""
    by_label = {m._meta.label: m for m in found}
    parents = {
        label: {
            f.related_model._meta.label
            for f in _foreign_keys(model)
            if f.related_model._meta.label in by_label and f.related_model is not model
        }
        for label, model in by_label.items()
    }
    children: dict[str, set[str]] = {label: set() for label in by_label}
    for label, ps in parents.items():
        for parent in ps:
            children[parent].add(label)
    order: list[str] = []
    placed: set[str] = set()
    while len(order) < len(by_label):
        ready = sorted(
            label for label in by_label if label not in placed and children[label] <= placed
        )
        if not ready:  # a cycle: deferred foreign keys let the rest go in name order
            ready = sorted(set(by_label) - placed)
        order.extend(ready)
        placed.update(ready)
    return [Table(by_label[label]) for label in order]


def exported_tables() -> list[Table]:
    """The tables of the bundle's data/ folder: parents first, as a reader loads them."""
    return list(reversed(purged_tables()))


def bundle_carries() -> frozenset[Capability]:
    """Every capability the bundle's contents need: downloading it needs them all."""
    carries: set[Capability] = set(CARRIES_BY_APP["audit"]) | CARRIES_BY_APP["directory"]
    for table in purged_tables():
        carries |= table.carries
    return frozenset(carries)


# -- stored files: the storage locations a practice's files live in ---------------------------
@dataclass(frozen=True)
class StoredFile:
    location: str  # the storage location's name, as the certificate lists it
    path: Path


OUTBOX = "clearinghouse outbox (837P files on disk)"
BUNDLES = "offboarding export bundles"
DATABASE_FILES = "files kept in the database (837P, 835, letters, report PDFs)"
