"""A claim re-paid after an appeal, as payers send it (and the simulator does): the original
payment reversed (CLP02 = 22) and the claim paid again in the same 835. The poster posts it
with no exception and the appeal takes its outcome by itself: what it recovered is the new
money (net of the reversal, not the lines paid before too), and it was won outright when the
payer paid all it allows with no denying reason left — however far below the charge."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bureau.denials.appeal_models import AppealOutcome
from bureau.denials.appeals import appeal_create, appeal_submit
from bureau.denials.models import Denial
from bureau.denials.tests.test_appeals import appeals_of, reload
from bureau.denials.tests.test_views import actor
from bureau.directory.models import ContractRate, Payer
from bureau.remittance.models import EraException
from bureau.remittance.services import EraIngestResult, ingest_era_text
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import era_text
from bureau.tenancy import rls
from bureau.tenancy.models import Practice, Workspace
from bureau.x12.remit835 import ClaimPayment

pytestmark = pytest.mark.django_db
PAY = b.PAY_DATE


def _ingest(
    practice: Practice, payer: Payer, payments: list[ClaimPayment], name: str
) -> EraIngestResult:
    return ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        text=era_text(practice, payer, payments),
        file_name=name,
    )


@pytest.mark.parametrize(
    ("line_two", "outcome", "recovered"),
    [
        # Allowed 12.00: 10.00 paid + 2.00 coinsurance, nothing denied: won outright.
        (("10.00", ("PR", "2", "2.00"), "12.00"), AppealOutcome.OVERTURNED, D("10.00")),
        # Allowed 5.00 of it, the rest still denied (CO-97): half won.
        (("5.00", ("CO", "97", "7.00"), "5.00"), AppealOutcome.PARTIALLY_OVERTURNED, D("5.00")),
    ],
)
def test_reversed_and_paid_again_records_the_new_money_only(
    line_two: tuple[str, tuple[str, str, str], str], outcome: str, recovered: D
) -> None:
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    (claim,) = b.submitted_claims(practice, payer)
    one, two = b.lines_of(claim)
    paid_line = b.svc(one, "70.00", ("CO", "45", "20.00"), ("PR", "2", "20.00"), allowed="90.00")
    first = b.paid_claim(claim, [paid_line, b.svc(two, "0.00", ("CO", "97", "12.00"))])
    _ingest(practice, payer, [first], "first.835")
    with rls.practice_scope([practice.pk]):
        denial = Denial.objects.for_system([practice.pk], reason="t").get(claim=claim)
    assert denial.amount == D("12.00")
    dan = actor("dan.denials")
    appeal = appeal_create(actor=dan, denial=reload(denial), level=1, today=PAY)
    appeal_submit(
        actor=dan, appeal=appeal, submitted_on=str(PAY), method="fax", reference="F1", today=PAY
    )

    paid, adjustment, allowed = line_two
    again = b.paid_claim(claim, [paid_line, b.svc(two, paid, adjustment, allowed=allowed)])
    result = _ingest(practice, payer, [b.reversal_of(first), again], "after-appeal.835")

    (decided,) = appeals_of(denial)
    assert (decided.outcome, decided.amount_recovered) == (outcome, recovered)
    with rls.practice_scope([practice.pk]):
        assert not EraException.objects.for_system([practice.pk], reason="t").filter(
            era_id=result.eras[0].era_id
        )
