"""Each function's rule: which record states open an item, and which close it again.

Records are moved the way their services move them; the items follow through `sync_records`
(narrowed to the records touched, as a service calls it) or `refresh` (the whole book)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from bureau.claims.models import Claim, ClaimState
from bureau.claims.tests import factories
from bureau.denials.models import Denial, DenialStatus
from bureau.directory.models import ContractRate, Enrollment, EnrollmentStatus
from bureau.remittance.models import EraException, EraLine, ExceptionReason, ExceptionStatus
from bureau.remittance.tests import builders as b
from bureau.workqueues import services
from bureau.workqueues.functions import CAPABILITY, CLOSED_BY_PERSON, Function
from bureau.workqueues.models import EventKind, ItemStatus
from bureau.workqueues.rules import RULES
from bureau.workqueues.tests import helpers as h

pytestmark = pytest.mark.django_db
D = Decimal
F = Function

fresh = h.stored
events = h.event_kinds


def enrolled_payers(practice):
    """Payers the test claims' provider is enrolled with (no setup gap in the way)."""
    doctor = factories.provider(practice)
    return [
        e.payer
        for e in Enrollment.objects.filter(provider=doctor, status=EnrollmentStatus.ACTIVE)
        .select_related("payer")
        .order_by("payer_id")
    ]


@pytest.fixture
def setup():
    practice = h.summit()[0]
    payer = enrolled_payers(practice)[0]
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()  # each test sets the rates it needs
    return practice, payer


def items(practice, function, **filters):
    return h.live([practice.pk], function=function, **filters)


def one(practice, function, **filters):
    found = items(practice, function, **filters)
    assert len(found) == 1, found
    return found[0]


def test_every_function_has_one_rule_and_a_capability():
    assert set(RULES) == set(F.values) == set(CAPABILITY)
    assert CLOSED_BY_PERSON == {F.UNDERPAYMENTS, F.SETUP_GAPS}


# -- rejections ----------------------------------------------------------------------------------


