"""A write-off and a corrected claim never decide one balance twice (billing/corrections.py):
no write-off while a correction is unsent, no correction while a write-off waits, and a posted
write-off is marked taken back when the correction's submission reverses it."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bureau.audit.models import AuditAction, AuditEvent
from bureau.billing.models import WriteOffRequest, WriteOffStatus
from bureau.billing.services import WriteOffError, writeoff_refuse
from bureau.billing.tests.helpers import actor, entries, reload
from bureau.billing.tests.test_services import ask
from bureau.billing.tests.test_views import form_url
from bureau.claims.corrections import CorrectionError
from bureau.claims.models import ClaimFrequency
from bureau.conftest import verified_client
from bureau.ledger.models import EntryKind
from bureau.remittance.tests.test_views import Scenario
from bureau.tenancy import rls
from bureau.web.tests.test_corrected_claims import (
    create,
    fresh,
    no_ledger_problems,
    scenario,
    submit,
)

__all__ = ["scenario"]  # the fixture, shared with the corrected-claim tests
pytestmark = pytest.mark.django_db
R = ClaimFrequency.REPLACEMENT


def requests_of(s: Scenario) -> list[WriteOffRequest]:
    with rls.practice_scope([s.practice.pk]):
        return list(
            WriteOffRequest.objects.for_system([s.practice.pk], reason="test").filter(
                claim_id=s.denied.pk
            )
        )


def test_no_write_off_while_the_claims_correction_is_unsent(scenario: Scenario) -> None:
    replacement = create(actor("olivia.owner"), scenario.denied, R)
    with pytest.raises(WriteOffError, match=f"unsent correction \\({replacement.number}\\)"):
        ask(scenario.denied, {0: "5.00"})
    assert requests_of(scenario) == []
    # The form says so before anything is typed.
    page = verified_client("bella.biller").get(form_url(scenario.denied))
    assert page.status_code == 200
    assert b'id="writeoff-blocked"' in page.content
    assert replacement.number.encode() in page.content


def test_no_correction_while_a_write_off_waits_for_approval(scenario: Scenario) -> None:
    waiting = ask(scenario.denied, {0: "110.00", 1: "12.00"})  # above the 25.00 limit
    assert waiting.status == WriteOffStatus.PENDING
    with pytest.raises(CorrectionError, match="waiting for approval"):
        create(actor("olivia.owner"), scenario.denied, R)
    writeoff_refuse(actor=actor("sam.supervisor"), request=waiting, note="Appeal it instead.")
    assert create(actor("olivia.owner"), scenario.denied, R).replaces_id == scenario.denied.pk


def test_a_posted_write_off_is_taken_back_when_the_correction_is_submitted(
    scenario: Scenario,
) -> None:
    posted = ask(scenario.denied, {1: "12.00"})  # within the limit: posted at once
    assert posted.status == WriteOffStatus.AUTO_APPROVED
    assert [e["amount"] for e in entries(scenario.denied, EntryKind.WRITE_OFF)] == [D("-12.00")]
    replacement = create(actor("olivia.owner"), scenario.denied, R)
    # Before submission nothing has moved: the write-off stands.
    assert reload(posted).status == WriteOffStatus.AUTO_APPROVED
    submit(replacement)
    assert fresh(replacement).state != "ready"
    taken = reload(posted)
    assert taken.status == WriteOffStatus.TAKEN_BACK
    assert f"claim {scenario.denied.number} was corrected" in taken.decision_note
    # The ledger reversed the WRITE_OFF entry; the request now says the same.
    assert sum(e["amount"] for e in entries(scenario.denied, EntryKind.WRITE_OFF)) == D("0.00")
    event = AuditEvent.objects.filter(action=AuditAction.WRITEOFF_TAKEN_BACK).get()
    assert event.record_ids == [str(posted.public_id)]
    assert event.actor_label == "system" and event.user is None  # built by the system
    no_ledger_problems(scenario.denied)
    # Sent: the original's balance is on the replacement now, and the refusal says so.
    with pytest.raises(WriteOffError, match=f"was corrected by {replacement.number}"):
        ask(scenario.denied, {0: "1.00"})
