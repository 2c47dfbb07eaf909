from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.db import connections
from django.db.models.signals import post_migrate


def _install_rls(sender: AppConfig, using: str = "default", **kwargs: Any) -> None:
    from bureau.tenancy.rls import install_policies

    install_policies(connections[using], settings.BUREAU_DB_APP_ROLE)


class TenancyConfig(AppConfig):
    name = "bureau.tenancy"
    label = "tenancy"
    verbose_name = "Tenancy"

    def ready(self) -> None:
        # After every migrate (once, keyed on this app): RLS on every PHI table.
        post_migrate.connect(_install_rls, sender=self, dispatch_uid="bureau-rls")
