"""277CA rejections at the receiver (HL 21), source (HL 20) or billing provider (HL 19) level:
every claim under the level is rejected with its status, shown on the claim page and the
rejected list; an unmatched one is kept where staff see it (issue 10, item 4)."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date

import pytest
from django.urls import reverse

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.acknowledgements import ingest_277ca
from bureau.claims.batches import batch_build
from bureau.claims.models import Acknowledgement, Batch, Claim, ClaimEvent, ClaimState, Encounter
from bureau.claims.selectors import rejection_reasons
from bureau.claims.tests import factories
from bureau.claims.tests.test_acknowledgements import ack277, acks_of, fresh, submitted, summit
from bureau.clearinghouse.inbound import ingest_inbound
from bureau.clearinghouse.models import InboundRecord
from bureau.clearinghouse.ports import InboundFile
from bureau.conftest import verified_client
from bureau.directory.models import Payer, Provider
from bureau.directory.npi import make_npi
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice
from bureau.workqueues.functions import Function
from bureau.workqueues.tests.pages import queue_rows, queue_url, row_naming
from bureau.x12.ack277 import ClaimStatus, LevelStatus
from bureau.x12.tests.test_reader277_levels import HEAD, interchange

pytestmark = pytest.mark.django_db
S = ClaimState


@pytest.fixture(autouse=True)
def outbox(settings, tmp_path):
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "clearinghouse")


def batch_claims(batch: Batch) -> list[Claim]:
    with rls.practice_scope([batch.practice_id]):
        return list(
            Claim.objects.for_system([batch.practice_id], reason="test")
            .filter(batch=batch)
            .select_related("encounter__billing_provider")
            .order_by("number")
        )


def notes(claim: Claim) -> list[str]:
    with rls.practice_scope([claim.practice_id]):
        return list(
            ClaimEvent.objects.for_system([claim.practice_id], reason="test")
            .filter(claim_id=claim.pk, to_state=S.REJECTED)
            .values_list("note", flat=True)
        )


def receiver(trace: str, stc: str) -> list[str]:
    return [
        "HL*2*1*21*1",
        "NM1*41*2*NORTHWIND BILLING*****46*BUREAUSUB01",
        f"TRN*2*{trace}",
        stc,
    ]


def provider_level(npi: str, stc: str) -> list[str]:
    return ["HL*3*2*19*0", f"NM1*85*2*SUMMIT FAMILY MEDICINE*****XX*{npi}", "TRN*1*0", stc]


def take_in(practice: Practice, text: str, name: str = "level.277"):  # type: ignore[no-untyped-def]
    return ingest_inbound(
        actor=None, workspace=practice.workspace, file=InboundFile(name=name, content=text)
    )


def test_a_whole_batch_rejected_at_the_receiver_rejects_every_claim_of_that_batch():
    practice = summit()[0]
    other_batch, (elsewhere,) = submitted(practice, 1)
    batch, _ = submitted(practice, 3)
    text = interchange(
        HEAD,
        receiver(
            f"{batch.interchange_control_number:04d}",  # our 837's BHT03, echoed in 2200B
            "STC*A3:24:41*20261116*U*366.00********SUBMITTER NOT AUTHORIZED",
        ),
    )
    result = take_in(practice, text)
    assert result.ok, result.error
    claims = batch_claims(batch)
    assert result.summary["levels_rejected"] == 1
    assert result.summary["claims_rejected"] == len(claims) == batch.claim_count
    assert {c.state for c in claims} == {S.REJECTED}
    assert fresh(elsewhere).state == S.SUBMITTED  # another batch is not this 277CA's
    rows = acks_of(practice, kind="277CA", batch=batch)
    assert sorted(r.claim_id for r in rows) == sorted(c.pk for c in claims)
    for row in rows:
        assert not row.accepted and row.status_code == "A3:24"
        assert row.message == (
            "Batch-level rejection (HL 21 information receiver (whole batch)): "
            "(entity 41) SUBMITTER NOT AUTHORIZED"
        )
    assert notes(claims[0]) == [f"A3:24 {rows[0].message}"]
    event = AuditEvent.objects.filter(action=AuditAction.ACK_RECEIVED).latest("id")
    assert event.practice_id == practice.pk
    assert sorted(event.record_ids) == sorted(str(r.public_id) for r in rows)
    assert event.detail["rejected"] == len(rows)

    # The claim page and the rejected list say why, and that the batch was refused: to whoever
    # works rejections, the list is the work queue's rejections; a reader keeps the list.
    client = verified_client("olivia.owner")
    page = client.get(reverse("claims:detail", kwargs={"public_id": claims[0].public_id}))
    body = page.content.decode()
    assert "Rejected: Batch-level rejection (HL 21 information receiver" in body
    assert "SUBMITTER NOT AUTHORIZED (A3:24)" in body
    assert 'id="claim-acks"' in body and "A3:24" in body
    rejected = {"state": "rejected", "practice": practice.public_id}
    queue = client.get(reverse("claims:list"), rejected, follow=True)
    assert queue.redirect_chain == [
        (queue_url(Function.REJECTIONS, practice=str(practice.public_id)), 302)
    ]
    rows = queue_rows(queue.content.decode())
    for claim in claims:
        assert "Batch-level rejection (HL 21" in row_naming(queue.content.decode(), claim.number)
    assert len(rows) >= len(claims)
    listed = verified_client("cliff.client").get(reverse("claims:list"), rejected)
    assert listed.status_code == 200
    assert listed.content.decode().count("Batch-level rejection (HL 21") >= len(claims)


def test_the_same_level_rejection_again_adds_nothing():
    practice = summit()[0]
    batch, _ = submitted(practice, 2)
    level = LevelStatus("21", "A3", "24", action="U", trace=f"{batch.interchange_control_number}")
    ack = replace(ack277(), receiver_trace=level.trace, levels=(level,))
    first = ingest_277ca(actor=None, workspace=practice.workspace, acks=[ack], file_name="a.277")
    count = len(acks_of(practice, kind="277CA"))
    again = ingest_277ca(actor=None, workspace=practice.workspace, acks=[ack], file_name="a.277")
    assert first.claims_rejected == batch.claim_count
    assert (again.claims_rejected, again.already_recorded) == (0, batch.claim_count)
    assert len(acks_of(practice, kind="277CA")) == count


def npi_of(claim: Claim) -> str:
    with rls.practice_scope([claim.practice_id]):
        return (
            Encounter.objects.for_system([claim.practice_id], reason="test")
            .select_related("billing_provider")
            .get(pk=claim.encounter_id)
            .billing_provider.npi
        )


def two_providers(practice: Practice) -> tuple[Batch, list[Claim], list[Claim]]:
    """One batch with claims billed by the practice's first provider and by a second one."""
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id")[2]
    with rls.practice_scope([practice.pk]):
        first = factories.provider(practice)
        second = Provider.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            name="Dr. Second Biller",
            npi=make_npi("1" + f"{practice.pk + 7000:08d}"),
        )
        mine = [
            factories.claim(practice, factories.coverage(factories.patient(practice, i), payer))
            for i in range(4)
        ]
        Encounter.objects.for_system([practice.pk], reason="test").filter(
            pk__in=[c.encounter_id for c in mine[2:]]
        ).update(billing_provider=second)
    batch_build(actor=None, practice_ids=[practice.pk])
    batch_id = fresh(mine[0]).batch_id
    assert batch_id is not None and fresh(mine[3]).batch_id == batch_id
    with rls.practice_scope([practice.pk]):
        batch = Batch.objects.for_system([practice.pk], reason="test").get(pk=batch_id)
    assert first.npi != second.npi
    return batch, mine[:2], mine[2:]


