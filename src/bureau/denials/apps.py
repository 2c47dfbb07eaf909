from django.apps import AppConfig


class DenialsConfig(AppConfig):
    name = "bureau.denials"
    label = "denials"
    verbose_name = "Denials"
