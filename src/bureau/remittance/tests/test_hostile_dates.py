"""A payment dated where date arithmetic ends (BPR16 9999-12-31): a denial's appeal deadline
(payment date + the payer's appeal limit) raised OverflowError in the middle of the ingest —
not an X12Error, so `bureau era ingest` printed a traceback, an upload job failed as
"retryable" and a route's file was quarantined with only "OverflowError". It is refused, in
one line naming the element, before anything is written."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from bureau.claims.models import ClaimState
from bureau.remittance.models import Era
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_posting import fresh, setup  # noqa: F401 - the fixture
from bureau.remittance.tests.test_streamed_posting import _file, _ingest
from bureau.tenancy import rls
from bureau.x12.errors import X12Error

pytestmark = pytest.mark.django_db


def _denied(practice, payer, day: date) -> tuple[object, str]:
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    payment = b.paid_claim(
        claim,
        [
            b.svc(one, "0", ("CO", "50", str(one.charge)), claim_number=claim.number),
            b.svc(two, "0", ("CO", "50", str(two.charge)), claim_number=claim.number),
        ],
        status="4",
    )
    remittance = b.remittance(practice, payer, [payment])
    return claim, _file(dataclasses.replace(remittance, payment_date=day))


@pytest.mark.parametrize("day", [date(9999, 12, 31), date(9999, 1, 1), date(1, 1, 1)])
def test_a_payment_dated_at_the_end_of_time_is_one_clear_refusal(setup, day):  # noqa: F811
    practice, payer = setup
    claim, text = _denied(practice, payer, day)
    with pytest.raises(X12Error) as refused:
        _ingest(practice, text)
    assert "BPR16" in str(refused.value)
    with rls.practice_scope([practice.pk]):
        assert (
            not Era.objects.for_system([practice.pk], reason="test")
            .filter(payment_date=day)
            .exists()
        )
    assert fresh(claim).state == ClaimState.SUBMITTED


def test_a_payment_dated_this_century_still_posts_its_denial(setup):  # noqa: F811
    practice, payer = setup
    claim, text = _denied(practice, payer, date(2099, 12, 31))
    [outcome] = _ingest(practice, text).eras
    assert outcome.denials >= 1
