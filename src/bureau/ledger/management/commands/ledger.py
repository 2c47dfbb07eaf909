"""`bureau ledger check [--workspace SLUG]`: prove every claim line's ledger adds up.

Exits 0 when every line with entries balances; otherwise prints one line per problem
(claim number, line, what is wrong) and exits 1.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bureau.ledger.check import ledger_check
from bureau.tenancy.cli import workspace_named


class Command(BaseCommand):
    help = "Ledger: check [--workspace SLUG]"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="verify sequences, running balances and signs")
        check.add_argument("--workspace", help="only this workspace (its slug)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        slug = options.get("workspace")
        workspace = workspace_named(slug) if slug else None  # none: every workspace
        problems = ledger_check(workspace=workspace)
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            self.stdout.flush()
            sys.exit(1)
        self.stdout.write("ledger ok: every line balances")
