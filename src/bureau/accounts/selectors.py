"""Reads of users and grants for the administration pages (control data, workspace-scoped)."""

from __future__ import annotations

from django.db.models import Prefetch, QuerySet
from django.http import Http404

from bureau.accounts.models import User
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Grant


def _grants_prefetch() -> Prefetch:  # type: ignore[type-arg]
    return Prefetch(
        "grants",
        queryset=Grant.objects.select_related("practice", "granted_by").prefetch_related(
            "providers"
        ),
    )


def user_list(*, actor: Actor) -> QuerySet[User]:
    return (
        User.objects.filter(workspace=actor.workspace)
        .prefetch_related(_grants_prefetch())
        .order_by("username")
    )


def user_get(*, actor: Actor, public_id: str) -> User:
    user = (
        User.objects.filter(workspace=actor.workspace, public_id=public_id)
        .prefetch_related(_grants_prefetch())
        .first()
    )
    if user is None:
        raise Http404
    return user


def grant_get(*, actor: Actor, public_id: str) -> Grant:
    grant = (
        Grant.objects.filter(workspace=actor.workspace, public_id=public_id)
        .select_related("user", "practice")
        .first()
    )
    if grant is None:
        raise Http404
    return grant
