"""The practice's configuration in the export bundle.

`configuration.json` is the practice setup document (`bureau.practice-setup/1`,
docs/practice-setup.md): the same document `bureau config export` writes, so a client that moves
to another Bureau imports it there as it is. `practice.json` holds the practice's own details
(name, NPI, tax id, billing address…), which the setup document leaves out on purpose.
"""

from __future__ import annotations

from typing import Any

from bureau.configuration.practice_setup import setup_document
from bureau.tenancy.models import Practice


def configuration_document(practice: Practice) -> dict[str, Any]:
    """The whole setup: settings, facilities, providers, enrollments, fees, contracts, payers."""
    return setup_document(practice)


def practice_details(practice: Practice) -> dict[str, Any]:
    """The practice row itself, every column but the internal keys."""
    from bureau.offboarding.bundle import json_value

    return {
        f.attname: json_value(f.value_from_object(practice))
        for f in practice._meta.concrete_fields
        if f.attname not in ("id", "workspace_id")
    }
