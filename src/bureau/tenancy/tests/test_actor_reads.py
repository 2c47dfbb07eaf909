"""The actor's reads in SQL (actor_reads) give what the ORM gives, in a fixed number of queries.

`live_grant_rows` spells out what `GrantQuerySet.live` means, so the two are held to the same
answer for every grant state: live, expired, expiring later, revoked, limited to providers,
on one practice or on all of them.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.tenancy import actor_reads
from bureau.tenancy.actor import VISIBLE_STATUS, resolve_actor
from bureau.tenancy.models import Grant, Practice, PracticeStatus
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def _orm_rows(user: User, now):
    rows = (
        Grant.objects.live(now)
        .filter(user=user, workspace_id=user.workspace_id)
        .values_list("pk", "role", "read_only", "practice_id", "providers")
    )
    return sorted(rows, key=repr)


def _grants_of_every_kind(user: User) -> None:
    practices = list(Practice.objects.filter(workspace_id=user.workspace_id).order_by("id"))
    now = timezone.now()
    kinds = [
        {"expires_at": now - timedelta(seconds=1)},  # expired
        {"expires_at": now + timedelta(days=3)},  # expires later
        {"revoked_at": now - timedelta(minutes=5)},  # revoked
        {"read_only": True},
        {},
    ]
    for n, extra in enumerate(kinds):
        grant = Grant.objects.create(
            workspace_id=user.workspace_id,
            user=user,
            practice=practices[n % len(practices)],
            role=Role.BILLER,
            reason="actor reads test",
            **extra,
        )
        if n % 2:
            grant.providers.set(practices[n % len(practices)].providers.all()[:2])
    Grant.objects.create(
        workspace_id=user.workspace_id, user=user, practice=None, role=Role.READ_ONLY, reason="all"
    )


@pytest.mark.parametrize("now_shift", [0, 4 * 24 * 3600], ids=["now", "in four days"])
def test_live_grant_rows_are_the_grants_live_gives(now_shift):
    user = User.objects.get(username="casey.contractor")
    _grants_of_every_kind(user)
    now = timezone.now() + timedelta(seconds=now_shift)
    raw = sorted(actor_reads.live_grant_rows(user.pk, user.workspace_id, now), key=repr)
    assert raw == _orm_rows(user, now)
    assert any(provider is not None for *_, provider in raw)


def test_every_demo_user_reads_the_same_grants_either_way():
    now = timezone.now()
    for user in User.objects.filter(workspace__isnull=False):
        raw = sorted(actor_reads.live_grant_rows(user.pk, user.workspace_id, now), key=repr)
        assert raw == _orm_rows(user, now), user.username


def test_visible_practices_are_the_orm_s_in_its_order():
    practice = Practice.objects.filter(workspace__slug="summit").order_by("id").first()
    assert practice is not None
    Practice.objects.filter(pk=practice.pk).update(status=PracticeStatus.OFFBOARDED)
    workspace_id = practice.workspace_id
    orm = list(Practice.objects.filter(workspace_id=workspace_id, status__in=VISIBLE_STATUS))
    assert actor_reads.visible_practices(workspace_id, VISIBLE_STATUS) == orm
    some = [p.pk for p in orm[:3]] + [practice.pk]
    assert actor_reads.visible_practices(workspace_id, VISIBLE_STATUS, some) == orm[:3]
    assert actor_reads.visible_practices(workspace_id, VISIBLE_STATUS, []) == []
    # Model instances as the ORM makes them: converted fields, public ids as UUIDs.
    first = actor_reads.visible_practices(workspace_id, VISIBLE_STATUS)[0]
    assert first.public_id == orm[0].public_id and first.created_at == orm[0].created_at


@pytest.mark.parametrize("username", ["sam.supervisor", "alex.manager", "lina.limited"])
def test_the_actor_takes_two_queries_whatever_its_grants(
    username, django_assert_num_queries, django_assert_max_num_queries
):
    user = User.objects.get(username=username)
    with django_assert_num_queries(2):  # the workspace with grants and providers, practices
        actor = resolve_actor(user)
    assert actor is not None and actor.practices()
    _grants_of_every_kind(user)
    with django_assert_num_queries(2):
        resolve_actor(user)
    # What the pages read of the actor's practices and workspace costs nothing more.
    with django_assert_max_num_queries(0):
        assert actor.workspace.name
        assert all(p.workspace.slug for p in actor.practices())
        assert user.workspace.name


def test_a_user_without_a_live_grant_still_reads_the_workspace_in_one_query(
    django_assert_num_queries,
):
    """The workspace comes with the grants (one row, no grant in it): no practice is read."""
    user = User.objects.get(username="casey.contractor")
    Grant.objects.filter(user=user).update(revoked_at=timezone.now())
    workspace, grants = actor_reads.workspace_with_grants(
        user.pk, user.workspace_id, timezone.now()
    )
    assert workspace is not None and workspace.pk == user.workspace_id and grants == []
    assert workspace.public_id == user.workspace.public_id  # converted as the ORM does
    with django_assert_num_queries(1):
        actor = resolve_actor(user)
    assert actor is not None and actor.practices() == [] and actor.workspace.pk == workspace.pk


def test_a_workspace_that_is_gone_reads_as_none():
    user = User.objects.get(username="casey.contractor")
    missing = 10**9
    assert actor_reads.workspace_with_grants(user.pk, missing, timezone.now()) == (None, [])
