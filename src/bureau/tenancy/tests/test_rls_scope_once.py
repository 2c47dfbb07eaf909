"""The RLS practice scope is set once per transaction (issue 12): `rls.activate` runs before
every scoped query, and a repeat of the value the transaction already holds costs no round trip.
What the backend remembers is forgotten whenever the server may have dropped the setting, so
the scope is never skipped when it is not really there (see also test_reused_connection.py).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from bureau.conftest import ON_POSTGRES
from bureau.patients.models import Patient
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row-level security exists on PostgreSQL only"),
    pytest.mark.django_db,
]


def _server_scope() -> Any:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting(%s, true)", [rls.SETTING])
        return cursor.fetchone()[0]


def _set_configs(ctx: CaptureQueriesContext) -> int:
    return sum("set_config" in q["sql"] for q in ctx.captured_queries)


def _practices() -> list[int]:
    ids = sorted(Practice.objects.values_list("id", flat=True))
    assert len(ids) >= 2
    return ids


def test_the_backend_remembers_the_scope():
    assert connection.settings_dict["ENGINE"] == "bureau.tenancy.postgresql"
    assert hasattr(connection, "rls_scope")


def test_the_same_scope_twice_in_a_transaction_is_set_once():
    ids = _practices()
    with CaptureQueriesContext(connection) as ctx:
        rls.activate(ids)
        rls.activate(reversed(ids))  # the same set
        rls.activate(ids)
    assert _set_configs(ctx) == 1
    assert _server_scope() == ",".join(map(str, ids))


def test_another_scope_is_set():
    first, second = _practices()[:2]
    rls.activate([first])
    with CaptureQueriesContext(connection) as ctx:
        rls.activate([second])
    assert _set_configs(ctx) == 1
    assert _server_scope() == str(second)
    assert set(Patient.objects.for_system([second], reason="test").values_list(
        "practice_id", flat=True)) == {second}  # fmt: skip


def test_a_rolled_back_savepoint_undoes_the_setting_and_the_next_activate_restores_it():
    first, second = _practices()[:2]
    rls.activate([first])
    try:
        with transaction.atomic():
            rls.activate([second])
            assert _server_scope() == str(second)
            raise RuntimeError("roll the savepoint back")
    except RuntimeError:
        pass
    # The server went back to `first`: activating `second` again must really set it.
    assert _server_scope() == str(first)
    with CaptureQueriesContext(connection) as ctx:
        rls.activate([second])
    assert _set_configs(ctx) == 1
    assert _server_scope() == str(second)
    # And back to `first`, which the backend must not believe is still current either.
    rls.activate([first])
    assert _server_scope() == str(first)


def test_a_released_savepoint_keeps_the_setting():
    first = _practices()[0]
    with transaction.atomic():
        rls.activate([first])
    assert _server_scope() == str(first)
    rls.activate([first])  # remembered or not, the server holds it
    assert _server_scope() == str(first)


def test_current_reads_the_server_and_corrects_what_is_remembered():
    first, second = _practices()[:2]
    rls.activate([first])
    with connection.cursor() as cursor:  # behind activate's back
        cursor.execute("SELECT set_config(%s, %s, true)", [rls.SETTING, str(second)])
    assert rls.current() == {second}
    rls.activate([first])
    assert _server_scope() == str(first)


def test_a_manual_savepoint_rollback_forgets_the_scope():
    ids = _practices()
    sid = transaction.savepoint()
    rls.activate(ids)
    assert connection.rls_scope
    transaction.savepoint_rollback(sid)
    assert connection.rls_scope is None
    assert not _server_scope()
    with CaptureQueriesContext(connection) as ctx:
        rls.activate(ids)
    assert _set_configs(ctx) == 1
