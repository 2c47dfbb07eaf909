from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bureau.demo import demo_logins, seed_demo


class Command(BaseCommand):
    help = "Seed the demo billing company (idempotent) and print the demo logins."
    # `make demo` runs this right after `migrate`, which ran the checks; `serve` runs them too.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients-per-practice", type=int, default=300)
        parser.add_argument("--quiet", action="store_true", help="do not print the logins")
        parser.add_argument(
            "--simulate-days", type=int, default=90,
            help="days of payer-simulator cycle to replay after seeding (0: none)",
        )  # fmt: skip

    def handle(self, *args: Any, **options: Any) -> None:
        created = seed_demo(
            patients_per_practice=options["patients_per_practice"],
            simulate_days=options["simulate_days"],
            say=self.stdout.write,
        )
        self.stdout.write(
            "Seeded the demo workspaces."
            if created
            else "Demo workspaces already present: nothing changed."
        )
        if options["quiet"]:
            return
        self.stdout.write("\nDemo logins (synthetic data only). Password, then the TOTP code:")
        self.stdout.write(
            "  add the secret to an authenticator app, or run "
            "`.venv/bin/bureau demo-otp USER` for the current code.\n"
        )
        self.stdout.write(f"  {'login':<18} {'password':<19} {'TOTP secret':<34} who")
        for login in demo_logins():
            self.stdout.write(
                f"  {login.username:<18} {login.password:<19} "
                f"{login.totp_secret:<34} {login.pattern}"
            )
