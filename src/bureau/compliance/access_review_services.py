"""Access reviews: open a campaign (freeze the live grants), decide each grant, lock with the
evidence bundle, and open the next one when the workspace's interval has passed.

Every change is one transaction with its audit event. Its dates are the business clock's
(`bureau.clock`: the wall clock, or the day the demo replays); the audit log keeps real time.
Who may do what:

* open and lock: a `compliance.manage` holder over the campaign's scope;
* decide an item: the campaign's reviewer for the item's practice, or a `compliance.manage`
  holder there. A revoke goes through the grants service (`grant_revoke_on_review`), so the
  person loses the access at their next request. Reviewing one's own access needs a reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from bureau import clock
from bureau.accounts.models import User
from bureau.accounts.services import AccountError, grant_revoke_on_review
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.compliance.access_evidence import evidence_bundle, evidence_sha256
from bureau.compliance.models.access_review import (
    AccessChange,
    AccessDecision,
    AccessReview,
    AccessReviewer,
    AccessReviewItem,
    AccessReviewStatus,
)
from bureau.compliance.models.baa import add_months
from bureau.configuration.resolver import workspace_settings
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import Capability, Role

MANAGE = Capability.COMPLIANCE_MANAGE
INTERVAL_KEY = "compliance.access_review_every_months"
# A campaign the scheduled task opens is due this many days later.
SCHEDULED_DUE_DAYS = 30
MODEL = "compliance.AccessReview"
ITEM_MODEL = "compliance.AccessReviewItem"


class AccessReviewError(ValueError):
    """A request that cannot be carried out, with a message for the person who made it."""


def _reason(text: str, why: str) -> str:
    text = (text or "").strip()
    if len(text) < 4:
        raise AccessReviewError(why)
    return text


# -- who may --------------------------------------------------------------------------------
def manages(actor: Actor, practice_id: int | None) -> bool:
    """`compliance.manage` where a grant applies: on the practice, or (for an all-practices
    grant, or a practice offboarded since) on all practices."""
    if actor.can_workspace(MANAGE):
        return True
    return practice_id is not None and actor.can(MANAGE, practice_id)


def may_open(actor: Actor, practices: Iterable[Practice] | None) -> bool:
    """A whole-workspace campaign needs compliance.manage on all practices; a campaign of
    chosen practices, on each of them."""
    if practices is None:
        return actor.can_workspace(MANAGE)
    return all(manages(actor, p.pk) for p in practices)


def may_decide(actor: Actor, item: AccessReviewItem) -> bool:
    if item.review.workspace_id != actor.workspace.pk:
        return False
    if manages(actor, item.practice_id):
        return True
    practice = (
        Q(practice__isnull=True) if item.practice_id is None else Q(practice_id=item.practice_id)
    )
    reviewers = AccessReviewer.objects.filter(practice, review_id=item.review_id)
    return reviewers.filter(user_id=actor.user.pk).exists()


def _scope_practices(review: AccessReview) -> list[Practice] | None:
    return None if review.whole_workspace else list(review.practices.all())


# -- opening: the roster frozen -------------------------------------------------------------
def _providers_of(grant: Grant) -> list[dict[str, str]]:
    return sorted(
        ({"npi": p.npi, "name": str(p)} for p in grant.providers.all()), key=lambda p: p["npi"]
    )


def _freeze(review: AccessReview, practices: list[Practice] | None, at: datetime) -> int:
    """Copy every grant live at `at` in the campaign's scope into items: the roster."""
    grants = (
        Grant.objects.live(at)
        .filter(workspace_id=review.workspace_id)
        .select_related("user", "practice", "granted_by")
        .prefetch_related("providers")
        .order_by("pk")
    )
    if practices is not None:
        # All-practices grants reach the chosen practices too: they are reviewed with them.
        grants = grants.filter(
            Q(practice_id__in=[p.pk for p in practices]) | Q(practice__isnull=True)
        )
    items = [
        AccessReviewItem(
            review=review,
            grant=grant,
            grant_public_id=grant.public_id,
            user=grant.user,
            username=grant.user.username,
            full_name=grant.user.full_name,
            practice=grant.practice,
            practice_name=grant.scope_label,
            role=grant.role,
            read_only=grant.read_only,
            providers=_providers_of(grant),
            expires_at=grant.expires_at,
            granted_by=grant.granted_by.username if grant.granted_by else "",
            granted_at=grant.created_at,
            last_login_at=grant.user.last_login,
        )
        for grant in grants
    ]
    AccessReviewItem.objects.bulk_create(items)
    return len(items)