def test_a_provider_rejected_without_claims_beneath_rejects_its_claims_in_the_batch_only():
    practice = summit()[0]
    batch, _, theirs = two_providers(practice)
    npi = npi_of(theirs[0])
    text = interchange(
        HEAD,
        receiver(f"{batch.interchange_control_number:04d}", "STC*A1:19:PR*20261116*WQ*0"),
        provider_level(npi, "STC*A3:85:85**U*244.00"),
    )
    result = take_in(practice, text)
    assert result.ok and result.summary["levels_rejected"] == 1
    claims = batch_claims(batch)
    by_npi = {c.pk: c.encounter.billing_provider.npi == npi for c in claims}
    assert {c.pk for c in claims if c.state == S.REJECTED} == {k for k, v in by_npi.items() if v}
    assert {c.pk for c in theirs} <= {c.pk for c in claims if c.state == S.REJECTED}
    assert {c.state for c in claims if not by_npi[c.pk]} == {S.SUBMITTED}
    [row] = acks_of(practice, claim=theirs[0])
    assert row.status_code == "A3:85"
    assert row.message.startswith(f"Provider-level rejection (HL 19 billing provider, NPI {npi})")


def test_a_provider_rejected_with_claims_beneath_rejects_those_listed_whatever_they_say():
    """A level rejection means the claims were not taken in: it stands over a claim's own
    acceptance (no payer claim number either); a claim's own rejection is the reason it keeps."""
    practice = summit()[0]
    batch, (own_ok, own_bad), (unlisted, _) = two_providers(practice)
    level = LevelStatus(
        "19",
        "A3",
        "85",
        "85",
        action="U",
        message="NPI NOT ENROLLED",
        identifier=npi_of(own_ok),
        claim_numbers=(own_ok.number, own_bad.number),
    )
    ack = replace(
        ack277(
            ClaimStatus(own_ok.number, "A2", "20", payer_claim_number="PAYER-1"),
            ClaimStatus(own_bad.number, "A7", "562", entity="IL", message="Member ID bad"),
        ),
        levels=(level,),
    )
    result = ingest_277ca(actor=None, workspace=practice.workspace, acks=[ack], file_name="p.277")
    assert (result.levels_rejected, result.claims_rejected, result.claims_accepted) == (1, 2, 0)
    ok_now, bad_now = fresh(own_ok), fresh(own_bad)
    assert ok_now.state == bad_now.state == S.REJECTED
    assert ok_now.payer_claim_number == ""
    assert fresh(unlisted).state == S.SUBMITTED  # in the batch, but not listed beneath
    assert notes(own_ok)[0].startswith("A3:85 Provider-level rejection (HL 19")
    assert notes(own_bad)[0].startswith("A7:562")
    codes = {(a.status_code, a.accepted) for a in acks_of(practice, claim=own_ok)}
    assert codes == {("A2:20", True), ("A3:85", False)}
    # The lists give each claim the reason it moved with.
    actor = resolve_actor(User.objects.get(username="olivia.owner"))
    why = rejection_reasons(actor, [ok_now, bad_now])
    assert why[own_ok.pk].endswith("NPI NOT ENROLLED (A3:85)")
    assert why[own_bad.pk] == "(entity IL) Member ID bad (A7:562)"


