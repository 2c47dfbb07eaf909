"""`bureau workqueue refresh [--workspace SLUG]`: recompute every work item from the records,
report what was mended (drift a service failed to sync) and put expired claims and ended pends
back in the pool. The nightly task runs the same function."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bureau.tenancy.models import Workspace
from bureau.workqueues.functions import Function
from bureau.workqueues.sync import refresh


class Command(BaseCommand):
    help = "Work queue maintenance: `refresh` recomputes every item and reports drift."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["refresh"])
        parser.add_argument("--workspace", help="slug of one workspace (default: all)")
        parser.add_argument(
            "--function", action="append", choices=Function.values, help="only these functions"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        workspaces = Workspace.objects.order_by("pk")
        if options["workspace"]:
            workspaces = workspaces.filter(slug=options["workspace"])
            if not workspaces.exists():
                raise CommandError(f"no workspace {options['workspace']!r}")
        for workspace in workspaces:
            started = time.monotonic()
            report = refresh(workspace=workspace, functions=options["function"])
            summary = {
                "workspace": workspace.slug,
                "seconds": round(time.monotonic() - started, 2),
                "drift": report.drift,
                **report.as_dict(),
            }
            self.stdout.write(json.dumps(summary))
