from decimal import Decimal

import pytest

from bureau.directory import selectors
from bureau.directory.models import FeeSchedule, FeeScheduleLine, Payer
from bureau.directory.tests.helpers import actor, practices

pytestmark = pytest.mark.django_db


def test_fee_for_practice_override_then_default_then_modifier():
    first, second = practices()[:2]
    assert selectors.fee_for(first, "99213") == Decimal("120.00")  # practice override
    assert selectors.fee_for(second, "99213") == Decimal("110.00")  # default
    assert selectors.fee_for(second, "99213", "25") == Decimal("115.00")  # modifier line
    assert selectors.fee_for(second, "99214", "59") == Decimal("165.00")  # blank fallback
    # The practice's blank line wins over the default's modifier-specific line.
    assert selectors.fee_for(first, "99213", "25") == Decimal("120.00")
    FeeScheduleLine.objects.create(
        schedule=FeeSchedule.objects.get(practice=first),
        code="99213",
        modifier="25",
        amount=Decimal("130"),
    )
    assert selectors.fee_for(first, "99213", "25") == Decimal("130.00")
    assert selectors.fee_for(first, "99999") is None


def test_contract_rate_for():
    practice = practices()[0]
    payer = Payer.objects.get(payer_id="MCRDEMO", workspace__slug="summit")
    assert selectors.contract_rate_for(practice, payer, "99213") == Decimal("92.50")
    assert selectors.contract_rate_for(practice, payer, "99213", "25") == Decimal("92.50")
    assert selectors.contract_rate_for(practices()[1], payer, "99213") is None


def test_enrollment_matrix_shows_the_missing_one():
    practice = practices()[0]
    payers, rows = selectors.enrollment_matrix(actor=actor("olivia.owner"), practice=practice)
    assert len(payers) == 6
    missing = [
        (r.provider, payers[i].payer_id) for r in rows for i, c in enumerate(r.cells) if c is None
    ]
    assert len(missing) == 1 and missing[0][1] == "BLUPK"


def test_lists_are_scoped():
    assert selectors.payer_list(actor=actor("hank.harbor")).count() == 0
    cliff = actor("cliff.client")
    assert selectors.enrollment_list(actor=cliff).count() == 0  # no setup.view
    alex = actor("alex.manager")
    assert selectors.enrollment_list(actor=alex, status="active").count() > 0
