from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    name = "bureau.claims"
    label = "claims"
    verbose_name = "Claims"
