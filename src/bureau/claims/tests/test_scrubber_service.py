"""The scrub service over the database: snapshots, hits written, transitions, audit, settings
(practice, payer and workspace levels), the view and the command."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.claims import scrubbing
from bureau.claims.models import (
    ChargeLine,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimState,
    Encounter,
    ScrubHit,
)
from bureau.configuration import services as config
from bureau.conftest import verified_client
from bureau.directory.models import Enrollment, EnrollmentStatus, Payer, Provider
from bureau.directory.npi import make_npi
from bureau.patients.models import Coverage, Patient
from bureau.tenancy import rls
from bureau.tenancy.actor import CapabilityDenied, resolve_actor
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
_seq = itertools.count(1)
RULE = {
    "field": "procedure_code",
    "op": "eq",
    "value": "99213",
    "severity": "error",
    "message": "No 99213 for this client",
}


def actor(username: str):
    return resolve_actor(User.objects.get(username=username))


def practices() -> list[Practice]:
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def payer(practice: Practice, *, filing: int = 365) -> Payer:
    n = next(_seq)
    return Payer.objects.create(
        workspace_id=practice.workspace_id,
        name=f"Scrub payer {n}",
        payer_id=f"SCRB{n}",
        timely_filing_days=filing,
    )


def make_claim(
    practice: Practice,
    to: Payer,
    *,
    enrollment: str | None = EnrollmentStatus.ACTIVE,
    diagnoses: tuple[str, ...] = ("E119", "I10"),
    lines: tuple[tuple[str, tuple[str, ...]], ...] = (("99213", ()), ("36415", ())),
    days_ago: int = 5,
) -> Claim:
    n = next(_seq)
    with rls.practice_scope([practice.pk]):
        doctor = Provider.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            name=f"Dr. Scrub {n}",
            npi=make_npi(f"1{70000000 + n:08d}"),
        )
        if enrollment is not None:
            Enrollment.objects.create(
                workspace_id=practice.workspace_id,
                practice=practice,
                provider=doctor,
                payer=to,
                status=enrollment,
                effective_date=date(2020, 1, 1),
            )
        patients = (
            Patient.objects.for_system([practice.pk], reason="test")
            .filter(practice=practice)
            .order_by("id")
        )
        patient = patients[n % patients.count()]
        coverage = Coverage.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            patient=patient,
            payer=to,
            member_id=f"S{n:08d}",
            effective_date=date(2020, 1, 1),
        )
        dos = timezone.localdate() - timedelta(days=days_ago)
        encounter = Encounter.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            patient=patient,
            rendering_provider=doctor,
            billing_provider=doctor,
            date_of_service=dos,
            diagnosis_codes=list(diagnoses),
            created_by=User.objects.order_by("id").first(),
        )
        claim = Claim.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            encounter=encounter,
            patient=patient,
            coverage=coverage,
            payer=to,
            number=f"SCR{n:07d}",
            total_charge=Decimal("100.00"),
        )
        for i, (code, mods) in enumerate(lines, 1):
            charge = ChargeLine.objects.create(
                workspace_id=practice.workspace_id,
                practice=practice,
                encounter=encounter,
                line_number=i,
                procedure_code=code,
                modifiers=list(mods),
                diagnosis_pointers=[1],
                charge=Decimal("50.00"),
                date_of_service=dos,
            )
            ClaimLine.objects.create(
                workspace_id=practice.workspace_id,
                practice=practice,
                claim=claim,
                charge_line=charge,
                line_number=i,
                procedure_code=code,
                modifiers=list(mods),
                diagnosis_pointers=[1],
                charge=Decimal("50.00"),
                date_of_service=dos,
            )
    return claim


def current_hits(claim: Claim) -> list[tuple[str, str]]:
    return sorted(
        ScrubHit.objects.for_system([claim.practice_id], reason="test")
        .filter(claim=claim, is_current=True)
        .values_list("rule", "severity")
    )


def state_of(claim: Claim) -> str:
    return Claim.objects.for_system([claim.practice_id], reason="test").get(pk=claim.pk).state


def test_clean_claim_goes_ready_with_history_and_audit() -> None:
    practice = practices()[0]
    claim = make_claim(practice, payer(practice))
    outcome = scrubbing.claim_scrub(actor=actor("bella.biller"), claim=claim)
    assert (outcome.state, outcome.hits) == (ClaimState.READY, [])
    assert state_of(claim) == "ready" and current_hits(claim) == []
    event = AuditEvent.objects.filter(action="claim.scrubbed").order_by("-id").first()
    assert event.record_ids == [str(claim.public_id)] and event.user.username == "bella.biller"
    assert event.detail["errors"] == 0 and event.detail["states"] == {"ready": 1}
    history = ClaimEvent.objects.for_system([practice.pk], reason="test").filter(claim=claim)
    assert [(e.from_state, e.to_state) for e in history] == [("draft", "ready")]


def test_errors_scrub_then_fix_and_rescrub_retires_old_hits() -> None:
    practice = practices()[0]
    claim = make_claim(practice, payer(practice), diagnoses=("XYZ99",))
    a = actor("bella.biller")
    outcome = scrubbing.claim_scrub(actor=a, claim=claim)
    assert outcome.state == ClaimState.SCRUBBED and outcome.errors == 1
    assert current_hits(claim) == [("icd10.invalid", "error")]
    with rls.practice_scope([practice.pk]):
        Encounter.objects.for_system([practice.pk], reason="test").filter(
            pk=claim.encounter_id
        ).update(diagnosis_codes=["E119"])
    claim = Claim.objects.for_system([practice.pk], reason="test").get(pk=claim.pk)
    assert scrubbing.claim_scrub(actor=a, claim=claim).state == ClaimState.READY
    assert current_hits(claim) == []
    old = ScrubHit.objects.for_system([practice.pk], reason="test").filter(claim=claim)
    assert [h.is_current for h in old] == [False]


@pytest.mark.parametrize("status", [EnrollmentStatus.PENDING, EnrollmentStatus.TERMINATED, None])
def test_enrollment_problem_puts_claim_on_credentialing_hold(status) -> None:
    practice = practices()[1]
    claim = make_claim(practice, payer(practice), enrollment=status)
    outcome = scrubbing.claim_scrub(actor=actor("olivia.owner"), claim=claim)
    assert outcome.state == ClaimState.CREDENTIALING_HOLD
    assert current_hits(claim) == [("credentialing", "error")]


def test_coding_errors_win_over_credentialing_and_warnings_stay_ready() -> None:
    practice = practices()[1]
    both = make_claim(practice, payer(practice), enrollment=None, diagnoses=("E11",))
    warned = make_claim(practice, payer(practice), lines=(("99213", ("Q9",)),))
    outcomes = scrubbing.claims_scrub(actor=actor("olivia.owner"), claims=[both, warned])
    assert [o.state for o in outcomes] == [ClaimState.SCRUBBED, ClaimState.READY]
    assert current_hits(warned) == [("modifier.unknown", "warning")]


def test_timely_filing_setting_then_payer_fallback() -> None:
    practice = practices()[2]
    owner = actor("olivia.owner")
    late = payer(practice, filing=3)
    claim = make_claim(practice, late)
    assert ("timely.expired", "error") in [
        (h.rule, h.severity) for h in scrubbing.claim_scrub(actor=owner, claim=claim).hits
    ]
    config.setting_set(
        actor=owner,
        practice=practice,
        payer=late,
        key="claims.timely_filing_days",
        value=90,
        reason="contract",
    )
    claim = Claim.objects.for_system([practice.pk], reason="test").get(pk=claim.pk)
    assert scrubbing.claim_scrub(actor=owner, claim=claim).hits == []


def test_custom_rules_practice_level_and_payer_override() -> None:
    practice = practices()[3]
    owner = actor("olivia.owner")
    plain, special = payer(practice), payer(practice)
    config.setting_set(
        actor=owner, practice=practice, key="scrub.custom_rules", value=[RULE], reason="client rule"
    )
    warn = dict(RULE, severity="warning", message="Payer: 99213 review")
    config.setting_set(
        actor=owner,
        practice=practice,
        payer=special,
        key="scrub.custom_rules",
        value=[warn],
        reason="payer rule",
    )
    a, b = make_claim(practice, plain), make_claim(practice, special)
    first, second = scrubbing.claims_scrub(actor=owner, claims=[a, b])
    assert [(h.rule, h.severity, h.message, h.line_number) for h in first.hits] == [
        ("custom.1", "error", "No 99213 for this client", 1)
    ]
    assert first.state == ClaimState.SCRUBBED
    assert [(h.severity, h.message) for h in second.hits] == [("warning", "Payer: 99213 review")]
    assert second.state == ClaimState.READY


def test_workspace_default_reaches_practice_without_override() -> None:
    owner = actor("olivia.owner")
    inherits, overrides = practices()[4], practices()[5]
    config.setting_set(
        actor=owner,
        practice=overrides,
        key="scrub.custom_rules",
        value=[],
        reason="client opted out",
    )
    config.setting_set(
        actor=owner,
        practice=None,
        key="scrub.custom_rules",
        value=[RULE],
        reason="workspace policy",
    )
    a = make_claim(inherits, payer(inherits))
    b = make_claim(overrides, payer(overrides))
    assert [h.rule for h in scrubbing.claim_scrub(actor=owner, claim=a).hits] == ["custom.1"]
    assert scrubbing.claim_scrub(actor=owner, claim=b).hits == []


def test_rules_disabled_still_checks_enrollment() -> None:
    practice = practices()[6]
    owner = actor("olivia.owner")
    config.setting_set(
        actor=owner,
        practice=practice,
        key="scrub.rules_enabled",
        value=False,
        reason="client scrubs in their EHR",
    )
    bad = make_claim(practice, payer(practice), diagnoses=("XYZ99",))
    held = make_claim(practice, payer(practice), enrollment=None)
    first, second = scrubbing.claims_scrub(actor=owner, claims=[bad, held])
    assert (first.state, second.state) == (ClaimState.READY, ClaimState.CREDENTIALING_HOLD)


def test_duplicate_claims_flag_each_other() -> None:
    practice = practices()[0]
    to = payer(practice)
    a = make_claim(practice, to)
    b = make_claim(practice, to)
    with rls.practice_scope([practice.pk]):  # same patient, DOS, codes, payer
        Claim.objects.for_system([practice.pk], reason="test").filter(pk=b.pk).update(
            patient_id=a.patient_id
        )
        Encounter.objects.for_system([practice.pk], reason="test").filter(pk=b.encounter_id).update(
            patient_id=a.patient_id
        )
    b = Claim.objects.for_system([practice.pk], reason="test").get(pk=b.pk)
    outcomes = scrubbing.claims_scrub(actor=actor("bella.biller"), claims=[a, b])
    assert all({h.rule for h in o.hits} == {"duplicate"} for o in outcomes)


def test_capability_and_practice_refused() -> None:
    practice = practices()[5]
    claim = make_claim(practice, payer(practice))
    for username in ("bella.biller", "cliff.client"):  # no grant there; view-only
        with pytest.raises(CapabilityDenied):
            scrubbing.claim_scrub(actor=actor(username), claim=claim)
    assert state_of(claim) == "draft"


def test_submitted_claim_is_not_scrubbed() -> None:
    practice = practices()[0]
    claim = make_claim(practice, payer(practice))
    claim.state = ClaimState.SUBMITTED
    with pytest.raises(scrubbing.ScrubNotAllowed):
        with rls.practice_scope([practice.pk]):
            Claim.objects.for_system([practice.pk], reason="test").filter(pk=claim.pk).update(
                state=ClaimState.SUBMITTED
            )
            scrubbing.claim_scrub(actor=actor("olivia.owner"), claim=claim)


def test_view_scrubs_and_redirects_foreign_is_404() -> None:
    practice = practices()[0]
    claim = make_claim(practice, payer(practice), diagnoses=("XYZ99",))
    url = f"/scrub/{claim.public_id}/"
    assert verified_client("hank.harbor").post(url).status_code == 404
    assert verified_client("priya.poster").post(url).status_code == 404
    client = verified_client("bella.biller")
    assert client.get(url).status_code == 405
    response = client.post(url)
    assert response.status_code == 302 and str(claim.public_id) in response["Location"]
    assert state_of(claim) == "scrubbed"


def test_command_scrubs_pending_claims_of_a_practice() -> None:
    practice = practices()[7]
    ready = make_claim(practice, payer(practice))
    held = make_claim(practice, payer(practice), enrollment=EnrollmentStatus.PENDING)
    out = StringIO()
    call_command("scrub", practice=practice.npi, stdout=out)
    assert state_of(ready) == "ready" and state_of(held) == "credentialing_hold"
    assert f"{practice.code}: " in out.getvalue() and "total:" in out.getvalue()


def test_bulk_reads_do_not_grow_with_claims() -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    practice = practices()[0]
    claims = [make_claim(practice, payer(practice)) for _ in range(4)]
    with CaptureQueriesContext(connection) as ctx:
        scrubbing.claims_scrub(actor=actor("olivia.owner"), claims=claims)
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].lstrip().startswith("SELECT")]
    assert sum('FROM "claims_claimline"' in q for q in selects) == 2  # lines, duplicates
    assert sum('FROM "configuration_settingvalue"' in q for q in selects) == 1
    assert sum('FROM "directory_enrollment"' in q for q in selects) == 1
