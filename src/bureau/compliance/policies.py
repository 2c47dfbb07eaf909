"""Policies and procedures (45 CFR 164.316): publishing versions, the annual review, the
workforce's attestations, and the six-year retention of every version.

A version is in effect from its `effective_on` until the day before the next version's; the
newest version published is the policy's current one, which the workforce attests to (even
ahead of its effective date). Review is due twelve months after the later of the current
version's effective date and its last review. A version may be purged six years after it was
last in effect (164.316(b)(2)), never while it is in effect.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.compliance.evidence_documents import (
    MAX_POLICY_BYTES,
    DocumentError,
    DocumentKind,
    accept_document,
)
from bureau.compliance.models.policies import Attestation, Policy, PolicyReview, PolicyVersion
from bureau.compliance.training import require_manage
from bureau.compliance.workforce import months_after, workforce_members, years_after
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability

REVIEW_MONTHS = 12
REVIEW_SOON_DAYS = 30
RETENTION_YEARS = 6
MAX_TITLE = 200
MAX_TEXT = 5_000
# Scheduling a version further ahead than this is most likely a typing slip.
MAX_DAYS_AHEAD = 366


class PolicyError(ValueError):
    """A request refused, with a message for the person who made it."""


class ReviewStatus(StrEnum):
    OVERDUE = "overdue"
    DUE = "due"
    OK = "ok"


# -- reads --------------------------------------------------------------------------------------
def last_in_effect(version: PolicyVersion) -> date | None:
    """The last day the version was in effect: the day before the next version took effect.
    None while no later version exists (it is in effect, or will be)."""
    successor = (
        PolicyVersion.objects.filter(policy_id=version.policy_id, number__gt=version.number)
        .order_by("number")
        .first()
    )
    return successor.effective_on - timedelta(days=1) if successor else None


def purgeable_on(version: PolicyVersion) -> date | None:
    """The first day the version may be purged; None while it has no successor."""
    last = last_in_effect(version)
    return years_after(last, RETENTION_YEARS) if last else None


@dataclass(frozen=True)
class Retention:
    """A version's place in the retention rule: the last day it was in effect (None while it
    is current) and the first day it may be purged (None: not while it is in effect)."""

    last_in_effect: date | None
    purgeable_on: date | None


def retention_of(versions: list[PolicyVersion]) -> dict[int, Retention]:
    """`last_in_effect` and `purgeable_on` for every version of one policy at once, from the
    versions themselves (no query per version), by version id."""
    ordered = sorted(versions, key=lambda v: v.number)
    found = {}
    for version, successor in zip(ordered, [*ordered[1:], None], strict=True):
        last = successor.effective_on - timedelta(days=1) if successor else None
        found[version.pk] = Retention(last, years_after(last, RETENTION_YEARS) if last else None)
    return found


@dataclass(frozen=True)
class PolicyReviewDue:
    policy: Policy
    version: PolicyVersion
    due_on: date
    last_reviewed_on: date | None
    status: ReviewStatus


def review_due_on(version: PolicyVersion, last_reviewed_on: date | None) -> date:
    start = max(version.effective_on, last_reviewed_on or version.effective_on)
    return months_after(start, REVIEW_MONTHS)


def policy_review_schedule(workspace: Workspace, today: date) -> list[PolicyReviewDue]:
    """Every policy's next review, soonest (most overdue) first. Two queries."""
    policies = list(
        Policy.objects.filter(workspace=workspace, current_version__isnull=False)
        .select_related("current_version", "owner")
        .defer("current_version__document")
    )
    reviewed = dict(
        PolicyReview.objects.filter(version_id__in=[p.current_version_id for p in policies])
        .values("version_id")
        .annotate(last=Max("reviewed_on"))
        .values_list("version_id", "last")
    )
    rows = []
    for policy in policies:
        version = policy.current_version
        assert version is not None
        last = reviewed.get(version.pk)
        due = review_due_on(version, last)
        if today > due:
            status = ReviewStatus.OVERDUE
        elif (due - today).days <= REVIEW_SOON_DAYS:
            status = ReviewStatus.DUE
        else:
            status = ReviewStatus.OK
        rows.append(PolicyReviewDue(policy, version, due, last, status))
    return sorted(rows, key=lambda r: (r.due_on, r.policy.title.lower()))


