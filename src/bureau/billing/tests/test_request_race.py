"""Two write-off requests on one line at once (PostgreSQL), together asking more than is open:
the claim row is locked, so the second sees the first's pending amount and is refused."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import transaction

from bureau.billing.models import WriteOffRequest
from bureau.billing.services import WriteOffError
from bureau.billing.tests.helpers import denied_claim, set_limit
from bureau.billing.tests.test_services import ask
from bureau.conftest import ON_POSTGRES, TEST_PATIENTS_PER_PRACTICE, in_thread
from bureau.tenancy import rls

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row locks and concurrent connections: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]


@pytest.mark.parametrize("limit", ["0.00", "1000.00"])  # both wait, or both auto-approved
def test_two_requests_on_one_line_never_ask_more_than_is_open(transactional_db: Any, limit):
    from bureau.demo import seed_demo

    seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)  # no-op when still seeded
    with transaction.atomic():
        s = denied_claim()
        set_limit(s.practice, limit)
    start = threading.Barrier(2)

    def asker(username: str) -> Any:
        def work() -> Any:
            start.wait(timeout=30)
            return ask(s.denied, {0: "100.00"}, who=username)

        return work

    results: list[Any] = []
    threads = [
        in_thread(asker("bella.biller"), results),
        in_thread(asker("olivia.owner"), results),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(results) == 2 and len(errors) == 1, results
    assert isinstance(errors[0], WriteOffError) and "more than" in str(errors[0])
    with transaction.atomic(), rls.practice_scope([s.practice.pk]):
        made = WriteOffRequest.objects.for_system([s.practice.pk], reason="t").filter(
            claim_id=s.denied.pk
        )
        assert made.count() == 1
