"""The simulated cycle on the seeded demo workspace: batch → simulator → acknowledgements and
ERAs taken in, day by day."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from bureau.clearinghouse.cycle import CycleSummary, run_day, workspace_outcome
from bureau.clearinghouse.simulator.port import simulator_root
from bureau.demo import WORKSPACE_SLUG
from bureau.tenancy.models import Practice, Workspace

pytestmark = pytest.mark.django_db


def test_forty_days_of_cycle_acknowledge_pay_and_deny(
    settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    workspace = Workspace.objects.get(slug=WORKSPACE_SLUG)
    ids = sorted(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    start = timezone.localdate() + timedelta(days=1)
    summary = CycleSummary(start=start, end=start + timedelta(days=39), seed=11)
    before = {kind: max(stamps, default=0) for kind, stamps in _business_rows(ids).items()}
    for offset in range(40):
        # Each day's ingests commit before the next day polls (the command runs in autocommit).
        with django_capture_on_commit_callbacks(execute=True):
            run_day(
                workspace=workspace, practice_ids=ids, day=start + timedelta(days=offset),
                seed=11, summary=summary,
            )  # fmt: skip
    assert summary.files["999"] >= 1 and summary.files["277CA"] >= 1
    assert summary.files["835"] >= 1
    assert summary.file_errors == 0
    outcome = workspace_outcome(workspace=workspace, practice_ids=ids)
    assert outcome["eras"] >= 1 and outcome["denials"] >= 1
    assert outcome["claims_rejected"] >= 0
    root = simulator_root(workspace)
    assert any((root / "delivered").iterdir())
    # Everything due was delivered and acknowledged.
    due = (start + timedelta(days=39)).strftime("%Y%m%d")
    assert not [p for p in (root / "pending").iterdir() if p.name[:8] <= due]
    # Every record of the replayed days carries its simulated day, never the wall clock's
    # (the run is in the future here, so a wall-clock stamp would be today).
    written = {
        kind: {timezone.localtime(at).date() for pk, at in rows.items() if pk > before[kind]}
        for kind, rows in _business_rows(ids).items()
    }
    assert set(written) == {"batch", "acknowledgement", "claim history", "era", "ledger", "denial"}
    for kind, days in written.items():
        assert days and all(start <= d <= summary.end for d in days), (kind, sorted(days)[:3])


def _business_rows(ids: list[int]) -> dict[str, dict[int, Any]]:
    """{kind: {pk: timestamp}} of the records the cycle writes."""
    from bureau.claims.models import Acknowledgement, Batch, ClaimEvent
    from bureau.denials.models import Denial
    from bureau.ledger.models import LedgerEntry
    from bureau.remittance.models import Era

    def local_days(model: Any, field: str, **where: Any) -> dict[int, Any]:
        return dict(
            model.objects.for_system(ids, reason="test").filter(**where).values_list("pk", field)
        )

    return {
        "batch": local_days(Batch, "created_at"),
        "acknowledgement": local_days(Acknowledgement, "received_at"),
        "claim history": local_days(
            ClaimEvent, "occurred_at", to_state__in=["submitted", "paid", "denied", "accepted"]
        ),
        "era": local_days(Era, "received_at"),
        "ledger": local_days(LedgerEntry, "posted_at"),
        "denial": local_days(Denial, "created_at"),
    }


def test_simulate_command_prints_weekly_lines_and_a_json_summary(
    settings: Any, tmp_path: Path
) -> None:
    import json
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    out = StringIO()
    call_command(
        "simulate", "--days", "2", "--workspace", WORKSPACE_SLUG, "--seed", "5", stdout=out
    )
    text = out.getvalue()
    summary = json.loads(text[text.index("{") :])
    assert summary["days"] == 2 and summary["seed"] == 5
    assert summary["claims_submitted"] >= 0 and "claims_by_state" in summary
    with pytest.raises(CommandError):
        call_command("simulate", "--days", "0", "--workspace", WORKSPACE_SLUG)
    with pytest.raises(CommandError):
        call_command("simulate", "--days", "1", "--workspace", "no-such-place")


def test_batch_build_takes_only_claims_served_by_the_simulated_day(
    settings: Any, tmp_path: Path
) -> None:
    from datetime import date

    from bureau.claims.batches import batch_build

    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    workspace = Workspace.objects.get(slug=WORKSPACE_SLUG)
    ids = list(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    assert batch_build(actor=None, practice_ids=ids, as_of=date(2000, 1, 1)) == []
    day = timezone.localdate() - timedelta(days=5)
    batches = batch_build(actor=None, practice_ids=ids, as_of=day)
    from bureau.claims.models import Claim

    for batch in batches:
        dates = (
            Claim.objects.for_system(ids, reason="test")
            .filter(batch=batch)
            .values_list("encounter__date_of_service", flat=True)
        )
        assert max(dates) <= day
    # The charges post on the simulated day, not on the wall clock's: A/R ages from there.
    from bureau.ledger.models import EntryKind, LedgerEntry

    charge_dates = set(
        LedgerEntry.objects.for_system(ids, reason="test")
        .filter(claim__batch__in=batches, kind=EntryKind.CHARGE)
        .values_list("effective_date", flat=True)
    )
    assert batches and charge_dates == {day}
