"""Written, then sealed (bureau.audit.chain): an event is inserted in its change's transaction
and numbered and linked into its chain only after that transaction commits, under a lock of
the chain's head held for the seal alone.

Here the seal follows a real commit (or `django_capture_on_commit_callbacks`, which runs what a
commit would run); the other audit tests seal at once (their conftest).
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.utils import timezone

from bureau.audit import sealing
from bureau.audit.chain import GENESIS, audit_verify_chain, link, seal, seal_all
from bureau.audit.models import AuditAction, AuditChainHead, AuditEvent
from bureau.audit.services import audit_record
from bureau.audit.tests.test_chain import _audit
from bureau.conftest import (
    ON_POSTGRES,
    TEST_PATIENTS_PER_PRACTICE,
    in_thread,
    verified_client,
)
from bureau.demo import WORKSPACE_SLUG, seed_demo
from bureau.tenancy.models import Workspace

pytestmark = pytest.mark.django_db


def _workspace(slug: str) -> Workspace:
    return Workspace.objects.create(name=f"Sealing {slug}", slug=slug)


def _write(workspace: Workspace, n: int = 1, **detail: Any) -> list[AuditEvent]:
    return [
        audit_record(
            action=AuditAction.SYSTEM_SEEDED,
            workspace=workspace,
            label="test",
            detail={"n": i, **detail},
        )
        for i in range(n)
    ]


def _stored(event: AuditEvent) -> AuditEvent:
    return AuditEvent.objects.get(pk=event.pk)


def _head_seq(workspace: Workspace) -> int:
    head = AuditChainHead.objects.filter(chain=f"workspace:{workspace.pk}").first()
    return head.seq if head else 0


def test_an_event_waits_unsealed_until_its_transaction_commits(
    django_capture_on_commit_callbacks: Any,
) -> None:
    workspace = _workspace("waits")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            written = _write(workspace, 3)
            waiting = [_stored(e) for e in written]
            # In the transaction: stored, with its own MAC, no number, and no head taken.
            assert [e.seq for e in waiting] == [None, None, None]
            assert all(e.hash == link("", e) and e.prev_hash == "" for e in waiting)
            assert _head_seq(workspace) == 0
    assert len(callbacks) == 1  # one seal for the transaction, however many events
    sealed = [_stored(e) for e in written]
    assert [e.seq for e in sealed] == [1, 2, 3]  # in the order they were written
    assert sealed[1].prev_hash == sealed[0].hash and _head_seq(workspace) == 3
    assert audit_verify_chain(workspace.pk) is None


def test_a_rolled_back_savepoint_takes_its_events_and_the_chain_has_no_gap(
    django_capture_on_commit_callbacks: Any,
) -> None:
    workspace = _workspace("savepoint")
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            kept = _write(workspace, 1, step="before")
            try:
                with transaction.atomic():
                    _write(workspace, 2, step="rolled back")
                    raise RuntimeError("the change fails")
            except RuntimeError:
                pass
            kept += _write(workspace, 1, step="after")
    stored = list(AuditEvent.objects.filter(workspace=workspace).order_by("seq"))
    assert [e.pk for e in stored] == [e.pk for e in kept]
    assert [e.seq for e in stored] == [1, 2]
    assert audit_verify_chain(workspace.pk) is None


def test_a_failed_transaction_leaves_no_event_and_takes_no_seal(
    django_capture_on_commit_callbacks: Any,
) -> None:
    workspace = _workspace("fails")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            _write(workspace, 2)
            raise RuntimeError("the request fails")
    assert not callbacks
    assert not AuditEvent.objects.filter(workspace=workspace).exists()


def test_a_row_slipped_in_without_the_key_is_never_sealed_and_verify_says_so() -> None:
    workspace = _workspace("forged")
    [genuine] = _write(workspace)
    forged = AuditEvent.objects.create(
        workspace=workspace,
        actor_label="someone",
        action=AuditAction.SYSTEM_SEEDED,
        detail={"n": 99},
        hash="0" * 64,
    )
    assert seal(workspace.pk) == 1  # the genuine one only
    assert _stored(forged).seq is None and _stored(genuine).seq == 1
    problem = audit_verify_chain(workspace.pk)
    assert problem is not None and problem.event_id == forged.pk
    assert "not written by Bureau" in str(problem) and "unsealed" in str(problem)


def test_forged_rows_ahead_of_genuine_ones_do_not_stop_the_seal() -> None:
    """A full batch of rows written without the key must not starve the events behind it."""
    workspace = _workspace("forged-many")
    for n in range(3):
        AuditEvent.objects.create(
            workspace=workspace,
            actor_label="x",
            action=AuditAction.SYSTEM_SEEDED,
            detail={"n": n},
            hash="0" * 64,
        )
    genuine = _write(workspace, 3)
    with mock.patch.object(sealing, "SEAL_BATCH", 2):
        assert seal(workspace.pk) == 3
    assert [_stored(e).seq for e in genuine] == [1, 2, 3]


def test_an_event_left_unsealed_is_reported_until_something_seals_it() -> None:
    """A process that dies between its commit and the seal: the event is there, not chained."""
    workspace = _workspace("left")
    _write(workspace)
    seal(workspace.pk)
    late = timezone.now() - timedelta(minutes=10)
    with mock.patch("bureau.audit.services.timezone.now", return_value=late):
        [left] = _write(workspace)  # no seal: the process "died"
    problem = audit_verify_chain(workspace.pk)
    assert problem is not None and problem.event_id == left.pk
    assert "never sealed" in str(problem)
    # `bureau audit verify` seals what waits, then checks: the chain holds.
    code, out, _ = _audit("verify")
    assert code == 0, out
    assert _stored(left).seq == 2 and audit_verify_chain(workspace.pk) is None


def test_a_seal_that_lost_the_race_changes_nothing_and_the_next_read_wins() -> None:
    """Seals are optimistic: one linked from a head that has moved since it read it (another
    seal got there first) writes nothing, neither the head nor its events, and reads again."""
    workspace = _workspace("race")
    chain = f"workspace:{workspace.pk}"
    [first] = _write(workspace)
    seal(workspace.pk)
    [second] = _write(workspace)
    late = _stored(second)
    stale = (0, GENESIS)  # the head as a slower seal read it, before `first`
    late.seq, late.prev_hash = 1, stale[1]
    late.hash = link(stale[1], late)
    assert sealing._advance(chain, stale, [late]) is False
    assert _stored(second).seq is None and _head_seq(workspace) == 1
    assert seal(workspace.pk) == 1
    assert _stored(second).seq == 2 and _stored(second).prev_hash == _stored(first).hash
    assert audit_verify_chain(workspace.pk) is None


def test_a_backlog_larger_than_one_write_is_sealed_in_order() -> None:
    workspace = _workspace("backlog")
    with mock.patch.object(sealing, "SEAL_BATCH", 4):
        written = _write(workspace, 10)
        assert seal(workspace.pk) == 10
    assert [_stored(e).seq for e in written] == list(range(1, 11))
    assert audit_verify_chain(workspace.pk) is None


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s",
        "UPDATE audit_auditevent SET seq = 7, reason = 'rewritten' WHERE id = %s",
        "UPDATE audit_auditevent SET seq = 7, detail = '{}' WHERE id = %s",
    ],
    ids=["content", "seal-and-content", "seal-and-detail"],
)
def test_the_only_update_of_an_unsealed_event_is_its_seal(statement: str) -> None:
    workspace = _workspace("guard")
    [event] = _write(workspace)
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(statement, [event.pk])
    assert _stored(event).seq is None
    assert seal(workspace.pk) == 1
    # Sealed: no UPDATE at all, not even of its number.
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditevent SET seq = 9 WHERE id = %s", [event.pk])
    assert audit_verify_chain(workspace.pk) is None


# -- two connections (PostgreSQL: SQLite has one writer at a time anyway) -----------------------
concurrent = pytest.mark.skipif(not ON_POSTGRES, reason="concurrent connections: PostgreSQL")
# Transactional: each ends with a flush, and the session's seed comes back after the module.
committing = pytest.mark.django_db(transaction=True)
reseeded = pytest.mark.usefixtures("session_seed_restored")


@concurrent
@committing
@reseeded
def test_a_long_transaction_does_not_hold_up_another_write_of_its_workspace() -> None:
    """Request A has written its event and is still working; request B of the same workspace
    writes and commits meanwhile. B used to wait on the head row until A committed."""
    workspace = _workspace("long")
    written, b_done = threading.Event(), threading.Event()
    results: list[Any] = []

    def request_a() -> str:
        with transaction.atomic():
            _write(workspace, detail="a")
            written.set()
            assert b_done.wait(timeout=15), "B never finished while A was open"
        return "a"

    def request_b() -> float:
        assert written.wait(timeout=15)
        started = time.perf_counter()
        with transaction.atomic():
            _write(workspace, detail="b")
        b_done.set()
        return time.perf_counter() - started

    threads = [in_thread(request_a, results), in_thread(request_b, results)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not [r for r in results if isinstance(r, BaseException)], results
    [b_seconds] = [r for r in results if isinstance(r, float)]
    assert b_seconds < 2.0
    # Each sealed after its own commit: B first, then A; the chain holds.
    chain = list(AuditEvent.objects.filter(workspace=workspace).order_by("seq"))
    assert [e.detail["detail"] for e in chain] == ["b", "a"]
    assert audit_verify_chain(workspace.pk) is None


@concurrent
@committing
@reseeded
def test_concurrent_writers_leave_an_unbroken_chain() -> None:
    workspace = _workspace("many")
    start = threading.Barrier(6)
    results: list[Any] = []

    def writer(n: int) -> int:
        start.wait(timeout=15)
        for i in range(8):
            with transaction.atomic():
                _write(workspace, 1 + (n + i) % 3, writer=n)
        return n

    threads = [in_thread(lambda n=n: writer(n), results) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(r for r in results if isinstance(r, int)) == list(range(6)), results
    assert seal_all() == 0  # every commit sealed its own
    total = AuditEvent.objects.filter(workspace=workspace).count()
    assert total == sum(1 + (n + i) % 3 for n in range(6) for i in range(8))
    assert _head_seq(workspace) == total
    assert audit_verify_chain(workspace.pk) is None


def test_each_seal_notes_how_long_it_held_the_head_when_asked(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The load benchmark's measure of the chain's lock (BUREAU_AUDIT_SEAL_TIMINGS)."""
    timings = tmp_path / "holds.txt"
    monkeypatch.setenv("BUREAU_AUDIT_SEAL_TIMINGS", str(timings))
    workspace = _workspace("timed")
    _write(workspace, 2)
    assert seal(workspace.pk) == 2
    [held] = timings.read_text().split()
    assert 0 <= float(held) < 5000


@concurrent
@committing
@reseeded
def test_concurrent_requests_of_one_workspace_leave_an_unbroken_chain() -> None:
    """Whole requests through the handler (middleware, ATOMIC_REQUESTS, on-commit seal), four
    people at once reading lists and records of the same workspace."""
    if not Workspace.objects.filter(slug=WORKSPACE_SLUG).exists():  # flushed by a test before
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
    people = ["sam.supervisor", "bella.biller", "priya.poster", "dan.denials"]
    clients = [verified_client(name) for name in people]
    workspace = Workspace.objects.get(slug=WORKSPACE_SLUG)
    before = AuditEvent.objects.filter(workspace=workspace).count()
    start = threading.Barrier(len(clients))
    results: list[Any] = []

    def browse(client: Client) -> list[int]:
        start.wait(timeout=15)
        return [client.get(url).status_code for url in ("/patients/", "/claims/", "/") * 3]

    threads = [in_thread(lambda c=c: browse(c), results) for c in clients]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert results and all(codes == [200] * 9 for codes in results), results
    assert seal_all() == 0  # every request's commit sealed its own events
    assert AuditEvent.objects.filter(workspace=workspace).count() > before + len(clients) * 6
    assert audit_verify_chain(workspace.pk) is None
