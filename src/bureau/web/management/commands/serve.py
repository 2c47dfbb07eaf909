"""`bureau serve`: the web app and, beside it, the background task worker (ERA ingest jobs)."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = (
        "Serve Bureau on http://127.0.0.1:8000 (development server, static files included) "
        "with a database task worker beside it."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")
        parser.add_argument(
            "--no-worker", action="store_true", help="do not start the background task worker"
        )

    def handle(self, *args: Any, addrport: str, no_worker: bool, **options: Any) -> None:
        worker = None
        if not no_worker:
            # A separate process, as in production: uploads are ingested while pages stay quick.
            worker = subprocess.Popen(
                [sys.executable, "-m", "bureau.cli", "db_worker", "--interval", "1", "--no-reload"]
            )
            self.stdout.write(f"Task worker started (pid {worker.pid})")
        self.stdout.write(f"Bureau is at http://{addrport}/  (Ctrl-C stops it)")
        try:
            call_command("runserver", addrport, use_reloader=False, use_threading=True)
        finally:
            if worker is not None:
                worker.terminate()
                worker.wait(timeout=10)
