"""`bureau serve`: the web app and, beside it, the background task worker (ERA ingest jobs).

The worker is a process of its own, watched: when it dies (killed, out of memory, a crash) it
is started again, after a pause that doubles with each quick death (1 s up to a minute) and
starts over once a worker has stayed up a minute, so a worker that cannot start does not spin.
The new worker's sweep retries or fails the jobs the dead one held (`bureau db_worker`).
"""

from __future__ import annotations

import logging
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand

logger = logging.getLogger(__name__)
WORKER_ARGV = [sys.executable, "-m", "bureau.cli", "db_worker", "--interval", "1", "--no-reload"]


def exit_reason(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"killed by signal {-returncode}"
    return f"exited with status {returncode}"


class WorkerSupervisor:
    """Keeps one worker process running until `stop()` (see the module doc)."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        first_delay: float = 1.0,
        max_delay: float = 60.0,
        healthy_after: float = 60.0,
        poll: float = 0.5,
    ) -> None:
        self.argv = list(argv)
        self.env = dict(env) if env is not None else None  # None: this process's environment
        self.first_delay, self.max_delay = first_delay, max_delay
        self.healthy_after, self.poll = healthy_after, poll
        self.delay = first_delay
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.restarts = 0
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self._watch, name="worker-supervisor", daemon=True)

    def _log(self, message: str, *, warning: bool = False) -> None:
        logger.log(logging.WARNING if warning else logging.INFO, message)

    def _spawn(self) -> None:
        with self.lock:
            if self.stopping.is_set():
                return
            self.process = subprocess.Popen(self.argv, env=self.env)  # noqa: S603 (our argv)
            self.started_at = time.monotonic()
        self._log(f"Task worker started (pid {self.process.pid})")

    def start(self) -> WorkerSupervisor:
        self._spawn()
        self.thread.start()
        return self

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def _watch(self) -> None:
        while not self.stopping.wait(self.poll):
            process = self.process
            if process is None or process.poll() is None:
                continue
            lived = time.monotonic() - self.started_at
            if lived >= self.healthy_after:
                self.delay = self.first_delay  # it ran well: a new death starts over
            self._log(
                f"Task worker (pid {process.pid}) {exit_reason(process.returncode)} after "
                f"{lived:.0f} s; starting a new one in {self.delay:g} s",
                warning=True,
            )
            if self.stopping.wait(self.delay):
                return
            self.delay = min(self.delay * 2, self.max_delay)
            self.restarts += 1
            self._spawn()

    def stop(self, timeout: float = 10.0) -> None:
        self.stopping.set()
        self.thread.join(timeout=timeout)
        with self.lock:
            process = self.process
        if process is None or process.poll() is not None:
            return
        process.terminate()  # the worker finishes its task's current step and exits
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=timeout)


class Command(BaseCommand):
    help = (
        "Serve Bureau on http://127.0.0.1:8000 (development server, static files included) "
        "with a database task worker beside it, restarted if it dies."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background task worker"
        )

    def handle(self, *args: Any, addrport: str, no_worker: bool, **options: Any) -> None:
        supervisor = None
        if not no_worker:
            # A separate process, as in production: uploads are ingested while pages stay quick.
            if not logger.handlers:  # the supervisor's news goes where serve's output goes
                logger.addHandler(logging.StreamHandler(self.stdout))
                logger.setLevel(logging.INFO)
            supervisor = WorkerSupervisor(WORKER_ARGV).start()
        self.stdout.write(f"Bureau is at http://{addrport}/  (Ctrl-C stops it)")
        try:
            call_command("runserver", addrport, use_reloader=False, use_threading=True)
        finally:
            if supervisor is not None:
                supervisor.stop()