def reviews_due(workspace: Workspace, today: date) -> list[PolicyReviewDue]:
    """The policies whose review is overdue or due within `REVIEW_SOON_DAYS`."""
    return [r for r in policy_review_schedule(workspace, today) if r.status != ReviewStatus.OK]


@dataclass(frozen=True)
class AttestationGap:
    policy: Policy
    version: PolicyVersion
    missing: list[User]


def attestation_gaps(workspace: Workspace) -> list[AttestationGap]:
    """For each policy, the workforce members who have not acknowledged its current version
    (policies everyone acknowledged are left out). Four queries."""
    policies = list(
        Policy.objects.filter(workspace=workspace, current_version__isnull=False)
        .select_related("current_version")
        .defer("current_version__document")
    )
    members = workforce_members(workspace)
    acknowledged: dict[int, set[int]] = defaultdict(set)
    for version_id, user_id in Attestation.objects.filter(
        version_id__in=[p.current_version_id for p in policies]
    ).values_list("version_id", "user_id"):
        acknowledged[version_id].add(user_id)
    gaps = []
    for policy in policies:
        version = policy.current_version
        assert version is not None
        missing = [m.user for m in members if m.user.pk not in acknowledged[version.pk]]
        if missing:
            gaps.append(AttestationGap(policy, version, missing))
    return gaps


# -- writes -------------------------------------------------------------------------------------
def _text(value: str, what: str, limit: int) -> str:
    value = value.strip()
    if len(value) > limit:
        raise PolicyError(f"The {what} is too long ({limit} characters at most).")
    return value


def _owner(actor: Actor, owner: User) -> User:
    if owner.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("owner outside the workspace")
    if not owner.is_active:
        raise PolicyError(f"{owner.display_name}'s login is inactive: choose an active owner.")
    return owner


def _publish(
    actor: Actor,
    policy: Policy,
    *,
    document: bytes,
    filename: str,
    effective_on: date,
    summary: str,
    today: date,
) -> PolicyVersion:
    """The next version of the (locked) policy, made current, audited."""
    previous = policy.current_version
    if previous is not None and effective_on <= previous.effective_on:
        raise PolicyError(
            f"Version {previous.number} took effect on {previous.effective_on}: "
            "the new version must take effect after it."
        )
    if effective_on > today + timedelta(days=MAX_DAYS_AHEAD):
        raise PolicyError(f"{effective_on} is more than a year ahead.")
    summary = _text(summary, "summary of changes", MAX_TEXT)
    if previous is not None and not summary:
        raise PolicyError("Say what changed from the previous version.")
    try:
        accepted = accept_document(
            document,
            filename,
            allowed=frozenset({DocumentKind.PDF}),
            max_bytes=MAX_POLICY_BYTES,
            what="policy document",
        )
    except DocumentError as exc:
        raise PolicyError(str(exc)) from exc
    number = (previous.number if previous else 0) + 1
    version = PolicyVersion.objects.create(
        policy=policy,
        number=number,
        effective_on=effective_on,
        document=accepted.content,
        document_sha256=accepted.sha256,
        document_filename=accepted.filename,
        summary=summary,
        published_by=actor.user,
    )
    policy.current_version = version
    policy.save(update_fields=["current_version"])
    audit_record(
        action=AuditAction.POLICY_PUBLISHED,
        actor=actor,
        model="compliance.PolicyVersion",
        record_ids=[version.public_id],
        detail={
            "policy": policy.title,
            "version": number,
            "effective_on": effective_on.isoformat(),
            "sha256": accepted.sha256,
            "filename": accepted.filename,
            "previous_version": previous.number if previous else None,
        },
    )
    return version


