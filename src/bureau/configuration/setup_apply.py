"""Applying a practice setup document: first a plan (the list of changes it would make), then
all of it or none of it in one transaction with one audit event naming the counts.

What each section does (docs/practice-setup.md says the same to the person importing):
settings and payer settings become exactly the document's overrides; facilities, providers and
enrollments are added or updated by natural key (ones the document does not name are left as
they are: a closed clinic is deactivated, never deleted); the fee schedule and contract rates
are replaced to match the document; payers and their routes are the workspace's and are only
compared. A section missing from the document is not touched, which is how "Copy setup from
another practice" takes only the sibling's prices and rules through this same code.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.configuration.models import SettingValue
from bureau.configuration.practice_setup import COPY_SECTIONS, setup_document
from bureau.configuration.registry import REGISTRY
from bureau.configuration.services import _write
from bureau.configuration.setup_parse import ParsedSetup, setup_parse
from bureau.directory.models import (
    ContractRate,
    Enrollment,
    FeeSchedule,
    FeeScheduleLine,
    Provider,
    ServiceFacility,
)
from bureau.directory.services import DirectoryError, require_practice_manage, require_reason
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

CLI_LABEL = "system (cli)"
MAX_AUDITED_CHANGES = 500  # listed in the audit event; the counts cover every change
SECTION_LABELS = {
    "settings": "Setting",
    "payer_settings": "Payer setting",
    "facilities": "Facility",
    "providers": "Provider",
    "enrollments": "Enrollment",
    "fee_schedule": "Fee schedule",
    "contract_rates": "Contract rate",
}


@dataclass(frozen=True)
class Change:
    section: str
    action: str  # add, change, remove
    key: str  # the natural key: an NPI, a facility name, "99213-25", "AETNA 99213"
    old: Any = None
    new: Any = None

    def __str__(self) -> str:
        return f"{self.section}: {self.action} {self.key}"

    @property
    def label(self) -> str:
        return SECTION_LABELS.get(self.section, self.section)


@dataclass
class Plan:
    changes: list[Change] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # routes that differ: told, never written

    def counts(self) -> dict[str, dict[str, int]]:
        counted: dict[str, Counter[str]] = {}
        for change in self.changes:
            counted.setdefault(change.section, Counter())[change.action] += 1
        return {section: dict(sorted(c.items())) for section, c in sorted(counted.items())}

    def summary(self) -> str:
        if not self.changes:
            return "0 changes"
        parts = [
            f"{section} " + ", ".join(f"{n} {action}" for action, n in actions.items())
            for section, actions in self.counts().items()
        ]
        return f"{len(self.changes)} changes ({'; '.join(parts)})"


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _code(code: str, modifier: str) -> str:
    return f"{code}-{modifier}" if modifier else code


def _diff_fields(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if getattr(obj, k) != v}


# -- the plan -------------------------------------------------------------------------------
def _plan_settings(practice: Practice, parsed: ParsedSetup, plan: Plan) -> None:
    rows = SettingValue.objects.filter(practice=practice, key__in=REGISTRY).select_related("payer")
    current: dict[tuple[str, str], Any] = {}
    for row in rows:
        current[(row.payer.payer_id if row.payer else "", row.key)] = row.value
    wanted: dict[tuple[str, str], Any] = {}

    if "settings" in parsed.sections:
        wanted |= {("", k): v for k, v in parsed.settings.items()}

    if "payer_settings" in parsed.sections:
        wanted |= parsed.payer_settings
    for payer_id, key in sorted(set(current) | set(wanted)):
        section = "payer_settings" if payer_id else "settings"
        if section not in parsed.sections:
            continue
        label = f"{payer_id} {key}" if payer_id else key
        old, new = current.get((payer_id, key)), wanted.get((payer_id, key))
        if old == new:
            continue
        action = "add" if old is None else ("remove" if new is None else "change")
        plan.changes.append(Change(section, action, label, old, new))


def _plan_rows(
    section: str, current: dict[Any, Any], wanted: dict[Any, dict[str, Any]], plan: Plan
) -> None:
    for key in sorted(wanted):
        label = key if isinstance(key, str) else " ".join(key)
        obj = current.get(key)
        if obj is None:
            plan.changes.append(Change(section, "add", label, None, _plain(wanted[key])))
            continue
        differs = _diff_fields(obj, wanted[key])
        if differs:
            old = {k: getattr(obj, k) for k in differs}
            plan.changes.append(Change(section, "change", label, _plain(old), _plain(differs)))


def _plan_prices(
    section: str, current: dict[Any, Decimal], wanted: dict[Any, Decimal], plan: Plan
) -> None:
    for key in sorted(set(current) | set(wanted)):
        label = " ".join(filter(None, key[:-2])) + (" " if len(key) > 2 else "") + _code(*key[-2:])
        old, new = current.get(key), wanted.get(key)
        if old == new:
            continue
        action = "add" if old is None else ("remove" if new is None else "change")
        plan.changes.append(Change(section, action, label, _plain(old), _plain(new)))


def setup_plan(practice: Practice, parsed: ParsedSetup) -> Plan:
    """What applying `parsed` to `practice` would change, by section, in natural keys."""
    plan = Plan()
    _plan_settings(practice, parsed, plan)
    if "facilities" in parsed.sections:
        current = {f.name.lower(): f for f in ServiceFacility.objects.filter(practice=practice)}
        _plan_rows("facilities", current, parsed.facilities, plan)
    if "providers" in parsed.sections:
        providers = {p.npi: p for p in Provider.objects.filter(practice=practice)}
        _plan_rows("providers", providers, parsed.providers, plan)
    if "enrollments" in parsed.sections:
        enrolled = {
            (e.provider.npi, e.payer.payer_id): e
            for e in Enrollment.objects.filter(practice=practice).select_related(
                "provider", "payer"
            )
        }
        _plan_rows("enrollments", enrolled, parsed.enrollments, plan)
    if "fee_schedule" in parsed.sections:
        schedule = FeeSchedule.objects.filter(practice=practice).first()
        lines = (
            {(ln.code, ln.modifier): ln.amount for ln in schedule.lines.all()} if schedule else {}
        )
        if schedule is None and parsed.fee_schedule is not None:
            plan.changes.append(Change("fee_schedule", "add", "the practice's own fee schedule"))
        _plan_prices("fee_schedule", lines, parsed.fee_schedule or {}, plan)
        if schedule is not None and parsed.fee_schedule is None:
            plan.changes.append(
                Change(
                    "fee_schedule",
                    "remove",
                    "the practice's own fee schedule (bill from the workspace default)",
                )
            )
    if "contract_rates" in parsed.sections:
        rates = {
            (r.payer.payer_id, r.code, r.modifier): r.allowed_amount
            for r in ContractRate.objects.filter(practice=practice).select_related("payer")
        }
        _plan_prices("contract_rates", rates, parsed.contract_rates, plan)
    for payer_id, listed in sorted(parsed.payers.items()):
        payer = parsed.workspace_payers.get(payer_id)
        if payer is not None and payer.route != listed["route"]:
            plan.notes.append(
                f"{payer.name} ({payer_id}) is sent by {payer.route} in this workspace, by "
                f"{listed['route']} in the document: routes are the workspace's, not changed."
            )
    return plan


# -- applying it ----------------------------------------------------------------------------
def _apply_settings(
    practice: Practice, parsed: ParsedSetup, plan: Plan, actor: Actor | None, reason: str
) -> None:
    for change in plan.changes:
        if change.section not in ("settings", "payer_settings"):
            continue
        payer_id, _, key = change.key.rpartition(" ")
        _write(
            workspace_id=practice.workspace_id,
            practice=practice,
            payer=parsed.workspace_payers[payer_id] if payer_id else None,
            key=key,
            new=change.new,
            user=actor.user if actor else None,
            reason=reason,
            actor=actor,
            label="" if actor else CLI_LABEL,
        )


def _upsert_rows(practice: Practice, parsed: ParsedSetup) -> list[tuple[int, int]]:
    """Facilities, providers, enrollments; returns the (provider, payer) pairs enrolled."""
    from bureau.compliance.screening import screen_one

    owner = {"workspace_id": practice.workspace_id, "practice": practice}
    if "facilities" in parsed.sections:
        current = {f.name.lower(): f for f in ServiceFacility.objects.filter(practice=practice)}
        for name, values in parsed.facilities.items():
            facility = current.get(name)
            if facility is None:
                ServiceFacility.objects.create(**owner, **values)
            elif differs := _diff_fields(facility, values):
                ServiceFacility.objects.filter(pk=facility.pk).update(**differs)
    providers = {p.npi: p for p in Provider.objects.filter(practice=practice)}
    if "providers" in parsed.sections:
        for npi, values in parsed.providers.items():
            provider = providers.get(npi)
            if provider is None:
                providers[npi] = Provider.objects.create(**owner, **values)
                screen_one(providers[npi])  # as provider_create: screened in the same change
            elif differs := _diff_fields(provider, values):
                Provider.objects.filter(pk=provider.pk).update(**differs)
    pairs: list[tuple[int, int]] = []
    if "enrollments" in parsed.sections:
        enrolled = {
            (e.provider_id, e.payer_id): e for e in Enrollment.objects.filter(practice=practice)
        }
        for (npi, payer_id), values in parsed.enrollments.items():
            provider, payer = providers[npi], parsed.workspace_payers[payer_id]
            enrollment = enrolled.get((provider.pk, payer.pk))
            if enrollment is None:
                Enrollment.objects.create(**owner, provider=provider, payer=payer, **values)
            elif differs := _diff_fields(enrollment, values):
                Enrollment.objects.filter(pk=enrollment.pk).update(**differs)
            else:
                continue
            pairs.append((provider.pk, payer.pk))
    return pairs


def _replace_prices(practice: Practice, parsed: ParsedSetup) -> None:
    if "fee_schedule" in parsed.sections:
        schedule = FeeSchedule.objects.select_for_update().filter(practice=practice).first()
        if parsed.fee_schedule is None:
            if schedule is not None:
                schedule.delete()  # its lines go with it; the workspace default applies
        else:
            if schedule is None:
                schedule = FeeSchedule.objects.create(
                    workspace_id=practice.workspace_id,
                    practice=practice,
                    name=f"{practice.name} fees",
                )
            schedule.lines.all().delete()
            FeeScheduleLine.objects.bulk_create(
                FeeScheduleLine(schedule=schedule, code=c, modifier=m, amount=amount)
                for (c, m), amount in sorted(parsed.fee_schedule.items())
            )
            schedule.updated_at = timezone.now()
            schedule.save(update_fields=["updated_at"])
    if "contract_rates" in parsed.sections:
        ContractRate.objects.filter(practice=practice).delete()
        ContractRate.objects.bulk_create(
            ContractRate(
                workspace_id=practice.workspace_id,
                practice=practice,
                payer=parsed.workspace_payers[payer_id],
                code=code,
                modifier=modifier,
                allowed_amount=amount,
            )
            for (payer_id, code, modifier), amount in sorted(parsed.contract_rates.items())
        )


def require_setup_manage(actor: Actor, practice: Practice) -> None:
    """setup.manage on the whole practice: the document names every provider, so a grant
    limited to some of them does not cover it."""
    require_practice_manage(actor, practice)
    if actor.provider_limited(practice, Capability.SETUP_MANAGE):
        raise CapabilityDenied(Capability.SETUP_MANAGE)


@transaction.atomic
def setup_apply(
    *,
    actor: Actor | None,
    practice: Practice,
    document: Any,
    reason: str,
    dry_run: bool = False,
    action: AuditAction = AuditAction.PRACTICE_SETUP_IMPORTED,
    detail: dict[str, Any] | None = None,
) -> Plan:
    """Check `document` (again: a preview's document is checked anew here), plan, and unless
    `dry_run` apply the plan, all or nothing. `actor` None is the command line as the system.
    Raises SetupInvalid (every problem, by path) or DirectoryError (the reason)."""
    if actor is not None:
        require_setup_manage(actor, practice)
    if not dry_run:
        reason = require_reason(reason)
    # One import at a time per practice: the plan is made against what this one will change.
    practice = Practice.objects.select_for_update().get(pk=practice.pk)
    parsed = setup_parse(document, practice)
    plan = setup_plan(practice, parsed)
    if dry_run or not plan.changes:
        if not dry_run:  # a re-import that changes nothing is still a recorded attempt
            _audit(actor, practice, plan, reason, action, detail)
        return plan
    _apply_settings(practice, parsed, plan, actor, reason)
    pairs = _upsert_rows(practice, parsed)
    _replace_prices(practice, parsed)
    if pairs:
        _enrollments_changed(actor, practice, pairs, reason)
    _audit(actor, practice, plan, reason, action, detail)
    return plan


def _enrollments_changed(
    actor: Actor | None, practice: Practice, pairs: list[tuple[int, int]], reason: str
) -> None:
    """What `enrollment_change` does after a change: release claims held for credentialing
    (a person acting only: the command line leaves them to the queue's refresh), and bring the
    credentialing and setup-gap items up to date."""
    from bureau.claims.credentialing import release_credentialing_holds
    from bureau.workqueues.hooks import enrollments_changed

    if actor is not None:
        for enrollment in Enrollment.objects.filter(
            practice=practice, provider_id__in=[p for p, _ in pairs]
        ).select_related("provider", "payer", "practice"):
            if (enrollment.provider_id, enrollment.payer_id) in pairs:
                release_credentialing_holds(actor=actor, enrollment=enrollment, reason=reason)
    enrollments_changed(
        actor=actor, workspace_id=practice.workspace_id, practice_id=practice.pk, pairs=pairs
    )


def _audit(
    actor: Actor | None,
    practice: Practice,
    plan: Plan,
    reason: str,
    action: AuditAction,
    detail: dict[str, Any] | None,
) -> None:
    listed = [
        {"section": c.section, "action": c.action, "key": c.key, "old": c.old, "new": c.new}
        for c in plan.changes[:MAX_AUDITED_CHANGES]
    ]
    audit_record(
        action=action,
        actor=actor,
        workspace=None if actor else practice.workspace,
        practice=practice,
        model="tenancy.Practice",
        record_ids=[practice.public_id],
        reason=reason,
        detail={
            **(detail or {}),
            "changes": len(plan.changes),
            "counts": plan.counts(),
            "listed": listed,
            "notes": plan.notes,
        },
        label="" if actor else CLI_LABEL,
    )


def setup_copy_document(*, actor: Actor, source: Practice) -> dict[str, Any]:
    """The sibling's prices and rules as a setup document (the sections it copies)."""
    require_setup_manage(actor, source)
    return setup_document(source, COPY_SECTIONS)


def setup_copy(
    *, actor: Actor, source: Practice, practice: Practice, reason: str, dry_run: bool = False
) -> Plan:
    """Copy `source`'s fee schedule, contract rates, custom scrub rules and practice-level
    settings onto `practice`, in one step: the import of the sibling's document of those
    sections."""
    if source.pk == practice.pk:
        raise DirectoryError("Choose another practice to copy from.", "source")
    document = setup_copy_document(actor=actor, source=source)
    return setup_apply(
        actor=actor,
        practice=practice,
        document=document,
        reason=reason,
        dry_run=dry_run,
        action=AuditAction.PRACTICE_SETUP_COPIED,
        detail={"from": str(source.public_id), "from_name": source.name},
    )
