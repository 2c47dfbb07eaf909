"""Reads of users and grants (control data).

The administration pages read only through `administered_*`: the users the actor administers
(see `authority`), each with `shown_grants`, their grants inside the actor's practices. A user
or grant outside answers 404, exactly like a missing one.
"""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet
from django.http import Http404

from bureau.accounts.authority import AdminScope, admin_scope, administers, governing
from bureau.accounts.models import User
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Grant, Practice, Workspace


def user_list(*, actor: Actor) -> QuerySet[User]:
    """Every login of the workspace, names only (no grants): for filters of workspace-wide pages
    such as the audit log, which its caller shows only to all-practices auditors. Never for
    administration: that is `administered_user_list`."""
    return User.objects.filter(workspace=actor.workspace).order_by("username")


def shown_grants(user: User) -> list[Grant]:
    """The grants of an administered user that its actor may see (set by the selectors)."""
    return user.shown_grants  # type: ignore[attr-defined,no-any-return]


def _administered(actor: Actor, scope: AdminScope, users: QuerySet[User]) -> list[User]:
    if not (scope.everywhere or scope.practice_ids):
        return []
    users = users.filter(workspace=actor.workspace)
    if not scope.everywhere:
        # Drop in SQL whoever holds an unrevoked grant outside the actor's practices (an
        # all-practices one included); what remains is checked against what the actor holds.
        outside = Grant.objects.filter(
            Q(practice_id__isnull=True) | ~Q(practice_id__in=scope.practice_ids)
        )
        live = Grant.objects.filter(revoked_at__isnull=True)
        users = users.exclude(pk__in=outside.filter(revoked_at__isnull=True).values("user_id"))
        # Whoever holds nothing now is judged by what they held (authority.governing).
        users = users.exclude(
            Q(pk__in=outside.values("user_id")) & ~Q(pk__in=live.values("user_id"))
        )
    shown = (
        Grant.objects.filter(scope.grant_filter())
        .select_related("practice", "granted_by")
        .prefetch_related("providers")
        .order_by("created_at", "pk")
    )
    users = users.prefetch_related(Prefetch("grants", queryset=shown, to_attr="shown_grants"))
    return [
        user
        for user in users.order_by("username")
        if administers(actor, scope, governing(shown_grants(user)))
    ]


def administered_user_list(*, actor: Actor) -> list[User]:
    return _administered(actor, admin_scope(actor), User.objects.all())


def administered_user_get(*, actor: Actor, public_id: str) -> User:
    found = _administered(actor, admin_scope(actor), User.objects.filter(public_id=public_id))
    if not found:
        raise Http404
    return found[0]


def administered_grant_get(*, actor: Actor, public_id: str) -> Grant:
    """A grant inside the actor's practices of a user the actor administers."""
    scope = admin_scope(actor)
    user_id = (
        Grant.objects.filter(scope.grant_filter(), workspace=actor.workspace, public_id=public_id)
        .values_list("user__public_id", flat=True)
        .first()
    )
    if user_id is None:
        raise Http404
    user = administered_user_get(actor=actor, public_id=str(user_id))
    grant = next((g for g in shown_grants(user) if str(g.public_id) == str(public_id)), None)
    if grant is None:
        raise Http404
    grant.user = user
    return grant


def seed_logins(workspace: Workspace) -> dict[str, User]:
    """A workspace's logins by name, for the demo seed (no request and no actor yet: control
    data, no PHI)."""
    return {u.username: u for u in User.objects.filter(workspace=workspace)}


def seed_practices(workspace: Workspace) -> list[Practice]:
    """A workspace's practices in the order they were made, for the demo seed."""
    return list(Practice.objects.filter(workspace=workspace).order_by("id"))
