"""The simulated revenue cycle: day by day, batch → transmit → payer simulator → ingest.

`run_cycle` replays the last N days (today − N + 1 … today). Each simulated day:

1. `batch_build` puts the READY claims with a date of service up to that day into 837P files,
2. `transmit_batches` hands them to their routes (the simulator answers 999 / 277CA the next
   day and pays on the payer's payment runs 10–35 days later),
3. `poll_and_ingest(as_of=day)` takes in every response due that day: acknowledgements move
   claims to accepted / rejected, 835s post to the ledger or become ERA exceptions.

The simulator reads "today" from `simulated(day)`, so nothing here touches the clock except
to know where the run ends. System work (actor None) for all practices of the workspace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.batches import batch_build
from bureau.clearinghouse.inbound import poll_and_ingest
from bureau.clearinghouse.simulator.appeal_mail import send_appeals, take_in_letters
from bureau.clearinghouse.simulator.port import ROUTE, simulated
from bureau.clearinghouse.transmission import transmit_batches
from bureau.tenancy.models import Practice, Workspace

REASON = "payer simulator cycle"
Say = Callable[[str], None]


@dataclass
class CycleSummary:
    start: date
    end: date
    seed: int
    batches: int = 0
    claims_submitted: int = 0
    transmissions_failed: int = 0
    files: Counter[str] = field(default_factory=Counter)  # inbound files by kind
    file_errors: int = 0
    outcome: dict[str, Any] = field(default_factory=dict)  # the workspace after the run

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": (self.end - self.start).days + 1,
            "from": self.start.isoformat(),
            "through": self.end.isoformat(),
            "seed": self.seed,
            "batches": self.batches,
            "claims_submitted": self.claims_submitted,
            "transmissions_failed": self.transmissions_failed,
            "files": dict(sorted(self.files.items())),
            "file_errors": self.file_errors,
            **self.outcome,
        }


def _ingest_totals(summary: CycleSummary, results: list[Any]) -> None:
    for result in results:
        summary.files[result.kind or "unknown"] += 1
        if result.error:
            summary.file_errors += 1


def run_day(*, workspace: Workspace, practice_ids: list[int], day: date, seed: int,
            summary: CycleSummary) -> None:  # fmt: skip
    """One simulated day of the cycle."""
    with simulated(day, seed=seed):
        # Claims go out on business days; payers answer and pay on their own calendar.
        batches = (
            batch_build(actor=None, practice_ids=practice_ids, as_of=day)
            if day.weekday() < 5
            else []
        )
        summary.batches += len(batches)
        summary.claims_submitted += sum(b.claim_count for b in batches)
        sent = transmit_batches(actor=None, workspace=workspace, batches=batches or None)
        summary.transmissions_failed += sum(1 for t in sent if getattr(t, "error", ""))
        # Appeals go to the payer by their own way (mail, fax, portal), and upheld ones come
        # back by letter: the mail room carries both (simulator/appeal_mail.py).
        send_appeals(workspace=workspace, practice_ids=practice_ids, day=day, seed=seed)
        results = poll_and_ingest(actor=None, workspace=workspace, route=ROUTE, as_of=day)
        _ingest_totals(summary, results)
        letters = take_in_letters(
            workspace=workspace, practice_ids=practice_ids, day=day, seed=seed
        )
        if letters:
            summary.files["appeal letter"] += letters


def run_cycle(
    *,
    workspace: Workspace,
    days: int,
    seed: int = 2026,
    end: date | None = None,
    say: Say | None = None,
) -> CycleSummary:
    """Replay `days` days ending `end` (default today); `say` gets one line per week."""
    from bureau.workqueues.hooks import batched

    if days < 1:
        raise ValueError("simulate at least one day")
    end = end or timezone.localdate()
    start = end - timedelta(days=days - 1)
    practice_ids = sorted(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    summary = CycleSummary(start=start, end=end, seed=seed)
    week_files = 0
    # A run that fails leaves its week unsynced (the nightly refresh mends it), never half.
    with ExitStack() as week:
        for offset in range(days):
            day = start + timedelta(days=offset)
            if offset % 7 == 0:
                # The work queue follows each week's changes at its end, in one sync: a sync per
                # service call (thousands of claims and ERAs) would be most of the run's time.
                week.enter_context(batched(f"clearinghouse cycle, week of {day.isoformat()}"))
            before = sum(summary.files.values())
            run_day(
                workspace=workspace, practice_ids=practice_ids, day=day, seed=seed, summary=summary
            )
            week_files += sum(summary.files.values()) - before
            if offset % 7 == 6 or day == end:
                with simulated(day, seed=seed):
                    week.close()  # on the week's last simulated day
            if say is not None and (offset % 7 == 6 or day == end):
                say(
                    f"{day.isoformat()}: {summary.claims_submitted} claims submitted so far, "
                    f"{week_files} files in this week, {summary.files.get('835', 0)} ERAs so far"
                )
                week_files = 0
    summary.outcome = workspace_outcome(workspace=workspace, practice_ids=practice_ids)
    with transaction.atomic():
        audit_record(
            action=AuditAction.SIMULATOR_RAN,
            actor=None,
            workspace=workspace,
            model="clearinghouse.Simulator",
            detail=_json_safe(summary.as_dict()),
            label="system",
        )
    return summary


def workspace_outcome(*, workspace: Workspace, practice_ids: list[int]) -> dict[str, Any]:
    """Counts and sums after the run (no PHI: no names, no claim numbers)."""
    from bureau.claims.models import Claim
    from bureau.denials.models import Denial
    from bureau.remittance.models import Era, EraException, EraLine

    with transaction.atomic():
        states = dict(
            Claim.objects.for_system(practice_ids, reason=REASON)
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )
        eras = Era.objects.for_system(practice_ids, reason=REASON).aggregate(
            n=Count("id"), paid=Sum("payment_amount")
        )
        denials = Denial.objects.for_system(practice_ids, reason=REASON).count()
        exceptions = dict(
            EraException.objects.for_system(practice_ids, reason=REASON)
            .values_list("reason")
            .annotate(n=Count("id"))
            .values_list("reason", "n")
        )
        underpaid = (
            EraLine.objects.for_system(practice_ids, reason=REASON)
            .filter(underpaid_by__gt=0)
            .count()
        )
    return {
        "claims_by_state": dict(sorted(states.items())),
        "claims_accepted_or_later": sum(
            n for s, n in states.items() if s in ("accepted", "paid", "partially_paid", "denied")
        ),
        "claims_rejected": states.get("rejected", 0),
        "eras": eras["n"] or 0,
        "paid_amount": str(Decimal(eras["paid"] or 0).quantize(Decimal("0.01"))),
        "denials": denials,
        "era_exceptions": dict(sorted(exceptions.items())),
        "underpaid_lines": underpaid,
    }


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, Decimal | date):
        return str(value)
    return value