def _check_reviewers(
    workspace: Workspace,
    practices: list[Practice] | None,
    reviewers: Mapping[Practice | None, User],
) -> None:
    scope = None if practices is None else {p.pk for p in practices}
    for practice, user in reviewers.items():
        outside = scope is not None and practice is not None and practice.pk not in scope
        if practice is not None and (practice.workspace_id != workspace.pk or outside):
            raise AccessReviewError(f"{practice.name} is not in this review's scope.")
        if user.workspace_id != workspace.pk or not user.is_active:
            raise AccessReviewError(f"{user.username} cannot review: not an active user here.")
        if not may_review(user, practice):
            where = practice.name if practice else "the all-practices grants"
            raise AccessReviewError(
                f"{user.username} cannot review {where}: a reviewer is an owner, supervisor, "
                "account manager or compliance officer with a live grant there."
            )


# Who answers for a practice's access: the people who run it or oversee the book. A client
# viewer, a contractor's biller or someone of another practice would decide over grants they
# are not accountable for (and could revoke the people who work the practice).
REVIEWER_ROLES = (Role.OWNER, Role.SUPERVISOR, Role.ACCOUNT_MANAGER, Role.COMPLIANCE_OFFICER)


def may_review(user: User, practice: Practice | None) -> bool:
    """Whether `user` may be named reviewer of `practice`'s grants (None: the all-practices
    grants, which only someone with an all-practices grant answers for)."""
    where = (
        Q(practice__isnull=True)
        if practice is None
        else Q(practice=practice) | Q(practice__isnull=True)
    )
    grants = Grant.objects.live().filter(where, user=user, role__in=REVIEWER_ROLES)
    return user.is_active and grants.exists()


def _open(
    *,
    workspace: Workspace,
    actor: Actor | None,
    title: str,
    due_on: date,
    practices: list[Practice] | None,
    reviewers: Mapping[Practice | None, User],
) -> AccessReview:
    at = clock.now()
    review = AccessReview.objects.create(
        workspace=workspace,
        title=title,
        whole_workspace=practices is None,
        due_on=due_on,
        created_by=actor.user if actor else None,
        created_at=at,
    )
    if practices is not None:
        review.practices.set(practices)
    AccessReviewer.objects.bulk_create(
        AccessReviewer(review=review, practice=practice, user=user)
        for practice, user in reviewers.items()
    )
    count = _freeze(review, practices, at)
    if count == 0:  # nothing to decide: complete at once, ready to lock
        review.status = AccessReviewStatus.COMPLETE
        review.completed_at = at
        review.save(update_fields=["status", "completed_at"])
    audit_record(
        action=AuditAction.ACCESS_REVIEW_OPENED,
        actor=actor,
        workspace=workspace,
        model=MODEL,
        record_ids=[review.public_id],
        detail={
            "title": title,
            "scope": "workspace" if practices is None else sorted(p.code for p in practices),
            "due_on": due_on.isoformat(),
            "grants": count,
            "reviewers": {
                (p.code if p else "all practices"): u.username for p, u in reviewers.items()
            },
        },
    )
    return review


MAX_DUE_DAYS = 366  # a review is quarterly work: a due date years away would never be overdue


def due_date_problem(due_on: date, today: date) -> str | None:
    """What is wrong with a campaign's due date, in the officer's words; None when fine."""
    if due_on < today:
        return "The due date cannot be in the past."
    if due_on > today + timedelta(days=MAX_DUE_DAYS):
        return f"The due date must be within a year (by {today + timedelta(days=MAX_DUE_DAYS)})."
    return None


@transaction.atomic
def open_campaign(
    *,
    actor: Actor,
    title: str,
    due_on: date,
    practices: list[Practice] | None = None,
    reviewers: Mapping[Practice | None, User] | None = None,
) -> AccessReview:
    """Open a campaign over the whole workspace (`practices` None) or the practices chosen,
    with a reviewer per practice (key None: the all-practices grants)."""
    title = (title or "").strip()
    if not title:
        raise AccessReviewError("Give the review a title.")
    if practices is not None:
        practices = list({p.pk: p for p in practices}.values())
        if not practices:
            raise AccessReviewError("Choose at least one practice, or the whole workspace.")
        if any(p.workspace_id != actor.workspace.pk for p in practices):
            raise CapabilityDenied("practice outside the workspace")
    if not may_open(actor, practices):
        raise CapabilityDenied(MANAGE)
    problem = due_date_problem(due_on, timezone.localdate(clock.now()))
    if problem:
        raise AccessReviewError(problem)
    reviewers = dict(reviewers or {})
    _check_reviewers(actor.workspace, practices, reviewers)
    return _open(
        workspace=actor.workspace,
        actor=actor,
        title=title,
        due_on=due_on,
        practices=practices,
        reviewers=reviewers,
    )


# -- deciding -------------------------------------------------------------------------------
def _locked_review(actor: Actor, review_id: int) -> AccessReview:
    review = AccessReview.objects.select_for_update().filter(pk=review_id).first()
    if review is None or review.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("no such access review")
    return review


