from django.apps import AppConfig


class OffboardingConfig(AppConfig):
    name = "bureau.offboarding"
    label = "offboarding"
    verbose_name = "Offboarding"
