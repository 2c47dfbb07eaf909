"""Screening the workspace's staff and providers against the exclusion list, and resolving hits.

`screen` runs monthly (a scheduled task) and when a user or provider is created: it streams the
entries in force once, looks each up among the subjects by NPI and by every last name a subject
could be listed under, and raises a hit per match (`matching.match` decides). A match already
open, or resolved as a false positive for the same subject and listing, is not raised again;
one confirmed or left undetermined is raised again, so each month's run shows it.

Users carry no date of birth and no NPI: staff are screened by name, with the date of birth
and former last names of their `ScreeningProfile` when the officer recorded one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.compliance.exclusion_lists import in_force, lock_screening
from bureau.compliance.matching import (
    Listed,
    Match,
    Subject,
    fold,
    last_name_keys,
    match,
    split_person_name,
)
from bureau.compliance.models.screening import (
    ExclusionEntry,
    ExclusionListImport,
    HitStatus,
    ListKind,
    RunScope,
    ScreeningHit,
    ScreeningProfile,
    ScreeningRun,
)
from bureau.directory.models import Provider, ProviderKind
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability

if TYPE_CHECKING:
    from bureau.tenancy.actor import Actor

ON_CREATION_LABEL = "system (screening on creation)"

# Resolved this way, a match stays quiet in later runs (an open one is not duplicated).
NOT_RAISED_AGAIN = (HitStatus.OPEN, HitStatus.FALSE_POSITIVE)
OUTCOMES = (HitStatus.CONFIRMED, HitStatus.FALSE_POSITIVE, HitStatus.UNABLE)


class NoExclusionList(ValueError):
    """Nothing to screen against: no list has been imported into the workspace."""


class HitAlreadyResolved(ValueError):
    pass


def user_subject(user: User, profile: ScreeningProfile | None = None) -> Subject:
    first, last = user.first_name, user.last_name
    if not (first and last):
        first, last = split_person_name(user.full_name or f"{first} {last}")
    return Subject(
        kind="user",
        pk=user.pk,
        label=user.display_name,
        first_name=first,
        last_name=last,
        dob=profile.date_of_birth if profile else None,
        former_last_names=profile.former_names() if profile else (),
    )


def provider_subject(provider: Provider, profile: ScreeningProfile | None = None) -> Subject:
    if provider.kind == ProviderKind.ORGANIZATION:
        return Subject(
            kind="provider",
            pk=provider.pk,
            label=provider.name,
            first_name="",
            last_name="",
            npi=provider.npi,
            business_name=provider.name,
        )
    first, last = provider.first_name, provider.last_name
    if not (first and last):
        first, last = split_person_name(provider.name)
    return Subject(
        kind="provider",
        pk=provider.pk,
        label=provider.name,
        first_name=first,
        last_name=last,
        npi=provider.npi,
        dob=profile.date_of_birth if profile else None,
        former_last_names=profile.former_names() if profile else (),
    )


def _subjects(
    workspace: Workspace, chosen: Iterable[User | Provider] | None
) -> tuple[list[Subject], int, int]:
    """The subjects to screen, with the counts of users and providers among them."""
    if chosen is None:
        users = list(User.objects.filter(workspace=workspace, is_active=True))
        providers = list(Provider.objects.filter(workspace=workspace, is_active=True))
    else:
        picked = list(chosen)
        users = [s for s in picked if isinstance(s, User) and s.workspace_id == workspace.pk]
        providers = [
            s for s in picked if isinstance(s, Provider) and s.workspace_id == workspace.pk
        ]
    profiles = ScreeningProfile.objects.filter(workspace=workspace)
    by_user = {p.user_id: p for p in profiles if p.user_id}
    by_provider = {p.provider_id: p for p in profiles if p.provider_id}
    subjects = [user_subject(u, by_user.get(u.pk)) for u in users]
    subjects += [provider_subject(p, by_provider.get(p.pk)) for p in providers]
    return subjects, len(users), len(providers)


class _Index:
    """The subjects by NPI, by every last name they could be listed under, and by business
    name: each entry of the list is looked up once."""

    def __init__(self, subjects: Sequence[Subject]):
        self.by_npi: dict[str, list[Subject]] = defaultdict(list)
        self.by_last: dict[str, list[Subject]] = defaultdict(list)
        self.by_business: dict[str, list[Subject]] = defaultdict(list)
        for subject in subjects:
            if subject.npi:
                self.by_npi[subject.npi].append(subject)
            if subject.business_name:
                self.by_business[fold(subject.business_name)].append(subject)
            for key in subject.lookup_keys():
                self.by_last[key].append(subject)

    def candidates(self, listed: Listed, last_key: str) -> list[Subject]:
        """Subjects worth matching against `listed` (its folded last name: `last_key`)."""
        found: dict[tuple[str, int], Subject] = {}
        pools = [self.by_npi.get(listed.npi, []) if listed.npi else []]
        if "-" in listed.last_name:
            pools += [self.by_last.get(key, []) for key in last_name_keys(listed.last_name)]
        else:
            pools.append(self.by_last.get(last_key, []))
        if listed.business_name:
            pools.append(self.by_business.get(fold(listed.business_name), []))
        for pool in pools:
            for subject in pool:
                found[(subject.kind, subject.pk)] = subject
        return list(found.values())


def _list_files(workspace: Workspace) -> list[ExclusionListImport]:
    """The files the list in force is made of: the latest full list and every file after it."""
    files = ExclusionListImport.objects.filter(workspace=workspace).order_by("id")
    latest_full = files.filter(kind=ListKind.FULL).order_by("-id").first()
    if latest_full is not None:
        files = files.filter(id__gte=latest_full.pk)
    return list(files)


def _hit(
    run: ScreeningRun, subject: Subject, entry_id: int, identity: str, found: Match
) -> ScreeningHit:
    return ScreeningHit(
        workspace_id=run.workspace_id,
        run=run,
        user_id=subject.pk if subject.kind == "user" else None,
        provider_id=subject.pk if subject.kind == "provider" else None,
        subject_label=subject.label[:200],
        entry_id=entry_id,
        entry_identity=identity,
        basis=str(found.basis),
        score=found.score,
        why=found.why[:200],
    )


@transaction.atomic
def screen(
    workspace: Workspace,
    *,
    actor: Actor | None,
    subjects: Iterable[User | Provider] | None = None,
    label: str = "system (screening)",
) -> ScreeningRun:
    """Screen `subjects` (default: every active user and provider of the workspace) against
    the entries in force; one run kept as evidence, with its audit event. `actor` None: the
    system (monthly task, creation of a user or provider, the command), named by `label`."""
    if actor is not None and (
        actor.workspace.pk != workspace.pk or not actor.can_workspace(Capability.COMPLIANCE_MANAGE)
    ):
        raise CapabilityDenied(Capability.COMPLIANCE_MANAGE)
    lock_screening(workspace)  # two runs at once would both raise the same open hit
    files = _list_files(workspace)
    if not files:
        raise NoExclusionList(
            "no exclusion list imported yet: import the LEIE file first "
            "(bureau compliance leie-import FILE)"
        )
    screened, users, providers = _subjects(workspace, subjects)
    run = ScreeningRun.objects.create(
        workspace=workspace,
        ran_at=timezone.now(),
        ran_by=actor.user if actor else None,
        ran_by_label=(actor.label if actor else label)[:200],
        scope=RunScope.EVERYONE if subjects is None else RunScope.SOME,
        users_screened=users,
        providers_screened=providers,
    )
    run.imports.set(files)
    quiet = {
        (("user", u) if u else ("provider", p), identity)
        for u, p, identity in ScreeningHit.objects.filter(
            workspace=workspace, status__in=NOT_RAISED_AGAIN
        ).values_list("user_id", "provider_id", "entry_identity")
    }
    index = _Index(screened)
    hits: list[ScreeningHit] = []
    # Plain tuples, not model instances: the full list is some 80,000 rows a run.
    entries = (
        ExclusionEntry.objects.filter(in_force(workspace))
        .order_by("id")
        .values_list(
            "id", "identity", "last_key", "first_name", "last_name", "business_name", "npi", "dob"
        )
    )
    for entry_id, identity, last_key, first, last, business, npi, dob in entries.iterator(
        chunk_size=2000
    ):
        run.entries_in_force += 1
        listed = Listed(first_name=first, last_name=last, business_name=business, npi=npi, dob=dob)
        for subject in index.candidates(listed, last_key):
            found = match(subject, listed)
            if found is None:
                continue
            key = ((subject.kind, subject.pk), identity)
            if key in quiet:
                run.hits_suppressed += 1
                continue
            quiet.add(key)  # the same listing twice in the file: one hit
            hits.append(_hit(run, subject, entry_id, identity, found))
    ScreeningHit.objects.bulk_create(hits, batch_size=500)
    run.hits = len(hits)
    run.save()
    audit_record(
        action=AuditAction.SCREENING_RUN,
        actor=actor,
        workspace=workspace,
        model="compliance.ScreeningRun",
        record_ids=[run.public_id],
        label="" if actor else label,
        detail={
            "files": [{"file": f.file_name, "kind": f.kind, "sha256": f.sha256} for f in files],
            "entries_in_force": run.entries_in_force,
            "users_screened": users,
            "providers_screened": providers,
            "hits": run.hits,
            "hits_suppressed": run.hits_suppressed,
        },
    )
    return run


def screen_one(subject: User | Provider) -> ScreeningRun | None:
    """Screen one person just created (a staff user, a provider) against the list in force: a
    run of one subject, with its hits, kept as evidence like any other. None, and no error,
    while the workspace has no list imported (the dashboard shows that gap).

    Called by `accounts.services.user_create` and `directory.services.provider_create` inside
    their own transaction, so the person and their screening commit together or not at all:
    no one is created unscreened because a worker was down or a queued task was lost, and the
    creation's page already shows the hit. It costs one pass over the list in force (about
    80,000 rows of the real list, well under a second), once per person created."""
    workspace_id = subject.workspace_id
    if workspace_id is None:  # an operator account outside every workspace: not staff
        return None
    if not ExclusionListImport.objects.filter(workspace_id=workspace_id).exists():
        return None
    workspace = Workspace.objects.get(pk=workspace_id)
    return screen(workspace, actor=None, subjects=[subject], label=ON_CREATION_LABEL)


@transaction.atomic
def resolve_hit(actor: Actor, hit: ScreeningHit, outcome: str, reason: str) -> ScreeningHit:
    """Resolve an open (or undetermined) hit as confirmed, false positive or unable to
    determine, with a reason. Only compliance.manage; a hit of another workspace is refused
    as if it did not exist (CapabilityDenied, which views answer with 404)."""
    if actor.workspace.pk != hit.workspace_id or not actor.can_workspace(
        Capability.COMPLIANCE_MANAGE
    ):
        raise CapabilityDenied(Capability.COMPLIANCE_MANAGE)
    if outcome not in OUTCOMES:
        raise ValueError(f"{outcome!r} is not an outcome: confirmed, false_positive or unable")
    reason = reason.strip()
    if not reason:
        raise ValueError("a reason is required to resolve a screening hit")
    locked = ScreeningHit.objects.select_for_update().get(pk=hit.pk)
    if locked.status not in (HitStatus.OPEN, HitStatus.UNABLE):
        raise HitAlreadyResolved(f"this hit is already resolved ({locked.get_status_display()})")
    before = locked.status
    locked.status = outcome
    locked.resolution_reason = reason
    locked.resolved_by = actor.user
    locked.resolved_at = timezone.now()
    locked.save(update_fields=["status", "resolution_reason", "resolved_by", "resolved_at"])
    audit_record(
        action=AuditAction.SCREENING_HIT_RESOLVED,
        actor=actor,
        model="compliance.ScreeningHit",
        record_ids=[locked.public_id],
        reason=reason,
        detail={
            "subject": locked.subject_label,
            "entry": str(locked.entry),
            "basis": locked.basis,
            "score": locked.score,
            "from": str(before),
            "to": str(outcome),
        },
    )
    return locked