def _last_owner(grant: Grant) -> bool:
    """Is this the workspace's only live all-practices owner grant of an active user?"""
    if grant.role != Role.OWNER or grant.practice_id is not None:
        return False
    others = (
        Grant.objects.live(clock.now())
        .filter(workspace_id=grant.workspace_id, role=Role.OWNER, practice__isnull=True)
        .filter(user__is_active=True)
        .exclude(pk=grant.pk)
    )
    return not others.exists()


def _end_grant(actor: Actor, item: AccessReviewItem, comment: str, review: AccessReview) -> None:
    """Revoke the live grant through the grants service; a grant already gone is recorded
    as such (the review changed nothing), never revoked twice."""
    grant = Grant.objects.get(pk=item.grant_id)
    if grant.revoked_at is not None:
        item.change, item.grant_ended_at = AccessChange.ALREADY_REVOKED, grant.revoked_at
        return
    if grant.expires_at is not None and grant.expires_at <= clock.now():
        item.change, item.grant_ended_at = AccessChange.ALREADY_EXPIRED, grant.expires_at
        return
    if _last_owner(grant):
        # Nobody could give it back: an owner grant needs every capability to give, and the
        # supervisor lacks compliance.manage. The workspace would be left unadministered.
        raise AccessReviewError(
            "This is the workspace's last owner grant: revoking it would leave no one to "
            "administer the workspace. Give another person the owner role first."
        )
    try:
        revoked = grant_revoke_on_review(
            actor=actor, grant=grant, reason=comment, review=str(review.public_id)
        )
    except AccountError as exc:
        raise AccessReviewError(str(exc)) from exc
    item.change, item.grant_ended_at = AccessChange.REVOKED, revoked.revoked_at


@transaction.atomic
def decide(
    *, actor: Actor, item: AccessReviewItem, decision: AccessDecision | str, comment: str = ""
) -> AccessReviewItem:
    """Confirm or revoke one grant of an open campaign. A decision is final: a revoke cannot
    be taken back (grant the access again instead), so neither can a confirmation."""
    review = _locked_review(actor, item.review_id)
    item = AccessReviewItem.objects.select_for_update().select_related("review").get(pk=item.pk)
    if not may_decide(actor, item):
        raise CapabilityDenied("not a reviewer of this grant")
    if review.is_locked:
        raise AccessReviewError("This review is locked: its decisions are final.")
    if item.is_decided:
        raise AccessReviewError(f"This grant was already {item.get_decision_display().lower()}.")
    try:
        decision = AccessDecision(decision)
    except ValueError:
        raise AccessReviewError("Choose confirm or revoke.") from None
    comment = (comment or "").strip()
    if item.user_id == actor.user.pk:
        comment = _reason(comment, "Reviewing your own access needs a reason.")
    elif decision == AccessDecision.REVOKED:
        comment = _reason(comment, "Say why this access is revoked.")
    now = clock.now()
    if decision == AccessDecision.REVOKED:
        _end_grant(actor, item, comment, review)
        if item.change == AccessChange.REVOKED and item.grant_ended_at is not None:
            now = item.grant_ended_at  # one instant: the revoke is the decision
    item.decision, item.comment = decision, comment
    item.decided_by, item.decided_at = actor.user, now
    decided = ["decision", "comment", "decided_by", "decided_at", "change", "grant_ended_at"]
    item.save(update_fields=decided)
    audit_record(
        action=AuditAction.ACCESS_REVIEW_DECIDED,
        actor=actor,
        practice=item.practice,
        model=ITEM_MODEL,
        record_ids=[item.public_id],
        reason=comment,
        detail={
            "review": str(review.public_id),
            "user": item.username,
            "role": item.role,
            "scope": item.practice_name,
            "decision": decision.value,
            "change": item.change,
            "own_access": item.user_id == actor.user.pk,
        },
    )
    if not review.items.filter(decision="").exists():
        review.status, review.completed_at = AccessReviewStatus.COMPLETE, now
        review.save(update_fields=["status", "completed_at"])
    return item


def confirm_remaining(
    *, actor: Actor, campaign: AccessReview, practice: Practice | None, comment: str = ""
) -> int:
    """Confirm every grant of one practice (None: the all-practices grants) still undecided in
    an open campaign, one `decide` each: its own transaction and audit event, and the same
    checks. The actor's own grants are left for a decision with a reason. Returns how many
    were confirmed; a grant decided meanwhile in another tab is skipped, not an error."""
    if AccessReview.objects.filter(pk=campaign.pk, status=AccessReviewStatus.LOCKED).exists():
        raise AccessReviewError("This review is locked: its decisions are final.")
    where = Q(practice__isnull=True) if practice is None else Q(practice_id=practice.pk)
    pending = (
        AccessReviewItem.objects.filter(where, review_id=campaign.pk, decision="")
        .exclude(user_id=actor.user.pk)
        .order_by("username", "id")
    )
    done = 0
    for item in pending:
        if not may_decide(actor, item):
            raise CapabilityDenied("not a reviewer of these grants")
        try:
            decide(actor=actor, item=item, decision=AccessDecision.CONFIRMED, comment=comment)
        except AccessReviewError:
            locked = AccessReview.objects.filter(pk=campaign.pk, status=AccessReviewStatus.LOCKED)
            if locked.exists():
                raise
            continue  # decided in the meantime by someone else
        done += 1
    return done


