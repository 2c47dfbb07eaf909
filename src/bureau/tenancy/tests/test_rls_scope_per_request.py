"""A reused connection sets each request's practice scope again, even when it is the same
value as the request before (issue 12): the scope is remembered per transaction and forgotten at
its commit or rollback, never carried into the next request. One set_config per page."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import close_old_connections, connection
from django.test.utils import CaptureQueriesContext

from bureau.conftest import ON_POSTGRES, verified_client

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="connection reuse and RLS: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]


def _pid() -> Any:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def test_each_request_on_a_reused_connection_sets_its_scope_once_even_if_unchanged() -> None:
    owner = verified_client("olivia.owner")
    owner.get("/patients/")
    close_old_connections()
    pid = _pid()
    for url in ("/patients/", "/patients/", "/", "/claims/?practice=all", "/patients/"):
        with CaptureQueriesContext(connection) as ctx:
            response = owner.get(url)
        close_old_connections()  # what the handler does when a request ends
        assert response.status_code == 200
        sets = [q["sql"] for q in ctx.captured_queries if "set_config" in q["sql"]]
        assert len(sets) == 1, (url, sets)
        assert _pid() == pid  # the same server connection throughout
    # Had the first request's scope been carried over, the same person's next list would skip
    # setting it and show nothing: it shows the practice's patients every time.
    assert owner.get("/patients/").context["page"].rows
