"""Access reviews: the frozen roster, decisions (who may, what a revoke does), completion and
lock, and the audit trail. The cast is `access_review_cast` (worked out there by hand)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bureau.accounts.services import GrantRequest, grant_change_role, grant_create
from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.access_review_services import AccessReviewError, decide, lock, open_campaign
from bureau.compliance.models.access_review import (
    AccessChange,
    AccessDecision,
    AccessReview,
    AccessReviewItem,
    AccessReviewStatus,
)
from bureau.compliance.tests.access_review_cast import RITA_LAST_LOGIN, Acme
from bureau.compliance.tests.access_review_cast import acme as acme  # noqa: F401 (fixture)
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.models import Grant
from bureau.tenancy.roles import Capability, Role

CONFIRMED, REVOKED = AccessDecision.CONFIRMED, AccessDecision.REVOKED


def _open(acme: Acme, *, practices: bool = False) -> AccessReview:
    return open_campaign(
        actor=acme.actor("carla"),
        title="Q4 access review",
        due_on=timezone.localdate() + timedelta(days=14),
        practices=[acme.a] if practices else None,
        reviewers={acme.a: acme.people["rita"]},
    )


def _item(review: AccessReview, username: str) -> AccessReviewItem:
    return review.items.get(username=username)


def _roster(review: AccessReview) -> list[tuple[str, str, str]]:
    return sorted(review.items.values_list("username", "practice_name", "role"))


def _decide_all(acme: Acme, review: AccessReview, **comments: str) -> None:
    carla = acme.actor("carla")
    for item in review.items.filter(decision=""):
        decision = REVOKED if item.username in comments else CONFIRMED
        reason = comments.get(item.username, "still needed")
        decide(actor=carla, item=item, decision=decision, comment=reason)


# -- opening --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_opening_freezes_the_live_grants_of_the_scope(acme: Acme) -> None:
    review = _open(acme)
    assert review.status == AccessReviewStatus.OPEN
    assert _roster(review) == [
        ("bea", "Birch Pediatrics", "biller"),
        ("bob", "Alder Clinic", "biller"),
        ("carla", "All practices", "compliance_officer"),
        ("olive", "All practices", "owner"),
        ("rita", "Alder Clinic", "account_manager"),
    ]  # rex's grant expired, otto's was revoked: neither is live
    bob = _item(review, "bob")
    assert bob.grant_id == acme.grants["bob"].pk
    assert bob.providers == [{"npi": "1003000126", "name": str(acme.ash)}]
    assert (bob.granted_by, bob.granted_at) == ("olive", acme.grants["bob"].created_at)
    assert _item(review, "rita").last_login_at == RITA_LAST_LOGIN
    assert _item(review, "carla").practice_id is None

    alder = _open(acme, practices=True)
    assert not alder.whole_workspace
    assert [u for u, _, _ in _roster(alder)] == ["bob", "carla", "olive", "rita"]


@pytest.mark.django_db
def test_grant_changes_after_opening_do_not_alter_the_roster(acme: Acme) -> None:
    review = _open(acme)
    olive = acme.actor("olive")
    grant_change_role(
        actor=olive, grant=acme.grants["bob"], role=Role.CODER, reason="moved to coding"
    )
    grant_create(
        actor=olive,
        request=GrantRequest(
            user=acme.people["rex"],
            role=Role.BILLER,
            practice=acme.b,
            read_only=False,
            expires_at=None,
            provider_ids=(),
            reason="new hire on Birch",
        ),
    )
    review.refresh_from_db()
    assert review.items.count() == 5
    bob = _item(review, "bob")
    assert (bob.role, bob.practice_name) == ("biller", "Alder Clinic")  # as it was
    assert not review.items.filter(username="rex").exists()
    # A campaign opened now sees the grants as they are now.
    later = _open(acme)
    assert ("bob", "Alder Clinic", "coder") in _roster(later)
    assert ("rex", "Birch Pediatrics", "biller") in _roster(later)


@pytest.mark.django_db
def test_only_compliance_managers_open_a_campaign(acme: Acme) -> None:
    due = timezone.localdate() + timedelta(days=7)
    with pytest.raises(CapabilityDenied):
        open_campaign(actor=acme.actor("rita"), title="mine", due_on=due, practices=[acme.a])
    with pytest.raises(AccessReviewError, match="past"):
        open_campaign(actor=acme.actor("carla"), title="late", due_on=due - timedelta(days=30))
    with pytest.raises(AccessReviewError, match="scope"):
        open_campaign(
            actor=acme.actor("carla"),
            title="Alder",
            due_on=due,
            practices=[acme.a],
            reviewers={acme.b: acme.people["bea"]},
        )


# -- decisions ------------------------------------------------------------------------------
@pytest.mark.django_db
def test_revoke_really_revokes_and_the_user_loses_access(acme: Acme) -> None:
    review = _open(acme)
    assert acme.actor("bob").can(Capability.CLAIMS_EDIT, acme.a)
    item = decide(
        actor=acme.actor("rita"),  # Alder's reviewer, without users.manage
        item=_item(review, "bob"),
        decision=REVOKED,
        comment="left the Alder team in October",
    )
    grant = Grant.objects.get(pk=acme.grants["bob"].pk)
    assert grant.revoked_at is not None
    assert grant.revoked_by_id == acme.people["rita"].pk
    assert grant.revoke_reason == "left the Alder team in October"
    assert (item.change, item.grant_ended_at) == (AccessChange.REVOKED, grant.revoked_at)
    assert (item.decided_by_id, item.decision) == (acme.people["rita"].pk, "revoked")
    # At bob's next request he holds nothing at Alder.
    assert not acme.actor("bob").can(Capability.CLAIMS_EDIT, acme.a)
    assert not acme.actor("bob").practices()
    revoked = AuditEvent.objects.get(action=AuditAction.GRANT_REVOKED, workspace=acme.workspace)
    assert revoked.detail["access_review"] == str(review.public_id)
    assert revoked.record_ids == [str(grant.public_id)]


@pytest.mark.django_db
def test_a_revoke_needs_a_comment_a_confirmation_does_not(acme: Acme) -> None:
    review = _open(acme)
    rita = acme.actor("rita")
    with pytest.raises(AccessReviewError, match="why"):
        decide(actor=rita, item=_item(review, "bob"), decision=REVOKED, comment="  ")
    assert Grant.objects.get(pk=acme.grants["bob"].pk).revoked_at is None
    item = decide(actor=rita, item=_item(review, "bob"), decision=CONFIRMED)
    assert (item.decision, item.comment, item.change) == ("confirmed", "", "")
    with pytest.raises(AccessReviewError, match="already confirmed"):
        decide(actor=rita, item=item, decision=REVOKED, comment="changed my mind")


@pytest.mark.django_db
def test_reviewing_ones_own_access_needs_a_reason(acme: Acme) -> None:
    review = _open(acme)
    rita, own = acme.actor("rita"), _item(review, "rita")
    with pytest.raises(AccessReviewError, match="own access needs a reason"):
        decide(actor=rita, item=own, decision=CONFIRMED)
    decided = decide(actor=rita, item=own, decision=CONFIRMED, comment="I run Alder's month")
    assert decided.comment == "I run Alder's month"
    event = AuditEvent.objects.get(
        action=AuditAction.ACCESS_REVIEW_DECIDED, workspace=acme.workspace
    )
    assert event.detail["own_access"] is True
    assert event.reason == "I run Alder's month"
    assert event.practice_id == acme.a.pk


@pytest.mark.django_db
def test_only_the_practices_reviewer_or_a_compliance_manager_decides(acme: Acme) -> None:
    review = _open(acme)
    rita, bea = acme.actor("rita"), acme.actor("bea")
    for actor, username in [
        (bea, "bob"),  # no reviewer of Alder
        (rita, "bea"),  # Birch has no reviewer: only compliance managers
        (rita, "olive"),  # an all-practices grant: not Alder's to decide
    ]:
        with pytest.raises(CapabilityDenied):
            decide(actor=actor, item=_item(review, username), decision=CONFIRMED, comment="ok")
    assert not review.items.exclude(decision="").exists()
    # The compliance officer decides anything, though she administers no user.
    decide(actor=acme.actor("carla"), item=_item(review, "olive"), decision=CONFIRMED)
    decide(actor=acme.actor("carla"), item=_item(review, "bea"), decision=CONFIRMED)
    # Another workspace's actor finds nothing to decide.
    from bureau.accounts.models import User
    from bureau.tenancy.actor import resolve_actor

    stranger = resolve_actor(User.objects.get(username="olivia.owner"))
    assert stranger is not None
    with pytest.raises(CapabilityDenied):
        decide(actor=stranger, item=_item(review, "bob"), decision=CONFIRMED)


@pytest.mark.django_db
def test_revoking_a_grant_already_gone_records_it_plainly(acme: Acme) -> None:
    review = _open(acme)
    olive = acme.actor("olive")
    from bureau.accounts.services import grant_revoke

    grant_revoke(actor=olive, grant=acme.grants["bob"], reason="offboarded yesterday")
    item = decide(
        actor=acme.actor("carla"), item=_item(review, "bob"), decision=REVOKED, comment="gone"
    )
    grant = Grant.objects.get(pk=acme.grants["bob"].pk)
    assert grant.revoked_by_id == acme.people["olive"].pk  # not revoked a second time
    assert (item.change, item.grant_ended_at) == (AccessChange.ALREADY_REVOKED, grant.revoked_at)
    revoked = AuditEvent.objects.filter(action=AuditAction.GRANT_REVOKED, workspace=acme.workspace)
    assert revoked.count() == 1


@pytest.mark.django_db
def test_the_last_owner_grant_is_not_revoked_by_a_review(acme: Acme) -> None:
    """A review revoke goes past users.manage: of the workspace's only owner it would leave
    no one able to give the owner role back. Refused, nothing changed; with a second owner
    the same revoke goes through."""
    review = _open(acme)
    carla = acme.actor("carla")
    with pytest.raises(AccessReviewError, match="last owner grant"):
        decide(actor=carla, item=_item(review, "olive"), decision=REVOKED, comment="left us")
    assert Grant.objects.get(pk=acme.grants["olive"].pk).revoked_at is None
    assert _item(review, "olive").decision == ""
    assert not AuditEvent.objects.filter(
        action=AuditAction.GRANT_REVOKED, workspace=acme.workspace
    ).exists()
    # Another owner (all practices) in force: the review may take olive's away.
    Grant.objects.create(
        workspace=acme.workspace,
        user=acme.people["bea"],
        role=Role.OWNER.value,
        practice=None,
        reason="a second owner",
    )
    item = decide(actor=carla, item=_item(review, "olive"), decision=REVOKED, comment="left us")
    assert item.change == AccessChange.REVOKED
    assert Grant.objects.get(pk=acme.grants["olive"].pk).revoked_at is not None


# -- completion, lock, audit ----------------------------------------------------------------
@pytest.mark.django_db
def test_the_campaign_completes_then_locks_and_refuses_decisions(acme: Acme) -> None:
    review = _open(acme, practices=True)
    carla = acme.actor("carla")
    with pytest.raises(AccessReviewError, match="4 grant"):
        lock(carla, review)
    _decide_all(acme, review, bob="no longer bills Alder")
    review.refresh_from_db()
    assert review.status == AccessReviewStatus.COMPLETE
    assert review.completed_at is not None
    with pytest.raises(CapabilityDenied):
        lock(acme.actor("rita"), review)  # a reviewer decides; only compliance locks
    locked = lock(carla, review)
    assert locked.status == AccessReviewStatus.LOCKED
    assert locked.locked_by_id == acme.people["carla"].pk
    assert locked.evidence and len(locked.evidence_sha256) == 64
    with pytest.raises(AccessReviewError, match="locked"):
        decide(actor=carla, item=_item(review, "rita"), decision=REVOKED, comment="too late")
    with pytest.raises(AccessReviewError, match="already locked"):
        lock(carla, review)
    assert Grant.objects.get(pk=acme.grants["rita"].pk).revoked_at is None


@pytest.mark.django_db
def test_every_change_is_audited(acme: Acme) -> None:
    review = _open(acme, practices=True)
    _decide_all(acme, review, bob="no longer bills Alder")
    review = lock(acme.actor("carla"), review)
    events = AuditEvent.objects.filter(workspace=acme.workspace)
    opened = events.get(action=AuditAction.ACCESS_REVIEW_OPENED)
    assert opened.record_ids == [str(review.public_id)]
    assert opened.detail["grants"] == 4 and opened.detail["scope"] == ["ALD"]
    assert opened.detail["reviewers"] == {"ALD": "rita"}
    decided = events.filter(action=AuditAction.ACCESS_REVIEW_DECIDED)
    assert sorted(e.detail["user"] for e in decided) == ["bob", "carla", "olive", "rita"]
    assert sorted(e.detail["decision"] for e in decided) == ["confirmed"] * 3 + ["revoked"]
    assert events.filter(action=AuditAction.GRANT_REVOKED).count() == 1
    locked = events.get(action=AuditAction.ACCESS_REVIEW_LOCKED)
    assert locked.detail["sha256"] == review.evidence_sha256
    assert {e.user_id for e in decided} == {acme.people["carla"].pk}
