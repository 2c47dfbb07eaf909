"""Pages that only read, on SQLite (bureau.audit.reads): built on a read snapshot (BEGIN
DEFERRED, no write lock), their audit events appended in a short IMMEDIATE transaction before
the response leaves; a GET that writes runs again the usual way; PostgreSQL is left as it was.

The statement-order tests run on real transactions (`transaction=True`): a test's own
transaction would turn every BEGIN into a savepoint."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.db import DatabaseError, connection, transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.test import Client, RequestFactory

from bureau.audit import chain, reads
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import ON_POSTGRES, verified_client
from bureau.patients.models import Patient
from bureau.tenancy.models import Practice, Workspace

pytestmark = pytest.mark.django_db


class _Statements:
    """Every statement the connection runs, in order (BEGINs included)."""

    def __init__(self) -> None:
        self.sql: list[str] = []
        # Whether each ran inside a transaction (PostgreSQL's BEGIN is not a statement here).
        self.in_transaction: list[bool] = []

    def __call__(self, execute: Callable[..., Any], sql: str, *args: Any) -> Any:
        self.sql.append(" ".join(sql.split()))
        self.in_transaction.append(connection.in_atomic_block)
        return execute(sql, *args)

    def index(self, test: Callable[[str], bool], start: int = 0) -> int:
        return next(i for i, sql in enumerate(self.sql) if i >= start and test(sql))


def _event(workspace: Workspace, n: int) -> AuditEvent:
    return AuditEvent(
        workspace=workspace, actor_label="t", action=AuditAction.SYSTEM_SEEDED, detail={"n": n}
    )


def _middleware() -> reads.ReadRequestMiddleware:
    return reads.ReadRequestMiddleware(lambda request: HttpResponse())


def _request(method: str = "get") -> HttpRequest:
    request = getattr(RequestFactory(), method)("/somewhere/")
    request._messages = CookieStorage(request)  # type: ignore[attr-defined]
    return request


def _rename_workspace(request: HttpRequest) -> HttpResponse:
    Workspace.objects.filter(pk__gt=0).update(name="changed by a GET")
    return HttpResponse("wrote")


@pytest.mark.skipif(ON_POSTGRES, reason="SQLite's single writer; PostgreSQL case below")
class TestOnSQLite:
    @pytest.mark.django_db(transaction=True)
    @pytest.mark.usefixtures("session_seed_restored")
    def test_a_list_page_is_read_without_the_write_lock_its_events_written_after(self) -> None:
        client = verified_client("bella.biller")
        statements = _Statements()
        with connection.execute_wrapper(statements):
            shown = response = client.get("/patients/")
        assert response.status_code == 200
        begin = statements.index(lambda s: s.startswith("BEGIN"))
        assert statements.sql[begin] == "BEGIN DEFERRED"
        last_read = max(
            i for i, s in enumerate(statements.sql) if s.startswith("SELECT") and "patients_" in s
        )
        append = statements.index(lambda s: s.startswith("BEGIN"), begin + 1)
        # The whole page is read before anything asks for the write lock ...
        assert begin < last_read < append
        assert statements.sql[append] == "BEGIN IMMEDIATE"
        # ... nothing is written on the snapshot, and the events go in after it.
        assert not any(s.startswith(reads.WRITE_STATEMENTS) for s in statements.sql[begin:append])
        insert = statements.index(lambda s: s.startswith('INSERT INTO "audit_auditevent"'))
        assert insert > append
        assert AuditEvent.objects.filter(action=AuditAction.PATIENT_LISTED).exists()

        # Fail closed: when the held events cannot be written, the page is not sent.
        listed = AuditEvent.objects.filter(action=AuditAction.PATIENT_LISTED).count()
        failing = verified_client("bella.biller", Client(raise_request_exception=False))

        def disk_full(*args: Any) -> None:
            raise DatabaseError("disk I/O error")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("bureau.audit.chain.chain_write_sealed", disk_full)
            response = failing.get("/patients/")
        assert response.status_code == 500
        everyone = Patient.objects.for_system(
            Practice.objects.values_list("pk", flat=True), reason="test"
        )
        names = [name.encode() for name in everyone.values_list("last_name", flat=True)]
        assert any(name in shown.content for name in names)  # the page that was sent had them
        assert not any(name in response.content for name in names)
        assert AuditEvent.objects.filter(action=AuditAction.PATIENT_LISTED).count() == listed

    def test_a_get_that_writes_is_stopped_before_the_write_and_runs_again(self) -> None:
        before = list(Workspace.objects.values_list("name", flat=True))
        assert _middleware().process_view(_request(), _rename_workspace, (), {}) is None
        assert list(Workspace.objects.values_list("name", flat=True)) == before

    def test_a_view_that_swallows_the_refusal_still_runs_again(self) -> None:
        def careless(request: HttpRequest) -> HttpResponse:
            try:
                _rename_workspace(request)
            except Exception:  # noqa: BLE001 - what a careless view does
                pass
            return HttpResponse("looks fine")

        assert _middleware().process_view(_request(), careless, (), {}) is None

    def test_the_messages_of_a_read_that_runs_again_are_not_shown_twice(self) -> None:
        request = _request()

        def says_then_writes(request: HttpRequest) -> HttpResponse:
            messages.info(request, "Practice changed")
            return _rename_workspace(request)

        assert _middleware().process_view(request, says_then_writes, (), {}) is None
        assert list(messages.get_messages(request)) == []

    def test_not_found_answers_from_the_read_and_other_errors_run_again(self) -> None:
        def missing(request: HttpRequest) -> HttpResponse:
            raise Http404("No such claim")

        def broken(request: HttpRequest) -> HttpResponse:
            raise ValueError("a bug the usual error handling reports")

        with pytest.raises(Http404):
            _middleware().process_view(_request(), missing, (), {})
        assert _middleware().process_view(_request(), broken, (), {}) is None

    def test_a_read_page_returns_its_response_with_its_events_held_then_written(self) -> None:
        workspace = Workspace.objects.order_by("pk").first()
        assert workspace is not None

        def reads_and_audits(request: HttpRequest) -> HttpResponse:
            from bureau.audit.services import audit_record

            audit_record(
                action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="t", detail={"read": 1}
            )
            # Held, not yet written, while the page is built.
            assert not AuditEvent.objects.filter(detail={"read": 1}).exists()
            return HttpResponse("page")

        response = _middleware().process_view(_request(), reads_and_audits, (), {})
        assert response is not None and response.content == b"page"
        assert AuditEvent.objects.filter(detail={"read": 1}).count() == 1

    def test_an_event_of_a_rolled_back_savepoint_is_dropped_as_on_the_write_path(self) -> None:
        workspace = Workspace.objects.order_by("pk").first()
        assert workspace is not None

        def changes_its_mind(request: HttpRequest) -> HttpResponse:
            from bureau.audit.services import audit_record

            for outcome in ("undone", "kept"):
                try:
                    with transaction.atomic():
                        audit_record(
                            action=AuditAction.SYSTEM_SEEDED,
                            workspace=workspace,
                            label="t",
                            detail={"savepoint": outcome},
                        )
                        if outcome == "undone":
                            raise LookupError("the view gives this step up")
                except LookupError:
                    pass
            return HttpResponse("page")

        response = _middleware().process_view(_request(), changes_its_mind, (), {})
        assert response is not None and response.content == b"page"
        assert AuditEvent.objects.filter(detail={"savepoint": "kept"}).count() == 1
        assert not AuditEvent.objects.filter(detail={"savepoint": "undone"}).exists()

    def test_held_events_join_the_chain_after_any_left_waiting(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """Written sealed under the write lock, but never ahead of an event still waiting for
        its seal (its writer died before sealing): that one is sealed first, in order."""
        workspace = Workspace.objects.create(name="Read chain", slug="read-chain")

        def event(n: int) -> AuditEvent:
            return _event(workspace, n)

        chain.chain_write_sealed(workspace.pk, [event(1)])  # a new chain: no head yet
        monkeypatch.setattr(chain, "_seal_after_commit", lambda workspace_id: None)
        chain.chain_write(workspace.pk, [event(2)])  # left waiting
        chain.chain_write_sealed(workspace.pk, [event(3), event(4)])
        stored = AuditEvent.objects.filter(workspace=workspace).order_by("seq")
        assert [(e.seq, e.detail["n"]) for e in stored] == [(1, 1), (2, 2), (3, 3), (4, 4)]
        chain.chain_write_sealed(workspace.pk, [event(5)])
        assert AuditEvent.objects.get(workspace=workspace, detail={"n": 5}).seq == 5
        assert chain.audit_verify_chain(workspace.pk) is None

    def test_posts_keep_their_single_transaction(self) -> None:
        ran: list[bool] = []

        def post_view(request: HttpRequest) -> HttpResponse:
            ran.append(True)
            return HttpResponse()

        assert _middleware().process_view(_request("post"), post_view, (), {}) is None
        assert ran == []  # the handler runs it, in one IMMEDIATE transaction


def _audit_writes(statements: _Statements) -> list[int]:
    return [i for i, sql in enumerate(statements.sql) if 'INTO "audit_auditevent"' in sql]


@pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL: one transaction, events sealed after")
class TestOnPostgreSQL:
    @pytest.mark.django_db(transaction=True)
    @pytest.mark.usefixtures("session_seed_restored")
    def test_a_read_page_commits_then_its_events_join_the_chain_in_one_statement(self) -> None:
        client = verified_client("bella.biller")
        statements = _Statements()
        with connection.execute_wrapper(statements):
            response = client.get("/patients/")
        assert response.status_code == 200
        last_read = max(
            i for i, s in enumerate(statements.sql) if s.startswith("SELECT") and "patients_" in s
        )
        assert statements.in_transaction[last_read]  # the page is read in its transaction
        [write] = _audit_writes(statements)
        # After the page's commit, one statement moves the head and inserts the events sealed:
        # nothing written before it, no seal reading them back after it.
        assert write > last_read and not statements.in_transaction[write]
        assert statements.sql[write].startswith('WITH head AS ( UPDATE "audit_auditchainhead"')
        assert not any(s.startswith(reads.WRITE_STATEMENTS) for s in statements.sql[:write])
        assert not any("audit_auditevent" in s for s in statements.sql[write + 1 :])
        listed = AuditEvent.objects.filter(action=AuditAction.PATIENT_LISTED)
        assert listed.exists() and not listed.filter(seq__isnull=True).exists()
        workspace = Workspace.objects.get(slug="summit")
        assert chain.seal_all() == 0
        assert chain.audit_verify_chain(workspace.pk) is None

    @pytest.mark.django_db(transaction=True)
    @pytest.mark.usefixtures("session_seed_restored")
    def test_a_get_that_writes_writes_its_events_in_its_transaction(self) -> None:
        workspace = Workspace.objects.create(name="Read chain", slug="read-chain")

        def renames_and_audits(request: HttpRequest) -> HttpResponse:
            from bureau.audit.services import audit_record

            Workspace.objects.filter(pk=workspace.pk).update(name="changed by a GET")
            audit_record(action=AuditAction.SYSTEM_SEEDED, workspace=workspace, label="t")
            return HttpResponse("wrote")

        statements = _Statements()
        with connection.execute_wrapper(statements):
            response = _middleware().process_view(_request(), renames_and_audits, (), {})
        assert response is not None and response.content == b"wrote"
        [write] = _audit_writes(statements)
        assert statements.sql[write].startswith('INSERT INTO "audit_auditevent"')
        assert statements.in_transaction[write]  # committed with the change
        assert Workspace.objects.get(pk=workspace.pk).name == "changed by a GET"
        event = AuditEvent.objects.get(workspace=workspace, action=AuditAction.SYSTEM_SEEDED)
        assert event.seq is not None  # sealed after the commit, as a POST's
        assert chain.audit_verify_chain(workspace.pk) is None

    def test_a_page_that_loses_the_race_reads_the_head_again(self) -> None:
        from bureau.audit import appending

        workspace = Workspace.objects.create(name="Race", slug="race")

        def event(n: int) -> AuditEvent:
            return _event(workspace, n)

        chain.chain_write(workspace.pk, [event(0)])
        chain.seal(workspace.pk)  # a head, nothing waiting
        raced: list[bool] = []

        def racer(execute: Callable[..., Any], sql: str, *args: Any) -> Any:
            # Another page's events get in between this page's read of the head and its write.
            if sql.lstrip().startswith("WITH head") and not raced:
                raced.append(True)
                assert appending.append_sealed(workspace.pk, [event(1)])
            return execute(sql, *args)

        mine = [event(2), event(3)]
        with connection.execute_wrapper(racer):
            assert appending.append_sealed(workspace.pk, mine)
        stored = AuditEvent.objects.filter(workspace=workspace).order_by("seq")
        assert [(e.seq, e.detail["n"]) for e in stored] == [(1, 0), (2, 1), (3, 2), (4, 3)]
        assert [e.pk for e in mine] == [e.pk for e in stored][2:]
        assert chain.audit_verify_chain(workspace.pk) is None

    def test_events_waiting_for_a_seal_send_a_page_the_usual_way(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from bureau.audit import appending

        workspace = Workspace.objects.create(name="Waiting", slug="waiting")
        chain.chain_write(workspace.pk, [AuditEvent(workspace=workspace, actor_label="t",
                                                    action=AuditAction.SYSTEM_SEEDED)])  # fmt: skip
        chain.seal(workspace.pk)
        monkeypatch.setattr(chain, "_seal_after_commit", lambda workspace_id: None)
        chain.chain_write(workspace.pk, [AuditEvent(workspace=workspace, actor_label="t",
                                                    action=AuditAction.SYSTEM_SEEDED)])  # fmt: skip
        page = AuditEvent(workspace=workspace, actor_label="t", action=AuditAction.SYSTEM_SEEDED)
        assert not appending.append_sealed(workspace.pk, [page])  # the waiting one comes first
        assert page.pk is None and page.seq is None
        assert AuditEvent.objects.filter(workspace=workspace).count() == 2
