"""`bureau audit verify [--anchor FILE]` checks every hash chain (and that each anchored head is
still there, unchanged); `bureau audit anchor` prints every chain's head, one JSON line each, for
the operator to keep outside this database; `bureau audit purge --before DATE` applies retention
(refusing anything younger than seven years)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from bureau.audit.chain import (
    Anchor,
    AnchorError,
    ChainProblem,
    audit_anchor_heads,
    audit_verify_all,
    audit_verify_anchors,
    seal_all,
)
from bureau.audit.models import AuditEvent
from bureau.audit.services import RetentionRefused, audit_purge


class Command(BaseCommand):
    help = "Audit log maintenance: verify [--anchor FILE] | anchor | purge --before YYYY-MM-DD"

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        verify = sub.add_parser("verify", help="check every workspace's hash chain and head")
        verify.add_argument(
            "--anchor", help="a file of heads printed earlier by `audit anchor` (JSON lines)"
        )
        sub.add_parser("anchor", help="print every chain's head (JSON lines) to keep elsewhere")
        purge = sub.add_parser("purge", help="delete events older than a date (>= 7 years)")
        purge.add_argument("--before", required=True, help="YYYY-MM-DD")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "verify":
            self._verify(options.get("anchor"))
        elif action == "anchor":
            self._anchor()
        else:
            self._purge(options["before"])

    def _fail(self, problems: list[ChainProblem]) -> None:
        for problem in problems:
            self.stderr.write(f"BROKEN: {problem}")
        raise SystemExit(1)

    def _verify(self, anchor_path: str | None) -> None:
        anchors = _read_anchors(anchor_path) if anchor_path else []
        seal_all()  # what waits for its seal joins the chain first (a writer died after commit)
        problems = audit_verify_all() + audit_verify_anchors(anchors)
        if problems:
            self._fail(problems)
        checked = f"; {len(anchors)} anchored heads hold" if anchor_path else ""
        self.stdout.write(
            f"audit chain intact: {AuditEvent.objects.count()} events verified{checked}"
        )

    def _anchor(self) -> None:
        # An anchor of a broken chain would vouch for the break: verify first.
        seal_all()
        if problems := audit_verify_all():
            self._fail(problems)
        for anchor in audit_anchor_heads(timezone.now()):
            self.stdout.write(anchor.as_json())

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


def _read_anchors(path: str) -> list[Anchor]:
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"cannot read the anchor file {path}: {exc}") from exc
    anchors = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            anchors.append(Anchor.parse(line))
        except AnchorError as exc:
            raise CommandError(f"{path}, line {number}: {exc}") from exc
    if not anchors:
        raise CommandError(f"{path} holds no anchors")
    return anchors