def test_a_rejected_claim_opens_an_item_and_moving_on_closes_it(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    assert h.sync(practice, claim_ids=[claim.pk]).drift == 0  # just submitted: no work
    h.reject(claim, "A7:21", "Missing subscriber ID")
    report = h.sync(practice, claim_ids=[claim.pk])
    assert report.opened == {F.REJECTIONS: 1}
    item = one(practice, F.REJECTIONS, claim=claim)
    assert item.subject_key == f"claim:{claim.pk}" and item.payer_id == payer.pk
    assert "A7:21" in item.title and "Missing subscriber ID" in item.title
    assert item.amount == claim.total_charge and item.status == ItemStatus.OPEN
    assert item.deadlines and item.deadline_due is not None  # the filing limit still runs
    assert events(item) == [EventKind.OPENED]
    # The same state synced again changes nothing.
    assert h.sync(practice, claim_ids=[claim.pk]).drift == 0
    h.claim_state(claim, ClaimState.SUBMITTED)  # corrected and resubmitted
    report = h.sync(practice, claim_ids=[claim.pk])
    assert report.closed == {F.REJECTIONS: 1} and not report.opened
    done = fresh(item)
    assert done.status == ItemStatus.DONE and done.resolved_at is not None and done.resolution
    assert events(item) == [EventKind.OPENED, EventKind.DONE]
    assert not items(practice, F.REJECTIONS, claim=claim)


# -- denials -------------------------------------------------------------------------------------


def _denied_claim(practice, payer):
    claim = b.submitted_claims(practice, payer)[0]
    h.ingest(practice, payer, [h.denied(claim)])
    return claim


@pytest.mark.parametrize(
    "last", [DenialStatus.RESOLVED, DenialStatus.WRITTEN_OFF, DenialStatus.REVERSED]
)
def test_denials_one_item_per_claim_closed_when_every_line_is_settled(setup, last):
    practice, payer = setup
    claim = _denied_claim(practice, payer)
    denials = list(h.system(Denial, [practice.pk]).filter(claim=claim).order_by("id"))
    assert len(denials) == 2  # both lines denied
    # Opened by the posting, in its transaction: a sync finds nothing to mend.
    item = one(practice, F.DENIALS, claim=claim)
    assert h.sync(practice, claim_ids=[claim.pk]).drift == 0
    assert item.amount == sum(d.amount for d in denials) == claim.total_charge
    assert item.facts["lines"] == 2 and "on 2 lines" in item.title
    assert item.carc == "50" and item.category == denials[0].category
    h.system(Denial, [practice.pk]).filter(pk=denials[0].pk).update(status=DenialStatus.RESOLVED)
    report = h.sync(practice, claim_ids=[claim.pk])
    assert report.changed == {F.DENIALS: 1} and not report.closed
    assert fresh(item).amount == denials[1].amount and fresh(item).facts["lines"] == 1
    # An appeal sent keeps the item: the appeal is followed until the payer answers.
    h.system(Denial, [practice.pk]).filter(pk=denials[1].pk).update(status=DenialStatus.APPEALED)
    h.sync(practice, claim_ids=[claim.pk])
    assert fresh(item).status == ItemStatus.OPEN and fresh(item).title.startswith("Appealed")
    h.system(Denial, [practice.pk]).filter(pk=denials[1].pk).update(status=last)
    report = h.sync(practice, claim_ids=[claim.pk])
    assert report.closed == {F.DENIALS: 1}
    assert fresh(item).status == ItemStatus.DONE


# -- ERAs: posting review and exceptions ---------------------------------------------------------


def test_posting_review_one_item_per_era_held_by_policy(setup):
    practice, payer = setup
    b.configure(practice, "era.autopost_enabled", False)
    first, second = b.submitted_claims(practice, payer, count=2)
    era = h.ingest(practice, payer, [h.paid(first), h.paid(second)])
    holds = list(h.system(EraException, [practice.pk]).filter(era=era))
    assert {e.reason for e in holds} == {ExceptionReason.POLICY_HOLD} and len(holds) == 2
    item = one(practice, F.POSTING_REVIEW, era=era)  # opened by the posting itself
    assert h.sync(practice, era_ids=[era.pk]).drift == 0
    assert item.subject_key == f"era:{era.pk}" and item.facts["held_claims"] == 2
    assert item.amount == sum(e.amount for e in holds)
    assert not items(practice, F.ERA_EXCEPTIONS, era=era)  # a hold is not an exception to fix
    h.system(EraException, [practice.pk]).filter(era=era).update(status=ExceptionStatus.POSTED)
    report = h.sync(practice, era_ids=[era.pk])
    assert report.closed == {F.POSTING_REVIEW: 1}
    closed = fresh(item)
    assert closed.status == ItemStatus.DONE and closed.recovered == item.amount


def test_era_exceptions_one_item_per_exception(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    strays = [h.paid(claim)]
    for n in (1, 2):
        strays.append(
            b.changed(
                h.paid(claim),
                patient_control_number=f"NOTOURS{n}",
                payer_claim_number=f"PCN-X{n}",
                services=(),
            )
        )
    era = h.ingest(practice, payer, strays)
    open_ = list(h.system(EraException, [practice.pk]).filter(era=era).order_by("id"))
    assert [e.reason for e in open_] == [ExceptionReason.UNMATCHED_CLAIM] * 2
    assert h.refresh_all().drift == 0  # opened by the posting itself
    found = items(practice, F.ERA_EXCEPTIONS, era=era)
    assert {i.era_exception_id for i in found} == {e.pk for e in open_}
    assert all(i.subject_key == f"exception:{i.era_exception_id}" for i in found)
    h.system(EraException, [practice.pk]).filter(pk=open_[0].pk).update(
        status=ExceptionStatus.DISMISSED
    )
    report = h.sync(practice, era_ids=[era.pk])
    assert report.closed == {F.ERA_EXCEPTIONS: 1}
    [left] = items(practice, F.ERA_EXCEPTIONS, era=era)
    assert left.era_exception_id == open_[1].pk


# -- follow-up -----------------------------------------------------------------------------------


def test_accepted_claim_with_no_835_after_the_interval_and_a_payer_override(setup):
    practice, payer = setup
    on_time, late, other_payer = b.submitted_claims(practice, payer, count=3)
    h.claim_state(on_time, ClaimState.ACCEPTED, days_ago=29)
    h.claim_state(late, ClaimState.ACCEPTED, days_ago=31)
    claim_ids = [on_time.pk, late.pk]
    assert h.sync(practice, claim_ids=claim_ids).opened == {F.FOLLOWUP: 1}
    item = one(practice, F.FOLLOWUP, claim=late)
    assert item.facts["kind"] == "no_835" and "31 days after acceptance" in item.title
    # The opened date is the day the silence became late (30 days after acceptance).
    late_since = timezone.now() - timedelta(days=1)
    assert item.opened_on == late_since.astimezone(ZoneInfo(practice.timezone)).date()
    assert not items(practice, F.FOLLOWUP, claim=on_time)
    # This payer is chased after 10 days: both are late now.
    b.configure(practice, "followup.interval_days", 10, payer)
    assert h.sync(practice, claim_ids=claim_ids).opened == {F.FOLLOWUP: 1}
    assert items(practice, F.FOLLOWUP, claim=on_time)
    # Another payer keeps the practice's 30 days.
    others = enrolled_payers(practice)[1]
    assert others.pk != payer.pk
    h.system(Claim, [practice.pk]).filter(pk=other_payer.pk).update(payer=others)
    h.claim_state(other_payer, ClaimState.ACCEPTED, days_ago=15)
    assert not h.sync(practice, claim_ids=[other_payer.pk]).opened
    # The 835 arrives: paid, the item closes.
    h.claim_state(late, ClaimState.PAID)
    assert h.sync(practice, claim_ids=[late.pk]).closed == {F.FOLLOWUP: 1}
    assert fresh(item).status == ItemStatus.DONE


def test_submitted_claim_with_no_acknowledgement_after_no_ack_days(setup):
    practice, payer = setup
    recent, silent = b.submitted_claims(practice, payer, count=2)
    h.claim_state(recent, ClaimState.SUBMITTED, days_ago=1)
    h.claim_state(silent, ClaimState.SUBMITTED, days_ago=3)
    assert h.sync(practice, claim_ids=[recent.pk, silent.pk]).opened == {F.FOLLOWUP: 1}
    item = one(practice, F.FOLLOWUP, claim=silent)
    assert item.facts["kind"] == "no_ack" and "No acknowledgement 3 days" in item.title
    b.configure(practice, "followup.no_ack_days", 5)  # this practice's payers are slow
    assert h.sync(practice, claim_ids=[silent.pk]).closed == {F.FOLLOWUP: 1}
    b.configure(practice, "followup.no_ack_days", 1)
    report = h.sync(practice, claim_ids=[recent.pk, silent.pk])
    assert report.opened == {F.FOLLOWUP: 2}
    # Accepted by the payer: the no-ack item closes (the 835 clock starts over).
    h.claim_state(silent, ClaimState.ACCEPTED)
    assert h.sync(practice, claim_ids=[silent.pk]).closed == {F.FOLLOWUP: 1}


# -- credentialing holds -------------------------------------------------------------------------


def test_credentialing_one_item_per_provider_and_payer(setup):
    practice, payer = setup
    first, second = b.submitted_claims(practice, payer, count=2)
    other_payer = enrolled_payers(practice)[1]
    third = b.submitted_claims(practice, other_payer)[0]
    for claim in (first, second, third):
        h.claim_state(claim, ClaimState.CREDENTIALING_HOLD)
    h.sync(practice, claim_ids=[first.pk, second.pk, third.pk])
    held = {i.payer_id: i for i in items(practice, F.CREDENTIALING)}
    provider_id = provider_of(first)
    assert set(held) == {payer.pk, other_payer.pk}
    item = held[payer.pk]
    assert item.subject_key == f"pair:{provider_id}:{payer.pk}"
    assert item.provider_id == provider_id and item.facts["held_claims"] == 2
    assert item.amount == first.total_charge + second.total_charge
    # The enrollment turns active: the held claims are released, the item closes.
    for claim in (first, second):
        h.claim_state(claim, ClaimState.READY)
    report = h.sync(practice, pairs=[(provider_id, payer.pk)])
    assert report.closed == {F.CREDENTIALING: 1}
    assert fresh(item).status == ItemStatus.DONE
    assert fresh(held[other_payer.pk]).status == ItemStatus.OPEN


# -- underpayments -------------------------------------------------------------------------------


def test_underpayment_per_era_line_stays_done_once_a_person_says_so(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one_line, two = b.lines_of(claim)
    ContractRate.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        payer=payer,
        code="99213",
        allowed_amount=D("100.00"),
    )
    b.configure(practice, "era.autopost_tolerance", "1.00")
    payment = b.paid_claim(
        claim,
        [
            b.svc(one_line, "70.00", ("CO", "45", "30.00"), ("PR", "3", "10.00")),
            b.svc(two, "12.00"),
        ],
    )
    era = h.ingest(practice, payer, [payment])
    line = h.system(EraLine, [practice.pk]).get(claim_line=one_line)
    item = one(practice, F.UNDERPAYMENTS)  # opened by the posting itself
    assert h.sync(practice, era_ids=[era.pk]).drift == 0
    assert item.subject_key == f"eraline:{line.pk}" and item.era_line_id == line.pk
    assert item.amount == D("20.00") and item.claim_id == claim.pk
    assert item.facts["expected"] == "100.00" and item.facts["difference"] == "20.00"
    services.item_done(actor=h.actor("dan.denials"), public_id=item.public_id, note="Accepted")
    report = h.refresh_all()
    assert report.opened[F.UNDERPAYMENTS] == 0 and report.closed[F.UNDERPAYMENTS] == 0
    assert not items(practice, F.UNDERPAYMENTS)
    done = fresh(item)
    assert done.status == ItemStatus.DONE and done.closed_by_person
    assert h.sync(practice, era_ids=[era.pk]).drift == 0  # a narrow sync keeps it done too


# -- setup gaps ----------------------------------------------------------------------------------


def provider_of(claim):
    found = h.system(Claim, [claim.practice_id]).get(pk=claim.pk).encounter.rendering_provider_id
    h.rls.activate([])
    return found


def test_setup_gap_a_payer_billed_with_no_enrollment_on_file(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    provider_id = provider_of(claim)
    assert not h.sync(practice, claim_ids=[claim.pk]).opened.get(F.SETUP_GAPS)
    Enrollment.objects.filter(provider_id=provider_id, payer=payer).delete()
    report = h.sync(practice, claim_ids=[claim.pk])
    assert report.opened[F.SETUP_GAPS] == 1
    gap = one(practice, F.SETUP_GAPS, subject_key=f"pair:{provider_id}:{payer.pk}")
    assert gap.facts["kind"] == "missing_enrollment" and gap.amount >= claim.total_charge
    assert gap.provider_id == provider_id and gap.payer_id == payer.pk
    # Done by a person (the enrollment is being filed): it stays done on the next refresh.
    services.item_done(actor=h.actor("olivia.owner"), public_id=gap.public_id, note="Filed")
    assert h.refresh_all().opened[F.SETUP_GAPS] == 0
    assert not items(practice, F.SETUP_GAPS, subject_key=gap.subject_key)
    assert fresh(gap).status == ItemStatus.DONE


def test_setup_gap_revalidation_due_within_90_days(setup):
    practice, payer = setup
    enrollment = (
        Enrollment.objects.filter(practice=practice, status=EnrollmentStatus.ACTIVE)
        .order_by("id")
        .first()
    )
    assert enrollment is not None, "the seed enrolls its providers"
    pair = (enrollment.provider_id, enrollment.payer_id)
    today = timezone.localdate()
    Enrollment.objects.filter(pk=enrollment.pk).update(
        revalidation_date=today + timedelta(days=120)
    )
    assert not h.sync(practice, pairs=[pair]).opened
    Enrollment.objects.filter(pk=enrollment.pk).update(revalidation_date=today + timedelta(days=60))
    assert h.sync(practice, pairs=[pair]).opened == {F.SETUP_GAPS: 1}
    item = one(practice, F.SETUP_GAPS, subject_key=f"enrollment:{enrollment.pk}")
    assert item.facts["kind"] == "revalidation" and item.enrollment_id == enrollment.pk
    assert item.deadline_due == today + timedelta(days=60)
    # Revalidated: the date moves out of the window and the item closes.
    Enrollment.objects.filter(pk=enrollment.pk).update(
        revalidation_date=today + timedelta(days=900)
    )
    assert h.sync(practice, pairs=[pair]).closed == {F.SETUP_GAPS: 1}
