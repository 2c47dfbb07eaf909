"""The actor: what live grants add up to, per practice."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Capability, Role

pytestmark = pytest.mark.django_db


def actor(username):
    return resolve_actor(User.objects.get(username=username))


def summit_practices():
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def test_owner_sees_every_practice_of_its_workspace_only():
    a = actor("olivia.owner")
    assert {p.pk for p in a.practices()} == {p.pk for p in summit_practices()}
    assert a.can_workspace(Capability.USERS_MANAGE)
    harbor = Practice.objects.filter(workspace__slug="harbor").first()
    assert not a.can(Capability.PATIENTS_VIEW, harbor)


def test_account_manager_full_on_two_read_only_on_the_rest():
    a = actor("alex.manager")
    practices = summit_practices()
    assert {p.pk for p in a.practices(Capability.PATIENTS_EDIT)} == {p.pk for p in practices[:2]}
    assert {p.pk for p in a.practices(Capability.PATIENTS_VIEW)} == {p.pk for p in practices}
    assert a.access[practices[5].pk].read_only
    assert not a.access[practices[0].pk].read_only


def test_poster_sees_two_practices():
    a = actor("priya.poster")
    assert len(a.practices()) == 2
    assert a.practice_ids(Capability.PAYMENTS_POST) == a.practice_ids()


def test_denial_specialist_lacks_demographics_everywhere():
    a = actor("dan.denials")
    assert len(a.practices()) == 8
    assert a.practice_ids(Capability.PATIENTS_DEMOGRAPHICS) == frozenset()
    assert a.practice_ids(Capability.DENIALS_WORK) == a.practice_ids()


def test_expired_grant_is_dead_at_the_next_resolution_without_a_job():
    user = User.objects.get(username="casey.contractor")
    assert len(resolve_actor(user).practices()) == 3
    Grant.objects.filter(user=user).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert resolve_actor(user).practices() == []


def test_revoked_grant_gives_nothing():
    user = User.objects.get(username="bella.biller")
    grant = Grant.objects.filter(user=user).first()
    grant.revoked_at = timezone.now()
    grant.save()
    assert grant.practice_id not in resolve_actor(user).practice_ids()
    assert len(resolve_actor(user).practices()) == 3


def test_two_grants_on_one_practice_merge_and_read_only_needs_both_read_only():
    user = User.objects.get(username="alex.manager")
    practice = summit_practices()[6]
    Grant.objects.create(
        workspace=practice.workspace,
        user=user,
        practice=practice,
        role=Role.BILLER,
        reason="covering a vacation",
    )
    a = resolve_actor(user)
    assert a.can(Capability.CLAIMS_SUBMIT, practice)
    assert not a.access[practice.pk].read_only
    assert a.access[practice.pk].roles == {Role.ACCOUNT_MANAGER, Role.BILLER}


def test_provider_subset_is_kept_and_widened_by_an_unrestricted_grant():
    user = User.objects.get(username="priya.poster")
    practice = summit_practices()[0]
    provider = practice.providers.first()
    grant = Grant.objects.create(
        workspace=practice.workspace,
        user=user,
        practice=practice,
        role=Role.CODER,
        reason="one provider's backlog",
    )
    grant.providers.set([provider])
    assert resolve_actor(user).provider_ids(practice) == {provider.pk}
    Grant.objects.create(
        workspace=practice.workspace,
        user=user,
        practice=practice,
        role=Role.READ_ONLY,
        reason="whole practice read",
    )
    assert resolve_actor(user).provider_ids(practice) is None


def test_inactive_user_and_user_without_workspace_have_no_actor():
    user = User.objects.get(username="bella.biller")
    user.is_active = False
    assert resolve_actor(user) is None
    assert resolve_actor(User(username="platform")) is None


def test_actor_resolution_takes_a_fixed_number_of_queries(django_assert_max_num_queries):
    user = User.objects.get(username="alex.manager")  # eight practice grants
    with django_assert_max_num_queries(4):
        resolve_actor(user)
