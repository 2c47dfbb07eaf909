"""The authorization matrix's records for the training and policy URLs (compliance: training
and policies): one of each kind in every workspace, Summit's from the demo seed and Harbor's
made here (once per test), with who may open each.

These are the workspace's own records, not a practice's: the program's readers
(`compliance.view` on every practice; in the seed, only all-practices grants carry it) open
their own workspace's; a person's own pages (documents to read, acknowledgements) are any
member of the workforce's; another workspace's answer like missing ones."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from bureau.accounts.models import User
from bureau.compliance.models.policies import Policy
from bureau.compliance.models.training import Course, CourseKind, TrainingCompletion
from bureau.compliance.policies import policy_create
from bureau.compliance.training import training_completion_record
from bureau.compliance.workforce import workforce_members
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability

RECORDS = frozenset({"course", "completion", "policy", "policy_version", "policy_document"})
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
HARBOR_COURSE = "Harbor annual HIPAA"
HARBOR_POLICY = "Harbor privacy policy"


def _harbor() -> dict[str, Any]:
    workspace = Workspace.objects.get(slug="harbor")
    hank = User.objects.get(username="hank.harbor")
    actor = resolve_actor(hank)
    assert actor is not None
    today = timezone.localdate()
    course = Course.objects.filter(workspace=workspace, title=HARBOR_COURSE).first()
    if course is None:
        course = Course.objects.create(
            workspace=workspace, title=HARBOR_COURSE, kind=CourseKind.ANNUAL_HIPAA.value
        )
    completion = TrainingCompletion.objects.filter(course=course).first()
    if completion is None:
        completion = training_completion_record(
            actor=actor,
            user=hank,
            course=course,
            completed_on=today,
            today=today,
            certificate=PDF,
            certificate_filename="hank.pdf",
        )
    policy = Policy.objects.filter(workspace=workspace, title=HARBOR_POLICY).first()
    if policy is None:
        policy = policy_create(
            actor=actor,
            title=HARBOR_POLICY,
            owner=hank,
            document=PDF,
            filename="harbor-privacy.pdf",
            effective_on=today,
            today=today,
        )
    return _kinds(course, completion, policy)


def _summit() -> dict[str, Any]:
    workspace = Workspace.objects.get(slug="summit")
    course = Course.objects.filter(workspace=workspace).order_by("id").first()
    completion = (
        TrainingCompletion.objects.filter(course__workspace=workspace)
        .exclude(certificate_sha256="")
        .order_by("id")
        .first()
    )
    policy = Policy.objects.get(workspace=workspace, title="Security policy")
    assert course is not None and completion is not None, "the demo seeds training"
    return _kinds(course, completion, policy)


def _kinds(course: Course, completion: TrainingCompletion, policy: Policy) -> dict[str, Any]:
    version = policy.current_version
    assert version is not None
    return {
        "course": course.public_id,
        "completion": completion.public_id,
        "policy": policy.public_id,
        # The current version: a purge is refused (in effect), an acknowledgement is the user's.
        "policy_version": version.public_id,
        "policy_document": version.public_id,
    }


def _is_workforce(user: User) -> bool:
    return user.workspace is not None and bool(workforce_members(user.workspace, user=user))


def workforce_records(spec: Any, world: Any) -> list[tuple[str, Any, bool]]:
    """(label, value, allowed) for each workspace's record of `spec.record`."""
    rows = []
    reads = world.holds_anywhere((Capability.COMPLIANCE_VIEW,))
    for slug, records in (("summit", _summit()), ("harbor", _harbor())):
        same = world.user.workspace is not None and world.user.workspace.slug == slug
        if spec.record == "policy_document":
            allowed = same and (reads or _is_workforce(world.user))
        elif spec.access == "verified":
            allowed = same
        else:
            allowed = same and world.holds_anywhere(spec.needs)
        rows.append((f"{spec.record} of {slug}", records[spec.record], allowed))
    return rows
