"""Set-based writes keep the scope of the queryset they are given."""

from __future__ import annotations

import pytest

from bureau.claims.models import Claim, ClaimState
from bureau.claims.tests import factories
from bureau.directory.models import Payer
from bureau.tenancy import rls
from bureau.tenancy.bulk import update_ids
from bureau.tenancy.models import Practice
from bureau.tenancy.scoping import UnscopedQuery

pytestmark = pytest.mark.django_db


def a_claim(practice: Practice) -> Claim:
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id")[0]
    with rls.practice_scope([practice.pk]):
        return factories.claim(practice, factories.coverage(factories.patient(practice), payer))


def state_of(claim: Claim) -> str:
    with rls.practice_scope([claim.practice_id]):
        return Claim.objects.for_system([claim.practice_id], reason="test").get(pk=claim.pk).state


def test_update_ids_touches_only_rows_inside_the_querysets_practices():
    mine, theirs = Practice.objects.filter(workspace__slug="summit").order_by("id")[:2]
    ours, other = a_claim(mine), a_claim(theirs)
    before = state_of(other)
    with rls.practice_scope([mine.pk, theirs.pk]):
        scoped = Claim.objects.for_system([mine.pk], reason="test")
        # The transaction may admit more practices (RLS) than the queryset is scoped to: the
        # statement itself must keep to the queryset's.
        rls.activate({mine.pk, theirs.pk})
        update_ids(scoped, [ours.pk, other.pk], state=ClaimState.CLOSED.value)
    assert state_of(ours) == ClaimState.CLOSED
    assert state_of(other) == before != ClaimState.CLOSED


def test_update_ids_refuses_an_unscoped_queryset():
    with pytest.raises(UnscopedQuery):
        update_ids(Claim.objects.all(), [1], state=ClaimState.CLOSED.value)
