"""The audit log (DESIGN §5): append-only, hash-chained, seven-year retention, fails closed, and
every PHI page records the ids it showed."""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from io import StringIO
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.core.signals import got_request_exception
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.chain import GENESIS, link
from bureau.audit.context import Origin, reset_origin, set_origin
from bureau.audit.migrations_sql import drop_sqlite_triggers, install_sqlite_guard
from bureau.audit.models import AuditAction, AuditChainHead, AuditEvent
from bureau.audit.services import _purge_permitted, audit_record
from bureau.conftest import APP_ROLE, ON_POSTGRES, verified_client
from bureau.patients.models import Patient
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db

UUID_LINK = re.compile(
    r'href="/patients/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/"'
)


# -- helpers ----------------------------------------------------------------------------------
def _execute(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


@contextmanager
def as_owner() -> Iterator[None]:
    """On PostgreSQL, act as the table owner for a moment (then back to the runtime role)."""
    if not ON_POSTGRES:
        yield
        return
    _execute("RESET ROLE")
    try:
        yield
    finally:
        if APP_ROLE:
            _execute(f"SET ROLE {connection.ops.quote_name(APP_ROLE)}")


@contextmanager
def append_only_trigger_disabled() -> Iterator[None]:
    """Lift the append-only guard inside the test transaction, as an attacker with owner
    rights (PostgreSQL) or with the database file (SQLite) can. PostgreSQL: ALTER TABLE refuses
    while deferred FK checks of rows inserted earlier in the transaction are pending, so run
    those first."""
    if not ON_POSTGRES:
        drop_sqlite_triggers(connection)
        try:
            yield
        finally:
            install_sqlite_guard(connection)
        return
    with as_owner():
        _execute("SET CONSTRAINTS ALL IMMEDIATE")
        _execute("ALTER TABLE audit_auditevent DISABLE TRIGGER audit_append_only")
        try:
            yield
        finally:
            _execute("ALTER TABLE audit_auditevent ENABLE TRIGGER audit_append_only")
            _execute("SET CONSTRAINTS ALL DEFERRED")


def _verify() -> tuple[int, str, str]:
    """Run `audit verify`; return (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", "verify", stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _owner() -> User:
    return User.objects.get(username="olivia.owner")


def _any_patient() -> Patient:
    actor = resolve_actor(_owner())
    assert actor is not None
    with transaction.atomic():
        patient = Patient.objects.visible_to(actor, Capability.PATIENTS_VIEW).order_by("id").first()
    assert patient is not None
    return patient


def _new_workspace(slug: str) -> Workspace:
    return Workspace.objects.create(name=f"Test {slug}", slug=slug)


def _record(workspace: Workspace, n: int, **extra: object) -> list[AuditEvent]:
    """`n` events, as stored once sealed."""
    with transaction.atomic():
        written = [
            audit_record(
                action=AuditAction.SYSTEM_SEEDED,
                workspace=workspace,
                label="test",
                detail={"n": i},
                **extra,
            )  # type: ignore[arg-type]
            for i in range(n)
        ]
    return [AuditEvent.objects.get(pk=e.pk) for e in written]


@contextmanager
def _nothing() -> Iterator[None]:
    yield


# -- append-only ------------------------------------------------------------------------------
@pytest.mark.parametrize("owner", [False, True], ids=["runtime-role", "owner-role"])
@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s",
        "DELETE FROM audit_auditevent WHERE id = %s",
    ],
    ids=["update", "delete"],
)
def test_update_and_delete_of_an_audit_row_are_refused(statement, owner):
    """On both databases (SQLite has one role: there both ids run the same check)."""
    event = _record(_new_workspace("append-only"), 1)[0]
    role = as_owner() if owner else _nothing()
    with role:
        if ON_POSTGRES:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT current_user = tableowner FROM pg_tables WHERE tablename = %s",
                    [AuditEvent._meta.db_table],
                )
                assert cursor.fetchone()[0] is owner  # really the table's owner, or really not
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic():
                _execute(statement, [event.pk])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.reason == "" and stored.hash == event.hash


def test_even_a_purge_cannot_delete_young_rows():
    event = _record(_new_workspace("young"), 1)[0]
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic(), _purge_permitted():
            _execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])
    assert AuditEvent.objects.filter(pk=event.pk).exists()


# -- the hash chain ---------------------------------------------------------------------------
def test_chain_seq_increments_and_each_event_links_to_its_predecessor():
    workspace = _new_workspace("chain")
    events = _record(workspace, 4)
    assert [e.seq for e in events] == [1, 2, 3, 4]
    assert events[0].prev_hash == GENESIS
    for before, after in zip(events, events[1:], strict=False):
        assert after.prev_hash == before.hash
    stored = list(AuditEvent.objects.filter(workspace=workspace).order_by("seq"))
    assert [e.pk for e in stored] == [e.pk for e in events]
    assert all(link(e.prev_hash, e) == e.hash for e in stored)
    head = AuditChainHead.objects.get(chain=f"workspace:{workspace.pk}")
    assert (head.seq, head.hash) == (4, events[-1].hash)
    # Another workspace has its own chain, starting at 1.
    other = _record(_new_workspace("chain-2"), 1)[0]
    assert (other.seq, other.prev_hash) == (1, GENESIS)


def test_audit_record_refuses_to_write_outside_a_transaction_of_its_caller():
    from bureau.audit.services import AuditWriteOutsideTransaction

    # pytest-django wraps every test in atomic(): pretend we are outside it.
    with mock.patch.object(connection, "in_atomic_block", False):
        with pytest.raises(AuditWriteOutsideTransaction):
            audit_record(action=AuditAction.SYSTEM_SEEDED, label="test")


@pytest.mark.parametrize(
    ("remote", "stored"),
    [
        ("10.1.2.3", "10.1.2.3"),
        ("2001:DB8:0:0::1", "2001:db8::1"),
        ("2001:0db8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("::ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("0000:0000:0000:0000:0000:ffff:10.0.0.1", "::ffff:10.0.0.1"),
        ("fe80::1%eth0", "fe80::1"),
        ("unix:/run/bureau.sock", None),
    ],
)
def test_events_from_any_peer_address_verify(remote, stored):
    """Regression: the hash covered the raw REMOTE_ADDR while the column stores it normalized,
    so an uppercase or uncompressed IPv6 address made an untouched event look tampered (and a
    zone id or a non-address failed the write, and with it the request, on PostgreSQL)."""
    token = set_origin(Origin(ip=remote, user_agent="ua", request_id="req"))
    try:
        event = _record(_new_workspace("peer"), 1)[0]
    finally:
        reset_origin(token)
    assert AuditEvent.objects.get(pk=event.pk).ip == stored
    assert _verify()[0] == 0


def test_a_very_long_user_label_does_not_break_audit_writes():
    """Regression: full name (200) + login name overflowed `actor_label` (200) on PostgreSQL,
    so every event of that user, login included, failed."""
    user = _owner()
    user.full_name = "Bartholomew " * 16
    user.save(update_fields=["full_name"])
    with transaction.atomic():
        event = audit_record(action=AuditAction.LOGIN, user=user)
    assert AuditEvent.objects.get(pk=event.pk).actor_label == user.label[:200]
    assert _verify()[0] == 0


def test_verify_reports_an_intact_chain():
    client = verified_client("olivia.owner")
    assert client.get("/patients/").status_code == 200
    code, out, err = _verify()
    assert code == 0, err
    assert "intact" in out
    assert err == ""


@pytest.mark.parametrize(
    "tamper",
    [
        "UPDATE audit_auditevent SET reason = 'nothing to see' WHERE id = %s",
        "UPDATE audit_auditevent SET record_ids = '[]' WHERE id = %s",
        "UPDATE audit_auditevent SET hash = repeat('a', 64) WHERE id = %s",
    ],
    ids=["content", "record-ids", "hash"],
)
def test_verify_detects_a_tampered_event_and_names_it(tamper):
    client = verified_client("olivia.owner")
    for _ in range(2):
        assert client.get("/patients/").status_code == 200
    events = list(
        AuditEvent.objects.filter(action=AuditAction.PATIENT_LISTED).order_by("workspace", "seq")
    )
    assert len(events) >= 3
    victim = events[len(events) // 2]
    with append_only_trigger_disabled():
        _execute(tamper, [victim.pk])
    code, out, err = _verify()
    assert code == 1
    assert f"event {victim.pk} " in err, err
    assert "BROKEN" in err and "intact" not in out


def test_verify_detects_a_deleted_event():
    events = _record(_new_workspace("gap"), 3)
    with append_only_trigger_disabled():
        _execute("DELETE FROM audit_auditevent WHERE id = %s", [events[1].pk])
    code, _, err = _verify()
    assert code == 1
    assert f"event {events[2].pk} " in err and "gap after seq 1" in err


# -- fail closed ------------------------------------------------------------------------------
def _break_audit_writes() -> None:
    """Make every INSERT into the audit table fail, for real, in the database."""
    if ON_POSTGRES:
        with as_owner():
            _execute(
                "CREATE FUNCTION bureau_test_audit_down() RETURNS trigger AS $$"
                " BEGIN RAISE EXCEPTION 'audit down'; END; $$ LANGUAGE plpgsql"
            )
            _execute(
                "CREATE TRIGGER bureau_test_audit_down BEFORE INSERT ON audit_auditevent"
                " FOR EACH ROW EXECUTE FUNCTION bureau_test_audit_down()"
            )
    else:
        _execute(
            "CREATE TRIGGER bureau_test_audit_down BEFORE INSERT ON audit_auditevent"
            " BEGIN SELECT RAISE(ABORT, 'audit down'); END;"
        )


def test_the_break_really_breaks_audit_writes():
    _break_audit_writes()
    with pytest.raises(DatabaseError, match="audit down"):
        with transaction.atomic():
            audit_record(action=AuditAction.SYSTEM_SEEDED, label="test")


def _first_page_of_olivia() -> list[Patient]:
    """The patients the owner's first list page shows (default sort: by name)."""
    actor = resolve_actor(_owner())
    assert actor is not None
    with transaction.atomic():
        return list(
            Patient.objects.visible_to(actor, Capability.PATIENTS_VIEW).order_by(
                "last_name", "first_name", "id"
            )[:50]
        )


def _phi_values(patient: Patient) -> list[str]:
    return [
        patient.last_name,
        patient.first_name,
        patient.account_number,
        patient.date_of_birth.isoformat(),
        str(patient.public_id),
    ]


# Not named `page`: that is pytest-playwright's fixture, and borrowing the name makes this a
# browser test (parametrized by browser, ordered among the transactional tests).
@pytest.mark.parametrize("view", ["detail", "list"])
def test_phi_is_not_returned_when_the_audit_event_cannot_be_written(view):
    shown = _first_page_of_olivia()
    patient = shown[0]
    client = verified_client("olivia.owner")
    client.raise_request_exception = False
    url = f"/patients/{patient.public_id}/" if view == "detail" else "/patients/"
    # While audit works the page shows this patient's PHI, so the check below means something.
    ok = client.get(url)
    assert ok.status_code == 200
    assert patient.last_name in ok.content.decode()
    assert patient.account_number in ok.content.decode()
    before = AuditEvent.objects.count()

    _break_audit_writes()
    failures: list[BaseException | None] = []

    def remember(**kwargs: object) -> None:
        failures.append(sys.exc_info()[1])

    got_request_exception.connect(remember, weak=False)
    try:
        response = client.get(url)
    finally:
        got_request_exception.disconnect(remember)
    assert response.status_code == 500
    assert len(failures) == 1 and "audit down" in str(failures[0])  # failed for that reason
    body = response.content.decode()
    assert "Something went wrong" in body
    for someone in [patient] if view == "detail" else shown:
        for value in _phi_values(someone):
            assert value not in body, f"{value!r} leaked in a failed-audit response"
    assert AuditEvent.objects.count() == before


# -- every PHI page logs the ids it showed ----------------------------------------------------
def test_patient_list_logs_exactly_the_ids_shown_one_event_per_practice():
    client = verified_client("olivia.owner")
    response = client.get("/patients/")
    assert response.status_code == 200
    shown = set(UUID_LINK.findall(response.content.decode()))
    assert len(shown) > 12  # more than one practice on the page

    events = list(
        AuditEvent.objects.filter(
            action=AuditAction.PATIENT_LISTED, request_id=response["X-Request-ID"]
        )
    )
    logged = [rid for e in events for rid in e.record_ids]
    assert len(logged) == len(set(logged)), "an id was logged twice"
    assert set(logged) == shown

    practices = [e.practice_id for e in events]
    assert None not in practices and len(practices) == len(set(practices))
    user = _owner()
    actor = resolve_actor(user)
    assert actor is not None
    with transaction.atomic():
        practice_of = dict(
            Patient.objects.visible_to(actor, Capability.PATIENTS_VIEW)
            .filter(public_id__in=shown)
            .values_list("public_id", "practice_id")
        )
    for event in events:
        assert {practice_of[uuid.UUID(r)] for r in event.record_ids} == {event.practice_id}
        assert event.user_id == user.pk and event.workspace_id == user.workspace_id
        assert event.model == "patients.Patient"


def test_patient_list_filtered_to_one_practice_logs_one_event():
    practice = Practice.objects.filter(workspace__slug="summit").order_by("name").first()
    client = verified_client("olivia.owner")
    response = client.get(f"/patients/?practice={practice.public_id}")
    shown = set(UUID_LINK.findall(response.content.decode()))
    events = list(
        AuditEvent.objects.filter(
            action=AuditAction.PATIENT_LISTED, request_id=response["X-Request-ID"]
        )
    )
    assert len(events) == 1
    assert events[0].practice_id == practice.pk and set(events[0].record_ids) == shown
    assert len(shown) == 12


def test_patient_detail_logs_the_record_user_practice_ip_and_request_id():
    patient = _any_patient()
    client = verified_client("olivia.owner")
    response = client.get(f"/patients/{patient.public_id}/", HTTP_USER_AGENT="pytest-agent")
    assert response.status_code == 200
    # This request wrote one event (the demo's incident has patient views of its own).
    events = list(
        AuditEvent.objects.filter(
            action=AuditAction.PATIENT_VIEWED, request_id=response["X-Request-ID"]
        )
    )
    assert len(events) == 1
    event = events[0]
    assert event.record_ids == [str(patient.public_id)]
    assert event.model == "patients.Patient"
    user = _owner()
    assert event.user_id == user.pk
    assert event.actor_label == user.label
    assert event.practice_id == patient.practice_id
    assert event.workspace_id == patient.workspace_id
    assert event.ip == "127.0.0.1"
    assert event.user_agent == "pytest-agent"
    assert event.request_id and event.request_id == response["X-Request-ID"]
    assert event.occurred_at <= timezone.now()


# -- retention --------------------------------------------------------------------------------
def test_purge_refuses_anything_younger_than_seven_years():
    before = AuditEvent.objects.count()
    a_year_ago = (timezone.now() - timedelta(days=365)).date()
    with pytest.raises(CommandError, match="seven years"):
        call_command("audit", "purge", "--before", a_year_ago.isoformat())
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("audit", "purge", "--before", "last tuesday")
    assert AuditEvent.objects.count() == before


def test_purge_deletes_events_past_retention_and_the_chain_still_verifies():
    workspace = _new_workspace("retention")
    eight_years_ago = timezone.now() - timedelta(days=8 * 365)
    with mock.patch("django.utils.timezone.now", return_value=eight_years_ago):
        old = _record(workspace, 3)
    assert all(e.occurred_at == eight_years_ago for e in old)
    recent = _record(workspace, 2)
    assert _verify()[0] == 0

    cutoff: date = (timezone.now() - timedelta(days=7 * 365 + 30)).date()
    out = StringIO()
    call_command("audit", "purge", "--before", cutoff.isoformat(), stdout=out)
    assert "purged 3 events" in out.getvalue()

    remaining = list(AuditEvent.objects.filter(workspace=workspace).order_by("seq"))
    assert [e.pk for e in remaining[:2]] == [e.pk for e in recent]
    marker = remaining[-1]
    assert marker.action == AuditAction.AUDIT_PURGED
    assert marker.detail["through_seq"] == 3 and marker.detail["deleted"] == 3
    assert marker.seq == 6 and marker.prev_hash == recent[-1].hash
    code, out_text, err = _verify()
    assert code == 0, err
    assert "intact" in out_text


def test_a_user_agent_with_a_nul_still_gets_its_page_and_its_event():
    """PostgreSQL text and JSON hold no NUL: a header carrying one must not fail every page
    (its events could not be written, so the page was refused)."""
    client = verified_client("bella.biller")
    client.raise_request_exception = False
    response = client.get("/patients/", HTTP_USER_AGENT="curl\x00/8")
    assert response.status_code == 200
    events = AuditEvent.objects.filter(request_id=response["X-Request-ID"])
    assert events.exists() and {e.user_agent for e in events} == {"curl\ufffd/8"}
