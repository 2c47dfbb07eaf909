"""A read page's events on PostgreSQL (audit.reads, audit.appending), attacked: many GETs and
writes of one workspace at once, a GET that writes in SQL the statement sniffing does not
recognise, hostile values in the events, a chain with no head yet.

Seals here follow real commits, as in production (not the other audit tests' seal-at-once)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from bureau.audit import appending, chain, reads
from bureau.audit.models import AuditAction, AuditChainHead, AuditEvent
from bureau.audit.services import audit_record
from bureau.conftest import ON_POSTGRES, in_thread, verified_client
from bureau.demo import WORKSPACE_SLUG
from bureau.tenancy.models import Workspace

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="the sealed append is PostgreSQL's"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]

_SEAL_AFTER_COMMIT = chain._seal_after_commit  # before the audit conftest makes it seal at once


@pytest.fixture(autouse=True)
def _sealed_after_commit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chain, "_seal_after_commit", _SEAL_AFTER_COMMIT)


def _middleware() -> reads.ReadRequestMiddleware:
    return reads.ReadRequestMiddleware(lambda request: HttpResponse())


def _get() -> HttpRequest:
    return RequestFactory().get("/somewhere/")


def _chain_holds(workspace_id: int | None) -> None:
    assert chain.seal_all() == 0  # every commit sealed its own
    assert chain.audit_verify_chain(workspace_id) is None
    head = AuditChainHead.objects.get(chain=chain.chain_name(workspace_id))
    sealed = AuditEvent.objects.filter(workspace_id=workspace_id, seq__isnull=False)
    assert head.seq == sealed.count()  # no gap, no duplicate number


def test_many_gets_and_writes_at_once_leave_every_event_once_in_an_unbroken_chain() -> None:
    workspace = Workspace.objects.get(slug=WORKSPACE_SLUG)
    people = ["sam.supervisor", "bella.biller", "priya.poster"]
    clients = [verified_client(name) for name in people]
    for client, name in zip(clients, people, strict=True):
        client.name = name  # type: ignore[attr-defined]
    start = threading.Barrier(len(clients) + 4)
    results: list[Any] = []
    request_ids: list[tuple[str, str, str]] = []

    def browse(client: Client) -> list[int]:
        start.wait(timeout=30)
        codes = []
        for url in ("/patients/", "/claims/", "/", "/queue/") * 2:
            response = client.get(url)
            codes.append(response.status_code)
            request_ids.append((client.name, url, response["X-Request-ID"]))  # type: ignore[attr-defined]
        return codes

    def post_like(n: int) -> str:
        start.wait(timeout=30)
        for i in range(12):
            with transaction.atomic():
                audit_record(
                    action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="w",
                    detail={"writer": n, "i": i},
                )  # fmt: skip
        return "wrote"

    def get_that_writes() -> str:
        def view(request: HttpRequest) -> HttpResponse:
            Workspace.objects.filter(pk=workspace.pk).update(name=workspace.name)
            audit_record(action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="gw")
            return HttpResponse("ok")

        start.wait(timeout=30)
        for _ in range(8):
            assert _middleware().process_view(_get(), view, (), {}) is not None
        return "get wrote"

    def sealer() -> str:
        start.wait(timeout=30)
        for _ in range(20):
            chain.seal(workspace.pk)
        return "sealed"

    work: list[Callable[[], Any]] = [lambda c=c: browse(c) for c in clients]
    work += [lambda: post_like(0), lambda: post_like(1), get_that_writes, sealer]
    threads = [in_thread(w, results) for w in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=240)
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert [r for r in results if isinstance(r, list)] == [[200] * 8] * len(clients), results
    _chain_holds(workspace.pk)
    empty = []
    for who, url, request_id in request_ids:  # each page's events, once each
        events = AuditEvent.objects.filter(request_id=request_id)
        if url in ("/patients/", "/claims/") and not events.exists():  # lists always audit
            empty.append((who, url))
        assert not events.filter(seq__isnull=True).exists(), request_id
        keys = Counter(events.values_list("action", "practice_id"))
        assert all(n == 1 for n in keys.values()), (request_id, keys)
    assert not empty, empty
    assert AuditEvent.objects.filter(workspace=workspace, actor_label="w").count() == 24
    assert AuditEvent.objects.filter(workspace=workspace, actor_label="gw").count() == 8


# A GET that changes a row in SQL other than a plain INSERT/UPDATE/DELETE at the head.
WRITES = {
    "comment first": "/* renamed */ UPDATE tenancy_workspace SET name = %s WHERE id = %s",
    "line comment first": "-- renamed\nUPDATE tenancy_workspace SET name = %s WHERE id = %s",
    "merge": (
        "MERGE INTO tenancy_workspace t USING (SELECT %s::text AS name, %s::bigint AS id) v"
        " ON t.id = v.id WHEN MATCHED THEN UPDATE SET name = v.name"
    ),
}


@pytest.mark.parametrize("sql", WRITES.values(), ids=WRITES.keys())
def test_a_get_that_writes_commits_its_change_only_with_its_events(
    sql: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed for changes too: if the events cannot be written, the change they record
    must not be committed either (as on the POST path, where both share one transaction)."""
    workspace = Workspace.objects.create(name="Before", slug="get-writes")
    audit_record_outside = AuditEvent(workspace=workspace, actor_label="t",
                                      action=AuditAction.SYSTEM_SEEDED)  # fmt: skip
    with transaction.atomic():
        chain.chain_write(workspace.pk, [audit_record_outside])  # a head, nothing waiting

    def renames(request: HttpRequest) -> HttpResponse:
        with connection.cursor() as cursor:
            cursor.execute(sql, ["Renamed by a GET", workspace.pk])
        audit_record(action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="renamed")
        return HttpResponse("renamed")

    def append_fails(*args: Any) -> bool:
        raise DatabaseError("the audit write failed")

    monkeypatch.setattr(appending, "append_sealed", append_fails)
    try:
        _middleware().process_view(_get(), renames, (), {})
    except DatabaseError:
        pass
    changed = Workspace.objects.get(pk=workspace.pk).name == "Renamed by a GET"
    recorded = AuditEvent.objects.filter(workspace=workspace, actor_label="renamed").exists()
    assert changed == recorded, f"change committed: {changed}, its event written: {recorded}"


