"""The seeded demo holds last quarter's access review, completed and locked, and the next one
due by the workspace's interval."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.utils import timezone

from bureau.compliance.access_evidence import evidence_bundle, evidence_sha256
from bureau.compliance.access_review_services import next_due
from bureau.compliance.demo_reviews import REVOKE_COMMENT, TEMP, opening_day
from bureau.compliance.models.access_review import AccessDecision, AccessReview
from bureau.compliance.models.baa import add_months
from bureau.tenancy.models import Grant, Workspace

pytestmark = pytest.mark.django_db


def test_the_demo_holds_last_quarters_locked_review_and_the_next_one_due() -> None:
    summit = Workspace.objects.get(slug="summit")
    today = timezone.localdate()
    reviews = list(AccessReview.objects.filter(workspace=summit))
    assert len(reviews) == 1
    review = reviews[0]
    opened = timezone.localdate(review.created_at)
    assert opened == opening_day(today)
    assert add_months(today, -4) < opened < add_months(today, -2)  # last quarter
    assert review.is_locked and review.whole_workspace
    assert review.locked_at is not None and review.locked_at.date() < today
    # Every grant decided, all confirmed but the temp's, revoked with its comment.
    items = list(review.items.all())
    assert len(items) > 20 and all(i.decision for i in items)
    revoked = [i for i in items if i.decision == AccessDecision.REVOKED]
    assert [(i.username, i.comment, i.practice_name) for i in revoked] == [
        (TEMP, REVOKE_COMMENT, "Riverbend Dermatology")
    ]
    grant = Grant.objects.get(pk=revoked[0].grant_id)
    assert grant.revoked_at == revoked[0].grant_ended_at == revoked[0].decided_at
    assert grant.revoked_at is not None and grant.revoked_at.date() < today
    # The reviewers' own grants were confirmed with a reason.
    own = [i for i in items if i.decided_by_id == i.user_id]
    assert {i.username for i in own} == {"alex.manager", "olivia.owner"}
    assert all(len(i.comment) > 10 for i in own)
    # Every demo login keeps its access: the review took away the temp's grant alone.
    assert not Grant.objects.filter(
        workspace=summit, revoked_at__isnull=False, user__title__gt=""
    ).exists()
    # The stored bundle is what its data gives, and its manifest's hash is the stored one.
    assert bytes(review.evidence) == evidence_bundle(review)
    assert review.evidence_sha256 == evidence_sha256(bytes(review.evidence))
    with zipfile.ZipFile(io.BytesIO(bytes(review.evidence))) as bundle:
        decisions = bundle.read("decisions.csv").decode()
        manifest = json.loads(bundle.read("manifest.json"))
    assert REVOKE_COMMENT in decisions
    assert {f["name"] for f in manifest["files"]} == {
        "review.json",
        "roster.csv",
        "decisions.csv",
        "changes.csv",
    }
    # The next review of the whole workspace, three months after this one opened.
    due = next_due(summit, today)
    assert due == add_months(opened, 3) and today < due <= today + timedelta(days=31)
