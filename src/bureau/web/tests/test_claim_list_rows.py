"""The claims list reads its rows as named values (the columns a row shows) and the claim page
reads a model: the same claim must read the same on both, masked or not, rejected or not."""

from __future__ import annotations

import pytest

from bureau.claims import selectors
from bureau.claims.models import ClaimState
from bureau.remittance.tests import builders as b
from bureau.workqueues.tests import helpers as h
from bureau.workqueues.tests.test_rules import enrolled_payers

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("username", ["sam.supervisor", "dan.denials", "lina.limited"])
def test_a_claim_reads_the_same_in_the_list_and_on_its_page(username):
    practice = h.summit()[0]
    payer = enrolled_payers(practice)[0]
    for claim in b.submitted_claims(practice, payer, count=2):
        h.reject(claim)
    actor = h.actor(username)
    rows = selectors.claim_list(actor=actor, page_size=10_000).rows
    assert rows
    if username != "lina.limited":
        assert any(r.state == ClaimState.REJECTED and r.rejection for r in rows)
    masked = {r.masked for r in rows}
    assert masked == ({True} if username == "dan.denials" else {False})
    for row in rows:
        detail = selectors.claim_detail(actor=actor, public_id=row.public_id)
        assert row == detail.row
