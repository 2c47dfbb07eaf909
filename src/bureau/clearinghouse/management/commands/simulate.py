"""`bureau simulate --days N [--workspace SLUG] [--seed N]`: run the revenue cycle against the
built-in payer simulator for the last N days (batch, transmit, acknowledge, pay, post)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bureau.clearinghouse.cycle import run_cycle
from bureau.tenancy.cli import workspace_named


class Command(BaseCommand):
    help = "Run the claim → 999/277CA → 835 → posting cycle against the payer simulator."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--days", type=int, required=True, help="days to simulate, ending today"
        )
        parser.add_argument(
            "--workspace", default="", help="workspace slug (default: the only one)"
        )
        parser.add_argument("--seed", type=int, default=2026, help="simulator seed (default 2026)")

    def handle(self, *args: Any, days: int, workspace: str, seed: int, **options: Any) -> None:
        if days < 1:
            raise CommandError("--days must be at least 1")
        ws = workspace_named(workspace)
        summary = run_cycle(workspace=ws, days=days, seed=seed, say=self.stdout.write)
        self.stdout.write(json.dumps(summary.as_dict(), indent=2, default=str))