@transaction.atomic
def policy_create(
    *,
    actor: Actor,
    title: str,
    owner: User,
    document: bytes,
    filename: str,
    effective_on: date,
    today: date,
    summary: str = "",
) -> Policy:
    """A new policy and its first version."""
    require_manage(actor)
    title = " ".join(title.split())
    if not title:
        raise PolicyError("A policy needs a title.")
    if len(title) > MAX_TITLE:
        raise PolicyError(f"The title is too long ({MAX_TITLE} characters at most).")
    if Policy.objects.filter(workspace=actor.workspace, title__iexact=title).exists():
        raise PolicyError(f"A policy named {title!r} exists already: publish a new version.")
    policy = Policy.objects.create(
        workspace=actor.workspace, title=title, owner=_owner(actor, owner)
    )
    _publish(
        actor,
        policy,
        document=document,
        filename=filename,
        effective_on=effective_on,
        summary=summary,
        today=today,
    )
    return policy


def _locked_policy(actor: Actor, policy: Policy) -> Policy:
    locked = (
        # Only the policy row is locked: its current version is an outer join.
        Policy.objects.select_for_update(of=("self",))
        .filter(pk=policy.pk, workspace=actor.workspace)
        .select_related("current_version")
        .first()
    )
    if locked is None:
        raise CapabilityDenied("policy outside the workspace")
    return locked


@transaction.atomic
def policy_version_publish(
    *,
    actor: Actor,
    policy: Policy,
    document: bytes,
    filename: str,
    effective_on: date,
    summary: str,
    today: date,
) -> PolicyVersion:
    """A new version of the policy: it becomes current, and everyone attests to it afresh."""
    require_manage(actor)
    locked = _locked_policy(actor, policy)
    return _publish(
        actor,
        locked,
        document=document,
        filename=filename,
        effective_on=effective_on,
        summary=summary,
        today=today,
    )


@transaction.atomic
def policy_review_record(
    *, actor: Actor, policy: Policy, reviewed_on: date, today: date, note: str = ""
) -> PolicyReview:
    """A review of the policy's current version (the annual review), which moves the next
    review twelve months on."""
    require_manage(actor)
    locked = _locked_policy(actor, policy)
    version = locked.current_version
    if version is None:
        raise PolicyError("The policy has no version to review.")
    if reviewed_on > today:
        raise PolicyError(f"The review date {reviewed_on} is in the future.")
    if reviewed_on < version.effective_on:
        raise PolicyError(
            f"Version {version.number} took effect on {version.effective_on}: "
            f"a review on {reviewed_on} was of an earlier version."
        )
    review = PolicyReview.objects.create(
        version=version,
        reviewed_on=reviewed_on,
        reviewed_by=actor.user,
        note=_text(note, "note", MAX_TEXT),
    )
    audit_record(
        action=AuditAction.POLICY_REVIEWED,
        actor=actor,
        model="compliance.PolicyReview",
        record_ids=[review.public_id],
        detail={
            "policy": locked.title,
            "version": version.number,
            "reviewed_on": reviewed_on.isoformat(),
            "next_review_on": review_due_on(version, reviewed_on).isoformat(),
        },
    )
    return review