def test_an_accepted_level_changes_nothing():
    practice = summit()[0]
    batch, (first, second) = submitted(practice, 2)
    text = interchange(
        HEAD,
        receiver(f"{batch.interchange_control_number:04d}", "STC*A1:19:PR*20261116*WQ*244.00"),
        provider_level(npi_of(first), "STC*A2:20:PR**WQ*244.00"),
    )
    result = take_in(practice, text)
    assert result.ok and result.summary["levels_rejected"] == 0
    assert result.summary["claims_rejected"] == result.summary["claims_accepted"] == 0
    assert result.summary["unmatched_levels"] == 0
    assert fresh(first).state == fresh(second).state == S.SUBMITTED
    assert acks_of(practice, kind="277CA", batch=batch) == []


def test_an_unmatched_level_rejection_is_kept_for_staff_on_the_batches_page(caplog):
    practice = summit()[0]
    batch, (claim, _) = submitted(practice, 2)
    npi = npi_of(claim)
    text = interchange(
        HEAD,
        receiver("987654321", "STC*A1:19:PR*20261116*WQ*0"),  # a trace that is no batch of ours
        provider_level(npi, "STC*A3:85:85**U*0"),
    )
    with caplog.at_level(logging.WARNING, logger="bureau.claims.acknowledgements"):
        result = take_in(practice, text, name="lost.277")
    assert result.ok and result.summary["unmatched_levels"] == 1
    assert result.summary["claims_rejected"] == 0
    assert fresh(claim).state == S.SUBMITTED
    assert "matched no claim of ours" in caplog.text
    record = InboundRecord.objects.get(pk=result.record_id)
    assert record.outcome["unmatched_levels"] == 1
    [row] = acks_of(practice, kind="277CA", batch__isnull=True, claim__isnull=True)
    assert not row.accepted and row.status_code == "A3:85" and row.file_name == "lost.277"
    assert "Unmatched 277CA trace '987654321'" in row.message
    assert f"NPI {npi}" in row.message
    event = AuditEvent.objects.filter(action=AuditAction.ACK_RECEIVED).latest("id")
    assert event.record_ids == [str(row.public_id)]

    page = verified_client("olivia.owner").get(reverse("batches:list")).content.decode()
    assert "277CA rejections that matched no batch" in page
    assert "Unmatched 277CA trace" in page and "lost.277" in page
    shown = AuditEvent.objects.filter(action=AuditAction.UNMATCHED_ACKS_LISTED).latest("id")
    assert shown.record_ids == [str(row.public_id)] and shown.practice_id == practice.pk


