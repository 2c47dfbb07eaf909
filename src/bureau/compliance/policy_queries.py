"""What the policy pages read: every policy with its review date, attestation progress and the
retention of its versions; one policy's versions with who attested which when; and a person's
policies still to acknowledge. Each record a URL names is found in the actor's workspace only,
so another workspace's answers exactly like a missing one. Control data: no PHI."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.http import Http404

from bureau.accounts.models import User
from bureau.compliance.models.policies import Attestation, Policy, PolicyReview, PolicyVersion
from bureau.compliance.policies import (
    PolicyReviewDue,
    Retention,
    attestation_gaps,
    policy_review_schedule,
    retention_of,
)
from bureau.compliance.workforce import workforce_members
from bureau.tenancy.actor import Actor


def _uuid(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value)[:80])
    except ValueError as exc:
        raise Http404 from exc


def policy_of(actor: Actor, public_id: Any) -> Policy:
    found = (
        Policy.objects.select_related("owner", "current_version")
        .defer("current_version__document")
        .filter(workspace=actor.workspace, public_id=_uuid(public_id))
        .first()
    )
    if found is None:
        raise Http404
    return found


def version_of(actor: Actor, public_id: Any) -> PolicyVersion:
    found = (
        PolicyVersion.objects.select_related("policy")
        .filter(policy__workspace=actor.workspace, public_id=_uuid(public_id))
        .first()
    )
    if found is None:
        raise Http404
    return found


@dataclass(frozen=True)
class VersionRow:
    version: PolicyVersion
    retention: Retention
    attested: int

    @property
    def purged(self) -> bool:
        return self.version.purged_at is not None

    def purgeable(self, today: date) -> bool:
        on = self.retention.purgeable_on
        return not self.purged and on is not None and today >= on


@dataclass(frozen=True)
class PolicyRow:
    policy: Policy
    review: PolicyReviewDue | None
    workforce: int
    missing: list[User]
    versions: list[VersionRow]

    @property
    def attested(self) -> int:
        return self.workforce - len(self.missing)

    def purgeable(self, today: date) -> list[VersionRow]:
        return [v for v in self.versions if v.purgeable(today)]

    @property
    def kept_until(self) -> date | None:
        """The earliest day an earlier version may go (None: nothing waits to be purged)."""
        days = [
            v.retention.purgeable_on
            for v in self.versions
            if not v.purged and v.retention.purgeable_on is not None
        ]
        return min(days) if days else None


def _versions(policies: list[Policy]) -> dict[int, list[VersionRow]]:
    versions: dict[int, list[PolicyVersion]] = defaultdict(list)
    for version in (
        PolicyVersion.objects.filter(policy__in=policies)
        .select_related("published_by", "purged_by")
        .defer("document")
    ):
        versions[version.policy_id].append(version)
    counts: dict[int, int] = defaultdict(int)
    for version_id in Attestation.objects.filter(version__policy__in=policies).values_list(
        "version_id", flat=True
    ):
        counts[version_id] += 1
    found: dict[int, list[VersionRow]] = {}
    for policy_id, rows in versions.items():
        retention = retention_of(rows)
        found[policy_id] = [
            VersionRow(v, retention[v.pk], counts[v.pk])
            for v in sorted(rows, key=lambda v: -v.number)
        ]
    return found


def policy_rows(actor: Actor, today: date) -> list[PolicyRow]:
    """Every policy of the workspace, by title."""
    workspace = actor.workspace
    policies = list(
        Policy.objects.filter(workspace=workspace)
        .select_related("owner", "current_version")
        .defer("current_version__document")
    )
    reviews = {r.policy.pk: r for r in policy_review_schedule(workspace, today)}
    gaps = {g.policy.pk: g.missing for g in attestation_gaps(workspace)}
    workforce = len(workforce_members(workspace))
    versions = _versions(policies)
    return [
        PolicyRow(
            policy=p,
            review=reviews.get(p.pk),
            workforce=workforce if p.current_version_id else 0,
            missing=gaps.get(p.pk, []),
            versions=versions.get(p.pk, []),
        )
        for p in sorted(policies, key=lambda p: p.title.lower())
    ]


def policy_row(actor: Actor, policy: Policy, today: date) -> PolicyRow:
    found = next((r for r in policy_rows(actor, today) if r.policy.pk == policy.pk), None)
    if found is None:
        raise Http404
    return found


def attestations_of(policy: Policy) -> dict[int, list[Attestation]]:
    """Who acknowledged each version of the policy, and when, by version id (newest first)."""
    found: dict[int, list[Attestation]] = defaultdict(list)
    for row in Attestation.objects.filter(version__policy=policy).select_related("user"):
        found[row.version_id].append(row)
    return found


def reviews_of(policy: Policy) -> list[PolicyReview]:
    return list(
        PolicyReview.objects.filter(version__policy=policy).select_related("version", "reviewed_by")
    )


# -- a person's own -----------------------------------------------------------------------------
def pending_count(user: User) -> int:
    """How many policies' current versions `user` has not acknowledged: one query, for the
    home page."""
    if user.workspace_id is None:
        return 0
    return (
        Policy.objects.filter(workspace_id=user.workspace_id, current_version__isnull=False)
        .exclude(current_version__attestations__user=user)
        .count()
    )


@dataclass(frozen=True)
class MyPolicy:
    policy: Policy
    version: PolicyVersion
    acknowledged: Attestation | None


def my_policies(user: User) -> list[MyPolicy]:
    """Every current policy, the ones `user` still has to acknowledge first."""
    if user.workspace_id is None:
        return []
    policies = list(
        Policy.objects.filter(workspace_id=user.workspace_id, current_version__isnull=False)
        .select_related("current_version", "owner")
        .defer("current_version__document")
    )
    mine = {
        a.version_id: a
        for a in Attestation.objects.filter(
            user=user, version_id__in=[p.current_version_id for p in policies]
        )
    }
    rows = []
    for policy in policies:
        version = policy.current_version
        assert version is not None
        rows.append(MyPolicy(policy, version, mine.get(version.pk)))
    return sorted(rows, key=lambda r: (r.acknowledged is not None, r.policy.title.lower()))