@transaction.atomic
def policy_attest(*, actor: Actor, version: PolicyVersion) -> Attestation:
    """The actor acknowledges `version`, which must be its policy's current one. Every member
    of the workforce attests for themselves; no capability is needed, nor can anyone attest
    for another."""
    if version.policy.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("policy outside the workspace")
    policy = _locked_policy(actor, version.policy)
    if not workforce_members(actor.workspace, user=actor.user):
        raise PolicyError("Policies are acknowledged by the billing company's workforce.")
    current = policy.current_version
    if current is None or current.pk != version.pk:
        raise PolicyError(
            f"Version {version.number} of {policy.title!r} is no longer current: "
            f"acknowledge version {current.number if current else '?'}."
        )
    earlier = Attestation.objects.filter(user=actor.user, version=version).first()
    if earlier is not None:
        raise PolicyError(
            f"You acknowledged version {version.number} of {policy.title!r} on "
            f"{timezone.localtime(earlier.acknowledged_at):%Y-%m-%d %H:%M} already."
        )
    try:
        with transaction.atomic():
            attestation = Attestation.objects.create(user=actor.user, version=version)
    except IntegrityError as exc:  # a second click racing the first
        raise PolicyError(
            f"You acknowledged version {version.number} of {policy.title!r} already."
        ) from exc
    audit_record(
        action=AuditAction.POLICY_ATTESTED,
        actor=actor,
        model="compliance.Attestation",
        record_ids=[attestation.public_id],
        detail={"policy": policy.title, "version": version.number},
    )
    return attestation


@transaction.atomic
def purge_version(*, actor: Actor, version: PolicyVersion, today: date) -> PolicyVersion:
    """Clear the document of a version six years after it was last in effect. The row stays,
    with the document's SHA-256 and name, its reviews and attestations, as the record that it
    existed; the audit event says who purged it and when."""
    require_manage(actor)
    locked = (
        PolicyVersion.objects.select_for_update()
        .filter(pk=version.pk, policy__workspace=actor.workspace)
        .select_related("policy")
        .first()
    )
    if locked is None:
        raise CapabilityDenied("policy outside the workspace")
    name = f"Version {locked.number} of {locked.policy.title!r}"
    if locked.purged_at is not None:
        raise PolicyError(f"{name} was purged on {timezone.localdate(locked.purged_at)}.")
    last = last_in_effect(locked)
    if last is None or last >= today:
        raise PolicyError(
            f"{name} is still in effect: it is kept until {RETENTION_YEARS} years "
            "after it was last in effect (45 CFR 164.316(b)(2))."
        )
    allowed = years_after(last, RETENTION_YEARS)
    if today < allowed:
        raise PolicyError(
            f"{name} was last in effect on {last} and is kept {RETENTION_YEARS} years after "
            f"(45 CFR 164.316(b)(2)): it may be purged on or after {allowed}."
        )
    locked.document = None
    locked.purged_at = timezone.now()
    locked.purged_by = actor.user
    locked.save(update_fields=["document", "purged_at", "purged_by"])
    audit_record(
        action=AuditAction.POLICY_PURGED,
        actor=actor,
        model="compliance.PolicyVersion",
        record_ids=[locked.public_id],
        detail={
            "policy": locked.policy.title,
            "version": locked.number,
            "last_in_effect": last.isoformat(),
            "sha256": locked.document_sha256,
            "filename": locked.document_filename,
        },
    )
    return locked


# -- documents handed out -----------------------------------------------------------------------
def may_read_documents(actor: Actor) -> bool:
    """Policy documents are read by the whole workforce (each person attests to what they
    read) and by whoever reads the whole program; not by a client practice's viewer."""
    return actor.can_workspace(Capability.COMPLIANCE_VIEW) or bool(
        workforce_members(actor.workspace, user=actor.user)
    )


@transaction.atomic
def policy_document_download(*, actor: Actor, version: PolicyVersion) -> tuple[str, bytes]:
    """(file name, content) of a version's document, the download audited. Another
    workspace's version, a purged one, or a reader outside the workforce answers 404, alike."""
    if (
        version.policy.workspace_id != actor.workspace.pk
        or version.document is None
        or not may_read_documents(actor)
    ):
        raise Http404
    audit_record(
        action=AuditAction.POLICY_DOWNLOADED,
        actor=actor,
        model="compliance.PolicyVersion",
        record_ids=[version.public_id],
        detail={
            "policy": version.policy.title,
            "version": version.number,
            "filename": version.document_filename,
            "sha256": version.document_sha256,
        },
    )
    return version.document_filename, bytes(version.document)
