"""Shared fixtures: the demo workspace seeded once per session (once per xdist worker, each
with its own test database), signed-in clients, and the PostgreSQL runtime role, so that on
PostgreSQL every test runs subject to row-level security."""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop
# One fixed audit key for the run, in subprocesses (`bureau ...`) too, never the one in var/.
TEST_AUDIT_KEY = "bureau-test-audit-key-not-secret"
os.environ["BUREAU_AUDIT_KEY"] = TEST_AUDIT_KEY
settings.BUREAU_AUDIT_KEY = TEST_AUDIT_KEY

TEST_PATIENTS_PER_PRACTICE = 12
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")
APP_ROLE = settings.BUREAU_DB_APP_ROLE


# Pure code reads the same on either database: the X12 library (`x12/tests/test_purity.py`: no
# Django, no database) and the work queue's calendar (deadlines, SLA days, priority).
PURE = (
    os.sep + os.path.join("bureau", "x12") + os.sep,
    *(
        os.sep + os.path.join("bureau", "workqueues", "tests", f"test_{name}.py")
        for name in ("deadlines", "sla", "priority")
    ),
)
# The browser drives the same views on either database; the PostgreSQL half keeps the one
# that signs in and is refused across practices under row-level security (test_browser.py),
# and leaves the page-by-page journeys to the SQLite half.
BROWSER_ON_PG = os.sep + os.path.join("bureau", "web", "tests", "test_browser.py")


def _sqlite_only(path: str) -> bool:
    if any(part in path for part in PURE):
        return True
    name = os.path.basename(path)
    return name.startswith("test_browser") and not path.endswith(BROWSER_ON_PG)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """`make test` runs pure code's tests and most browser journeys in its SQLite half only;
    the PostgreSQL half spends its minutes on what the database changes (RLS, locks, SQL),
    and the whole suite stays within its 15 minutes."""
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        return
    kept = [item for item in items if not _sqlite_only(str(item.path))]
    if len(kept) < len(items) and kept:
        config.hook.pytest_deselected(
            items=[item for item in items if _sqlite_only(str(item.path))]
        )
        items[:] = kept


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: Any, django_db_blocker: Any) -> None:
    """Migrate (as the owner), then seed the demo workspaces once for every non-transactional
    test; each test's changes roll back to this state."""
    from bureau.demo import seed_demo

    # 837P files the seed and the tests build go to a throwaway outbox, not the demo's var/.
    settings.BUREAU_OUTBOX_DIR = tempfile.mkdtemp(prefix="bureau-test-outbox-")
    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)


@pytest.fixture(scope="module")
def session_seed_restored(django_db_blocker: Any) -> Iterator[None]:
    """For a module of transactional tests: each ends with a flush, so put the session's demo
    seed back once the module is done (use it with `pytest.mark.usefixtures`)."""
    yield
    from bureau.demo import seed_demo

    with django_db_blocker.unblock():
        seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)
        connection.close()  # a browser module's live server shared it across threads


def in_thread(work: Callable[[], Any], results: list[Any]) -> threading.Thread:
    """A thread running `work` on its own database connection (closed after), its result or
    exception appended to `results` for the test to report rather than lost in the thread."""

    def run() -> None:
        try:
            results.append(work())
        except BaseException as exc:
            results.append(exc)
        finally:
            connection.close()

    return threading.Thread(target=run)


def _set_role(role: str | None) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "RESET ROLE" if role is None else f"SET ROLE {connection.ops.quote_name(role)}"
        )


@pytest.fixture(autouse=True)
def _runtime_role(request: pytest.FixtureRequest) -> Iterator[None]:
    """On PostgreSQL, act as the non-owner runtime role (RLS applies), like production.

    Non-transactional tests SET ROLE inside their transaction (undone by the rollback).
    Transactional tests also open server-thread connections: those take the role from
    `assume_role`; the role is dropped again before pytest-django flushes the tables.
    """
    marker = request.node.get_closest_marker("django_db")
    if not (ON_POSTGRES and APP_ROLE and marker):
        yield
        return
    transactional = marker.kwargs.get("transaction", False) or "live_server" in request.fixturenames
    request.getfixturevalue("transactional_db" if transactional else "db")
    options = connection.settings_dict.setdefault("OPTIONS", {})
    if transactional:
        options["assume_role"] = APP_ROLE
    _set_role(APP_ROLE)
    try:
        yield
    finally:
        options.pop("assume_role", None)
        if connection.connection is not None:
            _set_role(None)


@pytest.fixture(autouse=True)
def _sqlite_audit_flush(request: pytest.FixtureRequest) -> Iterator[None]:
    """A transactional test ends with a flush, a DELETE the audit table's SQLite trigger
    refuses: lift the triggers just before it (the flush's post_migrate puts them back)."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and (
        marker.kwargs.get("transaction", False) or "live_server" in request.fixturenames
    )
    if ON_POSTGRES or not transactional:
        yield
        return
    request.getfixturevalue("transactional_db")
    yield
    from bureau.audit.migrations_sql import drop_sqlite_triggers

    drop_sqlite_triggers(connection)


def verified_client(username: str, client: Client | None = None) -> Client:
    """A client signed in as `username` with its TOTP device verified in the session."""
    from bureau.accounts.models import User

    client = client or Client()
    user = User.objects.get(username=username)
    client.force_login(user)
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    assert device is not None, f"{username} has no authenticator"
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def as_user(db: Any) -> Any:
    return verified_client


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    return {
        **browser_type_launch_args,
        "executable_path": "/usr/bin/chromium",
        "headless": True,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }
