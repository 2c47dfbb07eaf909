"""The simulated demo seeds appeals the simulated payer decided (issue 13): several levels,
every outcome, some waiting for the payer and some not yet sent, made by the denial specialist
through the real services (audited, letters stored with the sent ones)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from bureau.audit.models import AuditAction, AuditEvent
from bureau.demo import WORKSPACE_SLUG
from bureau.demo_claims import simulate_demo
from bureau.denials.appeal_models import Appeal, AppealOutcome
from bureau.directory.models import PayerKind
from bureau.ledger.check import ledger_check
from bureau.remittance.models import EraException, ExceptionStatus
from bureau.tenancy import rls
from bureau.tenancy.models import Practice, Workspace

pytestmark = pytest.mark.django_db


def test_the_simulated_demo_shows_appeals_at_several_levels_with_outcomes(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import transaction

    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    # The command runs in autocommit: each inbound file is archived as soon as it is taken in.
    monkeypatch.setattr(transaction, "on_commit", lambda func, *a, **k: func())
    simulate_demo(WORKSPACE_SLUG, days=90, seed=2026)

    workspace = Workspace.objects.get(slug=WORKSPACE_SLUG)
    ids = list(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    with rls.practice_scope(ids):
        appeals = list(
            Appeal.objects.for_system(ids, reason="test").select_related(
                "denial__claim__payer", "created_by"
            )
        )
    outcomes = Counter((a.level, a.outcome) for a in appeals)
    assert {level for level, _ in outcomes} >= {1, 2}, outcomes
    decided = {outcome for _, outcome in outcomes if outcome}
    assert AppealOutcome.UPHELD in decided, outcomes
    assert decided & {AppealOutcome.OVERTURNED, AppealOutcome.PARTIALLY_OVERTURNED}, outcomes
    assert any(a.submitted_on and not a.outcome for a in appeals), "one waits for the payer"
    assert any(not a.submitted_on for a in appeals), "one is written, not sent"
    for appeal in appeals:
        assert appeal.created_by.username == "dan.denials"
        assert (appeal.letter_pdf is not None) == (appeal.submitted_on is not None)
        if appeal.level == 2:  # opened after the first level was decided against us
            first = next(a for a in appeals if a.denial_id == appeal.denial_id and a.level == 1)
            assert first.outcome in (AppealOutcome.UPHELD, AppealOutcome.PARTIALLY_OVERTURNED)
    medicare = [a for a in appeals if a.denial.claim.payer.kind == PayerKind.MEDICARE]
    assert {a.kind for a in medicare} <= {"redetermination", "reconsideration"}
    # The held denials were posted before they were appealed, so the payer's reversal when it
    # paid an appeal had entries to reverse: no takeback, and the ledger holds.
    won = [a.denial.claim_id for a in appeals if a.outcome and a.outcome != AppealOutcome.UPHELD]
    with rls.practice_scope(ids):
        reasons = set(
            EraException.objects.for_system(ids, reason="test")
            .filter(claim_id__in=won, status=ExceptionStatus.OPEN)
            .values_list("reason", flat=True)
        )
    assert won and not reasons, reasons
    assert ledger_check(workspace=workspace) == []
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIAL_UPDATED, model="denials.Appeal", user__username="dan.denials"
    ).exists()
