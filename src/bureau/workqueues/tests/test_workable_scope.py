"""`workable` asks for each capability's functions in one condition per scope (capabilities the
actor holds over the same practices and providers share it): the same items as asking for each
function under its own capability, for every kind of actor."""

from __future__ import annotations

import pytest

from bureau.accounts.models import User
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.tests.provider_world import build as provider_world
from bureau.workqueues.functions import CAPABILITY
from bureau.workqueues.models import WorkItem
from bureau.workqueues.selectors import workable
from bureau.workqueues.tests import helpers as h
from bureau.workqueues.tests.test_queue_views import denied_claims

pytestmark = pytest.mark.django_db


def _one_function_at_a_time(actor) -> set[int]:
    ids: set[int] = set()
    for function, capability in CAPABILITY.items():
        ids |= set(
            WorkItem.objects.visible_to(actor, capability)
            .filter(function=function)
            .values_list("pk", flat=True)
        )
    return ids


def test_workable_is_each_function_under_its_own_capability():
    h.followup_items()
    denied_claims(h.summit()[0])
    provider_world()
    h.refresh_all()
    everyone = list(User.objects.filter(workspace__isnull=False).order_by("id"))
    seen_some = 0
    for user in everyone:
        actor = resolve_actor(user)
        if actor is None:
            continue
        expected = _one_function_at_a_time(actor)
        assert set(workable(actor).values_list("pk", flat=True)) == expected, user.username
        seen_some += bool(expected)
    assert seen_some >= 5