HOSTILE_TEXT = "Ünïcødé \u2028 <b>&\"'</b> \U0001f600 \\u0000 \t\r\n 中文 " + "é" * 40


@pytest.mark.parametrize(
    "ip", [None, "203.0.113.7", "2001:db8::1", "::ffff:198.51.100.1", "fe80::1"]
)
def test_hostile_values_are_stored_as_their_hash_covers_them(ip: str | None) -> None:
    workspace = Workspace.objects.create(name="Hostile", slug="hostile")
    with transaction.atomic():
        chain.chain_write(workspace.pk, [AuditEvent(workspace=workspace, actor_label="t",
                                                    action=AuditAction.SYSTEM_SEEDED)])  # fmt: skip
    events = [
        AuditEvent(
            workspace=workspace,
            actor_label=HOSTILE_TEXT[:200],
            action=AuditAction.SYSTEM_SEEDED,
            model="x.Y",
            record_ids=[HOSTILE_TEXT, "1", "😀"],
            ip=ip,
            user_agent=("\U0001f600" * 300),
            request_id="r" * 36,
            reason=HOSTILE_TEXT * 200,
            detail={
                "nested": {"k\u00e9y": [1, 2.5, None, True, HOSTILE_TEXT], "big": 2**62},
                "list": list(range(2000)),
                "text": HOSTILE_TEXT,
                "<&>": "\"'",
            },
        )
        for _ in range(3)
    ]
    assert appending.append_sealed(workspace.pk, events)
    for event in events:
        stored = AuditEvent.objects.get(pk=event.pk)
        for field in ("actor_label", "record_ids", "user_agent", "reason", "detail"):
            assert getattr(stored, field) == getattr(event, field), field
        assert stored.occurred_at == event.occurred_at
    _chain_holds(workspace.pk)


@pytest.mark.parametrize("with_workspace", [True, False], ids=["new workspace", "global"])
def test_a_chain_with_no_head_yet_gets_one_and_holds(with_workspace: bool) -> None:
    workspace = Workspace.objects.create(name="Fresh", slug="fresh") if with_workspace else None
    workspace_id = workspace.pk if workspace else None
    if not AuditEvent.objects.filter(workspace_id=workspace_id).exists():
        AuditChainHead.objects.filter(chain=chain.chain_name(workspace_id)).delete()

    def reads_something(request: HttpRequest) -> HttpResponse:
        audit_record(action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="first")
        audit_record(action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="second")
        return HttpResponse("read")

    for _ in range(2):  # the first finds no head, the second the one the first's seal made
        response = _middleware().process_view(_get(), reads_something, (), {})
        assert response is not None and response.content == b"read"
    labels = AuditEvent.objects.filter(
        workspace_id=workspace_id, actor_label__in=["first", "second"]
    )
    assert labels.count() == 4 and not labels.filter(seq__isnull=True).exists()
    _chain_holds(workspace_id)


def test_a_get_that_writes_then_fails_leaves_neither_its_change_nor_its_events() -> None:
    workspace = Workspace.objects.create(name="Before", slug="writes-then-fails")

    def writes_then_fails(request: HttpRequest) -> HttpResponse:
        Workspace.objects.filter(pk=workspace.pk).update(name="Renamed by a GET")
        audit_record(action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="renamed")
        raise RuntimeError("the page fails after its write")

    # Run again the usual way (the handler's transaction), where it fails again.
    assert _middleware().process_view(_get(), writes_then_fails, (), {}) is None
    assert Workspace.objects.get(pk=workspace.pk).name == "Before"
    assert not AuditEvent.objects.filter(workspace=workspace).exists()
