"""Take next under concurrency (PostgreSQL): people pressing "take next" at the same moment, on
their own connections, get different items, and no item is ever held by two people.

The candidate row is locked FOR UPDATE SKIP LOCKED: a second taker skips a row another
transaction is claiming instead of waiting for it (or, worse, claiming it too). SQLite
serializes every writer, so there is no race to test there: the PostgreSQL half runs this.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import transaction

from bureau.accounts.models import User
from bureau.conftest import ON_POSTGRES, TEST_PATIENTS_PER_PRACTICE, in_thread
from bureau.tenancy.actor import resolve_actor
from bureau.workqueues import services
from bureau.workqueues.models import EventKind, ItemStatus, WorkItem, WorkItemEvent
from bureau.workqueues.selectors import QueueFilters
from bureau.workqueues.tests import helpers as h

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row locks and concurrent connections: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]
TAKERS = ["bella.biller", "casey.contractor", "sam.supervisor", "olivia.owner", "bella.biller"]


@pytest.fixture
def pool(transactional_db: Any) -> QueueFilters:
    """Committed follow-up items; every taker works the second practice (bella and casey as
    billers, sam and olivia on all practices): one pool they all draw from."""
    from bureau.demo import seed_demo

    seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)  # no-op when still seeded
    with transaction.atomic():
        h.followup_items()
    practice = h.summit()[1]
    with transaction.atomic():
        assert len(h.live([practice.pk])) >= len(TAKERS) + 1
    return QueueFilters(practice_id=practice.pk)


def _taker(username: str, filters: QueueFilters, start: threading.Barrier) -> Callable[[], Any]:
    def work() -> tuple[str, int | None]:
        actor = resolve_actor(User.objects.get(username=username))
        assert actor is not None
        start.wait(timeout=30)
        item = services.take_next(actor=actor, filters=filters)
        return username, item.pk if item is not None else None

    return work


def _holders() -> dict[int, tuple[str, int | None]]:
    with transaction.atomic():
        practice_ids = h.summit()
        rows = (
            h.system(WorkItem, [p.pk for p in practice_ids])
            .filter(status=ItemStatus.CLAIMED)
            .values_list("pk", "assignee__username")
        )
        claims = list(
            h.system(WorkItemEvent, [p.pk for p in practice_ids])
            .filter(kind=EventKind.CLAIMED)
            .values_list("item_id", flat=True)
        )
        return {pk: (username, claims.count(pk)) for pk, username in rows}


def test_simultaneous_takers_get_different_items(pool):
    start = threading.Barrier(len(TAKERS))
    results: list[Any] = []
    threads = [in_thread(_taker(u, pool, start), results) for u in TAKERS]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [r for r in results if isinstance(r, BaseException)]
    assert not errors, errors
    taken = [pk for _, pk in results]
    assert len(results) == len(TAKERS) and None not in taken
    assert len(set(taken)) == len(taken), f"one item taken twice: {results}"
    holders = _holders()
    assert set(holders) == set(taken)
    for username, pk in results:
        assert holders[pk] == (username, 1)  # held by its taker, claimed once


def test_a_taker_never_gets_the_row_another_is_claiming(pool):
    """The first taker's transaction stays open after it took its row while the second one
    takes next. The second must get another item: not the same one (no lock: both would hold
    it) and not nothing (a plain FOR UPDATE waits for the row, finds it claimed once the first
    commits, and with LIMIT 1 returns no row although the pool is not empty). The second
    taker does wait for the first's commit before it returns, but on the audit chain's head
    (every audited change is chained under one lock), not on the item."""
    first_took, second_started = threading.Event(), threading.Event()
    slow_results: list[Any] = []
    results: list[Any] = []

    def slow() -> int | None:
        actor = resolve_actor(User.objects.get(username="bella.biller"))
        assert actor is not None
        with transaction.atomic():
            item = services.take_next(actor=actor, filters=pool)
            first_took.set()
            assert second_started.wait(timeout=30)
            time.sleep(1.5)  # the second taker's SELECT runs while this row is locked
        return item.pk if item else None

    def fast() -> int | None:
        actor = resolve_actor(User.objects.get(username="casey.contractor"))
        assert actor is not None
        assert first_took.wait(timeout=30)
        second_started.set()
        item = services.take_next(actor=actor, filters=pool)
        return item.pk if item else None

    threads = [in_thread(slow, slow_results), in_thread(fast, results)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    errors = [r for r in (*slow_results, *results) if isinstance(r, BaseException)]
    assert not errors, errors
    [first], [second] = slow_results, results
    assert first is not None and second is not None, "a taker was sent away empty-handed"
    assert first != second
    holders = _holders()
    assert holders[first] == ("bella.biller", 1) and holders[second] == ("casey.contractor", 1)
