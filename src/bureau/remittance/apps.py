from django.apps import AppConfig


class RemittanceConfig(AppConfig):
    name = "bureau.remittance"
    label = "remittance"
    verbose_name = "Remittance"
