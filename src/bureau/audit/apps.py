from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "bureau.audit"
    label = "audit"
    verbose_name = "Audit"