def test_an_unmatched_batch_rejection_naming_no_practice_is_still_reported(caplog):
    practice = summit()[0]
    submitted(practice, 1)
    level = LevelStatus("21", "A3", "24", action="U", trace="ZZTOP")
    ack = replace(ack277(), receiver_trace="ZZTOP", levels=(level,))
    before = len(acks_of(practice, kind="277CA"))
    with caplog.at_level(logging.WARNING, logger="bureau.claims.acknowledgements"):
        result = ingest_277ca(
            actor=None, workspace=practice.workspace, acks=[ack], file_name="x.277"
        )
    assert result.unmatched_levels == ["HL 21 A3:24"]
    assert result.summary()["unmatched_levels"] == 1 and result.claims_rejected == 0
    assert "HL 21 rejection A3:24 matched no claim of ours" in caplog.text
    if len(summit()) > 1:  # several practices and no NPI: no practice to hold a row
        assert len(acks_of(practice, kind="277CA")) == before


def test_the_batch_is_found_from_the_claims_the_same_file_lists():
    """No usable trace, but the file lists claims of the batch under another provider: the
    level without claims beneath rejects the rest of that batch."""
    practice = summit()[0]
    batch, (listed, _), (other, _) = two_providers(practice)
    level = LevelStatus("19", "A3", "85", action="U", identifier=npi_of(other))
    ack = replace(ack277(ClaimStatus(listed.number, "A2", "20")), levels=(level,))
    result = ingest_277ca(actor=None, workspace=practice.workspace, acks=[ack], file_name="m.277")
    assert result.levels_rejected == 1 and result.unmatched_levels == []
    assert fresh(other).state == S.REJECTED and fresh(listed).state == S.ACCEPTED


def test_a_payer_level_rejection_found_by_the_bare_trace_rejects_the_batch():
    """HL 20 (the information source) refusing, 2200B TRN02 without zero padding."""
    practice = summit()[0]
    batch, (claim, _) = submitted(practice, 2)
    level = LevelStatus(
        "20", "A8", "24", status_date=date(2001, 1, 1), trace=str(batch.interchange_control_number)
    )
    ack = replace(ack277(), receiver_trace=level.trace, levels=(level,))
    ingest_277ca(actor=None, workspace=practice.workspace, acks=[ack], file_name="s.277")
    assert fresh(claim).state == S.REJECTED
    [row] = acks_of(practice, claim=claim)
    assert row.message.startswith("Payer-level rejection (HL 20 information source (payer))")
    with rls.practice_scope([practice.pk]):
        batch_rows = Acknowledgement.objects.for_system([practice.pk], reason="t").filter(
            batch=batch, claim__isnull=True
        )
        assert not batch_rows.exists()  # one row per claim, none for the batch as a whole


def test_a_person_rejects_only_batches_they_may_edit():
    """Uploaded by a biller: a batch of a practice they cannot see is no match (and is not
    named), so its claims stay as they were and the rejection is reported unmatched."""
    practices = summit()
    bella = resolve_actor(User.objects.get(username="bella.biller"))
    others = [p for p in practices if p.pk not in bella.practice_ids()]
    if not others:
        pytest.skip("bella sees every practice")
    batch, (theirs, _) = submitted(others[0], 2)
    level = LevelStatus("21", "A3", "24", action="U", trace=f"{batch.interchange_control_number}")
    ack = replace(ack277(), receiver_trace=level.trace, levels=(level,))
    result = ingest_277ca(actor=bella, workspace=others[0].workspace, acks=[ack], file_name="b.277")
    assert (result.claims_rejected, result.unmatched_levels) == (0, ["HL 21 A3:24"])
    assert fresh(theirs).state == S.SUBMITTED
    assert acks_of(others[0], file_name="b.277") == []
