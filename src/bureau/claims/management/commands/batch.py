"""`bureau batch build [--practice NPI]`: ready claims → 837P files in the clearinghouse outbox.

Runs as the system. Each file is its own transaction (with its practice scope set, as
`rls.practice_scope` does), so a failure leaves earlier files and their claims consistent.
Prints the path of each file written, one per line; nothing when no claim is ready.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bureau.claims.batches import batch_build
from bureau.tenancy.models import Practice, PracticeStatus


class Command(BaseCommand):
    help = "Claim batches: build [--practice NPI]"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        build = sub.add_parser("build", help="write 837P files for every ready claim")
        build.add_argument("--practice", help="only this practice (its NPI)")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        practices = Practice.objects.exclude(status=PracticeStatus.OFFBOARDED)
        if options.get("practice"):
            practices = practices.filter(npi=options["practice"])
            if not practices.exists():
                raise CommandError(f"no practice with NPI {options['practice']}")
        ids = list(practices.values_list("id", flat=True))
        run = batch_build(actor=None, practice_ids=ids)
        for batch in run:
            self.stdout.write(str(batch.path))  # type: ignore[attr-defined]
        for refused in run.refused:
            self.stderr.write(str(refused))
