"""`bureau config export --practice NPI [--output FILE]` writes a practice's configuration as one
JSON document; `bureau config import --practice NPI FILE --reason "..."` applies one, validated,
all or nothing. The command line acts as the system (audit label "system (cli)")."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bureau.configuration.registry import JsonProblem, json_loads
from bureau.configuration.services import ConfigurationError, config_export, config_import
from bureau.tenancy.models import Practice


class Command(BaseCommand):
    help = "Practice configuration: export --practice NPI | import --practice NPI FILE --reason"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        export = sub.add_parser("export", help="write the practice's configuration as JSON")
        export.add_argument("--practice", required=True, help="the practice's NPI")
        export.add_argument("--output", help="file to write (default: standard output)")
        imp = sub.add_parser("import", help="apply a JSON document, all or nothing")
        imp.add_argument("--practice", required=True, help="the practice's NPI")
        imp.add_argument("file", help="the JSON document ('-' for standard input)")
        imp.add_argument("--reason", required=True, help="why (recorded in the audit log)")

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

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        practice = self._practice(options["practice"])
        if action == "export":
            text = json.dumps(config_export(practice), indent=2) + "\n"
            if options.get("output"):
                Path(options["output"]).write_text(text)
                self.stdout.write(options["output"])
            else:
                self.stdout.write(text, ending="")
            return
        source = options["file"]
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text()
        except OSError as exc:
            self._fail(f"error: cannot read {source}: {exc.strerror}")
        try:
            document = json_loads(text)
        except JsonProblem as exc:
            self._fail(f"error: {source} is {exc}")
        try:
            changed = config_import(
                actor=None, practice=practice, document=document, reason=options["reason"]
            )
        except ConfigurationError as exc:
            self._fail(f"error: {exc}")
        self.stdout.write(f"imported configuration for {practice.npi}: {changed} values changed")
