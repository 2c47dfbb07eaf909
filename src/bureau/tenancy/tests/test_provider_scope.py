"""A grant limited to some providers narrows every PHI model in `visible_to`, the same layer as
the practice scope (DESIGN §4): each model declares how its rows reach a provider, and for every
row of every model the scope agrees with the rule written out independently in `provider_world`.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import ForeignKey
from django.test.utils import CaptureQueriesContext

from bureau.accounts.models import User
from bureau.claims.models import Claim
from bureau.directory.models import Provider
from bureau.patients.models import Patient
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Capability
from bureau.tenancy.scoping import ProviderScope, provider_condition
from bureau.tenancy.tests.provider_world import build, phi_models, system, truth

C = Capability


# -- declarations -------------------------------------------------------------------------------
def _walk(model, path: str):
    """The field the path ends at, following foreign keys and reverse relations."""
    field = None
    for name in path.split("__"):
        field = model._meta.get_field(name)
        model = field.related_model
    return field


def test_every_phi_model_declares_how_it_reaches_a_provider():
    """A new PHI model (a work item, a statement...) must say how a provider-limited grant
    narrows it: an inherited or missing declaration fails here, and so does a path that does not
    end at a provider."""
    problems = []
    for model in phi_models():
        scope = model.__dict__.get("provider_scope")
        if not isinstance(scope, ProviderScope):
            problems.append(f"{model.__name__}: no provider_scope of its own")
            continue
        if not scope.paths:
            if len(scope.reason) < 20:
                problems.append(f"{model.__name__}: no paths and no real reason")
            continue
        start = model
        if scope.via is not None:
            label, source_field, own_field = scope.via
            start = apps.get_model(label)
            start._meta.get_field(source_field.removesuffix("_id"))
            if own_field != "pk":
                model._meta.get_field(own_field.removesuffix("_id"))
        for path in scope.paths:
            end = _walk(start, path)
            if not (isinstance(end, ForeignKey) and end.related_model is Provider):
                problems.append(f"{model.__name__}: {path} does not end at a provider")
    assert not problems, "\n".join(problems)


def test_a_model_that_declares_nothing_is_refused_not_left_open():
    with pytest.raises(TypeError, match="provider_scope"):
        provider_condition(Practice, {1: frozenset({1})}, [])


def test_a_scope_without_paths_must_say_why():
    with pytest.raises(ValueError):
        ProviderScope()
    assert ProviderScope(reason="belongs to the practice, no one provider").paths == ()


# -- behaviour ----------------------------------------------------------------------------------
@pytest.mark.django_db
def test_every_row_of_every_phi_model_is_in_scope_exactly_when_it_reaches_an_allowed_provider():
    world = build()
    rules = truth(world)
    assert set(rules) == set(phi_models()), "provider_world.truth needs a rule for every model"
    unlimited = resolve_actor(User.objects.get(username="cliff.client"))
    assert unlimited is not None and unlimited.practice_ids() == {world.practice.pk}
    problems = []
    for model, rule in rules.items():
        with rls.practice_scope([world.practice.pk]):
            rows = list(system(model, world.practice))
        expected = {r.pk for r in rows if rule(r)}
        seen = set(
            model.objects.visible_to(world.actor, C.CLAIMS_VIEW)
            .filter(practice=world.practice)
            .values_list("pk", flat=True)
        )
        if seen != expected:
            problems.append(
                f"{model.__name__}: {len(seen - expected)} shown outside her providers, "
                f"{len(expected - seen)} of hers hidden"
            )
        # Someone with the whole practice sees every row, as before.
        everyone = model.objects.visible_to(unlimited, C.CLAIMS_VIEW).count()
        if everyone != len(rows):
            problems.append(f"{model.__name__}: the unlimited viewer sees {everyone}/{len(rows)}")
        # Not vacuous where the scenario makes both kinds.
        if model.__name__ in NON_VACUOUS and not (expected and set(r.pk for r in rows) - expected):
            problems.append(f"{model.__name__}: the scenario has no rows of both kinds")
    assert not problems, "\n".join(problems)


NON_VACUOUS = {
    "WriteOffRequest",
    "WriteOffLine",
    "Patient",
    "Coverage",
    "Encounter",
    "ChargeLine",
    "Claim",
    "ClaimLine",
    "ClaimEvent",
    "Era",
    "EraClaim",
    "EraLine",
    "LedgerEntry",
    "EraException",
    "Denial",
}


@pytest.mark.django_db
def test_a_grant_without_providers_changes_nothing_in_the_query():
    """Unlimited actors pay nothing for the provider scope: no subquery in their SQL."""
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    sql = str(Claim.objects.visible_to(owner, C.CLAIMS_VIEW).query)
    assert "SELECT" not in sql.split("WHERE", 1)[1]


@pytest.mark.django_db
def test_two_limited_practices_each_keep_their_own_providers():
    """Allowed providers are per practice: one practice's allowed doctor opens nothing in
    another (provider ids are compared inside their practice)."""
    user = User.objects.get(username="bella.biller")
    first, second = list(Practice.objects.filter(grants__user=user).order_by("id").distinct()[:2])
    grants = {g.practice_id: g for g in Grant.objects.filter(user=user)}
    one = Provider.objects.filter(practice=first).order_by("id").first()
    two = Provider.objects.filter(practice=second).order_by("id").first()
    grants[first.pk].providers.set([one])
    grants[second.pk].providers.set([two])
    actor = resolve_actor(user)
    assert actor.limited_providers() == {first.pk: {one.pk}, second.pk: {two.pk}}
    with CaptureQueriesContext(connection) as ctx:
        claims = list(
            Claim.objects.visible_to(actor, C.CLAIMS_VIEW).select_related("encounter").order_by()
        )
    assert len(ctx.captured_queries) <= 2  # the RLS setting (PostgreSQL) and the one read
    assert claims
    for claim in claims:
        doctors = {claim.encounter.rendering_provider_id, claim.encounter.billing_provider_id}
        if claim.practice_id == first.pk:
            assert one.pk in doctors
        elif claim.practice_id == second.pk:
            assert two.pk in doctors
    # The other two practices of her grants stay whole.
    assert {c.practice_id for c in claims} - {first.pk, second.pk}


@pytest.mark.django_db
def test_patients_with_no_encounter_stay_out_of_a_limited_scope():
    """The chosen rule for patients: those with an encounter rendered or billed by an allowed
    provider. A patient nobody has seen yet belongs to no provider, so to no limited grant."""
    world = build()
    with rls.practice_scope([world.practice.pk]):
        fresh = Patient.objects.create(
            workspace_id=world.practice.workspace_id,
            practice=world.practice,
            account_number="NEWPAT01",
            first_name="New",
            last_name="Patient",
            date_of_birth="1990-01-01",
        )
    visible = Patient.objects.visible_to(world.actor, C.PATIENTS_VIEW)
    assert not visible.filter(pk=fresh.pk).exists()
    assert visible.filter(pk=world.my_patient.pk).exists()
    assert not visible.filter(pk=world.their_patient.pk).exists()


def test_reading_past_the_provider_scope_stays_in_services():
    """`whole_practice` serves the integrity checks of a write and never shows a row: views, API
    routes and selectors must not call it."""
    src = Path(__file__).resolve().parents[2]
    files = [
        p
        for pattern in ("views.py", "*_views.py", "api.py", "selectors.py")
        for p in src.rglob(pattern)
        if "tests" not in p.parts
    ]
    assert files
    problems = [
        f"{path.relative_to(src)}:{node.lineno}"
        for path in files
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Attribute) and node.attr == "whole_practice"
    ]
    assert not problems, problems


@pytest.mark.django_db
def test_a_limited_grant_stays_limited_beside_a_whole_practice_grant_of_other_capabilities():
    """Biller on one doctor plus read-only on the whole practice: reads everything, edits that
    doctor's claims only (a capability is as wide as the grants that confer it)."""
    user = User.objects.get(username="bella.biller")
    grant = Grant.objects.filter(user=user).order_by("id").first()
    practice = grant.practice
    doctor = Provider.objects.filter(practice=practice).order_by("id").first()
    grant.providers.set([doctor])
    Grant.objects.create(
        workspace=practice.workspace, user=user, practice=practice, role="read_only", reason="t"
    )
    actor = resolve_actor(user)
    assert actor.provider_ids(practice) is None  # the practice as a whole: widened
    assert actor.provider_ids(practice, C.CLAIMS_VIEW) is None
    assert actor.provider_ids(practice, C.CLAIMS_EDIT) == {doctor.pk}
    readable = Claim.objects.visible_to(actor, C.CLAIMS_VIEW).filter(practice=practice)
    editable = Claim.objects.visible_to(actor, C.CLAIMS_EDIT).filter(practice=practice)
    others = readable.exclude(encounter__rendering_provider=doctor).exclude(
        encounter__billing_provider=doctor
    )
    assert others.exists()
    assert not editable.filter(pk__in=list(others.values_list("pk", flat=True))).exists()
    assert editable.exists() or not readable.filter(encounter__rendering_provider=doctor).exists()
    assert not actor.provider_limited(practice, C.CLAIMS_VIEW)
    assert actor.provider_limited(practice, C.CLAIMS_EDIT)
