"""`bureau serve` keeps its worker alive: a killed worker is started again, with a pause that
doubles while workers keep dying quickly, and each death is logged. (The same with a real
`db_worker` against PostgreSQL: remittance/tests/test_worker_crash_pg.py.)"""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from typing import Any

import pytest

from bureau.web.management.commands import serve
from bureau.web.management.commands.serve import WorkerSupervisor, exit_reason

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]
QUITTER = [sys.executable, "-c", "raise SystemExit(3)"]


def wait_for(condition: Any, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def test_a_killed_worker_is_started_again_and_the_death_is_logged(caplog):
    caplog.set_level(logging.INFO, logger=serve.__name__)
    supervisor = WorkerSupervisor(SLEEPER, first_delay=0.1, poll=0.05).start()
    try:
        first = supervisor.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: supervisor.pid != first)
        assert supervisor.restarts == 1
        second = supervisor.process
        assert second is not None and second.poll() is None  # the new one is running
    finally:
        supervisor.stop()
    assert second.poll() is not None  # stopping serve stops its worker
    deaths = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(deaths) == 1
    assert f"pid {first}" in deaths[0] and "killed by SIGKILL" in deaths[0]
    assert "starting a new one in 0.1 s" in deaths[0]


def test_quick_deaths_back_off_doubling_up_to_the_limit(caplog):
    caplog.set_level(logging.INFO, logger=serve.__name__)
    supervisor = WorkerSupervisor(QUITTER, first_delay=0.05, max_delay=0.2, poll=0.02).start()
    try:
        wait_for(lambda: supervisor.restarts >= 4)
    finally:
        supervisor.stop()
    delays = [
        r.getMessage().rsplit(" in ", 1)[1] for r in caplog.records if r.levelno == logging.WARNING
    ][:5]
    assert delays[:4] == ["0.05 s", "0.1 s", "0.2 s", "0.2 s"]
    assert all(
        "exited with status 3" in r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING
    )


def test_a_worker_that_stayed_up_starts_over_from_the_first_delay():
    supervisor = WorkerSupervisor(SLEEPER, first_delay=0.05, healthy_after=0.0, poll=0.02)
    supervisor.delay = 8.0  # as after a run of quick deaths
    supervisor.start()
    try:
        first = supervisor.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: supervisor.pid != first, timeout=5)  # 0.05 s, not 8 s
    finally:
        supervisor.stop()


def test_exit_reasons_read_as_words():
    assert exit_reason(-signal.SIGKILL) == "killed by SIGKILL"
    assert exit_reason(1) == "exited with status 1"
    assert exit_reason(-200) == "killed by signal 200"


def test_serve_runs_the_web_server_with_a_supervised_worker(monkeypatch: pytest.MonkeyPatch):
    """The command wires it: while the web server runs, a killed worker comes back; when the
    web server stops, so does the worker."""
    monkeypatch.setattr(serve, "WORKER_ARGV", SLEEPER)
    made: list[WorkerSupervisor] = []

    class Watched(WorkerSupervisor):
        def __init__(self, argv: Any, **kwargs: Any) -> None:
            super().__init__(argv, **kwargs, first_delay=0.05, poll=0.02)
            made.append(self)

    monkeypatch.setattr(serve, "WorkerSupervisor", Watched)

    def runserver(*args: Any, **kwargs: Any) -> None:
        (supervisor,) = made
        first = supervisor.pid
        assert first is not None
        os.kill(first, signal.SIGKILL)
        wait_for(lambda: supervisor.pid != first)

    monkeypatch.setattr(serve, "call_command", runserver)
    from django.core.management import call_command

    call_command("serve")
    (supervisor,) = made
    assert supervisor.restarts == 1
    assert supervisor.process is not None and supervisor.process.poll() is not None
