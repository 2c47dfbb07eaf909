"""Coverage writes: each validation names its field, one COB order never overlaps itself,
ending keeps the policy, every change audited naming the person; grants narrow as elsewhere."""

from datetime import date, timedelta
from itertools import count

import pytest
from django.http import Http404
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.claims.models import Claim
from bureau.directory.models import Payer
from bureau.patients import services
from bureau.patients.models import Coverage
from bureau.tenancy import rls
from bureau.tenancy.actor import CapabilityDenied, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db
_accounts = count(1)


def actor(username):
    return resolve_actor(User.objects.get(username=username))


def practices():
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def payers():
    return list(Payer.objects.filter(workspace__slug="summit").order_by("id"))


def new_patient(practice=None):
    """A patient (of practice 0) with no policy yet (the demo's have their own)."""
    return services.patient_create(
        actor=actor("olivia.owner"),
        practice=practice or practices()[0],
        data=services.PatientData(
            account_number=f"COV{next(_accounts):05d}",
            first_name="Robin",
            last_name="Policyholder",
            date_of_birth=date(1988, 2, 3),
            sex="F",
        ),
    )


def policy(**overrides):
    values = dict(
        payer_id=payers()[0].pk,
        member_id="MEM-1001",
        effective_date=date(2024, 1, 1),
    )
    values.update(overrides)
    return services.CoverageData(**values)


def add(patient, username="bella.biller", **overrides):
    return services.coverage_create(
        actor=actor(username), patient=patient, data=policy(**overrides)
    )


def stored(a, patient):
    return list(
        Coverage.objects.visible_to(a, Capability.PATIENTS_VIEW)
        .filter(patient=patient)
        .order_by("id")
    )


def last_event():
    return AuditEvent.objects.order_by("-id").first()


CHILD = dict(relationship="19")
SUBSCRIBER = dict(
    subscriber_first_name="Pat",
    subscriber_last_name="Policyholder",
    subscriber_date_of_birth=date(1960, 1, 1),
)


def test_add_a_dependents_policy_with_its_subscriber_and_audit():
    patient = new_patient()
    coverage = add(patient, group_number="G-7", cob_order=2, **CHILD, **SUBSCRIBER)
    assert (coverage.cob_order, coverage.relationship, coverage.group_number) == (2, "19", "G-7")
    assert coverage.subscriber_last_name == "Policyholder"
    assert coverage.subscriber_date_of_birth == date(1960, 1, 1)
    event = last_event()
    assert event.action == "coverage.created" and event.record_ids == [str(coverage.public_id)]
    assert event.user.username == "bella.biller" and event.practice_id == patient.practice_id


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"end_date": date(2023, 12, 31)}, "end_date"),
        ({"end_date": date(2300, 1, 1)}, "end_date"),
        ({"effective_date": date(1899, 12, 31)}, "effective_date"),
        ({"effective_date": timezone.localdate() + timedelta(days=800)}, "effective_date"),
        ({"member_id": "X"}, "member_id"),  # too short
        ({"member_id": "M" * 81}, "member_id"),  # too long for NM109
        ({"member_id": "MEM*1001"}, "member_id"),  # an X12 delimiter
        ({"member_id": "MEM\u0661\u0662\u0663"}, "member_id"),  # Arabic-Indic digits
        ({"member_id": "MEM\uff11\uff12"}, "member_id"),  # full-width digits
        ({"group_number": "G 7"}, "group_number"),
        ({"cob_order": 4}, "cob_order"),
        ({"relationship": "99"}, "relationship"),
        (CHILD, "subscriber_first_name"),
        ({**CHILD, **SUBSCRIBER, "subscriber_first_name": ""}, "subscriber_first_name"),
        ({**CHILD, **SUBSCRIBER, "subscriber_last_name": " "}, "subscriber_last_name"),
        ({**CHILD, **SUBSCRIBER, "subscriber_date_of_birth": None}, "subscriber_date_of_birth"),
        (
            {**CHILD, **SUBSCRIBER, "subscriber_date_of_birth": date(2999, 1, 1)},
            "subscriber_date_of_birth",
        ),
        ({**CHILD, **SUBSCRIBER, "subscriber_sex": "X"}, "subscriber_sex"),
        ({"subscriber_last_name": "Someone"}, "subscriber_last_name"),  # self has no subscriber
    ],
)
def test_each_bad_policy_names_its_field_and_stores_nothing(overrides, field):
    patient = new_patient()
    before = AuditEvent.objects.count()
    with pytest.raises(services.PatientError) as err:
        add(patient, **overrides)
    assert err.value.field == field, str(err.value)
    assert AuditEvent.objects.count() == before
    assert stored(actor("bella.biller"), patient) == []


