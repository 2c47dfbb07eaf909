"""Credentialing holds released when an enrollment turns active (`claims.credentialing`, called by
`directory.services.enrollment_change` in the enrollment's transaction)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims import credentialing
from bureau.claims.models import ChargeLine, Claim, ClaimEvent, ClaimLine, ClaimState, Encounter
from bureau.directory import services
from bureau.directory.models import Enrollment, EnrollmentStatus, Payer, Provider
from bureau.directory.npi import make_npi
from bureau.patients.models import Coverage, Patient
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, CapabilityDenied, PracticeAccess, resolve_actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db
_seq = itertools.count(1)
HOLD = ClaimState.CREDENTIALING_HOLD
REASON = "payer approved the application"


def owner():
    return resolve_actor(User.objects.get(username="olivia.owner"))


def summit() -> list[Practice]:
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def new_payer(practice: Practice) -> Payer:
    n = next(_seq)
    return Payer.objects.create(
        workspace_id=practice.workspace_id, name=f"Cred payer {n}", payer_id=f"CRED{n}"
    )


def new_provider(practice: Practice) -> Provider:
    n = next(_seq)
    return Provider.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        name=f"Dr. Cred {n}",
        npi=make_npi(f"1{80000000 + n:08d}"),
    )


def held_claim(
    provider: Provider,
    payer: Payer,
    *,
    days_ago: int = 5,
    diagnoses: tuple[str, ...] = ("E119", "I10"),
) -> Claim:
    """A claim on credentialing hold: rendered by `provider`, billed to `payer`."""
    practice = provider.practice
    n = next(_seq)
    with rls.practice_scope([practice.pk]):
        patients = Patient.objects.for_system([practice.pk], reason="test").filter(
            practice=practice
        )
        patient = patients.order_by("id")[n % patients.count()]
        coverage = Coverage.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            patient=patient,
            payer=payer,
            member_id=f"C{n:08d}",
            effective_date=date(2020, 1, 1),
        )
        dos = timezone.localdate() - timedelta(days=days_ago)
        encounter = Encounter.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            patient=patient,
            rendering_provider=provider,
            billing_provider=provider,
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
            payer=payer,
            number=f"CRD{n:07d}",
            total_charge=Decimal("100.00"),
            state=HOLD,
        )
        for i, code in enumerate(("99213", "36415"), 1):
            charge = ChargeLine.objects.create(
                workspace_id=practice.workspace_id,
                practice=practice,
                encounter=encounter,
                line_number=i,
                procedure_code=code,
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
                diagnosis_pointers=[1],
                charge=Decimal("50.00"),
                date_of_service=dos,
            )
    return claim


def state(claim: Claim) -> str:
    return Claim.objects.for_system([claim.practice_id], reason="test").get(pk=claim.pk).state


def history(claim: Claim) -> list[ClaimEvent]:
    return list(
        ClaimEvent.objects.for_system([claim.practice_id], reason="test")
        .filter(claim=claim)
        .select_related("user")
    )


def activate(actor: Actor, provider: Provider, payer: Payer, effective: date):
    return services.enrollment_change(
        actor=actor,
        provider=provider,
        payer=payer,
        data=services.EnrollmentData(status=EnrollmentStatus.ACTIVE, effective_date=effective),
        reason=REASON,
    )


def test_activating_releases_exactly_that_providers_holds_with_that_payer() -> None:
    a, b = summit()[0], summit()[1]
    payer, other_payer = new_payer(a), new_payer(a)
    doctor, colleague, elsewhere = new_provider(a), new_provider(a), new_provider(b)
    today = timezone.localdate()
    released = [held_claim(doctor, payer, days_ago=d) for d in (3, 4, 5)]
    coding = held_claim(doctor, payer, days_ago=6, diagnoses=("XYZ99",))
    early = held_claim(doctor, payer, days_ago=40)  # before the effective date
    untouched = [
        held_claim(doctor, other_payer),  # the same doctor, another payer
        held_claim(colleague, payer),  # another doctor of the practice, the same payer
        held_claim(elsewhere, payer),  # another practice's doctor, the same payer
    ]

    change = activate(owner(), doctor, payer, today - timedelta(days=20))

    assert [state(c) for c in released] == ["ready"] * 3
    assert state(coding) == "scrubbed"  # released to its other error
    assert state(early) == "credentialing_hold"
    assert [state(c) for c in untouched] == ["credentialing_hold"] * 3
    assert {c.pk for c in change.release.ready} == {c.pk for c in released}
    assert [c.pk for c in change.release.scrubbed] == [coding.pk]
    assert [(c.pk, why) for c, why in change.release.held] == [
        (early.pk, credentialing.BEFORE_EFFECTIVE)
    ]
    assert change.release.summary() == (
        "4 held claims released (1 with other errors to fix), "
        "1 still held: date of service before the effective date"
    )
    for claim in untouched:
        assert history(claim) == []


def test_released_claims_history_and_audit_name_the_person_and_the_change() -> None:
    practice = summit()[0]
    payer, doctor = new_payer(practice), new_provider(practice)
    claim = held_claim(doctor, payer)
    before = AuditEvent.objects.order_by("-id").first().pk  # type: ignore[union-attr]

    change = activate(owner(), doctor, payer, date(2020, 1, 1))

    (event,) = history(claim)
    assert (event.from_state, event.to_state) == ("credentialing_hold", "ready")
    assert event.user is not None and event.user.username == "olivia.owner"
    assert "enrollment" in event.note and doctor.name in event.note and payer.name in event.note
    moved = AuditEvent.objects.get(
        pk__gt=before, action=AuditAction.CLAIM_STATE_CHANGED, record_ids=[str(claim.public_id)]
    )
    assert moved.user is not None and moved.user.username == "olivia.owner"
    assert moved.reason == REASON and "system, for" in moved.actor_label
    assert moved.detail["to"] == "ready" and "enrollment" in moved.detail["note"]
    scrubbed = AuditEvent.objects.get(pk__gt=before, action=AuditAction.CLAIM_SCRUBBED)
    assert scrubbed.user == moved.user and scrubbed.reason == REASON
    enrolled = AuditEvent.objects.get(pk__gt=before, action=AuditAction.ENROLLMENT_CREATED)
    assert enrolled.reason == REASON
    assert enrolled.record_ids == [str(change.enrollment.public_id)]
    assert enrolled.detail["holds"] == {"released": [str(claim.public_id)], "still_held": []}
    # The enrollment's event comes last: it says what the change released.
    assert AuditEvent.objects.order_by("-id").first() == enrolled


@pytest.mark.parametrize("status", [EnrollmentStatus.TERMINATED, EnrollmentStatus.PENDING])
def test_an_enrollment_that_is_not_active_releases_nothing(status: str) -> None:
    practice = summit()[0]
    payer, doctor = new_payer(practice), new_provider(practice)
    claim = held_claim(doctor, payer)
    change = services.enrollment_change(
        actor=owner(),
        provider=doctor,
        payer=payer,
        data=services.EnrollmentData(
            status=status, effective_date=date(2020, 1, 1), end_date=date(2021, 1, 1)
        ),
        reason="ended by the payer",
    )
    assert change.release == credentialing.ReleaseResult() and change.release.summary() == ""
    assert state(claim) == "credentialing_hold" and history(claim) == []
    assert not AuditEvent.objects.filter(action=AuditAction.CLAIM_STATE_CHANGED).filter(
        record_ids=[str(claim.public_id)]
    )


def test_moving_an_active_enrollments_effective_date_earlier_releases_the_rest() -> None:
    practice = summit()[0]
    payer, doctor = new_payer(practice), new_provider(practice)
    early = held_claim(doctor, payer, days_ago=40)
    today = timezone.localdate()
    first = activate(owner(), doctor, payer, today - timedelta(days=20))
    assert first.release.released == 0 and state(early) == "credentialing_hold"
    second = activate(owner(), doctor, payer, today - timedelta(days=60))
    assert [c.pk for c in second.release.ready] == [early.pk] and state(early) == "ready"


def test_a_claim_after_the_end_date_stays_held_and_says_why() -> None:
    practice = summit()[0]
    payer, doctor = new_payer(practice), new_provider(practice)
    late = held_claim(doctor, payer, days_ago=2)
    today = timezone.localdate()
    change = services.enrollment_change(
        actor=owner(),
        provider=doctor,
        payer=payer,
        data=services.EnrollmentData(
            status=EnrollmentStatus.ACTIVE,
            effective_date=today - timedelta(days=90),
            end_date=today - timedelta(days=10),
        ),
        reason=REASON,
    )
    assert change.release.summary() == "1 still held: date of service after the end date"
    assert state(late) == "credentialing_hold"


def _setup_only(practice: Practice) -> Actor:
    """setup.manage on one practice and no claims capability at all."""
    user = User.objects.create(username="setup.only", workspace=practice.workspace)
    caps = frozenset({Capability.SETUP_VIEW, Capability.SETUP_MANAGE})
    access = PracticeAccess(practice, caps, None, frozenset(), False)
    return Actor(user=user, workspace=practice.workspace, access={practice.pk: access})


def test_setup_manage_without_claims_capabilities_still_releases() -> None:
    practice = summit()[0]
    payer, doctor = new_payer(practice), new_provider(practice)
    claim = held_claim(doctor, payer)
    change = activate(_setup_only(practice), doctor, payer, date(2020, 1, 1))
    assert change.release.released == 1 and state(claim) == "ready"
    assert history(claim)[0].user.username == "setup.only"  # type: ignore[union-attr]


def test_release_refuses_an_actor_without_setup_manage_on_the_practice() -> None:
    a, b = summit()[0], summit()[1]
    payer, doctor = new_payer(b), new_provider(b)
    claim = held_claim(doctor, payer)
    enrollment = Enrollment.objects.create(
        workspace_id=b.workspace_id,
        practice=b,
        provider=doctor,
        payer=payer,
        status=EnrollmentStatus.ACTIVE,
        effective_date=date(2020, 1, 1),
    )
    with pytest.raises(CapabilityDenied):
        credentialing.release_credentialing_holds(
            actor=_setup_only(a), enrollment=enrollment, reason=REASON
        )
    assert state(claim) == "credentialing_hold"
