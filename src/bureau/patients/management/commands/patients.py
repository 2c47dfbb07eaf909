"""`bureau patients import --practice CODE --user USERNAME FILE`: a practice's patient roster
from CSV (bureau/patients/roster.py), all or nothing, exactly as on the Import roster page.

A person runs it: `--user` names them, their grants decide (patients.edit with demographics
over the whole practice) and the audit event names them. Every bad row is printed as
`row N, column: reason` and nothing is written; exit status 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bureau.accounts.models import User
from bureau.patients import roster
from bureau.patients.services import PatientError
from bureau.tenancy.actor import CapabilityDenied, resolve_actor
from bureau.tenancy.models import Practice


class Command(BaseCommand):
    help = "Patients: import --practice CODE --user USERNAME FILE (a roster CSV, all or nothing)"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help="add a roster of new patients from CSV")
        imp.add_argument("--practice", required=True, help="the practice's code")
        imp.add_argument("--user", required=True, help="who is importing (their grants apply)")
        imp.add_argument("file", help="the CSV file ('-' for standard input)")

    def _fail(self, message: str) -> None:
        self.stderr.write(message)
        raise SystemExit(1)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        user = User.objects.filter(username=options["user"], is_active=True).first()
        actor = resolve_actor(user) if user is not None else None
        if actor is None:
            self._fail(f"error: no active user {options['user']!r} with a workspace")
        assert actor is not None
        practice = Practice.objects.filter(
            workspace=actor.workspace, code=options["practice"].upper()
        ).first()
        if practice is None or practice.pk not in actor.access:
            self._fail(f"error: {options['user']} has no practice with code {options['practice']}")
        assert practice is not None
        source = options["file"]
        try:
            raw = sys.stdin.buffer.read() if source == "-" else Path(source).read_bytes()
        except OSError as exc:
            self._fail(f"error: cannot read {source}: {exc.strerror}")
        if len(raw) > roster.MAX_BYTES:
            self._fail("error: the file is larger than 2 MB: split it")
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            self._fail("error: the file is not UTF-8 text")
        try:
            result = roster.roster_import(actor=actor, practice=practice, text=text)
        except (PatientError, CapabilityDenied) as exc:
            self._fail(f"error: {exc or 'you may not register patients in this practice'}")
        if not result.ok:
            for e in result.errors:
                self.stderr.write(f"row {e.row}, {e.column or '-'}: {e.message}")
            self._fail(f"{len(result.errors)} problem(s); nothing was imported")
        self.stdout.write(
            f"imported {result.patients} patients and {result.coverages} coverages "
            f"into {practice.code}"
        )
