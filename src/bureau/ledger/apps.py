from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "bureau.ledger"
    label = "ledger"
    verbose_name = "Ledger"
