"""`bureau ledger check [--workspace SLUG]`: prove every claim line's ledger adds up.

`bureau ledger rebuild-balances [--workspace SLUG]`: recompute each claim's balance row (the
projection A/R aging reads) from its entries, after a bulk load or to repair what check found.

Exits 0 when every line with entries balances; otherwise prints one line per problem
(claim number, line, what is wrong) and exits 1.
"""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import transaction

from bureau.ledger import balances
from bureau.ledger.check import ledger_check
from bureau.tenancy.cli import workspace_named
from bureau.tenancy.models import Practice


class Command(BaseCommand):
    help = "Ledger: check | rebuild-balances [--workspace SLUG]"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        check = sub.add_parser("check", help="verify sequences, running balances and signs")
        check.add_argument("--workspace", help="only this workspace (its slug)")
        rebuild = sub.add_parser(
            "rebuild-balances", help="recompute every claim's balance row from its entries"
        )
        rebuild.add_argument("--workspace", help="only this workspace (its slug)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        slug = options.get("workspace")
        workspace = workspace_named(slug) if slug else None  # none: every workspace
        if action == "rebuild-balances":
            practices = Practice.objects.all()
            if workspace is not None:
                practices = practices.filter(workspace=workspace)
            with transaction.atomic():
                claims = balances.rebuild(practices.values_list("id", flat=True))
            self.stdout.write(f"claim balances rebuilt: {claims} claims with entries")
            return
        problems = ledger_check(workspace=workspace)
        for problem in problems:
            self.stdout.write(str(problem))
        if problems:
            self.stdout.flush()
            sys.exit(1)
        self.stdout.write("ledger ok: every line balances")