def test_a_dependent_without_a_subscriber_is_told_every_missing_field():
    problems = services.coverage_problems(policy(**CHILD))
    assert [p.field for p in problems] == [
        "subscriber_first_name",
        "subscriber_last_name",
        "subscriber_date_of_birth",
    ]


def test_a_payer_of_another_workspace_answers_like_a_missing_one():
    patient = new_patient()
    harbor = Payer.objects.create(
        workspace=Workspace.objects.get(slug="harbor"), name="Harbor Mutual", payer_id="HBR1"
    )
    inactive = Payer.objects.create(
        workspace=patient.workspace, name="Gone Mutual", payer_id="GONE1", is_active=False
    )
    answers = set()
    for payer_id in (harbor.pk, 2**31 - 1, inactive.pk):
        with pytest.raises(services.PatientError) as err:
            add(patient, payer_id=payer_id)
        answers.add((err.value.field, str(err.value)))
    assert answers == {("payer_id", "Choose an active payer.")}


def test_two_primaries_may_not_cover_the_same_day():
    patient = new_patient()
    first = add(patient, effective_date=date(2024, 1, 1))  # open-ended primary
    with pytest.raises(services.PatientError) as err:
        add(patient, member_id="MEM-2", effective_date=date(2025, 6, 1))
    assert err.value.field == "cob_order"
    assert "primary coverage with" in str(err.value) and "2024-01-01 to open-ended" in str(
        err.value
    )
    # Before it starts, or in another order, is fine.
    add(patient, member_id="MEM-0", effective_date=date(2022, 1, 1), end_date=date(2023, 12, 31))
    add(patient, member_id="MEM-S", cob_order=2, effective_date=date(2025, 6, 1))
    # An edit is checked against the others, not itself.
    a = actor("bella.biller")
    practice = practices()[0]
    with pytest.raises(services.PatientError, match="overlaps"):
        services.coverage_update(
            actor=a,
            coverage=first,
            practice=practice,
            data=policy(effective_date=date(2023, 12, 31)),
        )
    # Ended, the next primary may start the day after.
    services.coverage_end(actor=a, coverage=first, practice=practice, end_date=date(2025, 5, 31))
    add(patient, member_id="MEM-2", effective_date=date(2025, 6, 1))
    assert len(stored(a, patient)) == 4


def test_update_audits_field_names_not_values():
    patient = new_patient()
    coverage = add(patient)
    a = actor("bella.biller")
    changed = services.coverage_update(
        actor=a,
        coverage=coverage,
        practice=practices()[0],
        data=policy(member_id="NEWMEM-77", group_number="G1"),
    )
    assert changed == ["member_id", "group_number"]
    event = last_event()
    assert event.action == "patient.updated" and event.model == "patients.Coverage"
    assert event.detail == {"patient": str(patient.public_id), "fields": changed}
    assert "NEWMEM" not in str(event.detail) and event.user.username == "bella.biller"
    coverage.refresh_from_db()
    assert coverage.member_id == "NEWMEM-77"
    # The same values again: nothing written, nothing audited.
    before = AuditEvent.objects.count()
    assert (
        services.coverage_update(
            actor=a,
            coverage=coverage,
            practice=practices()[0],
            data=policy(member_id="NEWMEM-77", group_number="G1"),
        )
        == []
    )
    assert AuditEvent.objects.count() == before


