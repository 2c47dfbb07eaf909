"""An 835 may say any number of units on a line (SVC05, up to 18 digits): the contract's
expected amount (rate × units) must never reach a 12-digit money column unchecked.

It did: on SQLite the value was stored and every later read of the line raised
`decimal.InvalidOperation` (the ERA's page answered 500 for good); on PostgreSQL the insert
failed with a numeric overflow — not an X12Error — half-way through the file's transaction."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from bureau.conftest import verified_client
from bureau.directory.models import ContractRate
from bureau.remittance.models import Era, EraLine
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_posting import setup  # noqa: F401 - the fixture
from bureau.remittance.tests.test_streamed_posting import _file, _ingest
from bureau.remittance.underpayments import expected_allowed
from bureau.tenancy import rls

D = Decimal
pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("units", ["999999999999999999", "12000000000", "99999999.5"])
def test_a_line_with_absurd_units_posts_and_its_era_page_still_opens(setup, units):  # noqa: F811
    practice, payer = setup
    ContractRate.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        payer=payer,
        code="99213",
        allowed_amount=D("90.00"),
    )
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    line = b.svc(one, "90.00", ("CO", "45", "20.00"), claim_number=claim.number)
    line = line._replace(units=D(units))
    payment = b.paid_claim(claim, [line, b.svc(two, "12.00", claim_number=claim.number)])
    [outcome] = _ingest(practice, _file(b.remittance(practice, payer, [payment]))).eras
    assert outcome.posted == 1
    with rls.practice_scope([practice.pk]):
        lines = list(
            EraLine.objects.for_system([practice.pk], reason="test").filter(
                era_claim__era_id=outcome.era_id
            )
        )
        era = Era.objects.for_system([practice.pk], reason="test").get(pk=outcome.era_id)
    assert all(ln.expected is None or abs(ln.expected) < D("1E10") for ln in lines)
    page = verified_client("olivia.owner").get(reverse("eras:detail", args=[era.public_id]))
    assert page.status_code == 200


def test_expected_allowed_never_gives_what_a_money_column_cannot_hold() -> None:
    rates = {(1, "99213", ""): D("99999999.99")}
    assert expected_allowed(rates, 1, "99213", (), D("2")) == D("199999999.98")
    assert expected_allowed(rates, 1, "99213", (), D("999999999999999999")) is None
    assert expected_allowed(rates, 1, "99213", (), D("101")) is None  # 1E10 and above
