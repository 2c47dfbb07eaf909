"""The onboarding checklist on hand-built data, and batch build refusing a practice whose
blocking steps are open (and building it once they are done)."""

from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bureau.claims.batches import batch_build
from bureau.claims.models import Claim, ClaimState
from bureau.claims.tests import factories
from bureau.compliance.models.baa import BaaDirection, BusinessAssociateAgreement
from bureau.directory import onboarding
from bureau.directory.models import (
    Enrollment,
    EnrollmentStatus,
    FeeSchedule,
    Payer,
    Provider,
    ServiceFacility,
)
from bureau.directory.npi import make_npi
from bureau.directory.tests.helpers import actor, practices
from bureau.directory.tests.test_practices import ELEVENTH
from bureau.tenancy import rls
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.practices import practice_create
from bureau.tenancy.roles import Role
from bureau.x12.tests.oracle import pyx12_errors

pytestmark = pytest.mark.django_db


def _state(practice: Practice) -> dict[str, bool]:
    return {s.key: s.done for s in onboarding.checklist(practice).steps}


def test_a_new_practice_walks_its_checklist_step_by_step():
    owner = actor("olivia.owner")
    practice = practice_create(actor=owner, data=ELEVENTH, reason="new client signed")
    payer = Payer.objects.filter(workspace=practice.workspace).order_by("id").first()
    assert payer is not None
    # Summit has a workspace default fee schedule: it applies to a new practice.
    assert FeeSchedule.objects.filter(workspace=practice.workspace, practice=None).exists()
    assert _state(practice) == {
        "baa": False,
        "billing_address": True,  # given when it was added
        "facility": False,
        "providers": False,
        "enrollments": False,
        "fees": True,
        "route": False,  # no payer to bill yet
        "users": False,
    }
    listed = onboarding.checklist(practice)
    assert [s.key for s in listed.blocking_open] == ["facility", "enrollments", "route"]
    # The open facility step leads straight to adding one for this practice.
    assert listed.steps[2].url == (
        f"{reverse('directory:facility_create')}?practice={practice.public_id}"
    )

    ServiceFacility.objects.create(
        workspace=practice.workspace,
        practice=practice,
        name="Eleventh St clinic",
        address_line1="1100 Eleventh St",
        city="Springfield",
        state="IL",
        postal_code="62704-5678",
    )
    doctor = Provider.objects.create(
        workspace=practice.workspace,
        practice=practice,
        name="Dr. Ada Lane",
        npi=make_npi("123400001"),
    )
    steps = {s.key: s for s in onboarding.checklist(practice).steps}
    assert steps["facility"].done
    assert steps["facility"].url == (
        f"{reverse('directory:facilities')}?practice={practice.public_id}"
    )
    assert (
        not steps["providers"].done and steps["providers"].says == "No taxonomy code: Dr. Ada Lane."
    )
    Provider.objects.filter(pk=doctor.pk).update(taxonomy="208000000X")

    # A pending enrollment says the practice will bill this payer: open until it is active.
    enrollment = Enrollment.objects.create(
        workspace=practice.workspace,
        practice=practice,
        provider=doctor,
        payer=payer,
        status=EnrollmentStatus.PENDING,
    )
    steps = {s.key: s for s in onboarding.checklist(practice).steps}
    assert steps["providers"].done
    assert steps["enrollments"].says == f"No active enrollment with {payer.name}."
    assert steps["route"].done  # the payer has a route
    today = timezone.localdate()
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=EnrollmentStatus.ACTIVE, effective_date=today + timedelta(days=10)
    )
    assert not _state(practice)["enrollments"]  # not in force yet
    Enrollment.objects.filter(pk=enrollment.pk).update(effective_date=today)
    assert onboarding.checklist(practice).blocking_open == []

    # Non-blocking: a user granted on the practice itself (the owner's all-practices grant is
    # not one), and a client BAA in force.
    Grant.objects.create(
        workspace=practice.workspace,
        user=owner.user,
        practice=practice,
        role=Role.BILLER.value,
        reason="works this client",
    )
    BusinessAssociateAgreement.objects.create(
        workspace=practice.workspace,
        direction=BaaDirection.CLIENT,
        practice=practice,
        phi_scope="claims",
        signed_on=date(2024, 1, 1),
        effective_on=date(2024, 1, 1),
    )
    assert all(_state(practice).values())
    assert onboarding.checklist(practice).complete


def test_every_demo_practice_can_be_batched():
    """The seed batches its claims: no demo practice may have a blocking step open."""
    for practice in practices():
        assert onboarding.blocking_open(practice) == [], practice.name


