from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "bureau.billing"
    label = "billing"
    verbose_name = "Billing"