# -- locking and the evidence ---------------------------------------------------------------
@transaction.atomic
def lock(actor: Actor, campaign: AccessReview) -> AccessReview:
    """Make a complete campaign's decisions final and store its evidence bundle."""
    review = _locked_review(actor, campaign.pk)
    if not may_open(actor, _scope_practices(review)):
        raise CapabilityDenied(MANAGE)
    if review.is_locked:
        raise AccessReviewError("This review is already locked.")
    if review.status != AccessReviewStatus.COMPLETE:
        left = review.items.filter(decision="").count()
        raise AccessReviewError(f"{left} grant(s) still to decide before the review locks.")
    review.status = AccessReviewStatus.LOCKED
    review.locked_at, review.locked_by = clock.now(), actor.user
    review.evidence = evidence_bundle(review)
    review.evidence_sha256 = evidence_sha256(review.evidence)
    review.save(update_fields=["status", "locked_at", "locked_by", "evidence", "evidence_sha256"])
    audit_record(
        action=AuditAction.ACCESS_REVIEW_LOCKED,
        actor=actor,
        workspace=review.workspace,
        model=MODEL,
        record_ids=[review.public_id],
        detail={"sha256": review.evidence_sha256, "bytes": len(review.evidence)},
    )
    return review


@transaction.atomic
def evidence_export(actor: Actor, campaign: AccessReview) -> bytes:
    """The stored bundle of a locked campaign, for a `compliance.view` holder over its scope;
    the hand-over is audited."""
    review = AccessReview.objects.filter(pk=campaign.pk, workspace_id=actor.workspace.pk).first()
    if review is None:
        raise CapabilityDenied("no such access review")
    scope = _scope_practices(review)
    allowed = (
        actor.can_workspace(Capability.COMPLIANCE_VIEW)
        if scope is None
        else all(actor.can(Capability.COMPLIANCE_VIEW, p) for p in scope)
    )
    if not allowed:
        raise CapabilityDenied(Capability.COMPLIANCE_VIEW)
    if not review.is_locked or review.evidence is None:
        raise AccessReviewError("The evidence bundle exists once the review is locked.")
    audit_record(
        action=AuditAction.ACCESS_REVIEW_EXPORTED,
        actor=actor,
        workspace=review.workspace,
        model=MODEL,
        record_ids=[review.public_id],
        detail={"sha256": review.evidence_sha256},
    )
    return bytes(review.evidence)


# -- recurrence ------------------------------------------------------------------------------


def next_due(workspace: Workspace, today: date) -> date | None:
    """When the next scheduled campaign opens (today or earlier: it is due); None when the
    workspace opens none automatically."""
    months = workspace_settings(workspace).get(INTERVAL_KEY)
    if not months:
        return None
    last = AccessReview.objects.filter(workspace=workspace, whole_workspace=True).first()
    if last is None:
        return today
    return add_months(timezone.localdate(last.created_at), months)


@transaction.atomic
def open_due_campaigns(workspace: Workspace, today: date | None = None) -> AccessReview | None:
    """Open a whole-workspace campaign when the last one is older than the workspace's
    interval (or there is none); run twice, one campaign. The reviewers carry over from the
    last campaign for the practices still there."""
    today = today or timezone.localdate(clock.now())
    # Serialize the check and the opening: two runs at once open one campaign, not two.
    Workspace.objects.select_for_update().filter(pk=workspace.pk).first()
    due = next_due(workspace, today)
    if due is None or due > today:
        return None
    last = AccessReview.objects.filter(workspace=workspace, whole_workspace=True).first()
    reviewers: dict[Practice | None, User] = {}
    if last is not None:
        for row in last.reviewers.select_related("practice", "user"):
            # A reviewer who left, or no longer may see the practice's access, is not carried
            # over: the officer decides those grants (or names a reviewer).
            if row.user.is_active and row.user.workspace_id == workspace.pk:
                if may_review(row.user, row.practice):
                    reviewers[row.practice] = row.user
    return _open(
        workspace=workspace,
        actor=None,
        title=f"Access review {today:%B %Y}",
        due_on=today + timedelta(days=SCHEDULED_DUE_DAYS),
        practices=None,
        reviewers=reviewers,
    )
