from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "bureau.web"
    label = "web"
