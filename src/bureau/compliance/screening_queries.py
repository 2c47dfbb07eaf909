"""Reads of exclusion screening for its pages: the list's imports, the runs kept as evidence, the
hits as the officer's work list, and what a hit's page puts side by side.

Screening is the billing company's own program over its whole workforce and every client's
providers: only an actor who sees the whole program (`compliance.view` on every practice,
`compliance.access.sees_whole_program`) reads it. Anyone else, and any record of another
workspace, gets the 404 of a missing record (`Http404`, same words).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import QuerySet
from django.http import Http404

from bureau.compliance.access import sees_whole_program
from bureau.compliance.models.screening import (
    ExclusionListImport,
    HitStatus,
    ScreeningHit,
    ScreeningProfile,
    ScreeningRun,
)
from bureau.compliance.screening import provider_subject, user_subject
from bureau.tenancy.actor import Actor

RECENT_IMPORTS = 24  # two years of monthly files, and then some
RECENT_RUNS = 24


def require_screening_reader(actor: Actor) -> None:
    if not sees_whole_program(actor):
        raise Http404


def _uuid(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value)[:80])
    except ValueError:
        raise Http404 from None


def imports_recent(actor: Actor) -> list[ExclusionListImport]:
    require_screening_reader(actor)
    return list(
        ExclusionListImport.objects.filter(workspace=actor.workspace)
        .select_related("imported_by")
        .order_by("-imported_at", "-id")[:RECENT_IMPORTS]
    )


def runs_recent(actor: Actor) -> list[ScreeningRun]:
    require_screening_reader(actor)
    return list(
        ScreeningRun.objects.filter(workspace=actor.workspace)
        .select_related("ran_by")
        .prefetch_related("imports")
        .order_by("-ran_at", "-id")[:RECENT_RUNS]
    )


def _hits(actor: Actor) -> QuerySet[ScreeningHit]:
    return ScreeningHit.objects.filter(workspace=actor.workspace).select_related(
        "entry", "run", "user", "provider", "provider__practice", "resolved_by"
    )


def open_hits(actor: Actor) -> list[ScreeningHit]:
    """The officer's work list: hits not yet resolved, likeliest first, oldest first within.
    Each carries `before`: the latest earlier resolution of the same person and listing (a
    confirmed or undetermined match is raised again by every run), or None."""
    require_screening_reader(actor)
    hits = list(_hits(actor).filter(status=HitStatus.OPEN).order_by("-score", "run__ran_at", "id"))
    earlier: dict[tuple[int | None, int | None, str], ScreeningHit] = {}
    resolved = (
        ScreeningHit.objects.filter(
            workspace=actor.workspace,
            entry_identity__in={h.entry_identity for h in hits},
            resolved_at__isnull=False,
        )
        .select_related("resolved_by")
        .order_by("resolved_at", "id")
    )
    for hit in resolved:
        earlier[(hit.user_id, hit.provider_id, hit.entry_identity)] = hit  # the latest wins
    for hit in hits:
        hit.before = earlier.get((hit.user_id, hit.provider_id, hit.entry_identity))  # type: ignore[attr-defined]
    return hits


def undetermined_hits(actor: Actor) -> list[ScreeningHit]:
    """Resolved as "unable to determine": raised again by every run until settled."""
    require_screening_reader(actor)
    return list(_hits(actor).filter(status=HitStatus.UNABLE).order_by("-resolved_at", "-id")[:50])


def run_get(actor: Actor, public_id: Any) -> ScreeningRun:
    require_screening_reader(actor)
    run = (
        ScreeningRun.objects.filter(workspace=actor.workspace, public_id=_uuid(public_id))
        .select_related("ran_by")
        .prefetch_related("imports", "imports__imported_by")
        .first()
    )
    if run is None:
        raise Http404
    return run


def run_hits(run: ScreeningRun) -> list[ScreeningHit]:
    return list(
        ScreeningHit.objects.filter(workspace_id=run.workspace_id, run=run)
        .select_related("entry", "user", "provider", "provider__practice", "resolved_by")
        .order_by("-score", "subject_label", "id")
    )


def hit_get(actor: Actor, public_id: Any) -> ScreeningHit:
    require_screening_reader(actor)
    hit = _hits(actor).filter(public_id=_uuid(public_id)).first()
    if hit is None:
        raise Http404
    return hit


@dataclass(frozen=True)
class SubjectFacts:
    """What Bureau knows of the person or organization a hit is about, for comparing with the
    LEIE entry line by line."""

    kind: str  # "Staff user" or "Provider"
    name: str
    first_name: str
    last_name: str
    npi: str
    dob: date | None
    former_last_names: str
    detail: list[tuple[str, str]]  # other facts (login, practice, active...)


def subject_facts(hit: ScreeningHit) -> SubjectFacts:
    """The names as screening reads them (`user_subject`/`provider_subject`: a display name
    split, titles dropped), beside the rest of the person's record."""
    if hit.user is not None:
        user = hit.user
        profile = ScreeningProfile.objects.filter(user=user).first()
        screened = user_subject(user, profile)
        return SubjectFacts(
            kind="Staff user",
            name=user.display_name,
            first_name=screened.first_name,
            last_name=screened.last_name,
            npi="",
            dob=profile.date_of_birth if profile else None,
            former_last_names=profile.former_last_names if profile else "",
            detail=[
                ("Login", user.username),
                ("Title", getattr(user, "title", "") or "—"),
                ("Active", "yes" if user.is_active else "no"),
            ],
        )
    provider = hit.provider
    assert provider is not None  # a hit names a user or a provider (check constraint)
    profile = ScreeningProfile.objects.filter(provider=provider).first()
    screened = provider_subject(provider, profile)
    return SubjectFacts(
        kind="Provider",
        name=provider.name,
        first_name=screened.first_name,
        last_name=screened.last_name,
        npi=provider.npi,
        dob=profile.date_of_birth if profile else None,
        former_last_names=profile.former_last_names if profile else "",
        detail=[
            ("Practice", provider.practice.name),
            ("Kind", provider.get_kind_display()),
            ("Active", "yes" if provider.is_active else "no"),
        ],
    )
