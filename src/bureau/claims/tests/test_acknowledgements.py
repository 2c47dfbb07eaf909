"""999 and 277CA ingest: batches and claims matched, claims moved once, audited, idempotent."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.acknowledgements import ingest_277ca, ingest_999
from bureau.claims.batches import batch_build
from bureau.claims.models import (
    Acknowledgement,
    Batch,
    Claim,
    ClaimEvent,
    ClaimState,
    Encounter,
)
from bureau.claims.scrubbing import claims_scrub
from bureau.claims.selectors import ClaimFilters, claim_list
from bureau.claims.tests import factories
from bureau.conftest import verified_client
from bureau.directory.models import Enrollment, EnrollmentStatus, Payer
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice
from bureau.x12.ack277 import Ack277, ClaimStatus
from bureau.x12.ack999 import Ack999, GroupAck, SegmentError, TransactionAck

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "clearinghouse")


def summit() -> list[Practice]:
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def submitted(practice: Practice, count: int = 2) -> tuple[Batch, list[Claim]]:
    """`count` claims of one practice built into one batch (so SUBMITTED)."""
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id")[2]
    with rls.practice_scope([practice.pk]):
        made = [
            factories.claim(practice, factories.coverage(factories.patient(practice, i), payer))
            for i in range(count)
        ]
    batches = batch_build(actor=None, practice_ids=[practice.pk])
    # The seed may have ready claims of its own in the practice: pick our claims' batch.
    [batch] = [b for b in batches if b.pk == fresh(made[0]).batch_id]
    return batch, made


def fresh(claim: Claim) -> Claim:
    with rls.practice_scope([claim.practice_id]):
        return Claim.objects.for_system([claim.practice_id], reason="test").get(pk=claim.pk)


def acks_of(practice: Practice, **filters) -> list[Acknowledgement]:
    with rls.practice_scope([practice.pk]):
        return list(
            Acknowledgement.objects.for_system([practice.pk], reason="test")
            .filter(**filters)
            .order_by("id")
        )


def ack999(icn: int | str, status: str, txn_status: str | None = None) -> Ack999:
    txn_status = txn_status or status
    errors = ()
    if txn_status == "R":
        errors = (SegmentError("NM1", 12, "2010BA", "8", 9, "7", "BAD"),)
    group = GroupAck(
        functional_id="HC",
        group_control_number=str(icn),
        version="005010X222A1",
        status=status,
        included=1,
        received=1,
        accepted_count=0 if status == "R" else 1,
        transactions=(
            TransactionAck("837", f"{int(icn):09d}", "005010X222A1", txn_status, (), errors),
        ),
    )
    return Ack999("CLEARINGHOUSE", "BUREAU", "000000777", "0001", group)


def ack277(*statuses: ClaimStatus) -> Ack277:
    return Ack277(
        "PAYER",
        "BUREAU",
        "000000888",
        "0001",
        "REF1",
        date(2026, 11, 20),
        "Test Payer",
        tuple(statuses),
    )


def test_999_accepted_records_batch_and_leaves_claims_submitted():
    practice = summit()[0]
    batch, claims = submitted(practice)
    result = ingest_999(
        actor=None,
        workspace=practice.workspace,
        acks=[ack999(batch.interchange_control_number, "A")],
        file_name="in.999",
    )
    assert (result.accepted, result.rejected, result.claims_rejected) == (1, 0, 0)
    [ack] = acks_of(practice, batch=batch)
    assert ack.accepted and ack.kind == "999" and ack.status_code == "AK9:A"
    assert ack.claim_id is None and ack.file_name == "in.999"
    assert {fresh(c).state for c in claims} == {ClaimState.SUBMITTED}
    event = AuditEvent.objects.filter(action=AuditAction.ACK_RECEIVED).latest("id")
    assert event.practice_id == practice.pk and event.record_ids == [str(ack.public_id)]


def test_999_rejected_sends_batch_claims_back_once():
    practice = summit()[0]
    batch, claims = submitted(practice)
    # Zero-padded AK1-02 still matches the batch's number.
    acks = [ack999(f"{batch.interchange_control_number:09d}", "R")]
    result = ingest_999(actor=None, workspace=practice.workspace, acks=acks, file_name="r.999")
    assert (result.rejected, result.claims_rejected) == (1, batch.claim_count)
    [ack] = acks_of(practice, batch=batch)
    assert not ack.accepted and "IK3 NM1#12 loop 2010BA code 8" in ack.message
    for claim in claims:
        assert fresh(claim).state == ClaimState.REJECTED
    with rls.practice_scope([practice.pk]):
        notes = list(
            ClaimEvent.objects.for_system([practice.pk], reason="test")
            .filter(claim_id=claims[0].pk, to_state=ClaimState.REJECTED)
            .values_list("note", flat=True)
        )
    assert len(notes) == 1 and notes[0].startswith("999 r.999: AK9 R")
    again = ingest_999(actor=None, workspace=practice.workspace, acks=acks, file_name="r.999")
    assert (again.already_recorded, again.claims_rejected) == (1, 0)
    assert len(acks_of(practice, batch=batch)) == 1


def test_999_partial_with_rejected_set_rejects_and_unknown_is_listed():
    practice = summit()[0]
    batch, claims = submitted(practice, 1)
    result = ingest_999(
        actor=None,
        workspace=practice.workspace,
        acks=[ack999(batch.interchange_control_number, "P", "R"), ack999(999_999_998, "A")],
        file_name="p.999",
    )
    assert result.unknown == ["999999998"]
    assert fresh(claims[0]).state == ClaimState.REJECTED


def test_999_of_another_workspace_batch_is_unknown():
    practice = summit()[0]
    batch, _ = submitted(practice, 1)
    from bureau.tenancy.models import Workspace

    other = Workspace.objects.exclude(pk=practice.workspace_id).first()
    if other is None:
        pytest.skip("the seed has one workspace")
    result = ingest_999(
        actor=None,
        workspace=other,
        acks=[ack999(batch.interchange_control_number, "R")],
        file_name="x.999",
    )
    assert result.unknown == [str(batch.interchange_control_number)]


def test_277ca_accepts_rejects_and_lists_unknown():
    practice = summit()[0]
    batch, (good, bad) = submitted(practice)
    statuses = (
        ClaimStatus(good.number, "A1", "20", action="WQ", payer_claim_number="PCN-123"),
        ClaimStatus(bad.number, "A7", "562", entity="IL", action="U", message="Member ID bad"),
        ClaimStatus("NOPE0000001", "A1", "20"),
    )
    result = ingest_277ca(
        actor=None,
        workspace=practice.workspace,
        acks=[ack277(*statuses)],
        file_name="a.277",
    )
    assert (result.accepted, result.rejected) == (1, 1)
    assert (result.claims_accepted, result.claims_rejected) == (1, 1)
    assert result.unknown == ["NOPE0000001"]
    good_now, bad_now = fresh(good), fresh(bad)
    assert good_now.state == ClaimState.ACCEPTED and good_now.payer_claim_number == "PCN-123"
    assert bad_now.state == ClaimState.REJECTED
    [rej] = acks_of(practice, claim=bad)
    assert rej.kind == "277CA" and not rej.accepted and rej.status_code == "A7:562"
    assert rej.status_code == "A7:562" and rej.message == "(entity IL) Member ID bad"
    assert rej.batch_id == batch.pk
    with rls.practice_scope([practice.pk]):
        note = (
            ClaimEvent.objects.for_system([practice.pk], reason="test")
            .get(claim_id=bad.pk, to_state=ClaimState.REJECTED)
            .note
        )
    assert note.startswith("A7:562")
    assert result.summary()["unknown"] == 1

    # The same file again: no new rows, no failed transitions.
    count = AuditEvent.objects.filter(action=AuditAction.ACK_RECEIVED).count()
    again = ingest_277ca(
        actor=None,
        workspace=practice.workspace,
        acks=[ack277(*statuses)],
        file_name="a.277",
    )
    assert again.already_recorded == 2 and (again.claims_accepted, again.claims_rejected) == (0, 0)
    assert len(acks_of(practice, kind="277CA")) == 2
    assert AuditEvent.objects.filter(action=AuditAction.ACK_RECEIVED).count() == count


def test_277ca_rejects_an_accepted_claim_and_skips_paid():
    practice = summit()[0]
    _, (first, second) = submitted(practice)
    ingest_277ca(
        actor=None,
        workspace=practice.workspace,
        acks=[
            ack277(ClaimStatus(first.number, "A2", "20"), ClaimStatus(second.number, "A1", "20"))
        ],
        file_name="1.277",
    )
    with rls.practice_scope([practice.pk]):
        Claim.objects.for_system([practice.pk], reason="test").filter(pk=second.pk).update(
            state=ClaimState.PAID
        )
    result = ingest_277ca(
        actor=None,
        workspace=practice.workspace,
        acks=[
            ack277(ClaimStatus(first.number, "A3", "21"), ClaimStatus(second.number, "A3", "21"))
        ],
        file_name="2.277",
    )
    assert result.claims_rejected == 1
    assert fresh(first).state == ClaimState.REJECTED
    assert fresh(second).state == ClaimState.PAID  # the ERA came first: not undone by a 277CA


def test_person_sees_only_their_practices():
    practices = summit()
    bella = resolve_actor(User.objects.get(username="bella.biller"))
    mine = [p for p in practices if p.pk in bella.practice_ids()]
    others = [p for p in practices if p.pk not in bella.practice_ids()]
    if not others:
        pytest.skip("bella sees every practice")
    _, (theirs, _) = submitted(others[0])
    _, (own, _) = submitted(mine[0])
    result = ingest_277ca(
        actor=bella,
        workspace=mine[0].workspace,
        acks=[ack277(ClaimStatus(theirs.number, "A1", "20"), ClaimStatus(own.number, "A1", "20"))],
        file_name="b.277",
    )
    assert result.unknown == [theirs.number] and result.claims_accepted == 1
    assert fresh(theirs).state == ClaimState.SUBMITTED
    event = AuditEvent.objects.filter(action=AuditAction.ACK_RECEIVED).latest("id")
    assert event.user_id == bella.user.pk


def test_claim_list_says_why_each_rejected_claim_was_rejected():
    practice = summit()[0]
    batch, (by_payer, kept) = submitted(practice)
    ingest_277ca(
        actor=None,
        workspace=practice.workspace,
        acks=[ack277(ClaimStatus(by_payer.number, "A7", "562", message="Member ID bad"))],
        file_name="a.277",
    )
    other_batch, (by_clearinghouse,) = submitted(practice, count=1)
    ingest_999(
        actor=None,
        workspace=practice.workspace,
        acks=[ack999(other_batch.interchange_control_number, "R")],
        file_name="r.999",
    )
    actor = resolve_actor(User.objects.get(username="olivia.owner"))
    page = claim_list(
        actor=actor,
        filters=ClaimFilters(practice_id=practice.pk, state=ClaimState.REJECTED),
        page_size=500,
    )
    why = {row.number: row.rejection for row in page.rows}
    assert why[by_payer.number] == "Member ID bad (A7:562)"
    assert "IK3 NM1#12" in why[by_clearinghouse.number]
    assert kept.number not in why  # still submitted, not on the rejected list
    # Whoever works rejections reads why in the work queue; a reader on the rejected list.
    for username in ("olivia.owner", "cliff.client"):
        body = (
            verified_client(username)
            .get(
                reverse("claims:list"),
                {"state": "rejected", "practice": practice.public_id},
                follow=True,
            )
            .content.decode()
        )
        assert "Member ID bad" in body and "IK3 NM1#12" in body
        assert ('id="queue-table"' in body) == (username == "olivia.owner")


def test_a_rejected_claim_is_reopened_corrected_and_sent_again_in_a_new_batch():
    practice = summit()[0]
    batch, (bad, _) = submitted(practice)
    ingest_277ca(
        actor=None,
        workspace=practice.workspace,
        acks=[ack277(ClaimStatus(bad.number, "A7", "562", message="Member ID bad"))],
        file_name="a.277",
    )
    client = verified_client("olivia.owner")
    page = client.get(reverse("claims:detail", kwargs={"public_id": bad.public_id}))
    assert b"Rejected: Member ID bad (A7:562)" in page.content
    url = reverse("claims:reopen", kwargs={"public_id": bad.public_id})
    refused = client.post(url, {"note": " "}, follow=True)
    assert b"Say what was wrong" in refused.content and fresh(bad).state == ClaimState.REJECTED
    done = client.post(url, {"note": "member id corrected on coverage"}, follow=True)
    assert b"Claim reopened as a draft" in done.content
    assert fresh(bad).state == ClaimState.DRAFT
    with rls.practice_scope([practice.pk]):
        note = (
            ClaimEvent.objects.for_system([practice.pk], reason="test")
            .filter(claim_id=bad.pk, to_state=ClaimState.DRAFT)
            .get()
            .note
        )
    assert note == "Reopened: member id corrected on coverage"
    # Only a rejected claim: again is refused.
    again = client.post(url, {"note": "x"}, follow=True)
    assert b"Only a rejected claim can be reopened." in again.content

    # The biller fixes what the payer said; the provider's enrollment with the payer is in
    # force, so the scrub finds nothing and the claim is ready again.
    reopened = fresh(bad)
    with rls.practice_scope([practice.pk]):
        provider_id = (
            Encounter.objects.for_system([practice.pk], reason="test")
            .get(pk=reopened.encounter_id)
            .rendering_provider_id
        )
    Enrollment.objects.update_or_create(
        workspace_id=practice.workspace_id,
        practice=practice,
        provider_id=provider_id,
        payer_id=reopened.payer_id,
        defaults={"status": EnrollmentStatus.ACTIVE, "effective_date": date(2020, 1, 1)},
    )
    actor = resolve_actor(User.objects.get(username="olivia.owner"))
    [outcome] = claims_scrub(actor=actor, claims=[reopened])
    assert (outcome.state, fresh(bad).state) == (ClaimState.READY, ClaimState.READY), outcome.hits
    [new_batch] = [
        b
        for b in batch_build(actor=None, practice_ids=[practice.pk])
        if b.pk == fresh(bad).batch_id
    ]
    assert new_batch.pk != batch.pk
    assert new_batch.interchange_control_number != batch.interchange_control_number
    assert fresh(bad).state == ClaimState.SUBMITTED
    assert f"CLM*{bad.number}*" in new_batch.content


@pytest.mark.parametrize(
    ("text", "number"),
    [("000000123", 123), (" 42 ", 42), ("٣", None), ("1_000", None), ("", None), ("9" * 10, None)],
)
def test_an_acknowledged_control_number_is_ascii_digits_only(text: str, number: int | None) -> None:
    from bureau.claims.acknowledgements import _control_number

    assert _control_number(text) == number
