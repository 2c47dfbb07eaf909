"""The one way to read a setting: `setting(practice, key, payer=None)`.

Order: practice+payer override, practice override, workspace default row, registry default.
`settings_for(practice)` loads every row that can apply to a practice in one query, so a batch
(the scrubber over 10,000 claims) resolves from memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from bureau.configuration.models import SettingValue
from bureau.configuration.registry import spec_of
from bureau.tenancy.models import Practice, Workspace

SOURCES = ("default", "workspace", "practice", "payer")


def _payer_pk(payer: Any) -> int | None:
    if payer is None:
        return None
    return payer if isinstance(payer, int) else payer.pk


@dataclass
class EffectiveSettings:
    """All values that can apply to one practice (or, with practice None, the workspace)."""

    workspace_rows: dict[str, Any] = field(default_factory=dict)
    practice_rows: dict[str, Any] = field(default_factory=dict)
    payer_rows: dict[tuple[int, str], Any] = field(default_factory=dict)
    _cache: dict[tuple[str, int | None], tuple[Any, str]] = field(default_factory=dict)

    def explained(self, key: str, payer: Any = None) -> tuple[Any, str]:
        payer_id = _payer_pk(payer)
        cached = self._cache.get((key, payer_id))
        if cached is None:
            cached = self._cache[(key, payer_id)] = self._resolve(key, payer_id)
        return cached

    def _resolve(self, key: str, payer_id: int | None) -> tuple[Any, str]:
        spec = spec_of(key)
        # A workspace-only key (the holidays) is never overridden, even by a row that got in.
        below = not spec.workspace_only
        if below and payer_id is not None and (payer_id, key) in self.payer_rows:
            return spec.parse(self.payer_rows[(payer_id, key)]), "payer"
        if below and key in self.practice_rows:
            return spec.parse(self.practice_rows[key]), "practice"
        if key in self.workspace_rows:
            return spec.parse(self.workspace_rows[key]), "workspace"
        return spec.default, "default"

    def get(self, key: str, payer: Any = None) -> Any:
        return self.explained(key, payer)[0]

    def payer_overrides(self, key: str) -> dict[int, Any]:
        spec = spec_of(key)
        return {pid: spec.parse(v) for (pid, k), v in self.payer_rows.items() if k == key}


def settings_for(practice: Practice) -> EffectiveSettings:
    rows = (
        SettingValue.objects.filter(workspace_id=practice.workspace_id)
        .filter(Q(practice__isnull=True) | Q(practice_id=practice.pk))
        .values_list("practice_id", "payer_id", "key", "value")
    )
    return _collect(rows)


def workspace_settings(workspace: Workspace) -> EffectiveSettings:
    rows = SettingValue.objects.filter(workspace=workspace, practice__isnull=True).values_list(
        "practice_id", "payer_id", "key", "value"
    )
    return _collect(rows)


def _collect(rows: Any) -> EffectiveSettings:
    effective = EffectiveSettings()
    for practice_id, payer_id, key, value in rows:
        if practice_id is None:
            effective.workspace_rows[key] = value
        elif payer_id is None:
            effective.practice_rows[key] = value
        else:
            effective.payer_rows[(payer_id, key)] = value
    return effective


def setting(practice: Practice, key: str, payer: Any = None) -> Any:
    return settings_for(practice).get(key, payer)


def setting_explained(practice: Practice, key: str, payer: Any = None) -> tuple[Any, str]:
    return settings_for(practice).explained(key, payer)
