"""Reads of access reviews for pages and the compliance dashboard (views never query the models
themselves). Who sees a campaign: a `compliance.view` holder over its scope, and its reviewers;
anyone else finds no such campaign (the same answer as a missing one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from django.db.models import Count, Q, QuerySet

from bureau.accounts.models import User
from bureau.compliance.access_review_services import REVIEWER_ROLES, may_decide
from bureau.compliance.models.access_review import (
    AccessDecision,
    AccessReview,
    AccessReviewer,
    AccessReviewItem,
    AccessReviewStatus,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Grant
from bureau.tenancy.roles import Capability

VIEW = Capability.COMPLIANCE_VIEW


@dataclass(frozen=True)
class ReviewProgress:
    review: AccessReview
    grants: int
    decided: int
    revoked: int
    overdue: bool  # still open past its due date

    @property
    def left(self) -> int:
        return self.grants - self.decided


def _sees_whole(actor: Actor, review: AccessReview, practice_ids: set[int]) -> bool:
    if review.whole_workspace:
        return actor.can_workspace(VIEW)
    return all(actor.can(VIEW, pid) for pid in practice_ids)


def visible_reviews(actor: Actor) -> list[AccessReview]:
    """The workspace's campaigns the actor may open, newest first."""
    reviews = list(
        AccessReview.objects.filter(workspace_id=actor.workspace.pk).prefetch_related("practices")
    )
    reviewing = set(
        AccessReviewer.objects.filter(
            review__workspace_id=actor.workspace.pk, user_id=actor.user.pk
        ).values_list("review_id", flat=True)
    )
    return [
        r
        for r in reviews
        if r.pk in reviewing or _sees_whole(actor, r, {p.pk for p in r.practices.all()})
    ]


def review_for(actor: Actor, public_id: Any) -> AccessReview | None:
    """The campaign with this id when the actor may see it; None otherwise, or for no UUID."""
    try:
        wanted = public_id if isinstance(public_id, UUID) else UUID(str(public_id)[:80])
    except ValueError:
        return None
    return next((r for r in visible_reviews(actor) if r.public_id == wanted), None)


def progress(reviews: list[AccessReview], today: date) -> list[ReviewProgress]:
    """Counts per campaign in one query: grants, decided, revoked; overdue when still open
    after its due date (red on the dashboard)."""
    rows = (
        AccessReviewItem.objects.filter(review__in=reviews)
        .values("review_id")
        .annotate(
            grants=Count("id"),
            decided=Count("id", filter=~Q(decision="")),
            revoked=Count("id", filter=Q(decision=AccessDecision.REVOKED)),
        )
    )
    counts: dict[int, tuple[int, int, int]] = {
        row["review_id"]: (row["grants"], row["decided"], row["revoked"]) for row in rows
    }
    return [
        ReviewProgress(
            review=r,
            grants=counts.get(r.pk, (0, 0, 0))[0],
            decided=counts.get(r.pk, (0, 0, 0))[1],
            revoked=counts.get(r.pk, (0, 0, 0))[2],
            overdue=r.status == AccessReviewStatus.OPEN and r.due_on < today,
        )
        for r in reviews
    ]


def review_items(actor: Actor, review: AccessReview) -> QuerySet[AccessReviewItem]:
    """The campaign's roster for the actor: every item for a `compliance.view` holder over
    its scope, otherwise the items of the practices they review."""
    items = review.items.select_related("decided_by")
    practice_ids = {p.pk for p in review.practices.all()}
    if _sees_whole(actor, review, practice_ids):
        return items
    rows = AccessReviewer.objects.filter(review=review, user_id=actor.user.pk)
    mine = list(rows.values_list("practice_id", flat=True))
    condition = Q(practice_id__in=[pid for pid in mine if pid is not None])
    if None in mine:
        condition |= Q(practice__isnull=True)
    return items.filter(condition) if mine else items.none()


def decidable(actor: Actor, item: AccessReviewItem) -> bool:
    """Whether the page offers the actor confirm/revoke on this item (the service checks again)."""
    if item.decision or item.review.status == AccessReviewStatus.LOCKED:
        return False
    return may_decide(actor, item)


# -- for the pages ------------------------------------------------------------------------------
def reviews_to_do(actor: Actor) -> list[AccessReview]:
    """Open campaigns the actor has to work: those naming them a reviewer, and every open one
    for a whole-workspace `compliance.manage` holder. One query (the home shows it)."""
    mine = Q(reviewers__user_id=actor.user.pk)
    if actor.can_workspace(Capability.COMPLIANCE_MANAGE):
        mine = Q()
    return list(
        AccessReview.objects.filter(
            mine, workspace_id=actor.workspace.pk, status=AccessReviewStatus.OPEN
        )
        .distinct()
        .order_by("due_on", "id")
    )


def reviewer_choices(actor: Actor) -> list[User]:
    """Who may be named a reviewer: an active user of the workspace holding a live grant in
    a reviewer's role somewhere; the service checks each practice (`may_review`)."""
    live = Grant.objects.live().filter(role__in=REVIEWER_ROLES).values("user_id")
    people = User.objects.filter(workspace_id=actor.workspace.pk, is_active=True, pk__in=live)
    return list(people.order_by("username"))


def reviewers_of(actor: Actor, review: AccessReview) -> list[AccessReviewer]:
    """The campaign's reviewers the actor may see: all of them for a `compliance.view` holder
    over its scope; otherwise the rows naming the actor (another practice's reviewer would
    name a practice the actor may not know of)."""
    rows = review.reviewers.select_related("practice", "user").order_by("practice__name", "id")
    if _sees_whole(actor, review, {p.pk for p in review.practices.all()}):
        return list(rows)
    return list(rows.filter(user_id=actor.user.pk))


def sees_whole(actor: Actor, review: AccessReview) -> bool:
    """A `compliance.view` holder over the campaign's scope (every item, every reviewer)."""
    return _sees_whole(actor, review, {p.pk for p in review.practices.all()})


def item_of(actor: Actor, review: AccessReview, public_id: Any) -> AccessReviewItem | None:
    """One item of the campaign the actor may see; None for any other, or for no UUID."""
    try:
        wanted = public_id if isinstance(public_id, UUID) else UUID(str(public_id)[:80])
    except ValueError:
        return None
    return review_items(actor, review).select_related("review").filter(public_id=wanted).first()


def reviewer_lists(actor: Actor, reviews: list[AccessReview]) -> dict[int, list[str]]:
    """ "Practice: username" of each campaign's reviewers, in one query, for the campaigns the
    actor sees whole; for the others only the rows naming the actor (as `reviewers_of`)."""
    rows = (
        AccessReviewer.objects.filter(review__in=reviews)
        .select_related("practice", "user")
        .order_by("practice__name", "id")
    )
    whole = {r.pk for r in reviews if _sees_whole(actor, r, {p.pk for p in r.practices.all()})}
    scopes: dict[int, dict[str, list[str]]] = {r.pk: {} for r in reviews}
    for row in rows:
        if row.review_id in whole or row.user_id == actor.user.pk:
            scope = row.practice.name if row.practice else "the all-practices grants"
            scopes[row.review_id].setdefault(row.user.username, []).append(scope)
    return {
        review_id: [
            f"{user}: {', '.join(names) if len(names) <= 2 else f'{len(names)} practices'}"
            for user, names in sorted(by_user.items())
        ]
        for review_id, by_user in scopes.items()
    }
