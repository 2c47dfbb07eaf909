"""Layer 3: PostgreSQL row-level security really filters, for the non-owner runtime role.

Raw SQL on the test's own connection, inside the test transaction, as `bureau_app` (the shared
`_runtime_role` fixture has already run SET ROLE). Nothing here goes through the ORM's scoping,
so these tests prove the database itself refuses foreign rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import pytest
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from bureau.conftest import APP_ROLE, ON_POSTGRES
from bureau.patients.models import Patient
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row-level security exists on PostgreSQL only"),
    pytest.mark.django_db,
]


def _one(sql: str, params: list[object] | None = None) -> object:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchone()[0]


def _all(sql: str, params: list[object] | None = None) -> list[tuple[object, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params or [])
        return cursor.fetchall()


def _set_practice_ids(value: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, %s, true)", [rls.SETTING, value])


@contextmanager
def as_owner() -> Iterator[None]:
    """Step out of the runtime role to the table owner (who bypasses RLS), then step back."""
    with connection.cursor() as cursor:
        cursor.execute("RESET ROLE")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(APP_ROLE)}")


def _owner_counts() -> dict[int, int]:
    """Rows per practice as the owner sees them (ground truth, RLS does not apply)."""
    with as_owner():
        rows = _all("SELECT practice_id, count(*) FROM patients_patient GROUP BY practice_id")
    return {int(pid): int(n) for pid, n in rows}  # type: ignore[call-overload]


def _two_practices_of_one_workspace() -> tuple[Practice, Practice]:
    first = Practice.objects.order_by("id").first()
    assert first is not None
    second = Practice.objects.filter(workspace=first.workspace).exclude(pk=first.pk).first()
    assert second is not None
    return first, second


def _insert_sql(practice: Practice) -> tuple[str, list[object]]:
    now = timezone.now()
    return (
        "INSERT INTO patients_patient (workspace_id, practice_id, public_id, account_number,"
        " first_name, last_name, date_of_birth, sex, address_line1, address_line2, city, state,"
        " postal_code, phone, created_at, updated_at)"
        " VALUES (%s, %s, %s, %s, 'Rls', 'Intruder', %s, 'U', '', '', '', '', '', '', %s, %s)",
        [practice.workspace_id, practice.pk, uuid.uuid4(), "RLS000001", date(1980, 1, 1), now, now],
    )


# -- the role ---------------------------------------------------------------------------------
def test_runs_as_the_runtime_role_which_owns_no_phi_table_and_cannot_bypass_rls():
    assert APP_ROLE == "bureau_app"
    assert _one("SELECT current_user") == APP_ROLE
    super_, bypass = _all(
        "SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = current_user"
    )[0]
    assert super_ is False and bypass is False
    for table in rls.phi_tables():
        owner = _one("SELECT tableowner FROM pg_tables WHERE tablename = %s", [table])
        assert owner != APP_ROLE, f"{table} is owned by the runtime role"
        # Not a member of the owner role either (membership would confer ownership rights).
        assert _one("SELECT pg_has_role(current_user, %s, 'MEMBER')", [owner]) is False


def test_every_practice_scoped_table_has_rls_enabled_and_its_policy():
    tables = rls.phi_tables()
    assert Patient._meta.db_table in tables
    for table in tables:
        enabled = _one("SELECT relrowsecurity FROM pg_class WHERE oid = %s::regclass", [table])
        assert enabled is True, f"RLS is not enabled on {table}"
        policies = _all(
            "SELECT policyname, qual, with_check FROM pg_policies"
            " WHERE schemaname = current_schema() AND tablename = %s",
            [table],
        )
        assert [p[0] for p in policies] == [rls.POLICY], f"{table} policies: {policies}"
        _, using, check = policies[0]
        assert "app.practice_ids" in str(using) and "app.practice_ids" in str(check)


# -- reads ------------------------------------------------------------------------------------
def test_without_the_setting_no_phi_row_is_visible_although_rows_exist():
    assert not _one("SELECT current_setting('app.practice_ids', true)")
    assert sum(_owner_counts().values()) > 0
    assert _one("SELECT current_user") == APP_ROLE  # back in the runtime role
    assert _one("SELECT count(*) FROM patients_patient") == 0
    # An empty setting is the same as none.
    _set_practice_ids("")
    assert _one("SELECT count(*) FROM patients_patient") == 0


def test_one_practice_id_shows_exactly_that_practices_rows():
    counts = _owner_counts()
    practice_id = min(counts)
    _set_practice_ids(str(practice_id))
    assert _one("SELECT count(*) FROM patients_patient") == counts[practice_id]
    assert _all("SELECT DISTINCT practice_id FROM patients_patient") == [(practice_id,)]
    # A WHERE naming another practice finds nothing rather than its rows.
    other = max(counts)
    assert other != practice_id
    assert _one("SELECT count(*) FROM patients_patient WHERE practice_id = %s", [other]) == 0


def test_several_practice_ids_show_those_practices_only():
    counts = _owner_counts()
    chosen = sorted(counts)[:2]
    _set_practice_ids(",".join(map(str, chosen)))
    assert _one("SELECT count(*) FROM patients_patient") == sum(counts[p] for p in chosen)
    assert {r[0] for r in _all("SELECT DISTINCT practice_id FROM patients_patient")} == set(chosen)


def test_a_scoping_bug_in_the_orm_still_returns_no_foreign_rows():
    """Layers 1-2 broken on purpose (scope claims every practice), layer 3 holds."""
    counts = _owner_counts()
    practice_id = min(counts)
    with transaction.atomic():
        rls.activate([practice_id])
        buggy = Patient.objects.all()._scoped_to(frozenset(counts), None)
        rows = list(buggy)
    assert len(rows) == counts[practice_id]
    assert {p.practice_id for p in rows} == {practice_id}


# -- writes -----------------------------------------------------------------------------------
def test_insert_into_another_practice_is_refused_by_the_database():
    mine, theirs = _two_practices_of_one_workspace()
    _set_practice_ids(str(mine.pk))
    sql, params = _insert_sql(theirs)
    with pytest.raises(DatabaseError, match="row-level security"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, params)
    # The test transaction survived (savepoint); the same insert into my practice works.
    sql, params = _insert_sql(mine)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    assert _one("SELECT count(*) FROM patients_patient WHERE account_number = 'RLS000001'") == 1
    with as_owner():
        assert (
            _one(
                "SELECT count(*) FROM patients_patient"
                " WHERE account_number = 'RLS000001' AND practice_id = %s",
                [theirs.pk],
            )
            == 0
        )


def test_update_moving_a_row_to_another_practice_is_refused_by_the_database():
    mine, theirs = _two_practices_of_one_workspace()
    _set_practice_ids(str(mine.pk))
    row_id = _one("SELECT min(id) FROM patients_patient")
    assert row_id is not None
    with pytest.raises(DatabaseError, match="row-level security"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE patients_patient SET practice_id = %s WHERE id = %s", [theirs.pk, row_id]
            )
    assert _one("SELECT practice_id FROM patients_patient WHERE id = %s", [row_id]) == mine.pk


def test_update_and_delete_of_foreign_rows_touch_nothing():
    mine, theirs = _two_practices_of_one_workspace()
    _set_practice_ids(str(mine.pk))
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE patients_patient SET last_name = 'Overwritten' WHERE practice_id = %s",
            [theirs.pk],
        )
        assert cursor.rowcount == 0
        cursor.execute("DELETE FROM patients_patient WHERE practice_id = %s", [theirs.pk])
        assert cursor.rowcount == 0
    assert _owner_counts()[theirs.pk] > 0
