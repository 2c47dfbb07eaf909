"""`bureau clearinghouse send|poll|run [--workspace SLUG] [--route ROUTE]`: the exchange as a
scheduled job (cron, a systemd timer) runs it in production.

send: every built batch not yet sent goes to its payer's route (failed ones are retried).
poll: every file waiting on the routes the workspace's payers use is taken in (999, 277CA, 835)
and archived. run: send, then poll. One line per file; exit status 1 when anything failed, so
the scheduler notices — files that failed stay where the next run finds them.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from bureau.clearinghouse.inbound import poll_and_ingest
from bureau.clearinghouse.models import TransmissionStatus
from bureau.clearinghouse.ports import ClearinghouseError
from bureau.clearinghouse.transmission import transmit_batches
from bureau.directory.models import ClearinghouseRoute, Payer
from bureau.tenancy.cli import workspace_named
from bureau.tenancy.models import Workspace


def routes_in_use(workspace: Workspace) -> list[str]:
    """The routes the workspace's active payers are sent by, in a stable order."""
    used = set(
        Payer.objects.filter(workspace=workspace, is_active=True).values_list("route", flat=True)
    )
    return [route for route in ClearinghouseRoute.values if route in used]


class Command(BaseCommand):
    help = "Clearinghouse exchange: send built batches, poll and take in responses, or both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["send", "poll", "run"])
        parser.add_argument(
            "--workspace", default="", help="workspace slug (default: the only one)"
        )
        parser.add_argument(
            "--route",
            choices=ClearinghouseRoute.values,
            help="poll only this route (default: every route the workspace's payers use)",
        )

    def handle(self, *args: Any, action: str, workspace: str, route: str | None, **_: Any) -> None:
        ws = workspace_named(workspace)
        failed = 0
        if action in ("send", "run"):
            failed += self._send(ws)
        if action in ("poll", "run"):
            failed += self._poll(ws, [route] if route else routes_in_use(ws))
        if failed:
            raise SystemExit(1)

    def _send(self, workspace: Workspace) -> int:
        done = transmit_batches(actor=None, workspace=workspace)
        for t in done:
            line = f"send {t.route} {t.file_name}: {t.status}"
            self.stdout.write(f"{line} — {t.error}" if t.error else line)
        failed = sum(t.status == TransmissionStatus.FAILED for t in done)
        self.stdout.write(f"sent {len(done) - failed}, failed {failed}")
        return failed

    def _poll(self, workspace: Workspace, routes: list[str]) -> int:
        failed = taken = 0
        for route in routes:
            try:
                results = poll_and_ingest(actor=None, workspace=workspace, route=route)
            except ClearinghouseError as exc:
                self.stderr.write(f"poll {route}: unreachable — {exc}")
                failed += 1
                continue
            for r in results:
                head = f"poll {route} {r.file_name}: {r.kind or 'unknown'}"
                if r.error:
                    held = " (quarantined)" if r.quarantine_id else ""
                    self.stdout.write(f"{head} not taken in{held} — {r.error}")
                    failed += 1
                elif r.duplicate:
                    self.stdout.write(f"{head} duplicate (taken in before)")
                else:
                    self.stdout.write(f"{head} {json.dumps(r.summary, default=str)}")
                    taken += 1
        self.stdout.write(f"taken in {taken}, failed {failed}")
        return failed
