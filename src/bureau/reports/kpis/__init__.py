"""KPIs, each defined once (`registry`) and computed once over a scope (`scope`).

Importing the package registers every KPI: the domain modules below each add theirs.
"""

from bureau.reports.kpis import claims, money, work  # noqa: F401  (they register their KPIs)
from bureau.reports.kpis.registry import REGISTRY, KpiValue, compute
from bureau.reports.kpis.scope import KpiScope

__all__ = ["REGISTRY", "KpiScope", "KpiValue", "compute"]
