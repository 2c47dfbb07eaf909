"""Matching an unmatched ERA claim to ours: posts what the payer sent, once, audited; every
refusal leaves the exception open and the ledger untouched. A poster does it on the exception's
page in the work queue, with the forms the exception list had."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import Claim, ClaimState
from bureau.conftest import verified_client
from bureau.denials.models import Denial
from bureau.directory.models import ContractRate
from bureau.ledger.check import ledger_check
from bureau.ledger.models import LedgerEntry
from bureau.remittance.exception_queue import exception_list
from bureau.remittance.manual_match import era_exception_match, era_exception_match_lines
from bureau.remittance.models import (
    EraClaim,
    EraException,
    EraLine,
    ExceptionReason,
    ExceptionStatus,
)
from bureau.remittance.services import ResolutionError, ingest_era_text
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.workqueues.functions import Function
from bureau.workqueues.tests.pages import item_of, item_url

from .test_views import era_text

pytestmark = pytest.mark.django_db
D = Decimal


def owner() -> Actor:
    actor = resolve_actor(User.objects.get(username="olivia.owner"))
    assert actor is not None
    return actor


def scoped(model, practice: Practice):
    return model.objects.for_system([practice.pk], reason="test")


def open_exceptions(practice: Practice) -> dict[str, EraException]:
    """The open unmatched-claim exceptions, by the CLP01 the payer sent."""
    with rls.practice_scope([practice.pk]):
        return {
            e.era_claim.patient_control_number: e
            for e in scoped(EraException, practice)
            .filter(reason=ExceptionReason.UNMATCHED_CLAIM, status=ExceptionStatus.OPEN)
            .select_related("era_claim")
        }


def fresh(claim: Claim) -> Claim:
    with rls.practice_scope([claim.practice_id]):
        return scoped(Claim, claim.practice).get(pk=claim.pk)


def ledger(claim: Claim) -> list[tuple[str, Decimal]]:
    with rls.practice_scope([claim.practice_id]):
        return list(
            scoped(LedgerEntry, claim.practice)
            .filter(claim=claim)
            .order_by("claim_line__line_number", "sequence")
            .values_list("kind", "amount")
        )


@pytest.fixture
def mistyped():
    """An ERA whose two claim loops carry numbers we never sent (the payer keyed them wrong):
    one paid (CO-45, PR-2 on the first line), one denied (CO-50). Neither line carries REF*6R."""
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    paid, denied = b.submitted_claims(practice, payer, count=2)
    one, two = b.lines_of(paid)
    d1, d2 = b.lines_of(denied)
    payments = [
        b.changed(
            b.paid_claim(
                paid,
                [
                    b.svc(one, "70.00", ("CO", "45", "20.00"), ("PR", "2", "20.00"), ref=False),
                    b.svc(two, "12.00", ref=False),
                ],
                payer_claim_number="PCN-PAID",
            ),
            patient_control_number="X" + paid.number,
        ),
        b.changed(
            b.paid_claim(
                denied,
                [
                    b.svc(d1, "0.00", ("CO", "50", "110.00"), ref=False),
                    b.svc(d2, "0.00", ("CO", "50", "12.00"), ref=False),
                ],
                status="4",
            ),
            patient_control_number="X" + denied.number,
        ),
    ]
    ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        text=era_text(practice, payer, payments),
        file_name="typo.835",
    )
    return practice, paid, denied


def test_matching_posts_the_payment_to_the_named_claim(mistyped):
    practice, paid, _ = mistyped
    exc = open_exceptions(practice)["X" + paid.number]
    charges_only = ledger(paid)
    assert [kind for kind, _ in charges_only] == ["charge", "charge"]
    ContractRate.objects.create(  # the payer allowed 90.00 for the 99213 against 100.00
        workspace_id=practice.workspace_id,
        practice=practice,
        payer=b.payer_of(practice),
        code="99213",
        allowed_amount=D("100.00"),
    )

    era_exception_match(
        actor=owner(), exception=exc, claim_number=paid.number.lower(), note="payer typo"
    )

    now = fresh(paid)
    assert now.state == ClaimState.PAID and now.payer_claim_number == "PCN-PAID"
    posted = ledger(paid)
    assert [kind for kind, _ in posted] == [
        "charge",
        "payment",
        "adjustment",
        "patient_resp",
        "charge",
        "payment",
    ]
    assert [abs(amount) for _, amount in posted] == [
        D("110.00"),
        D("70.00"),
        D("20.00"),
        D("20.00"),
        D("12.00"),
        D("12.00"),
    ]
    assert sum(amount for _, amount in posted) == 0  # nothing left open on the insurance side
    with rls.practice_scope([practice.pk]):
        exc.refresh_from_db()
        era_claim = scoped(EraClaim, practice).get(pk=exc.era_claim_id)
    assert exc.status == ExceptionStatus.POSTED and exc.claim_id == paid.pk
    assert exc.resolution_note == f"Matched to {paid.number}: payer typo"
    assert era_claim.claim_id == paid.pk
    with rls.practice_scope([practice.pk]):
        checked = list(
            scoped(EraLine, practice)
            .filter(era_claim=era_claim)
            .order_by("id")
            .values_list("claim_line__line_number", "expected", "underpaid_by")
        )
    assert checked == [(1, D("100.00"), D("10.00")), (2, None, None)]
    [event] = AuditEvent.objects.filter(action=AuditAction.ERA_CLAIM_MATCHED)
    assert event.record_ids == [str(paid.public_id)] and event.practice_id == practice.pk
    assert event.detail["received_as"] == "X" + paid.number
    assert ledger_check() == []
    # Done once: the exception is closed.
    with pytest.raises(ResolutionError, match="already resolved"):
        era_exception_match(actor=owner(), exception=exc, claim_number=paid.number, note="x")


def test_matching_a_denied_loop_records_the_denial(mistyped):
    practice, _, denied = mistyped
    exc = open_exceptions(practice)["X" + denied.number]
    era_exception_match(actor=owner(), exception=exc, claim_number=denied.number, note="typo")
    assert fresh(denied).state == ClaimState.DENIED
    with rls.practice_scope([practice.pk]):
        carcs = sorted(scoped(Denial, practice).filter(claim=denied).values_list("carc", flat=True))
    assert carcs == ["50", "50"]
    assert ledger_check() == []


def test_refusals_name_the_problem_and_change_nothing(mistyped):
    practice, paid, denied = mistyped
    exc = open_exceptions(practice)["X" + paid.number]
    before_paid, before_denied = ledger(paid), ledger(denied)
    payer = b.payer_of(practice)
    [other] = b.submitted_claims(practice, payer, codes=(("97110", "45.00"),))
    with rls.practice_scope([practice.pk]):
        [draft] = [
            c
            for c in b.submitted_claims(practice, payer)
            if scoped(Claim, practice).filter(pk=c.pk).update(state=ClaimState.DRAFT)
        ]
    cases = [
        ("NOPE-000001", "no claim NOPE-000001 in this practice"),
        (other.number, "match no line of claim"),
        (draft.number, "is draft"),
        ("  ", "name the claim"),
    ]
    for number, message in cases:
        with pytest.raises(ResolutionError, match=message):
            era_exception_match(actor=owner(), exception=exc, claim_number=number, note="n")
    with pytest.raises(ResolutionError, match="note is required"):
        era_exception_match(actor=owner(), exception=exc, claim_number=paid.number, note=" ")
    assert ledger(paid) == before_paid and ledger(denied) == before_denied
    assert fresh(other).state == ClaimState.SUBMITTED
    with rls.practice_scope([practice.pk]):
        exc.refresh_from_db()
    assert exc.status == ExceptionStatus.OPEN and exc.claim_id is None
    assert not AuditEvent.objects.filter(action=AuditAction.ERA_CLAIM_MATCHED).exists()


def test_a_claim_of_another_practice_cannot_be_named(mistyped):
    practice, paid, _ = mistyped
    elsewhere = b.summit()[1]
    [theirs] = b.submitted_claims(elsewhere, b.payer_of(elsewhere))
    exc = open_exceptions(practice)["X" + paid.number]
    with pytest.raises(ResolutionError, match=f"no claim {theirs.number}"):
        era_exception_match(actor=owner(), exception=exc, claim_number=theirs.number, note="n")


def exception_page(client, practice: Practice, exc: EraException) -> tuple[str, str]:
    """The exception's item in the work queue: its address (listed on the queue the old list
    sends a poster to) and its page."""
    queue = client.get(reverse("eras:exceptions"), follow=True).content.decode()
    here = item_url(item_of(practice, Function.ERA_EXCEPTIONS, era_exception=exc))
    assert here in queue
    page = client.get(here).content.decode()
    assert f'name="next" value="{here}"' in page
    return here, page


def test_the_queue_offers_match_and_the_page_posts_it(mistyped):
    practice, paid, _ = mistyped
    exc = open_exceptions(practice)["X" + paid.number]
    client = verified_client("olivia.owner")
    here, page = exception_page(client, practice, exc)
    url = reverse("eras:exception_match", kwargs={"public_id": exc.public_id})
    assert url in page
    refused = client.post(
        url, {"claim_number": "NOPE-1", "note": "typo", "next": here}, follow=True
    )
    assert refused.redirect_chain == [(here, 302)]
    assert b"Not matched: no claim NOPE-1 in this practice" in refused.content
    done = client.post(
        url, {"claim_number": paid.number, "note": "typo", "next": here}, follow=True
    )
    assert f"Matched to {paid.number} and posted.".encode() in done.content
    assert fresh(paid).state == ClaimState.PAID


def test_the_queue_suggests_our_claim_for_a_rekeyed_number():
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    [claim] = b.submitted_claims(practice, payer)
    one, two = b.lines_of(claim)
    rekeyed = f"{claim.number[:3]}-{claim.number[3:]}".lower()  # punctuation and case changed
    payment = b.changed(
        b.paid_claim(claim, [b.svc(one, "110.00", ref=False), b.svc(two, "12.00", ref=False)]),
        patient_control_number=rekeyed,
    )
    ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        text=era_text(practice, payer, [payment]),
        file_name="rekeyed.835",
    )
    [row] = [r for r in exception_list(actor=owner()).rows if r.control_number == rekeyed]
    assert row.can_match and row.suggested_claim == claim.number
    exc = open_exceptions(practice)[rekeyed]
    _, body = exception_page(verified_client("olivia.owner"), practice, exc)
    assert f'value="{claim.number}"' in body
    assert f'Likely our <span class="mono nowrap">{claim.number}</span>' in body


@pytest.fixture
def recoded():
    """The payer paid our 99213 line as a 99214 (recoded, no REF*6R): an unmatched line."""
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    [claim] = b.submitted_claims(practice, payer)
    one, two = b.lines_of(claim)
    recoded_svc = b.changed(
        b.svc(one, "80.00", ("CO", "45", "30.00"), ref=False), procedure_code="99214"
    )
    payment = b.paid_claim(claim, [recoded_svc, b.svc(two, "12.00", claim_number=claim.number)])
    ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        text=era_text(practice, payer, [payment]),
        file_name="recoded.835",
    )
    with rls.practice_scope([practice.pk]):
        exc = scoped(EraException, practice).get(claim=claim, reason=ExceptionReason.UNMATCHED_LINE)
    return practice, claim, exc


def test_the_queue_offers_the_unplaced_line_and_the_claims_lines(recoded):
    _, claim, exc = recoded
    [row] = [r for r in exception_list(actor=owner()).rows if r.public_id == str(exc.public_id)]
    # Line 2 is taken by the 36415 the payer echoed; line 1 is free and of the same charge.
    assert [(label, likely) for _, label, likely in row.unplaced] == [
        ("99214 110.00 paid 80.00", "1")
    ]
    assert [value for value, _ in row.claim_lines] == ["1", "2"]
    assert row.claim_lines[0][1] == "1: 99213 110.00"


def test_matching_a_recoded_line_posts_the_claim(recoded):
    practice, claim, exc = recoded
    [row] = [r for r in exception_list(actor=owner()).rows if r.public_id == str(exc.public_id)]
    [(era_line_id, _, _)] = row.unplaced
    before = ledger(claim)
    refusals = [
        ({}, "choose the line service 99214"),
        ({era_line_id: 2}, "line 2 of claim .* is chosen twice"),
        ({era_line_id: 9}, "has no line 9"),
        ({"00000000-0000-0000-0000-000000000000": 1}, "not one of this exception's"),
    ]
    for chosen, message in refusals:
        with pytest.raises(ResolutionError, match=message):
            era_exception_match_lines(actor=owner(), exception=exc, chosen=chosen, note="n")
    assert ledger(claim) == before

    era_exception_match_lines(
        actor=owner(), exception=exc, chosen={era_line_id: 1}, note="payer recoded 99213"
    )
    assert fresh(claim).state == ClaimState.PAID
    assert sum(amount for _, amount in ledger(claim)) == 0
    with rls.practice_scope([practice.pk]):
        exc.refresh_from_db()
    assert exc.status == ExceptionStatus.POSTED
    assert exc.resolution_note == "Lines matched by hand: payer recoded 99213"
    event = AuditEvent.objects.filter(action=AuditAction.ERA_CLAIM_MATCHED).latest("id")
    assert event.detail["lines"] == [["99214", 1]]
    assert ledger_check() == []


def test_the_page_matches_lines_and_refuses_a_bad_choice(recoded):
    practice, claim, exc = recoded
    [row] = [r for r in exception_list(actor=owner()).rows if r.public_id == str(exc.public_id)]
    [(era_line_id, _, _)] = row.unplaced
    client = verified_client("olivia.owner")
    url = reverse("eras:exception_match_lines", kwargs={"public_id": exc.public_id})
    here, page = exception_page(client, practice, exc)
    assert url in page and '<option value="1" selected>1: 99213 110.00</option>' in page
    line = f"line-{era_line_id}"
    bad = client.post(url, {line: "x", "note": "n", "next": here}, follow=True)
    assert bad.redirect_chain == [(here, 302)]
    assert b"Choose the claim line each service pays" in bad.content
    twice = client.post(url, {line: "2", "note": "n", "next": here}, follow=True)
    assert b"Not matched: line 2 of claim" in twice.content
    done = client.post(url, {line: "1", "note": "recoded", "next": here}, follow=True)
    assert b"Lines matched and posted." in done.content
    assert fresh(claim).state == ClaimState.PAID


def test_a_claim_already_paid_is_not_paid_twice_by_hand(mistyped):
    practice, paid, _ = mistyped
    era_exception_match(
        actor=owner(),
        exception=open_exceptions(practice)["X" + paid.number],
        claim_number=paid.number,
        note="typo",
    )
    settled = ledger(paid)
    one, two = b.lines_of(paid)
    again = b.changed(
        b.paid_claim(
            paid,
            [b.svc(one, "70.00", ("CO", "45", "40.00"), ref=False), b.svc(two, "12.00", ref=False)],
        ),
        patient_control_number="Y" + paid.number,
    )
    ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        text=era_text(practice, b.payer_of(practice), [again]),
        file_name="again.835",
    )
    exc = open_exceptions(practice)["Y" + paid.number]
    with pytest.raises(ResolutionError, match="would be paid twice"):
        era_exception_match(actor=owner(), exception=exc, claim_number=paid.number, note="n")
    assert ledger(paid) == settled
