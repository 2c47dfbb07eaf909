"""`bureau config export --practice NPI [--output FILE]` writes a practice's whole setup as one
JSON document (docs/practice-setup.md); `bureau config import --practice NPI FILE --reason "..."
[--dry-run]` prints the plan and applies it, all or nothing. A settings-only document of the
older format `bureau.config/1` still imports. The command line acts as the system (audit label
"system (cli)")."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bureau.configuration import services
from bureau.configuration.practice_setup import setup_export
from bureau.configuration.setup_apply import CLI_LABEL, Plan, setup_apply
from bureau.configuration.setup_parse import SetupInvalid, setup_read
from bureau.directory.services import DirectoryError
from bureau.tenancy.models import Practice


class Command(BaseCommand):
    help = "Practice setup: export --practice NPI | import --practice NPI FILE --reason [--dry-run]"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the practice's whole setup as JSON")
        export.add_argument("--practice", required=True, help="the practice's NPI")
        export.add_argument("--output", help="file to write (default: standard output)")
        imp = sub.add_parser("import", help="apply a setup document, all or nothing")
        imp.add_argument("--practice", required=True, help="the practice's NPI")
        imp.add_argument("file", help="the JSON document ('-' for standard input)")
        imp.add_argument("--reason", default="", help="why (recorded in the audit log)")
        imp.add_argument("--dry-run", action="store_true", help="print the plan, change nothing")

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        raise SystemExit(1)

    def _practice(self, npi: str) -> Practice:
        practices = list(Practice.objects.filter(npi=npi))
        if len(practices) != 1:
            self._fail(
                f"error: no single practice with NPI {npi}"
                + (" (several workspaces have it)" if practices else "")
            )
        return practices[0]

    def _print_plan(self, practice: Practice, plan: Plan, dry_run: bool) -> None:
        for change in plan.changes:
            self.stdout.write(f"  {change}")
        for note in plan.notes:
            self.stdout.write(f"  note: {note}")
        said = "would change" if dry_run else "imported setup:"
        self.stdout.write(f"{practice.npi} {said} {plan.summary()}")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        practice = self._practice(options["practice"])
        if action == "export":
            text = setup_export(actor=None, practice=practice, label=CLI_LABEL)
            if options.get("output"):
                Path(options["output"]).write_text(text, encoding="utf-8")
                self.stdout.write(options["output"])
            else:
                self.stdout.write(text, ending="")
            return
        source = options["file"]
        try:
            raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        except OSError as exc:
            self._fail(f"error: cannot read {source}: {exc.strerror}")
        try:
            document = setup_read(raw)
            if document.get("format") == services.FORMAT:  # the settings-only format
                if options["dry_run"]:
                    self._fail("error: --dry-run reads setup documents, not bureau.config/1")
                changed = services.config_import(
                    actor=None, practice=practice, document=document, reason=options["reason"]
                )
                self.stdout.write(
                    f"imported configuration for {practice.npi}: {changed} values changed"
                )
                return
            plan = setup_apply(
                actor=None,
                practice=practice,
                document=document,
                reason=options["reason"],
                dry_run=options["dry_run"],
            )
        except SetupInvalid as exc:
            self._fail(f"error: {source}: {exc}")
        except (services.ConfigurationError, DirectoryError) as exc:
            self._fail(f"error: {exc}")
        self._print_plan(practice, plan, options["dry_run"])
