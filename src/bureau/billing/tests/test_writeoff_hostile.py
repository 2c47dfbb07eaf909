"""Hostile input on the write-off form: every value is a message naming the field, never a 500,
and nothing is written. Digits of other scripts are refused (Decimal() would read "٣٤" as 34)."""

from __future__ import annotations

import pytest

from bureau.billing.models import WriteOffRequest
from bureau.billing.tests.helpers import denied_claim, lines_of
from bureau.billing.tests.test_views import form_url, post_request
from bureau.conftest import verified_client
from bureau.tenancy import rls

pytestmark = pytest.mark.django_db

HOSTILE = [
    "٣٤",
    "３４",
    "1e30",
    "99999999999999",
    "-5",
    "NaN",
    "Infinity",
    "-Infinity",
    "sNaN",
    "9" * 5000,
    "x" * 100_000,
    "1\x00",
    "1_0",
    " 1 0 ",
]


def nothing_written(practice_id: int) -> bool:
    with rls.practice_scope([practice_id]):
        return not WriteOffRequest.objects.for_system([practice_id], reason="t").exists()


@pytest.mark.parametrize("value", HOSTILE)
def test_every_hostile_amount_is_refused_naming_the_line(value):
    s = denied_claim()
    client = verified_client("bella.biller")
    client.raise_request_exception = False
    response = post_request(client, s.denied, {0: value})
    assert response.status_code == 200, value
    body = response.content.decode()
    assert "Not saved:" in body and "Line 1" in body, value
    assert nothing_written(s.practice.pk)


@pytest.mark.parametrize("field", ["reason", "note", "root_cause"])
@pytest.mark.parametrize("value", ["x" * 100_000, "<script>alert(1)</script>", "٣", "\x00"])
def test_hostile_text_fields_never_500(field, value):
    s = denied_claim()
    client = verified_client("bella.biller")
    client.raise_request_exception = False
    response = post_request(client, s.denied, {0: "5.00"}, **{field: value})
    assert response.status_code in (200, 302), (field, value)
    assert b"<script>alert(1)" not in response.content


def test_a_line_of_another_claim_is_refused_and_nothing_written():
    s = denied_claim()
    other = lines_of(s.paid)[0]
    client = verified_client("bella.biller")
    data = {
        f"amount-{other.public_id}": "1.00",
        "reason": "timely_filing",
        "note": "n",
        "root_cause": "charge_entry",
    }
    response = client.post(form_url(s.denied), data)
    assert response.status_code == 200 and b"not on this claim" in response.content
    assert nothing_written(s.practice.pk)


def test_splitting_a_write_off_into_requests_under_the_limit_does_not_dodge_the_approver():
    """Segregation of duties: the auto-approve limit holds per claim. Three requests of 25 on a
    claim whose limit is 25 are one auto-approval and two waits, not 75 written off alone."""
    from bureau.billing.models import WriteOffStatus
    from bureau.billing.tests.helpers import set_limit, write_offs
    from bureau.billing.tests.test_services import ask

    s = denied_claim()
    set_limit(s.practice, "25.00")
    made = [ask(s.denied, {0: "25.00"}) for _ in range(3)]
    assert [m.status for m in made] == [
        WriteOffStatus.AUTO_APPROVED,
        WriteOffStatus.PENDING,
        WriteOffStatus.PENDING,
    ]
    assert sum(write_offs(s.denied)) == -25
    # Below the limit together: both are approved by it.
    other = denied_claim()
    set_limit(other.practice, "25.00")
    pair = [ask(other.denied, {1: "5.00"}), ask(other.denied, {1: "7.00"})]
    assert [m.status for m in pair] == [WriteOffStatus.AUTO_APPROVED] * 2


def test_nul_bytes_in_decision_notes_are_not_a_500():
    from bureau.billing.tests.helpers import set_limit
    from bureau.billing.tests.test_services import ask

    s = denied_claim()
    set_limit(s.practice, "0.00")
    waiting = [ask(s.denied, {0: "5.00"}), ask(s.denied, {1: "5.00"})]
    sam = verified_client("sam.supervisor")
    sam.raise_request_exception = False
    for made, verb in zip(waiting, ("approve", "refuse"), strict=True):
        url = f"/billing/writeoffs/{made.public_id}/{verb}/"
        assert sam.post(url, {"note": "ok\x00"}).status_code == 302, verb
