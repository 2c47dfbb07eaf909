"""`bureau compliance leie-import FILE [--workspace SLUG] [--kind full|exclusions|reinstatements]`:
take in an OIG LEIE file (Bureau has no internet: the officer downloads it).

`bureau compliance screen [--workspace SLUG] [--scheduled]`: screen every active user and
provider against the list in force; with --scheduled (a daily timer) only when this month's
run has not happened yet.

Each prints one line of counts. A bad file exits 1 with the line and column at fault, and
nothing is kept.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bureau.compliance.exclusion_lists import ImportSource, exclusion_list_import
from bureau.compliance.leie import LeieError
from bureau.compliance.models.screening import ExclusionListImport, ListKind
from bureau.compliance.screening import NoExclusionList, screen
from bureau.compliance.tasks import monthly_screening
from bureau.tenancy.cli import workspace_named


class Command(BaseCommand):
    help = "Compliance: leie-import FILE [--kind ...] | screen [--workspace SLUG]"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        take = sub.add_parser("leie-import", help="take in an OIG LEIE file")
        take.add_argument("file", help="UPDATED.csv or a monthly supplement")
        take.add_argument("--workspace", help="the workspace (its slug)")
        take.add_argument(
            "--kind",
            choices=[k.value for k in ListKind],
            default=ListKind.FULL.value,
            help="full (replaces the list; default), exclusions or reinstatements supplement",
        )
        run = sub.add_parser("screen", help="screen every user and provider against the list")
        run.add_argument("--workspace", help="the workspace (its slug)")
        run.add_argument(
            "--scheduled",
            action="store_true",
            help="the monthly run: only if none ran this month (a daily timer calls this)",
        )

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        workspace = workspace_named(options.get("workspace"))
        if action == "screen":
            try:
                if options["scheduled"]:
                    run = monthly_screening(workspace)
                    if run is None:
                        listed = ExclusionListImport.objects.filter(workspace=workspace).exists()
                        self.stdout.write(
                            "screening: this month's run is done"
                            if listed
                            else "screening: no exclusion list imported yet, nothing screened"
                        )
                        return
                else:
                    run = screen(workspace, actor=None, label="system (bureau compliance screen)")
            except NoExclusionList as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(
                f"screened {run.users_screened} users and {run.providers_screened} providers "
                f"against {run.entries_in_force} entries: {run.hits} new hits, "
                f"{run.hits_suppressed} already open or resolved as false positives"
            )
            return
        path = Path(options["file"])
        kind = ListKind(options["kind"])
        try:
            with path.open("rb") as handle:
                listing = exclusion_list_import(
                    workspace=workspace,
                    actor=None,
                    kind=kind,
                    source=ImportSource(file_name=path.name, lines=handle),
                )
        except OSError as exc:
            raise CommandError(f"{path}: {exc.strerror or exc}") from None
        except LeieError as exc:
            raise CommandError(f"{path.name}: {exc} (nothing imported)") from None
        self.stdout.write(
            f"{listing.file_name} ({kind.value}) sha256 {listing.sha256}: "
            f"{listing.rows_read} rows read, {listing.rows_added} added, "
            f"{listing.rows_retired} retired, {listing.rows_reinstated} reinstated, "
            f"{listing.rows_unmatched} unmatched"
        )
