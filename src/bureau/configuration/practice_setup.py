"""A practice's whole setup as one JSON document (format `bureau.practice-setup/1`).

The document names everything by natural key — payers by payer id, providers by NPI,
facilities by name, prices by code and modifier — never by database id, so it reads the same on
another practice or another Bureau. It carries no practice identity and no timestamp: the
export of a practice that imported it is byte-identical (`setup_text`). Its format is written
down in docs/practice-setup.md; `setup_parse` reads it back, `setup_apply` applies it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from django.db import transaction

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.configuration.models import SettingValue
from bureau.configuration.registry import REGISTRY
from bureau.directory.models import (
    ContractRate,
    Enrollment,
    FeeSchedule,
    Payer,
    Provider,
    ServiceFacility,
)
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

FORMAT = "bureau.practice-setup/1"
# Every section, in the order the document and its plan list them.
SECTIONS = (
    "settings",
    "payer_settings",
    "facilities",
    "providers",
    "enrollments",
    "fee_schedule",
    "contract_rates",
    "payers",
)
# What "Copy setup from another practice" takes from the sibling: its prices and rules, not
# its people or places (custom scrub rules are the `scrub.custom_rules` setting).
COPY_SECTIONS = ("settings", "payer_settings", "fee_schedule", "contract_rates")


def _date(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _settings(practice: Practice) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """The practice's own overrides and its payer overrides (live keys only, as on the page)."""
    practice_values: dict[str, Any] = {}
    payer_values: dict[str, dict[str, Any]] = {}
    rows = SettingValue.objects.filter(practice=practice, key__in=REGISTRY).select_related("payer")
    for row in rows:
        if row.payer is None:
            practice_values[row.key] = row.value
        else:
            payer_values.setdefault(row.payer.payer_id, {})[row.key] = row.value
    return practice_values, payer_values


def _fee_schedule(practice: Practice) -> list[dict[str, str]] | None:
    schedule = FeeSchedule.objects.filter(practice=practice).first()
    if schedule is None:
        return None  # the practice bills from the workspace default
    return [
        {"code": line.code, "modifier": line.modifier, "amount": str(line.amount)}
        for line in schedule.lines.order_by("code", "modifier")
    ]


def setup_document(practice: Practice, sections: tuple[str, ...] = SECTIONS) -> dict[str, Any]:
    """The practice's setup: `sections` of it (all by default), every list sorted by its
    natural key. Callers check the actor's capability (`setup_export`, the copy service)."""
    document: dict[str, Any] = {"format": FORMAT}
    practice_values, payer_values = _settings(practice)
    payer_ids: set[str] = set(payer_values) if "payer_settings" in sections else set()
    if "settings" in sections:
        document["settings"] = practice_values
    if "payer_settings" in sections:
        document["payer_settings"] = payer_values
    if "facilities" in sections:
        document["facilities"] = [
            {
                "name": f.name,
                "address_line1": f.address_line1,
                "city": f.city,
                "state": f.state,
                "postal_code": f.postal_code,
                "npi": f.npi,
                "is_active": f.is_active,
            }
            for f in ServiceFacility.objects.filter(practice=practice).order_by("name", "pk")
        ]
    if "providers" in sections:
        document["providers"] = [
            {
                "npi": p.npi,
                "kind": p.kind,
                "name": p.name,
                "last_name": p.last_name,
                "first_name": p.first_name,
                "taxonomy": p.taxonomy,
                "is_active": p.is_active,
            }
            for p in Provider.objects.filter(practice=practice).order_by("npi")
        ]
    if "enrollments" in sections:
        enrollments = [
            {
                "provider_npi": e.provider.npi,
                "payer_id": e.payer.payer_id,
                "status": e.status,
                "effective_date": _date(e.effective_date),
                "end_date": _date(e.end_date),
                "revalidation_date": _date(e.revalidation_date),
            }
            for e in Enrollment.objects.filter(practice=practice).select_related(
                "provider", "payer"
            )
        ]
        document["enrollments"] = sorted(
            enrollments, key=lambda e: (e["provider_npi"], e["payer_id"])
        )
        payer_ids |= {str(e["payer_id"]) for e in enrollments}
    if "fee_schedule" in sections:
        document["fee_schedule"] = _fee_schedule(practice)
    if "contract_rates" in sections:
        rates = [
            {
                "payer_id": r.payer.payer_id,
                "code": r.code,
                "modifier": r.modifier,
                "allowed_amount": str(r.allowed_amount),
            }
            for r in ContractRate.objects.filter(practice=practice).select_related("payer")
        ]
        document["contract_rates"] = sorted(
            rates, key=lambda r: (r["payer_id"], r["code"], r["modifier"])
        )
        payer_ids |= {str(r["payer_id"]) for r in rates}
    # The payers the document names, with their route: listed so an import can say which are
    # missing and whose route differs; a payer (and its route) is the workspace's, never written.
    document["payers"] = {
        p.payer_id: {"name": p.name, "route": p.route}
        for p in Payer.objects.filter(workspace_id=practice.workspace_id, payer_id__in=payer_ids)
    }
    return document


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def setup_text(document: dict[str, Any]) -> str:
    """The document as text, the same bytes for the same setup: keys sorted, two-space indent,
    amounts as strings."""
    return json.dumps(document, sort_keys=True, indent=2, ensure_ascii=False, default=_plain) + "\n"


def require_setup_view(actor: Actor, practice: Practice) -> None:
    if practice.workspace_id != actor.workspace.pk or not actor.can(
        Capability.SETUP_VIEW, practice
    ):
        raise CapabilityDenied(Capability.SETUP_VIEW)


@transaction.atomic
def setup_export(*, actor: Actor | None, practice: Practice, label: str = "") -> str:
    """The practice's whole setup document as text, its export audited (actor None: the command
    line acting as the system, named by `label`)."""
    if actor is not None:
        require_setup_view(actor, practice)
    document = setup_document(practice)
    text = setup_text(document)
    audit_record(
        action=AuditAction.PRACTICE_SETUP_EXPORTED,
        actor=actor,
        workspace=None if actor else practice.workspace,
        practice=practice,
        model="tenancy.Practice",
        record_ids=[practice.public_id],
        detail={
            "format": FORMAT,
            "counts": {
                name: len(document[name] or ())
                for name in SECTIONS
                if isinstance(document.get(name), (list, dict))
            },
        },
        label=label,
    )
    return text
