"""Claim writes: the state machine, encounter entry and its validation, capabilities, audit."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.http import Http404
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.claims import services
from bureau.claims.models import Claim, ClaimEvent, ClaimLine, ClaimState, Encounter
from bureau.claims.services import EncounterData, EncounterError, LineData
from bureau.directory.models import Payer, Provider
from bureau.patients.services import CoverageData, PatientData, coverage_create, patient_create
from bureau.tenancy import rls
from bureau.tenancy.actor import CapabilityDenied, resolve_actor
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
S = ClaimState


def actor(username):
    return resolve_actor(User.objects.get(username=username))


def practices():
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


_accounts = itertools.count(1)


def some_patient(practice, index=0):
    """A new patient without coverage (the demo patients have their own)."""
    return patient_create(
        actor=actor("olivia.owner"),
        practice=practice,
        data=PatientData(
            account_number=f"CLT{next(_accounts):05d}",
            first_name="Quinn",
            last_name="Claimsworth",
            date_of_birth=date(1975, 3, 9),
            sex="F",
        ),
    )


def payers():
    return list(Payer.objects.filter(workspace__slug="summit").order_by("id"))


def insure(patient, *orders):
    """Give the patient coverages (primary, secondary...) through the service."""
    owner = actor("olivia.owner")
    for order in orders or (1,):
        coverage_create(
            actor=owner,
            patient=patient,
            data=CoverageData(
                payer_id=payers()[order - 1].pk,
                member_id=f"MEM{order}{patient.pk}",
                effective_date=date(2024, 1, 1),
                cob_order=order,
            ),
        )


def encounter_data(practice, patient, **overrides):
    doctor = Provider.objects.filter(practice=practice).order_by("id").first()
    values = dict(
        patient=patient.public_id,
        rendering_provider_id=doctor.pk,
        billing_provider_id=doctor.pk,
        date_of_service=timezone.localdate() - timedelta(days=2),
        place_of_service="11",
        diagnosis_codes=["E11.9", "i10"],
        lines=[
            LineData("99213", pointers=[1, 2]),
            LineData("36415", units=Decimal("2")),
            LineData("81002", charge=Decimal("15.50"), modifiers=["qw"]),
        ],
    )
    values.update(overrides)
    return EncounterData(**values)


def make_claims(username="bella.biller", practice_index=0, orders=(1,)):
    practice = practices()[practice_index]
    patient = some_patient(practice)
    insure(patient, *orders)
    a = actor(username)
    encounter = services.encounter_create(
        actor=a, practice=practice, data=encounter_data(practice, patient)
    )
    with rls.practice_scope([practice.pk]):
        claims = list(
            Claim.objects.for_system([practice.pk], reason="test")
            .filter(encounter=encounter)
            .order_by("responsibility")
        )
    return a, practice, encounter, claims


# -- encounter entry --------------------------------------------------------------------------
def test_encounter_creates_one_claim_per_coverage_with_fees_from_the_schedule():
    a, practice, encounter, claims = make_claims(orders=(1, 2))
    assert encounter.diagnosis_codes == ["E119", "I10"]
    assert [c.responsibility for c in claims] == [1, 2]
    assert [c.payer_id for c in claims] == [payers()[0].pk, payers()[1].pk]
    # Practice 0 overrides 99213 at 120.00; 36415 is the default 12.00 × 2; 81002 charged.
    assert all(c.total_charge == Decimal("159.50") for c in claims)
    assert all(c.state == S.DRAFT for c in claims)
    with rls.practice_scope([practice.pk]):
        lines = list(
            ClaimLine.objects.for_system([practice.pk], reason="test")
            .filter(claim=claims[0])
            .order_by("line_number")
        )
    assert [(ln.procedure_code, ln.charge) for ln in lines] == [
        ("99213", Decimal("120.00")),
        ("36415", Decimal("24.00")),
        ("81002", Decimal("15.50")),
    ]
    assert lines[2].modifiers == ["QW"] and lines[0].diagnosis_pointers == [1, 2]
    # One format, as the demo's seeded claims: CODE-000123, the secondary claim suffixed S.
    code = practice.code.upper()
    assert re.fullmatch(rf"{code}-\d{{6}}", claims[0].number)
    assert claims[1].number == claims[0].number + "S"
    actions = list(AuditEvent.objects.order_by("-id").values_list("action", flat=True)[:2])
    assert set(actions) == {"encounter.created", "claim.created"}


def test_claim_numbers_keep_increasing():
    _, _, _, first = make_claims()
    _, _, _, second = make_claims()
    assert first[0].number < second[0].number


def test_claim_numbers_continue_after_claims_the_counter_never_saw():
    """The counter is the practice's, not a max() over what the actor can see: numbers continue
    from it even when existing claims are invisible to the person entering the encounter."""
    _, practice, _, first = make_claims()
    Practice.objects.filter(pk=practice.pk).update(claim_sequence=41)
    _, _, _, second = make_claims()
    assert second[0].number == f"{practice.code.upper()}-000042"


def test_coverage_not_active_on_the_date_of_service_is_skipped():
    practice = practices()[0]
    patient = some_patient(practice, 1)
    insure(patient, 1)
    with pytest.raises(EncounterError) as err:
        services.encounter_create(
            actor=actor("bella.biller"),
            practice=practice,
            data=encounter_data(practice, patient, date_of_service=date(2023, 6, 1)),
        )
    assert err.value.field == "patient"


@pytest.mark.parametrize(
    ("override", "field", "words"),
    [
        ({"diagnosis_codes": ["E11.9", "Q99.99X"]}, "diagnosis_codes", "Q9999X"),
        ({"diagnosis_codes": []}, "diagnosis_codes", "required"),
        ({"diagnosis_codes": ["I10"] * 13}, "diagnosis_codes", "12"),
        ({"lines": [LineData("99213", pointers=[3])]}, "lines.1.pointers", "beyond"),
        ({"lines": [LineData("9921")]}, "lines.1.procedure_code", "9921"),
        ({"lines": [LineData("99213"), LineData("Z1234")]}, "lines.2.procedure_code", "Z1234"),
        (
            {"lines": [LineData("99213", modifiers=["25", "59", "76", "77", "91"])]},
            "lines.1.modifiers",
            "4",
        ),
        ({"lines": [LineData("99213", modifiers=["2"])]}, "lines.1.modifiers", "modifier"),
        ({"lines": [LineData("99213", units=Decimal("0"))]}, "lines.1.units", "units"),
        ({"lines": [LineData("99499")]}, "lines.1.charge", "no fee"),
        ({"lines": []}, "lines", "At least one"),
        (
            {"date_of_service": timezone.localdate() + timedelta(days=1)},
            "date_of_service",
            "future",
        ),
        ({"date_of_service": date(1999, 12, 31)}, "date_of_service", "2000"),
        ({"place_of_service": "1"}, "place_of_service", "two digits"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(override, field, words):
    practice = practices()[0]
    patient = some_patient(practice)
    insure(patient)
    before = AuditEvent.objects.count()
    with pytest.raises(EncounterError) as err:
        services.encounter_create(
            actor=actor("bella.biller"),
            practice=practice,
            data=encounter_data(practice, patient, **override),
        )
    assert err.value.field == field
    assert words.lower() in str(err.value).lower()
    assert AuditEvent.objects.count() == before
    with rls.practice_scope([practice.pk]):
        assert (
            not Encounter.objects.for_system([practice.pk], reason="test")
            .filter(patient=patient)
            .exists()
        )


def test_provider_of_another_practice_refused():
    practice, other = practices()[0], practices()[1]
    patient = some_patient(practice)
    insure(patient)
    stranger = Provider.objects.filter(practice=other).first()
    data = replace(encounter_data(practice, patient), rendering_provider_id=stranger.pk)
    with pytest.raises(EncounterError) as err:
        services.encounter_create(actor=actor("bella.biller"), practice=practice, data=data)
    assert err.value.field == "rendering_provider"


@pytest.mark.parametrize(
    ("username", "index"),
    [
        ("alex.manager", 5),  # read-only grant there
        ("priya.poster", 0),  # no grant on that practice
        ("dan.denials", 0),  # denial specialist: views claims, does not enter them
        ("cliff.client", 0),  # client viewer
    ],
)
def test_capability_refusals(username, index):
    practice = practices()[index]
    patient = some_patient(practice)
    insure(patient)
    with pytest.raises(CapabilityDenied):
        services.encounter_create(
            actor=actor(username), practice=practice, data=encounter_data(practice, patient)
        )


def test_patient_of_another_practice_is_not_found():
    practice, other = practices()[0], practices()[1]
    patient = some_patient(other)
    with pytest.raises(Http404):
        services.encounter_create(
            actor=actor("bella.biller"), practice=practice, data=encounter_data(practice, patient)
        )


# -- state machine ----------------------------------------------------------------------------
def test_allowed_transition_writes_history_and_audit():
    a, practice, _, [claim] = make_claims()
    before = claim.updated_at
    services.claim_transition(actor=a, claim=claim, to_state=S.READY, note="clean")
    with rls.practice_scope([practice.pk]):
        stored = Claim.objects.for_system([practice.pk], reason="test").get(pk=claim.pk)
        [event] = ClaimEvent.objects.for_system([practice.pk], reason="test").filter(claim=claim)
    assert stored.state == S.READY and stored.updated_at >= before
    assert (event.from_state, event.to_state, event.note) == ("draft", "ready", "clean")
    assert event.user.username == "bella.biller"
    audit = AuditEvent.objects.order_by("-id").first()
    assert audit.action == "claim.state_changed"
    assert audit.detail == {"from": "draft", "to": "ready"}
    assert audit.record_ids == [str(claim.public_id)] and audit.practice_id == practice.pk


def test_refused_transition_names_both_states_and_writes_nothing():
    a, practice, _, [claim] = make_claims()
    count = AuditEvent.objects.count()
    with pytest.raises(services.ClaimStateError) as err:
        services.claim_transition(actor=a, claim=claim, to_state=S.PAID)
    assert "draft" in str(err.value) and "paid" in str(err.value)
    assert AuditEvent.objects.count() == count
    with rls.practice_scope([practice.pk]):
        assert (
            not ClaimEvent.objects.for_system([practice.pk], reason="test")
            .filter(claim=claim)
            .exists()
        )


def test_system_transition_and_capability_check():
    _, practice, _, [claim] = make_claims()
    with pytest.raises(CapabilityDenied):
        services.claim_transition(actor=actor("dan.denials"), claim=claim, to_state=S.READY)
    services.claim_transition(actor=None, claim=claim, to_state=S.READY)
    services.claim_transition(actor=None, claim=claim, to_state=S.SUBMITTED)
    audit = AuditEvent.objects.order_by("-id").first()
    assert audit.user is None and audit.actor_label == "system"
    with rls.practice_scope([practice.pk]):
        history = list(
            ClaimEvent.objects.for_system([practice.pk], reason="test")
            .filter(claim=claim)
            .values_list("to_state", flat=True)
        )
    assert history == ["ready", "submitted"]


def test_transition_table_covers_every_state():
    assert set(services.ALLOWED_TRANSITIONS) == set(ClaimState)
    assert services.ALLOWED_TRANSITIONS[S.CLOSED] == frozenset()
    assert S.SUBMITTED in services.ALLOWED_TRANSITIONS[S.READY]
    assert S.SUBMITTED not in services.ALLOWED_TRANSITIONS[S.DRAFT]


# -- coverages --------------------------------------------------------------------------------
def test_coverage_create_needs_patient_edit_and_is_audited():
    practice = practices()[0]
    patient = some_patient(practice)
    data = CoverageData(payer_id=payers()[0].pk, member_id="X1", effective_date=date(2024, 1, 1))
    with pytest.raises(CapabilityDenied):
        coverage_create(actor=actor("dan.denials"), patient=patient, data=data)
    coverage = coverage_create(actor=actor("bella.biller"), patient=patient, data=data)
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "coverage.created" and event.record_ids == [str(coverage.public_id)]
