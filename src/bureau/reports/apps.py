from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "bureau.reports"
    label = "reports"
    verbose_name = "Reports"
