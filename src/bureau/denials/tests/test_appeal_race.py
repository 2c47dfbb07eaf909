"""Two people open the claim's appeal at once from two denied lines' pages (PostgreSQL): the
second waits for the first and is told one is pending — not a unique-constraint 500. SQLite
serializes writers, so there is no race to test there."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import transaction

from bureau.accounts.models import User
from bureau.conftest import ON_POSTGRES, TEST_PATIENTS_PER_PRACTICE, in_thread
from bureau.denials import appeals
from bureau.denials.appeals import AppealError, appeal_create
from bureau.denials.tests.test_appeals import appeals_of, current
from bureau.denials.tests.test_views import denials_of
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.tenancy.actor import resolve_actor

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row locks and concurrent connections: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]


def test_two_lines_pages_open_the_claims_appeal_once(transactional_db: Any, monkeypatch) -> None:
    from bureau.demo import seed_demo

    seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)  # no-op when still seeded
    with transaction.atomic():
        s = ingest_scenario(unmatched=False)
        rows = [current(d) for d in denials_of(s.practice) if d.claim_id == s.denied.pk]
    assert len(rows) == 2
    real = appeals.next_level

    def slow(*args: Any, **kwargs: Any) -> Any:  # widen the window between read and insert
        time.sleep(0.5)
        return real(*args, **kwargs)

    monkeypatch.setattr(appeals, "next_level", slow)
    start = threading.Barrier(2)

    def opener(username: str, denial: Any) -> Any:
        def work() -> Any:
            actor = resolve_actor(User.objects.get(username=username))
            assert actor is not None
            start.wait(timeout=30)
            return appeal_create(actor=actor, denial=denial, level=1)

        return work

    results: list[Any] = []
    threads = [
        in_thread(opener("dan.denials", rows[0]), results),
        in_thread(opener("sam.supervisor", rows[1]), results),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(results) == 2 and len(errors) == 1, results
    assert isinstance(errors[0], AppealError), errors
    with transaction.atomic():
        assert len(appeals_of(rows[0])) == 1
