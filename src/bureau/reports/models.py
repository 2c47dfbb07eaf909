"""The reports app's tables, one module per report that stores something."""

from bureau.reports.monthly_models import MonthlyReport
from bureau.reports.snapshot_models import GlanceSnapshot

__all__ = ["GlanceSnapshot", "MonthlyReport"]
