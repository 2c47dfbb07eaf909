from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "bureau.compliance"
    label = "compliance"
    verbose_name = "Compliance"
