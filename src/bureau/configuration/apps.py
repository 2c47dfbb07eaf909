from django.apps import AppConfig


class ConfigurationConfig(AppConfig):
    name = "bureau.configuration"
    label = "configuration"
