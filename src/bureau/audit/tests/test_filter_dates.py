"""The audit log's day filters: a day outside the range a search may name, or not a day at all,
is a message naming the filter; the other filters still apply; never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db
URL = reverse("audit:log")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"date_to": "9999-12-31"}, "To: Enter a day from 1900-01-01 to 2999-12-31."),
        ({"date_from": "9999-12-31"}, "From: Enter a day from 1900-01-01 to 2999-12-31."),
        ({"date_from": "0001-01-01"}, "From: Enter a day from 1900-01-01 to 2999-12-31."),
        ({"date_to": "²"}, "To: Enter a day from 1900-01-01 to 2999-12-31, as YYYY-MM-DD."),
        ({"date_to": "9" * 5000}, "To: Enter a day"),
        ({"record": "x" * 10_000}, "Record id: Ensure this value has at most 64 characters"),
        ({"record": "a\x00b"}, "Record id: Null characters are not allowed."),
    ],
)
def test_a_refused_filter_is_named_and_nothing_fails(params, message):
    client = verified_client("olivia.owner")
    client.raise_request_exception = False
    response = client.get(URL, {"practice": "", **params})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_the_valid_filters_still_apply_beside_a_refused_one():
    client = verified_client("olivia.owner")
    response = client.get(URL, {"practice": "", "record": "no-such-record", "date_to": "²"})
    assert response.status_code == 200
    assert "No events match." in response.content.decode()


def test_edges_of_the_range_are_accepted():
    client = verified_client("olivia.owner")
    response = client.get(URL, {"practice": "", "date_from": "1900-01-01", "date_to": "2999-12-31"})
    assert response.status_code == 200
    assert "Enter a day" not in response.content.decode()
