"""`bureau worker`: the background task worker for production, beside `bureau web`.

Bureau's database task worker (`bureau db_worker`: django-tasks-db's, plus the sweep that retries
or fails the jobs of a worker that died) with autoreload off whatever DEBUG says: a reload would
stop a running ERA ingest mid-task. Every db_worker option works here too.
"""

from __future__ import annotations

from typing import Any

from bureau.remittance.management.commands.db_worker import Command as DbWorkerCommand


class Command(DbWorkerCommand):
    help = "Run the background task worker (ERA ingest and other jobs) for production."

    def add_arguments(self, parser: Any) -> None:
        super().add_arguments(parser)
        parser.set_defaults(reload=False)