def _ready_claim(practice: Practice) -> Claim:
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id")[2]
    with rls.practice_scope([practice.pk]):
        return factories.claim(practice, factories.coverage(factories.patient(practice), payer))


def _claim_state(claim: Claim) -> str:
    with rls.practice_scope([claim.practice_id]):
        return Claim.objects.for_system([claim.practice_id], reason="test").get(pk=claim.pk).state


def test_batching_is_refused_while_blocking_steps_are_open_and_goes_after(settings, tmp_path):
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "clearinghouse")
    practice = practices()[1]
    claim = _ready_claim(practice)
    payer = claim.payer
    address = Practice.objects.filter(pk=practice.pk).values(
        "address_line1", "city", "state", "postal_code"
    )[0]
    Practice.objects.filter(pk=practice.pk).update(address_line1="", city="")
    Enrollment.objects.filter(practice=practice, payer=payer).update(
        status=EnrollmentStatus.TERMINATED
    )

    run = batch_build(actor=None, practice_ids=[practice.pk])

    assert list(run) == []
    assert [str(r) for r in run.refused] == [
        f"Claims of {practice.name} were not batched: its onboarding has open blocking steps "
        "(Billing address; An active enrollment per payer)."
    ]
    assert _claim_state(claim) == ClaimState.READY

    # The same refusal from the batch page, said plainly.
    client_page = _owner_builds(practice)
    assert "its onboarding has open blocking steps" in client_page
    assert _claim_state(claim) == ClaimState.READY

    Practice.objects.filter(pk=practice.pk).update(**address, address_line2="Suite 5")
    Enrollment.objects.filter(practice=practice, payer=payer).update(status=EnrollmentStatus.ACTIVE)
    run = batch_build(actor=None, practice_ids=[practice.pk])
    assert run and not run.refused
    assert _claim_state(claim) == ClaimState.SUBMITTED
    content = "".join(b.content for b in run)
    assert pyx12_errors(content) == []
    # 2010AA carries the practice's own address (line 2 included: only the practice has one).
    zip9 = address["postal_code"].replace("-", "")
    assert f"N3*{address['address_line1'].upper()}*SUITE 5~" in content.upper()
    assert f"N4*{address['city'].upper()}*{address['state']}*{zip9}~" in content.upper()


def _owner_builds(practice: Practice) -> str:
    from bureau.conftest import verified_client

    client = verified_client("olivia.owner")
    response = client.post(
        reverse("batches:build"), {"practice": str(practice.public_id)}, follow=True
    )
    assert response.status_code == 200
    return response.content.decode().replace("&#x27;", "'")


def test_open_steps_are_setup_gaps_in_the_queue_and_close_when_done():
    from bureau.workqueues.functions import Function
    from bureau.workqueues.models import SubjectKind
    from bureau.workqueues.sync import refresh
    from bureau.workqueues.tests import helpers as h

    practice = practice_create(actor=actor("olivia.owner"), data=ELEVENTH, reason="new client")
    refresh(workspace=practice.workspace)
    gaps = h.live([practice.pk], function=Function.SETUP_GAPS)
    assert sorted(g.subject_key for g in gaps) == sorted(
        f"onboarding:{practice.pk}:{key}"
        for key in ("baa", "facility", "providers", "enrollments", "route", "users")
    )
    facility = next(g for g in gaps if g.facts["step"] == "facility")
    assert facility.subject_kind == SubjectKind.PRACTICE and facility.facts["blocking"]
    assert facility.title == "Onboarding Eleventh Street Pediatrics: Service facility"

    ServiceFacility.objects.create(
        workspace=practice.workspace,
        practice=practice,
        name="Eleventh St clinic",
        address_line1="1100 Eleventh St",
        city="Springfield",
        state="IL",
        postal_code="62704-5678",
    )
    refresh(workspace=practice.workspace)
    left = {g.facts["step"] for g in h.live([practice.pk], function=Function.SETUP_GAPS)}
    assert left == {"baa", "providers", "enrollments", "route", "users"}
    # An active practice keeps only the steps that stop its claims.
    Practice.objects.filter(pk=practice.pk).update(status="active")
    refresh(workspace=practice.workspace)
    left = {g.facts["step"] for g in h.live([practice.pk], function=Function.SETUP_GAPS)}
    assert left == {"enrollments", "route"}
    # The item's page says what is missing and links to where it is done.
    from bureau.conftest import verified_client

    gap = h.live([practice.pk], function=Function.SETUP_GAPS, subject_key__endswith="route")[0]
    page = verified_client("olivia.owner").get(reverse("workqueues:item", args=[gap.public_id]))
    assert page.status_code == 200
    assert 'id="item-onboarding"' in page.content.decode()
    assert reverse("directory:payers") in page.content.decode()
