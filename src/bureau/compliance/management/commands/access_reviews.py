"""`bureau access-reviews open-due [--workspace SLUG] [--today YYYY-MM-DD]`: open the access
review each workspace owes (its interval, `compliance.access_review_every_months`, passed since
the last whole-workspace campaign). Run daily by the scheduler, like `workqueue refresh`; run
twice, one campaign."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bureau.compliance.access_review_services import next_due, open_due_campaigns
from bureau.tenancy.cli import workspaces_named


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--today: {text!r} is not a date such as 2026-12-31") from None


class Command(BaseCommand):
    help = "Access reviews: `open-due` opens the campaign a workspace's interval calls for."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["open-due"])
        parser.add_argument("--workspace", help="slug of one workspace (default: all)")
        parser.add_argument("--today", help="the day to run as (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        today = _day(options["today"]) if options["today"] else timezone.localdate()
        for workspace in workspaces_named(options["workspace"]):
            opened = open_due_campaigns(workspace, today)
            upcoming = next_due(workspace, today)
            summary = {
                "workspace": workspace.slug,
                "opened": str(opened.public_id) if opened else None,
                "title": opened.title if opened else None,
                "grants": opened.items.count() if opened else 0,
                "next_due": upcoming.isoformat() if upcoming else None,
            }
            self.stdout.write(json.dumps(summary))
