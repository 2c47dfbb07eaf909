"""The category table's upkeep: loading the default table (from our file or X12's published
list) and a workspace's overrides (setup.manage for the whole workspace), each audited."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import IntegrityError, transaction

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.denials.categories import DENIAL_GROUPS, Rule
from bureau.denials.models import CarcCategory, CategoryOverride, DenialCategory
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability


class OverrideError(ValueError):
    """The override cannot be saved; the message says which field is wrong."""


@dataclass(frozen=True)
class LoadResult:
    added: int
    updated: int
    replaced: bool


def load_rules(rules: list[Rule]) -> LoadResult:
    """Rules with categories (our file) replace the table; rules without (X12's published list)
    update the description and dates of each code's rows and add unknown codes as `other`, so
    reloading a newer X12 list never loses a category someone chose."""
    with transaction.atomic():
        if rules and all(r.category for r in rules):
            CarcCategory.objects.all().delete()
            CarcCategory.objects.bulk_create(
                CarcCategory(
                    code=r.code,
                    group_code=r.group,
                    rarc=r.rarc,
                    description=r.description,
                    start=r.start,
                    stop=r.stop,
                    category=r.category,
                )
                for r in rules
            )
            result = LoadResult(added=len(rules), updated=0, replaced=True)
        else:
            added = updated = 0
            for r in rules:
                n = CarcCategory.objects.filter(code=r.code).update(
                    description=r.description, start=r.start, stop=r.stop
                )
                if n:
                    updated += n
                else:
                    CarcCategory.objects.create(
                        code=r.code,
                        description=r.description,
                        start=r.start,
                        stop=r.stop,
                        category=r.category or DenialCategory.OTHER,
                    )
                    added += 1
            result = LoadResult(added=added, updated=updated, replaced=False)
    return result


def _require_manage(actor: Actor) -> None:
    if not actor.can_workspace(Capability.SETUP_MANAGE):
        raise CapabilityDenied(Capability.SETUP_MANAGE)


def override_set(
    *, actor: Actor, carc: str, group_code: str, category: str, reason: str
) -> CategoryOverride:
    """Set (or change) the workspace's category for a CARC [+ group code], with its reason."""
    _require_manage(actor)
    reason = reason.replace("\x00", "")  # PostgreSQL text holds no NUL
    carc, group_code, reason = carc.strip().upper(), group_code.strip().upper(), reason.strip()
    if not carc or len(carc) > 5 or not carc.isalnum():
        raise OverrideError("CARC: give the code, 1 to 5 letters or digits (e.g. 50 or B7).")
    if group_code and group_code not in DENIAL_GROUPS:
        raise OverrideError("Group code: CO, OA or PI, or leave it blank for any group.")
    if category not in DenialCategory.values:
        raise OverrideError(f"Category: {category!r} is not a denial category.")
    if not reason:
        raise OverrideError("Reason: say why this workspace categorises the code differently.")
    with transaction.atomic():
        found = (
            CategoryOverride.objects.select_for_update()
            .filter(workspace=actor.workspace, carc=carc, group_code=group_code)
            .first()
        )
        before = found.category if found else None
        try:
            if found is None:
                found = CategoryOverride.objects.create(
                    workspace=actor.workspace,
                    carc=carc,
                    group_code=group_code,
                    category=category,
                    reason=reason[:200],
                    created_by=actor.user,
                )
            else:
                found.category, found.reason, found.created_by = category, reason[:200], actor.user
                found.save(update_fields=["category", "reason", "created_by"])
        except IntegrityError as exc:  # a concurrent first override of the same code
            raise OverrideError("That code was just overridden by someone else; reload.") from exc
        audit_record(
            action=AuditAction.SETTING_CHANGED,
            actor=actor,
            workspace=actor.workspace,
            model="denials.CategoryOverride",
            record_ids=[found.pk],
            reason=reason[:200],
            detail={"carc": carc, "group": group_code, "category": [before, category]},
        )
    return found


def override_remove(*, actor: Actor, override_id: int, reason: str) -> None:
    _require_manage(actor)
    reason = reason.replace("\x00", "")  # PostgreSQL text holds no NUL
    if not reason.strip():
        raise OverrideError("Reason: say why the override is removed.")
    with transaction.atomic():
        found = CategoryOverride.objects.filter(workspace=actor.workspace, pk=override_id).first()
        if found is None:
            raise OverrideError("No such override in this workspace.")
        audit_record(
            action=AuditAction.SETTING_CHANGED,
            actor=actor,
            workspace=actor.workspace,
            model="denials.CategoryOverride",
            record_ids=[found.pk],
            reason=reason.strip()[:200],
            detail={
                "carc": found.carc,
                "group": found.group_code,
                "category": [found.category, None],
            },
        )
        found.delete()


def override_list(*, actor: Actor) -> list[CategoryOverride]:
    """The workspace's overrides: workspace configuration (no PHI), readable with setup.view on
    any practice, like the workspace's other settings."""
    if not actor.can(Capability.SETUP_VIEW):
        raise CapabilityDenied(Capability.SETUP_VIEW)
    return list(
        CategoryOverride.objects.filter(workspace=actor.workspace).select_related("created_by")
    )


def default_table(*, actor: Actor) -> list[CarcCategory]:
    """The shipped CARC → category table the page shows beside the overrides (reference data,
    no PHI), read with setup.view like the overrides."""
    if not actor.can(Capability.SETUP_VIEW):
        raise CapabilityDenied(Capability.SETUP_VIEW)
    return list(CarcCategory.objects.all())
