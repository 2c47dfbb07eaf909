"""What the pages will read: which campaigns and items an actor sees, progress counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.compliance.access_review_selectors import (
    decidable,
    progress,
    review_for,
    review_items,
    visible_reviews,
)
from bureau.compliance.access_review_services import decide, open_campaign
from bureau.compliance.models.access_review import AccessDecision, AccessReview
from bureau.compliance.tests.access_review_cast import Acme
from bureau.compliance.tests.access_review_cast import acme as acme  # noqa: F401 (fixture)
from bureau.tenancy.actor import resolve_actor


def _two_campaigns(acme: Acme) -> tuple[AccessReview, AccessReview]:
    carla = acme.actor("carla")
    today = timezone.localdate()
    whole = open_campaign(
        actor=carla, title="Whole", due_on=today, reviewers={acme.a: acme.people["rita"]}
    )
    birch = open_campaign(actor=carla, title="Birch", due_on=today, practices=[acme.b])
    return whole, birch


@pytest.mark.django_db
def test_who_sees_which_campaign_and_which_items(acme: Acme) -> None:
    whole, birch = _two_campaigns(acme)
    assert {r.title for r in visible_reviews(acme.actor("carla"))} == {"Whole", "Birch"}
    assert {r.title for r in visible_reviews(acme.actor("olive"))} == {"Whole", "Birch"}
    # rita reviews Alder in the whole-workspace campaign: that one, and only Alder's grants.
    rita = acme.actor("rita")
    assert [r.title for r in visible_reviews(rita)] == ["Whole"]
    assert sorted(review_items(rita, whole).values_list("username", flat=True)) == ["bob", "rita"]
    assert review_for(rita, birch.public_id) is None  # like a missing one
    assert review_for(rita, str(whole.public_id).upper()) == whole
    assert review_for(rita, "not-a-uuid") is None
    assert visible_reviews(acme.actor("bea")) == []
    stranger = resolve_actor(User.objects.get(username="olivia.owner"))
    assert stranger is not None  # the demo's owner sees her own review (seeded), none of Acme's
    assert not [r for r in visible_reviews(stranger) if r.workspace_id == acme.workspace.pk]
    assert review_items(acme.actor("carla"), whole).count() == 5


@pytest.mark.django_db
def test_progress_counts_and_what_is_decidable(acme: Acme) -> None:
    whole, birch = _two_campaigns(acme)
    rita = acme.actor("rita")
    bob = whole.items.get(username="bob")
    assert decidable(rita, bob) and not decidable(rita, whole.items.get(username="bea"))
    decide(actor=rita, item=bob, decision=AccessDecision.REVOKED, comment="left Alder")
    bob.refresh_from_db()
    assert not decidable(rita, bob)  # decided
    later = timezone.localdate() + timedelta(days=1)
    rows = {p.review.title: p for p in progress([whole, birch], later)}
    assert (rows["Whole"].grants, rows["Whole"].decided, rows["Whole"].revoked) == (5, 1, 1)
    assert rows["Whole"].left == 4 and rows["Whole"].overdue
    assert (rows["Birch"].grants, rows["Birch"].decided) == (3, 0)  # carla, olive, bea
    assert not progress([birch], timezone.localdate())[0].overdue  # due today: not yet late
