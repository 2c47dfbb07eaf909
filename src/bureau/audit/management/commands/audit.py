"""`bureau audit verify` checks every hash chain; `bureau audit purge --before DATE` applies
retention (refusing anything younger than seven years)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bureau.audit.models import AuditEvent
from bureau.audit.services import RetentionRefused, audit_purge, audit_verify_all


class Command(BaseCommand):
    help = "Audit log maintenance: verify | purge --before YYYY-MM-DD"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("verify", help="check every workspace's hash chain")
        purge = sub.add_parser("purge", help="delete events older than a date (>= 7 years)")
        purge.add_argument("--before", required=True, help="YYYY-MM-DD")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            self._verify()
        else:
            self._purge(options["before"])

    def _verify(self) -> None:
        problems = audit_verify_all()
        if problems:
            for problem in problems:
                self.stderr.write(f"BROKEN: {problem}")
            raise SystemExit(1)
        self.stdout.write(f"audit chain intact: {AuditEvent.objects.count()} events verified")

    def _purge(self, before_text: str) -> None:
        try:
            day = datetime.strptime(before_text, "%Y-%m-%d")  # noqa: DTZ007 (made aware below)
        except ValueError as exc:
            raise CommandError(f"--before must be YYYY-MM-DD, got {before_text!r}") from exc
        try:
            deleted = audit_purge(before=day.replace(tzinfo=UTC))
        except RetentionRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"purged {deleted} events older than {before_text}")
