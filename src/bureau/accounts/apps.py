from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "bureau.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from bureau.accounts import signals  # noqa: F401  (connects the receivers)
