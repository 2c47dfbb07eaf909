"""Two approvers at once (PostgreSQL): the decision is one UPDATE whose WHERE says the request
is still pending, so the second approver's UPDATE waits for the first to commit, then finds
nothing to change and is told it was already decided — the write-off is posted once.
SQLite serializes writers, so there is no race to test there."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from bureau.accounts.models import User
from bureau.billing.models import WriteOffStatus
from bureau.billing.services import WriteOffError, writeoff_approve, writeoff_refuse
from bureau.billing.tests.helpers import denied_claim, reload, write_offs
from bureau.billing.tests.test_services import ask
from bureau.conftest import ON_POSTGRES, TEST_PATIENTS_PER_PRACTICE, in_thread
from bureau.ledger.check import ledger_check
from bureau.tenancy.actor import resolve_actor

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row locks and concurrent connections: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]


@pytest.fixture
def pending(transactional_db: Any) -> Any:
    from bureau.demo import seed_demo

    seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)  # no-op when still seeded
    with transaction.atomic():
        s = denied_claim()
    with transaction.atomic():
        request = ask(s.denied, {0: "110.00", 1: "12.00"})
    assert request.status == WriteOffStatus.PENDING
    return s, request


def _decider(username: str, request: Any, start: threading.Barrier, approve: bool) -> Callable:
    def work() -> Any:
        actor = resolve_actor(User.objects.get(username=username))
        assert actor is not None
        start.wait(timeout=30)
        if approve:
            return writeoff_approve(actor=actor, request=request, note=username)
        return writeoff_refuse(actor=actor, request=request, note=username)

    return work


@pytest.mark.parametrize("second_approves", [True, False])
def test_two_deciders_at_once_post_once(pending, second_approves):
    s, request = pending
    start = threading.Barrier(2)
    results: list[Any] = []
    threads = [
        in_thread(_decider("sam.supervisor", request, start, True), results),
        in_thread(_decider("olivia.owner", request, start, second_approves), results),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert len(results) == 2 and len(errors) == 1, results
    assert isinstance(errors[0], WriteOffError) and "already decided" in str(errors[0])
    with transaction.atomic():
        decided = reload(request)
        posted = write_offs(s.denied)
    if decided.status == WriteOffStatus.APPROVED:
        assert sorted(posted) == sorted([-110, -12])
    else:
        assert decided.status == WriteOffStatus.REFUSED and posted == []
    with transaction.atomic():
        assert ledger_check() == []
