"""An appeal decided after its denial was written off: the decision is history, but a settled
line keeps its status and no history line claims "written off → resolved"."""

from __future__ import annotations

import pytest

from bureau.billing.services import writeoff_approve, writeoff_request
from bureau.billing.tests.helpers import denials_of_claim, lines_of
from bureau.claims.models import Claim
from bureau.denials.appeal_models import AppealOutcome
from bureau.denials.appeals import appeal_decide, appeal_submit, practice_today
from bureau.denials.models import DenialEvent, DenialStatus, RootCause
from bureau.denials.tests.test_appeal_letters import appealed
from bureau.denials.tests.test_views import actor
from bureau.tenancy import rls

pytestmark = pytest.mark.django_db


def history(claim: Claim) -> list[DenialEvent]:
    with rls.practice_scope([claim.practice_id]):
        return list(
            DenialEvent.objects.for_system([claim.practice_id], reason="t")
            .filter(denial__claim_id=claim.pk)
            .order_by("id")
        )


@pytest.mark.parametrize("outcome", [AppealOutcome.OVERTURNED, AppealOutcome.UPHELD])
@pytest.mark.parametrize("both_lines", [True, False])
def test_outcome_after_write_off_moves_no_settled_status(outcome: str, both_lines: bool) -> None:
    s, denial, appeal, claim = appealed()
    sam = actor("sam.supervisor")
    today = practice_today(sam, denial.practice_id)
    appeal = appeal_submit(
        actor=sam, appeal=appeal, submitted_on=str(today), method="fax", reference="F-1"
    )
    lines = lines_of(claim)
    request = writeoff_request(
        actor=actor("bella.biller"),
        claim=claim,
        amounts={str(lines[0].public_id): "110.00", str(lines[1].public_id): "12.00"}
        if both_lines
        else {str(lines[0].public_id): "110.00"},
        reason="medical_necessity",
        note="Lost on appeal, the practice agreed.",
        root_cause=RootCause.DOCUMENTATION,
    )
    writeoff_approve(actor=sam, request=request, note="Agreed.")
    first, second = denials_of_claim(claim)  # the appeal's anchor is the first line
    assert first.status == DenialStatus.WRITTEN_OFF
    assert second.status == (DenialStatus.WRITTEN_OFF if both_lines else DenialStatus.APPEALED)
    before = len(history(claim))
    appeal_decide(
        actor=sam,
        appeal=appeal,
        outcome=outcome,
        decided_on=str(today),
        amount="0.00" if outcome == AppealOutcome.UPHELD else "10.00",
        today=today,
    )
    after = [d.status for d in denials_of_claim(claim)]
    (decided,) = history(claim)[before:]
    if both_lines:
        assert after == [DenialStatus.WRITTEN_OFF] * 2
        assert decided.changes == {}  # the decision is recorded; no status claimed to move
    else:
        moved_to = (
            DenialStatus.RESOLVED
            if outcome == AppealOutcome.OVERTURNED
            else DenialStatus.IN_PROGRESS
        )
        assert after == [DenialStatus.WRITTEN_OFF, moved_to]
        # The line that moved is named, not the written-off anchor.
        assert decided.changes == {"status": [DenialStatus.APPEALED, moved_to]}
    assert outcome.replace("_", " ") in decided.note
