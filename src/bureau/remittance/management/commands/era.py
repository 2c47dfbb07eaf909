"""`bureau era parse FILE`, `bureau era ingest FILE [--workspace SLUG]`, `bureau era check` and
`bureau era rebuild-adjudications [--workspace SLUG]`.

parse: prints one JSON object describing the 835 (no database); malformed input exits 1 with a
single `X12Error: ...` line on stderr. ingest: posts the file as the system (all or nothing) and
prints one line per ERA: what it posted, or "duplicate". check: proves each claim's
adjudication row (when the payer first answered and first paid it, what the KPIs read) equal to
its 835 loops, one line per problem and exit 1; rebuild-adjudications recomputes those rows.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from bureau.remittance.payee import PayeeUnknown
from bureau.x12.errors import X12Error
from bureau.x12.remit835 import Remittance
from bureau.x12.tokens import decode_x12


def describe(r: Remittance) -> dict[str, Any]:
    return {
        "payer": r.payer_name,
        "payer_id": r.payer_id,
        "check_or_eft": r.trace_number,
        "payment_method": r.payment_method,
        "payment_amount": str(r.payment_amount),
        "payment_date": r.payment_date.isoformat(),
        "claim_count": len(r.claims),
        "total_paid": str(r.total_paid),
        "total_plb": str(r.total_provider_adjustments),
        "balancing_problems": r.balancing_problems(),
    }


def summary(remittances: list[Remittance]) -> dict[str, Any]:
    """One object: the first payment's fields (the whole of a single-payment file), the count,
    and for a multi-payment file every payment in `payments`."""
    if not remittances:
        return {"remittances": 0}
    out = describe(remittances[0])
    if len(remittances) > 1:
        out["claim_count"] = sum(len(r.claims) for r in remittances)
        out["balancing_problems"] = [p for r in remittances for p in r.balancing_problems()]
        out["payments"] = [describe(r) for r in remittances]
    out["remittances"] = len(remittances)
    return out


class Command(BaseCommand):
    help = (
        "ERAs (835): parse FILE | ingest FILE [--workspace SLUG] | check [--workspace SLUG] | "
        "rebuild-adjudications [--workspace SLUG]"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        parse = sub.add_parser("parse", help="describe an 835 file as JSON (no database)")
        parse.add_argument("file")
        ingest = sub.add_parser("ingest", help="post an 835 file")
        ingest.add_argument("file")
        ingest.add_argument("--workspace", help="workspace slug (default: the only one)")
        check = sub.add_parser("check", help="verify each claim's first 835 / first paid dates")
        check.add_argument("--workspace", help="only this workspace (its slug)")
        rebuild = sub.add_parser(
            "rebuild-adjudications", help="recompute each claim's first 835 / first paid dates"
        )
        rebuild.add_argument("--workspace", help="only this workspace (its slug)")

    def _fail(self, exc: X12Error) -> NoReturn:
        sys.stderr.write(f"X12Error: {exc}\n")
        sys.stderr.flush()
        raise SystemExit(1)

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action in ("check", "rebuild-adjudications"):
            self._adjudications(action, options.get("workspace"))
            return
        file = options["file"]
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {file}: {exc.strerror}") from None
        from bureau.remittance.services import parse_835

        try:
            text = decode_x12(data)
            if action == "parse":
                remittances = parse_835(text)
        except X12Error as exc:
            self._fail(exc)
        if action == "parse":
            self.stdout.write(json.dumps(summary(remittances), ensure_ascii=False))
            return
        self._ingest(text, Path(file).name, options.get("workspace"))

    def _adjudications(self, action: str, slug: str | None) -> None:
        from bureau.remittance import adjudications
        from bureau.tenancy.cli import workspace_named
        from bureau.tenancy.models import Practice

        practices = Practice.objects.all()
        if slug:
            practices = practices.filter(workspace=workspace_named(slug))
        ids = list(practices.values_list("id", flat=True))
        with transaction.atomic():
            if action == "rebuild-adjudications":
                claims = adjudications.rebuild(ids)
                self.stdout.write(f"adjudication dates rebuilt: {claims} claims answered")
                return
            problems = adjudications.drift(ids)
        for number, text in problems:
            self.stdout.write(f"claim {number}: {text}")
        if problems:
            self.stdout.flush()
            sys.exit(1)
        self.stdout.write("ERAs ok: every answered claim's dates match its 835 loops")

    def _ingest(self, text: str, name: str, slug: str | None) -> None:
        from bureau.remittance.services import ingest_era_text
        from bureau.tenancy.cli import workspace_named

        workspace = workspace_named(slug)
        try:
            # Read twice, claim by claim (see `ingest_era_text`): a 50,000-claim file posts in
            # bounded memory; a malformed one is refused before anything is written.
            result = ingest_era_text(actor=None, workspace=workspace, text=text, file_name=name)
        except PayeeUnknown as exc:
            raise CommandError(str(exc)) from None
        except X12Error as exc:
            self._fail(exc)
        for era in result.eras:
            head = f"ERA {era.trace_number} {era.payment_amount} ({era.payer_name})"
            if era.duplicate:
                self.stdout.write(f"{head}: duplicate")
                continue
            self.stdout.write(
                f"{head} → {era.practice_code}: {era.status}; claims posted {era.posted}/"
                f"{era.claims}, exceptions {era.exceptions}, denials {era.denials}, "
                f"underpayments {era.underpayments}, paid {era.paid}"
            )
