"""Writes of configuration: set or clear a value at one level, export and import a practice's
configuration. Each change is one transaction with its audit event (old and new values)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.configuration.models import SettingValue
from bureau.configuration.registry import REGISTRY, SettingInvalid, spec_of
from bureau.configuration.resolver import settings_for
from bureau.directory.models import Payer
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

FORMAT = "bureau.config/1"
CLI_LABEL = "system (cli)"
MODEL = "configuration.SettingValue"


class ConfigurationError(ValueError):
    """A change that cannot be made; the message says why (and names the key)."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or [message]


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ConfigurationError("Give a reason for this change (at least a few words).")
    return reason


def _require_manage(actor: Actor, practice: Practice | None) -> None:
    if practice is None:
        # A workspace default reaches every practice: it needs the capability on all of them.
        if not actor.can_workspace(Capability.SETUP_MANAGE):
            raise CapabilityDenied(Capability.SETUP_MANAGE)
        return
    if practice.workspace_id != actor.workspace.pk or not actor.can(
        Capability.SETUP_MANAGE, practice
    ):
        raise CapabilityDenied(Capability.SETUP_MANAGE)


def workspace_only_problem(key: str) -> str:
    return f"{key}: applies to the whole workspace; set it under All practices."


def _check_payer(key: str, practice: Practice | None, payer: Payer | None) -> None:
    if practice is not None and spec_of(key).workspace_only:
        raise ConfigurationError(workspace_only_problem(key))
    if payer is None:
        return
    if practice is None:
        raise ConfigurationError(f"{key}: payer overrides belong to a practice.")
    if not spec_of(key).payer_override:
        raise ConfigurationError(f"{key}: this setting cannot be overridden per payer.")
    if payer.workspace_id != practice.workspace_id:
        raise CapabilityDenied("payer outside the workspace")


def _row(
    workspace_id: int, practice: Practice | None, payer: Payer | None, key: str
) -> SettingValue | None:
    return (
        SettingValue.objects.select_for_update()
        .filter(workspace_id=workspace_id, practice=practice, payer=payer, key=key)
        .first()
    )


def _level(practice: Practice | None, payer: Payer | None) -> str:
    return "workspace" if practice is None else ("payer" if payer else "practice")


def _write(
    *,
    workspace_id: int,
    practice: Practice | None,
    payer: Payer | None,
    key: str,
    new: Any,
    user: Any,
    reason: str,
    actor: Actor | None,
    label: str = "",
) -> bool:
    """Store (or with `new` None, remove) one value and record it. False when nothing changed."""
    row = _row(workspace_id, practice, payer, key)
    old = row.value if row is not None else None
    if old == new:
        return False
    if new is None:
        assert row is not None
        row.delete()
    elif row is None:
        SettingValue.objects.create(
            workspace_id=workspace_id,
            practice=practice,
            payer=payer,
            key=key,
            value=new,
            updated_by=user,
        )
    else:
        row.value, row.updated_by, row.updated_at = new, user, timezone.now()
        row.save(update_fields=["value", "updated_by", "updated_at"])
    detail: dict[str, Any] = {"key": key, "level": _level(practice, payer), "old": old, "new": new}
    if payer is not None:
        detail["payer"] = payer.payer_id
        detail["payer_name"] = payer.name
    audit_record(
        action=AuditAction.SETTING_CLEARED if new is None else AuditAction.SETTING_CHANGED,
        actor=actor,
        user=None if actor else user,
        workspace=None if actor else (practice.workspace if practice else None),
        practice=practice,
        model=MODEL,
        record_ids=[key],
        reason=reason,
        detail=detail,
        label=label,
    )
    return True


@transaction.atomic
def setting_set(
    *,
    actor: Actor,
    practice: Practice | None,
    key: str,
    value: Any,
    reason: str,
    payer: Payer | None = None,
) -> bool:
    """Set `key` at the workspace (practice None), practice, or practice+payer level."""
    _require_manage(actor, practice)
    reason = _require_reason(reason)
    spec = spec_of(key)
    _check_payer(key, practice, payer)
    try:
        typed = spec.parse(value)
    except SettingInvalid as exc:
        raise ConfigurationError(str(exc)) from None
    return _write(
        workspace_id=actor.workspace.pk,
        practice=practice,
        payer=payer,
        key=key,
        new=spec.to_json(typed),
        user=actor.user,
        reason=reason,
        actor=actor,
    )


@transaction.atomic
def setting_clear(
    *, actor: Actor, practice: Practice | None, key: str, reason: str, payer: Payer | None = None
) -> bool:
    """Remove the value at that level, so the next level up applies. False if none was set."""
    _require_manage(actor, practice)
    reason = _require_reason(reason)
    spec_of(key)
    _check_payer(key, practice, payer)
    if _row(actor.workspace.pk, practice, payer, key) is None:
        return False
    return _write(
        workspace_id=actor.workspace.pk,
        practice=practice,
        payer=payer,
        key=key,
        new=None,
        user=actor.user,
        reason=reason,
        actor=actor,
    )


