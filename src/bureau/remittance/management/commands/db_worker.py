"""`bureau db_worker`: django-tasks-db's database worker, which also ends the jobs of dead ones.

Every worker sweeps stale ingest jobs when it starts, before it takes new work (so a worker
started after another was killed retries or fails what the dead one held), and a worker that
runs for good (not `--batch`) sweeps again every half lease from a thread of its own; see
`bureau.remittance.job_leases`. Everything else, options included, is the library's command:
this one shadows it because `bureau.remittance` comes before `django_tasks_db` in
INSTALLED_APPS. Another worker command should subclass this one, not the library's.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands.db_worker import Command as LibraryWorkerCommand

from bureau.remittance import job_leases
from bureau.remittance.job_leases import Sweeper, sweep_and_log


class Command(LibraryWorkerCommand):
    help = (
        "Run the database task worker (ERA ingest jobs); it retries or fails the jobs of a "
        "worker that died and deletes uploads no job can use."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload the parent only restarts a child that runs this again: the child sweeps.
        reloader_parent = options.get("reload") and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        sweeper = None
        if not reloader_parent:
            self._log_sweeps(options.get("verbosity", 1))
            sweep_and_log()
            if not options.get("batch"):
                sweeper = Sweeper().start()
        try:
            super().handle(*args, **options)
        finally:
            if sweeper is not None:
                sweeper.stop()

    def _log_sweeps(self, verbosity: int) -> None:
        """What the sweep does goes where the worker's own log goes (as the library does)."""
        logger = logging.getLogger(job_leases.__name__)
        logger.setLevel(logging.INFO if verbosity >= 1 else logging.CRITICAL)
        if not logger.handlers:
            logger.addHandler(logging.StreamHandler(self.stdout))
