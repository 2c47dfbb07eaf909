"""The practice's configuration as one JSON document, for the export bundle.

One function, `configuration_document(practice)`: a full "practice setup document" exporter
may replace it; the bundle calls nothing else of this module.
"""

from __future__ import annotations

from typing import Any

from django.db import models

from bureau.configuration.services import config_export
from bureau.directory.models import ContractRate, Enrollment, Provider, ServiceFacility
from bureau.tenancy.models import Practice


def _rows(qs: models.QuerySet[Any]) -> list[dict[str, Any]]:
    from bureau.offboarding.bundle import json_value

    return [{k: json_value(v) for k, v in row.items()} for row in qs.order_by("pk").values()]


def configuration_document(practice: Practice) -> dict[str, Any]:
    """The practice's details, settings and directory rows."""
    details = {
        f.attname: f.value_from_object(practice)
        for f in practice._meta.concrete_fields
        if f.attname not in ("id", "workspace_id")
    }
    from bureau.offboarding.bundle import json_value

    return {
        "practice": {k: json_value(v) for k, v in details.items()},
        "settings": config_export(practice),
        "providers": _rows(Provider.objects.filter(practice=practice)),
        "facilities": _rows(ServiceFacility.objects.filter(practice=practice)),
        "enrollments": _rows(Enrollment.objects.filter(practice=practice)),
        "contract_rates": _rows(ContractRate.objects.filter(practice=practice)),
    }
