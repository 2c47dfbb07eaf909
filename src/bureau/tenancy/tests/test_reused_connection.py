"""A PostgreSQL connection is kept from one request to the next (CONN_MAX_AGE), and a reused
connection carries nothing of the request before it: the practice scope lives and dies with
each request's transaction (`set_config(..., is_local)`), the role is the runtime role for all.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import close_old_connections, connection

from bureau.conftest import ON_POSTGRES, verified_client
from bureau.tenancy import rls

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="connection reuse and RLS: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]


def _one(sql: str) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()[0]


def test_a_reused_connection_starts_the_next_request_with_no_practice_scope() -> None:
    assert connection.settings_dict["CONN_MAX_AGE"] > 0
    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
    owner = verified_client("olivia.owner")
    pid = _one("SELECT pg_backend_pid()")

    response = owner.get("/patients/")
    assert response.status_code == 200 and response.context["page"].rows
    close_old_connections()  # what the handler does when a request ends

    # The same server connection, kept for the next request...
    assert connection.connection is not None and _one("SELECT pg_backend_pid()") == pid
    # ...still the runtime role, with no practice scope left: it sees no PHI row at all.
    assert _one("SELECT current_user") == settings.BUREAU_DB_APP_ROLE
    assert not _one(f"SELECT current_setting('{rls.SETTING}', true)")
    assert _one("SELECT count(*) FROM patients_patient") == 0

    # The next person's request on it sees only their own practices.
    poster = verified_client("priya.poster")
    shown = {c.practice_name for c in poster.get("/patients/").context["page"].rows}
    assert shown and len(shown) <= 2
    assert _one("SELECT pg_backend_pid()") == pid
