"""The KPI dashboard's read: every KPI over one scope, audited as the PHI read it is.

The figures are aggregates, but aggregates of patients' claims: the read is recorded like a
list page's, one event per practice it counted (so a client reviewing her practice's access
log sees that her figures were looked at, and by whom), in the request's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.reports.kpis.registry import REGISTRY, Definition, KpiValue
from bureau.reports.kpis.scope import CAPABILITY, KpiScope


@dataclass(frozen=True)
class KpiFigure:
    definition: Definition
    value: KpiValue


def kpi_dashboard(
    *, scope: KpiScope, variants: dict[str, str] | None = None, payer: str = ""
) -> list[KpiFigure]:
    """Every registered KPI over `scope`, each in `variants[key]` (a known variant name; the
    caller validated it) or its default, in registry order. `payer` is the scope's payer as
    the audit event names it (its public id, "" for every payer), as every report's event does."""
    variants = variants or {}
    figures = [
        KpiFigure(kpi.definition, kpi.compute(scope, kpi.definition.variant(variants.get(key))))
        for key, kpi in REGISTRY.items()
    ]
    _audit(scope, figures, payer)
    return figures


def _audit(scope: KpiScope, figures: list[KpiFigure], payer: str) -> None:
    actor = scope.actor
    practice_ids = (
        [scope.practice_id]
        if scope.practice_id is not None
        else sorted(actor.practice_ids(CAPABILITY))
    )
    detail: dict[str, Any] = {
        "report": "kpis",
        "start": scope.start.isoformat(),
        "end": scope.end.isoformat(),
        "payer": payer,
        "kpis": {f.definition.key: f.value.variant.key for f in figures},
    }
    audit_record_many(
        action=AuditAction.KPIS_VIEWED,
        actor=actor,
        workspace=None,
        model="reports.kpis",
        targets=[(actor.access[pid].practice, []) for pid in practice_ids],
        detail=detail,
    )
