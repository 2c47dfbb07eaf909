"""The seeded demo holds the workforce part of a mid-year compliance program: two people
overdue on training, a policy due for its annual review, attestation gaps, and one old
version that may be purged beside one that may not."""

from __future__ import annotations

import pytest
from django.utils import timezone

from bureau.compliance.models.policies import Policy, PolicyVersion
from bureau.compliance.models.training import TrainingCompletion
from bureau.compliance.policies import (
    ReviewStatus,
    attestation_gaps,
    policy_review_schedule,
    purgeable_on,
)
from bureau.compliance.training import TrainingStatus, workforce_status
from bureau.tenancy.models import Workspace

pytestmark = pytest.mark.django_db


def summit() -> Workspace:
    return Workspace.objects.get(slug="summit")


def test_two_people_are_overdue_on_training_and_the_rest_have_evidence() -> None:
    today = timezone.localdate()
    rows = workforce_status(summit(), today)
    overdue = {r.user.username for r in rows if r.status == TrainingStatus.OVERDUE}
    assert overdue == {"dan.denials", "casey.contractor"}
    assert {r.course.title for r in rows if r.status == TrainingStatus.OVERDUE} == {
        "Annual HIPAA privacy and security"
    }
    # Most people are current, one is due within the month.
    assert sum(r.status == TrainingStatus.DONE for r in rows) > len(rows) // 2
    assert any(r.status == TrainingStatus.DUE for r in rows)
    completions = TrainingCompletion.objects.filter(course__workspace=summit())
    with_certificate = completions.exclude(certificate_sha256="").count()
    assert with_certificate > completions.count() // 2
    # The role-specific course applies to billers and posters only.
    role_people = {r.user.username for r in rows if r.course.kind == "role_specific"}
    assert {"bella.biller", "priya.poster"} <= role_people
    assert "carla.compliance" not in role_people


def test_policies_are_mid_year() -> None:
    today = timezone.localdate()
    policies = Policy.objects.filter(workspace=summit())
    assert policies.count() >= 5
    schedule = {r.policy.title: r.status for r in policy_review_schedule(summit(), today)}
    assert schedule["Security policy"] == ReviewStatus.DUE
    assert list(schedule.values()).count(ReviewStatus.OVERDUE) == 0
    gaps = {g.policy.title: {u.username for u in g.missing} for g in attestation_gaps(summit())}
    assert gaps == {"Security policy": {"casey.contractor", "lina.limited"}}
    privacy = PolicyVersion.objects.filter(
        policy__workspace=summit(), policy__title="Privacy policy"
    )
    v1, v2 = privacy.get(number=1), privacy.get(number=2)
    assert purgeable_on(v1) is not None and purgeable_on(v1) <= today  # type: ignore[operator]
    assert purgeable_on(v2) is not None and purgeable_on(v2) > today  # type: ignore[operator]
    assert v2.attestations.exists() and not v1.attestations.exists()
