from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bureau.book.generate import BOOK_PASSWORD, generate_book


class Command(BaseCommand):
    help = "Generate a large synthetic book of business in a new workspace (benchmarks)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--practices", type=int, default=50)
        parser.add_argument("--claims", type=int, default=1_000_000)
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--workspace-name", default="Book")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["practices"] < 1 or options["claims"] < 1:
            self.stderr.write("--practices and --claims must be at least 1")
            raise SystemExit(2)
        result = generate_book(
            practices=options["practices"],
            claims=options["claims"],
            seed=options["seed"],
            workspace_name=options["workspace_name"],
            say=lambda line: self.stdout.write(line, ending="\n") or self.stdout.flush(),
        )
        self.stdout.write(f"\nWorkspace {result.workspace.slug}: {result.seconds:.1f} s")
        for label, count in sorted(result.rows.items()):
            self.stdout.write(f"  {label:<28} {count:>12,}")
        self.stdout.write("Claim states:")
        for state, count in sorted(result.states.items(), key=lambda kv: -kv[1]):
            self.stdout.write(f"  {state:<28} {count:>12,}")
        self.stdout.write(f"Logins (password {BOOK_PASSWORD}, TOTP: `bureau demo-otp USER`):")
        for username in result.usernames.values():
            self.stdout.write(f"  {username}")
