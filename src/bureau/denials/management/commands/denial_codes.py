"""`bureau denial_codes load [FILE]`: (re)load the CARC → category table, from our file (the
shipped `denials/data/carc_categories.csv` when FILE is left out) or X12's published CARC list
(Code, Description, Start Date, Last Modified, Stop Date: dates and texts only, categories are
kept). `bureau denial_codes override USER CARC CATEGORY --reason TEXT [--group CO]`: a
workspace's own category for a code, as that person (setup.manage), audited. No network."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bureau.accounts.models import User
from bureau.denials import codes
from bureau.denials.categories import DEFAULT_FILE, CodeFileError, parse_rules
from bureau.tenancy.actor import CapabilityDenied, resolve_actor


class Command(BaseCommand):
    help = "Load the denial category table, or set a workspace's category override."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        load = sub.add_parser("load", help="(re)load the CARC → category table")
        load.add_argument("file", nargs="?", default=str(DEFAULT_FILE))
        over = sub.add_parser("override", help="a workspace's category for a CARC")
        over.add_argument("username")
        over.add_argument("carc")
        over.add_argument("category")
        over.add_argument("--group", default="")
        over.add_argument("--reason", required=True)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "load":
            path = Path(options["file"])
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise CommandError(f"{path}: cannot be read as UTF-8 text ({exc})") from exc
            try:
                result = codes.load_rules(parse_rules(text))
            except CodeFileError as exc:
                raise CommandError(f"{path}: {exc}") from exc
            how = "replaced the table" if result.replaced else "updated texts and dates"
            self.stdout.write(f"{how}: {result.added} added, {result.updated} updated")
            return
        user = User.objects.filter(username=options["username"]).first()
        actor = resolve_actor(user) if user is not None else None
        if actor is None:
            raise CommandError(f"No active person {options['username']!r} with a live grant.")
        try:
            found = codes.override_set(
                actor=actor,
                carc=options["carc"],
                group_code=options["group"],
                category=options["category"],
                reason=options["reason"],
            )
        except CapabilityDenied as exc:
            raise CommandError("That person may not manage this workspace's setup.") from exc
        except codes.OverrideError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{found.group_code or '*'}-{found.carc} → {found.category}")
