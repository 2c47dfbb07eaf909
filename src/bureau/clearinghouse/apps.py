from django.apps import AppConfig


class ClearinghouseConfig(AppConfig):
    name = "bureau.clearinghouse"
    label = "clearinghouse"
    verbose_name = "Clearinghouse"
