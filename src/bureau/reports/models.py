"""The reports app's tables, one module per report that stores something."""

from bureau.reports.monthly_models import MonthlyReport

__all__ = ["MonthlyReport"]
