"""Reads for the settings page: the table of keys with their effective values and sources, and
the history of changes. Scoped to what the actor may see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bureau.audit.models import AuditAction, AuditEvent
from bureau.configuration.registry import SETTINGS, SettingSpec
from bureau.configuration.resolver import settings_for, workspace_settings
from bureau.directory.models import Payer
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

HISTORY_ACTIONS = [
    AuditAction.SETTING_CHANGED,
    AuditAction.SETTING_CLEARED,
    AuditAction.CONFIG_IMPORTED,
]


@dataclass(frozen=True)
class PayerOverride:
    payer: Payer
    display: str


@dataclass(frozen=True)
class SettingRow:
    spec: SettingSpec
    value: Any
    display: str
    form_text: str
    source: str
    payer_overrides: list[PayerOverride]


def setting_table(*, actor: Actor, practice: Practice | None) -> list[SettingRow]:
    """Every registry key for the practice (or the workspace defaults, with practice None)."""
    if practice is not None and not actor.can(Capability.SETUP_VIEW, practice):
        raise CapabilityDenied(Capability.SETUP_VIEW)
    effective = workspace_settings(actor.workspace) if practice is None else settings_for(practice)
    payers = {p.pk: p for p in setting_payers(actor=actor)} if practice else {}
    rows = []
    for spec in SETTINGS:
        value, source = effective.explained(spec.key)
        overrides = [
            PayerOverride(payers[pid], spec.display(v))
            for pid, v in effective.payer_overrides(spec.key).items()
            if pid in payers
        ]
        rows.append(
            SettingRow(
                spec,
                value,
                spec.display(value),
                spec.form_text(value),
                source,
                sorted(overrides, key=lambda o: o.payer.name),
            )
        )
    return rows


def setting_payers(*, actor: Actor) -> list[Payer]:
    return list(Payer.objects.filter(workspace=actor.workspace).order_by("name"))


def setting_history(
    *, actor: Actor, practice: Practice | None, limit: int = 50
) -> list[AuditEvent]:
    if practice is not None and not actor.can(Capability.SETUP_VIEW, practice):
        raise CapabilityDenied(Capability.SETUP_VIEW)
    events = AuditEvent.objects.filter(workspace=actor.workspace, action__in=HISTORY_ACTIONS)
    events = (
        events.filter(practice__isnull=True)
        if practice is None
        else events.filter(practice=practice)
    )
    return list(events.order_by("-occurred_at", "-id")[:limit])
