"""The PHI manager is locked by default: an unscoped query raises instead of leaking."""

import pytest

from bureau.accounts.models import User
from bureau.patients.models import Patient
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.roles import Capability
from bureau.tenancy.scoping import UnscopedQuery

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "evaluate",
    [
        lambda qs: list(qs),
        lambda qs: qs.count(),
        lambda qs: qs.exists(),
        lambda qs: qs.first(),
        lambda qs: qs.get(pk=1),
        lambda qs: list(qs.values_list("id", flat=True)),
        lambda qs: qs.aggregate(n=__import__("django.db.models").db.models.Count("id")),
        lambda qs: list(qs.iterator()),
        lambda qs: qs.update(first_name="X"),
        lambda qs: qs.delete(),
        lambda qs: qs.in_bulk([1]),
        lambda qs: bool(qs),
        lambda qs: qs[0:5][0],
    ],
)
def test_unscoped_queries_raise(evaluate):
    with pytest.raises(UnscopedQuery):
        evaluate(Patient.objects.filter(last_name__startswith="A"))
    with pytest.raises(UnscopedQuery):
        evaluate(Patient.objects.all())


def test_scope_survives_chaining_and_limits_rows_to_the_actors_practices():
    a = resolve_actor(User.objects.get(username="priya.poster"))
    qs = (
        Patient.objects.visible_to(a, Capability.PATIENTS_VIEW).filter(sex__in="FMU").order_by("id")
    )
    rows = list(qs.exclude(pk=0)[:1000])
    assert rows and {p.practice_id for p in rows} == set(a.practice_ids())


def test_capability_narrows_the_scope():
    a = resolve_actor(User.objects.get(username="alex.manager"))
    editable = Patient.objects.visible_to(a, Capability.PATIENTS_EDIT)
    viewable = Patient.objects.visible_to(a, Capability.PATIENTS_VIEW)
    assert {p.practice_id for p in editable} == set(a.practice_ids(Capability.PATIENTS_EDIT))
    assert editable.count() < viewable.count()


def test_other_workspace_is_never_in_scope():
    a = resolve_actor(User.objects.get(username="hank.harbor"))
    rows = list(Patient.objects.visible_to(a, Capability.PATIENTS_VIEW))
    assert rows and all(p.workspace_id == a.workspace.pk for p in rows)


def test_system_access_needs_a_reason():
    with pytest.raises(ValueError):
        Patient.objects.for_system([1], reason="")
