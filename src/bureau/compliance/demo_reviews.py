"""The demo's access reviews: last quarter's review of the whole workspace, completed and locked
with its evidence bundle, and the next one due by the workspace's interval (three months after
it opened: about twelve days from the day the demo is seeded).

It is replayed through the services on its own days (`bureau.clock.business_day`), so the
campaign, its decisions and its evidence carry last quarter's dates while the audit log keeps
the real time of the seed. Reviewers: the owner for the all-practices grants, the account
manager for the two practices he runs, the supervisor for the rest. Every grant is confirmed
(the reviewers' own with a reason) but one: Terry Tran, a summer temp on Riverbend Dermatology
made for this purpose, loses that grant (no demo login or test relies on her), and is then
deactivated by the owner."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.utils import timezone

from bureau import clock
from bureau.accounts.models import User
from bureau.accounts.selectors import seed_logins, seed_practices
from bureau.accounts.services import (
    GrantRequest,
    grant_create,
    seed_grants_held_since,
    user_create,
    user_set_active,
)
from bureau.compliance.access_review_services import decide, lock, open_campaign
from bureau.compliance.models.access_review import AccessDecision, AccessReview
from bureau.compliance.models.baa import add_months
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Role

TEMP = "terry.temp"
TEMP_PRACTICE = "RBD"  # Riverbend Dermatology
REVOKE_COMMENT = "Summer temp contract ended; no longer works Riverbend's claims."
# Days after the opening each reviewer worked (the owner's all-practices grants last).
ALEX_DAY, SAM_DAY, OLIVIA_DAY, LOCK_DAY = 3, 6, 8, 9
OWN_REASONS = {
    "alex.manager": "I run these two clients' month; I still need this access.",
    "olivia.owner": "Owner of the company: access needed to run it.",
}


def opening_day(today: date) -> date:
    """Last quarter's review opened so that the next, three months on, is twelve days away."""
    return add_months(today, -3) + timedelta(days=12)


def _actor(user: User) -> Actor:
    actor = resolve_actor(user)
    assert actor is not None, f"{user.username} holds no live grant"
    return actor


def _temp(practice: Practice, sam: User, since: date) -> User:
    """A summer temp whose only grant the review revokes (not a demo login: no title, and a
    password nobody is told), hired by the supervisor through the accounts services on the
    replayed day, so the hire and the grant are in the audit log like any other."""
    supervisor = _actor(sam)
    reason = "Summer temp for the dermatology backlog"
    with clock.business_day(since):
        temp = user_create(
            actor=supervisor,
            username=TEMP,
            full_name="Terry Tran",
            email="",
            password=secrets.token_urlsafe(24),
            reason=reason,
        )
        grant_create(
            actor=supervisor,
            request=GrantRequest(
                user=temp,
                role=Role.BILLER,
                practice=practice,
                read_only=False,
                expires_at=None,
                provider_ids=(),
                reason=reason,
            ),
        )
    return temp


def _decide_as(reviewer: User, review: AccessReview, where: dict[str, object]) -> None:
    actor = _actor(reviewer)
    for item in review.items.filter(decision="", **where).order_by("username", "id"):
        if item.username == TEMP:
            decide(actor=actor, item=item, decision=AccessDecision.REVOKED, comment=REVOKE_COMMENT)
            continue
        comment = OWN_REASONS.get(item.username, "") if item.user_id == reviewer.pk else ""
        decide(actor=actor, item=item, decision=AccessDecision.CONFIRMED, comment=comment)


def seed_reviews(workspace: Workspace, say: Callable[[str], None] | None = None) -> None:
    today = timezone.localdate()
    opened = opening_day(today)
    start = timezone.make_aware(datetime.combine(opened, time(9, 0)))
    people = seed_logins(workspace)
    practices = seed_practices(workspace)
    # The seed made every grant today; they stand for access held since long before the review.
    seed_grants_held_since(workspace, start, start - timedelta(days=200))
    temp_practice = next(p for p in practices if p.code == TEMP_PRACTICE)
    temp = _temp(temp_practice, people["sam.supervisor"], opened - timedelta(days=100))
    alex_runs = practices[:2]
    reviewers: dict[Practice | None, User] = {None: people["olivia.owner"]}
    for practice in practices:
        runs = practice in alex_runs
        reviewers[practice] = people["alex.manager" if runs else "sam.supervisor"]
    quarter = f"Q{(opened.month - 1) // 3 + 1} {opened.year}"
    with clock.business_day(opened):
        review = open_campaign(
            actor=_actor(people["carla.compliance"]),
            title=f"Access review {quarter}",
            due_on=opened + timedelta(days=30),
            practices=None,
            reviewers=reviewers,
        )
    with clock.business_day(opened + timedelta(days=ALEX_DAY)):
        _decide_as(people["alex.manager"], review, {"practice__in": alex_runs})
    with clock.business_day(opened + timedelta(days=SAM_DAY)):
        _decide_as(people["sam.supervisor"], review, {"practice__isnull": False})
    with clock.business_day(opened + timedelta(days=OLIVIA_DAY)):
        _decide_as(people["olivia.owner"], review, {"practice__isnull": True})
    with clock.business_day(opened + timedelta(days=LOCK_DAY)):
        review = lock(_actor(people["carla.compliance"]), review)
    user_set_active(
        actor=_actor(people["olivia.owner"]),
        user=temp,
        active=False,
        reason=f"Temp contract ended; access revoked in the {quarter} access review",
    )
    if say is not None:
        say(
            f"access reviews: {review.title} locked ({review.items.count()} grants, "
            f"1 revoked), evidence {review.evidence_sha256[:12]}…"
        )