def test_the_payer_of_a_billed_policy_stays():
    owner = actor("olivia.owner")
    with rls.practice_scope(owner.practice_ids()):
        claim = (
            Claim.objects.visible_to(owner, Capability.CLAIMS_VIEW)
            .select_related("coverage", "coverage__patient")
            .order_by("id")
            .first()
        )
    coverage = claim.coverage
    practice = Practice.objects.get(pk=coverage.practice_id)
    other = next(p for p in payers() if p.pk != coverage.payer_id)
    same = {
        name: getattr(coverage, name)
        for name in services.COVERAGE_FIELDS
        if name not in ("payer_id", "member_id")
    }
    with pytest.raises(services.PatientError) as err:
        services.coverage_update(
            actor=owner,
            coverage=coverage,
            practice=practice,
            data=services.CoverageData(payer_id=other.pk, member_id=coverage.member_id, **same),
        )
    assert err.value.field == "payer_id" and "end this coverage" in str(err.value)
    # Correcting the member id of a billed policy (a rejection's usual fix) is fine.
    changed = services.coverage_update(
        actor=owner,
        coverage=coverage,
        practice=practice,
        data=services.CoverageData(payer_id=coverage.payer_id, member_id="FIXED-001", **same),
    )
    assert changed == ["member_id"]


def test_ending_keeps_the_policy_as_history():
    patient = new_patient()
    coverage = add(patient)
    a = actor("bella.biller")
    practice = practices()[0]
    with pytest.raises(services.PatientError) as err:
        services.coverage_end(
            actor=a, coverage=coverage, practice=practice, end_date=date(2023, 1, 1)
        )
    assert err.value.field == "end_date"
    services.coverage_end(actor=a, coverage=coverage, practice=practice, end_date=date(2025, 3, 31))
    event = last_event()
    assert event.action == "patient.updated" and event.detail["ended"] is True
    assert event.detail["fields"] == ["end_date"] and event.user.username == "bella.biller"
    [kept] = stored(a, patient)
    assert kept.pk == coverage.pk and kept.end_date == date(2025, 3, 31)
    with pytest.raises(services.PatientError, match="already ends on 2025-03-31"):
        services.coverage_end(
            actor=a, coverage=coverage, practice=practice, end_date=date(2025, 12, 31)
        )
    # Ending it earlier still is a correction the end form allows.
    services.coverage_end(actor=a, coverage=coverage, practice=practice, end_date=date(2025, 1, 31))


def test_grants_decide_who_may_change_a_policy():
    patient = new_patient(practices()[5])
    coverage = add(patient, username="olivia.owner")
    good = policy(member_id="MEM-XX")
    # alex.manager holds practice 5 read-only; dan.denials sees masked demographics.
    for username in ("alex.manager", "dan.denials", "priya.poster"):
        with pytest.raises(CapabilityDenied):
            services.coverage_update(
                actor=actor(username), coverage=coverage, practice=practices()[5], data=good
            )
    # The request naming another practice than the record's is refused.
    with pytest.raises(CapabilityDenied):
        services.coverage_update(
            actor=actor("olivia.owner"), coverage=coverage, practice=practices()[0], data=good
        )


def test_a_provider_limited_biller_changes_her_providers_patients_policies_only():
    from bureau.tenancy.tests.provider_world import build, system

    pw = build()
    lina = actor(pw.user.username)
    with rls.practice_scope([pw.practice.pk]):
        mine = system(Coverage, pw.practice).filter(patient=pw.my_patient).first()
        theirs = system(Coverage, pw.practice).filter(patient=pw.their_patient).first()
    assert mine is not None and theirs is not None
    for coverage in (theirs,):
        with pytest.raises(Http404):
            services.coverage_end(
                actor=lina, coverage=coverage, practice=pw.practice, end_date=date(2030, 1, 1)
            )
        with pytest.raises(Http404):
            services.coverage_create(actor=lina, patient=pw.their_patient, data=policy())
    later = max(mine.effective_date, date(2030, 1, 1))
    services.coverage_end(actor=lina, coverage=mine, practice=pw.practice, end_date=later)
    assert last_event().user == pw.user