# -- export and import ------------------------------------------------------------------------
def config_export(practice: Practice) -> dict[str, Any]:
    """One JSON document: the practice's overrides (payer ones by payer id) and every key's
    effective value with its source."""
    effective = settings_for(practice)
    payers = dict(
        Payer.objects.filter(workspace_id=practice.workspace_id).values_list("pk", "payer_id")
    )
    payer_overrides: dict[str, dict[str, Any]] = {}
    for (payer_pk, key), value in sorted(
        effective.payer_rows.items(), key=lambda item: (payers[item[0][0]], item[0][1])
    ):
        if key in REGISTRY:  # a stored value of a key not live yet stays out, as on the page
            payer_overrides.setdefault(payers[payer_pk], {})[key] = value
    values = {}
    for key, spec in REGISTRY.items():
        value, source = effective.explained(key)
        values[key] = {"value": spec.to_json(value), "source": source}
    return {
        "format": FORMAT,
        "practice": {"npi": practice.npi, "name": practice.name, "code": practice.code},
        "exported_at": timezone.now().isoformat(),
        "overrides": {k: v for k, v in sorted(effective.practice_rows.items()) if k in REGISTRY},
        "payer_overrides": payer_overrides,
        "effective": values,
    }


def _validated(
    practice: Practice, document: Any
) -> tuple[dict[str, Any], dict[tuple[Payer | None, str], Any]]:
    """The document's overrides as JSON values, or ConfigurationError listing every problem."""
    problems: list[str] = []
    if not isinstance(document, dict):
        raise ConfigurationError("the document is not a JSON object")
    if document.get("format", FORMAT) != FORMAT:
        problems.append(f"format {document.get('format')!r} is not {FORMAT}")
    npi = (
        (document.get("practice") or {}).get("npi")
        if isinstance(document.get("practice"), dict)
        else None
    )
    if npi != practice.npi:
        problems.append(f"the document is for practice NPI {npi!r}, not {practice.npi}")
    overrides = document.get("overrides", {})
    payer_overrides = document.get("payer_overrides", {})
    if not isinstance(overrides, dict):
        problems.append("overrides must be an object of key: value")
        overrides = {}
    if not isinstance(payer_overrides, dict):
        problems.append("payer_overrides must be an object of payer id: {key: value}")
        payer_overrides = {}
    practice_values: dict[str, Any] = {}
    for key, raw in overrides.items():
        try:
            spec = spec_of(key)
            if spec.workspace_only:
                problems.append(workspace_only_problem(key))
                continue
            practice_values[key] = spec.to_json(spec.parse(raw))
        except SettingInvalid as exc:
            problems.append(str(exc))
    payers = {
        p.payer_id: p
        for p in Payer.objects.filter(
            workspace_id=practice.workspace_id, payer_id__in=[str(k) for k in payer_overrides]
        )
    }
    payer_values: dict[tuple[Payer | None, str], Any] = {}
    for payer_id, values in payer_overrides.items():
        payer = payers.get(payer_id)
        if payer is None:
            problems.append(f"unknown payer id {payer_id!r}")
            continue
        if not isinstance(values, dict):
            problems.append(f"payer {payer_id}: overrides must be an object of key: value")
            continue
        for key, raw in values.items():
            try:
                spec = spec_of(key)
                if not spec.payer_override:
                    raise SettingInvalid(key, "cannot be overridden per payer")
                payer_values[(payer, key)] = spec.to_json(spec.parse(raw))
            except SettingInvalid as exc:
                problems.append(f"payer {payer_id}: {exc}")
    if problems:
        raise ConfigurationError(
            "import refused, nothing changed:\n" + "\n".join(f"- {p}" for p in problems),
            problems,
        )
    return practice_values, payer_values


@transaction.atomic
def config_import(*, actor: Actor | None, practice: Practice, document: Any, reason: str) -> int:
    """Make the practice's overrides exactly the document's, all or nothing. `actor` None is the
    command line acting as the system. Returns the number of values changed."""
    if actor is not None:
        _require_manage(actor, practice)
    reason = _require_reason(reason)
    practice_values, payer_values = _validated(practice, document)
    user = actor.user if actor else None
    label = "" if actor else CLI_LABEL
    # Values of keys not live yet are not in any document: an import leaves them as they are.
    existing = list(
        SettingValue.objects.filter(practice=practice, key__in=REGISTRY).select_related("payer")
    )
    wanted: dict[tuple[Payer | None, str], Any] = {(None, k): v for k, v in practice_values.items()}
    wanted.update(payer_values)
    wanted_ids = {(p.pk if p else None, k) for p, k in wanted}
    changed = 0
    for row in existing:
        if (row.payer_id, row.key) not in wanted_ids:
            changed += _write(
                workspace_id=practice.workspace_id,
                practice=practice,
                payer=row.payer,
                key=row.key,
                new=None,
                user=user,
                reason=reason,
                actor=actor,
                label=label,
            )
    for (payer, key), value in wanted.items():
        changed += _write(
            workspace_id=practice.workspace_id,
            practice=practice,
            payer=payer,
            key=key,
            new=value,
            user=user,
            reason=reason,
            actor=actor,
            label=label,
        )
    audit_record(
        action=AuditAction.CONFIG_IMPORTED,
        actor=actor,
        workspace=None if actor else practice.workspace,
        practice=practice,
        model=MODEL,
        reason=reason,
        detail={"changed": changed},
        label=label,
    )
    return changed
