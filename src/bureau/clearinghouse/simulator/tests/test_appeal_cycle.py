"""Appeals round the simulated cycle on the seeded demo workspace (issue 13): claims denied by
the simulator are appealed through the real services; the payer takes them in from the cycle's
mail room, and a won appeal's 835 posts (reversal + the claim paid again) recording the outcome
and the amount by itself with no ERA exception; an upheld one comes back by letter and opens
the next level's clock; nothing is reviewed twice."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import ClaimState
from bureau.clearinghouse.cycle import CycleSummary, run_day
from bureau.clearinghouse.simulator import appeals as ap
from bureau.clearinghouse.simulator.appeal_mail import send_appeals, take_in_letters
from bureau.clearinghouse.simulator.port import book_for, simulated, simulator_root
from bureau.demo import WORKSPACE_SLUG
from bureau.denials.appeal_models import Appeal, AppealOutcome
from bureau.denials.appeals import appeal_create, appeal_submit, next_level
from bureau.denials.models import Denial, DenialEvent, DenialStatus
from bureau.denials.tests.test_views import actor
from bureau.remittance.models import EraException
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.models import Practice, Workspace

pytestmark = pytest.mark.django_db
SEED = 11


def _days(workspace: Workspace, ids: list[int], first: date, count: int, capture: Any) -> None:
    summary = CycleSummary(start=first, end=first + timedelta(days=count - 1), seed=SEED)
    for offset in range(count):
        with capture(execute=True):
            run_day(
                workspace=workspace, practice_ids=ids, day=first + timedelta(days=offset),
                seed=SEED, summary=summary,
            )  # fmt: skip


def _open_denials(ids: list[int]) -> list[Denial]:
    """One denial per denied claim (its first line), oldest ERA first."""
    with rls.practice_scope(ids):
        rows = list(
            Denial.objects.for_system(ids, reason="test")
            .filter(status=DenialStatus.OPEN)
            .select_related("claim__payer", "claim__encounter", "payer", "era")
            .order_by("era_claim_id", "id")
        )
    firsts: dict[int, Denial] = {}
    for row in rows:
        firsts.setdefault(row.era_claim_id, row)
    return list(firsts.values())


def _appeals(ids: list[int]) -> dict[int, Appeal]:
    with rls.practice_scope(ids):
        rows = Appeal.objects.for_system(ids, reason="test").select_related("denial__claim")
        return {a.pk: a for a in rows}


def test_appeals_are_decided_by_the_simulated_payer(
    settings: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    workspace = Workspace.objects.get(slug=WORKSPACE_SLUG)
    ids = sorted(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    for practice in Practice.objects.filter(pk__in=ids):
        b.autopost(practice)  # as the demo does: denials posted, so a reversal has entries
    start = timezone.localdate() + timedelta(days=1)
    _days(workspace, ids, start, 40, django_capture_on_commit_callbacks)
    appeal_day = start + timedelta(days=40)

    # One appeal per outcome, picked by what the payer will decide (its decision is pure).
    desk = ap.AppealDesk(simulator_root(workspace), seed=SEED, book=book_for(workspace))
    picked: dict[str, Denial] = {}
    for denial in _open_denials(ids):
        payer_id = denial.claim.payer.payer_id
        if desk.remembered(payer_id, denial.claim.number) is None:
            continue
        record = ap.AppealRecord("x", 1, denial.category, payer_id, denial.claim.number, "", start)
        picked.setdefault(ap.decide(record, seed=SEED).outcome, denial)
    assert set(picked) == {ap.OVERTURNED, ap.PARTIAL, ap.UPHELD}, picked
    dan = actor("dan.denials")
    made: dict[str, Appeal] = {}
    for outcome, denial in picked.items():
        appeal = appeal_create(actor=dan, denial=denial, level=1, today=appeal_day)
        made[outcome] = appeal_submit(
            actor=dan, appeal=appeal, submitted_on=str(appeal_day), method="mail",
            reference=f"MAIL-{outcome}", today=appeal_day,
        )  # fmt: skip
    claims = [d.claim_id for d in picked.values()]
    exceptions_before = _exceptions(ids, claims)

    _days(workspace, ids, appeal_day, 70, django_capture_on_commit_callbacks)

    after = _appeals(ids)
    won, partly, lost = (after[made[o].pk] for o in (ap.OVERTURNED, ap.PARTIAL, ap.UPHELD))
    # Won: the 835 paid it, the poster recorded the outcome and the money, no exception.
    assert won.outcome == AppealOutcome.OVERTURNED
    assert won.amount_recovered and won.amount_recovered > 0
    assert won.decided_on and won.decided_on > appeal_day
    assert partly.outcome == AppealOutcome.PARTIALLY_OVERTURNED
    assert partly.amount_recovered and 0 < partly.amount_recovered < partly.denial.amount
    assert _exceptions(ids, claims) == exceptions_before
    with rls.practice_scope(ids):
        won_denial = Denial.objects.for_system(ids, reason="t").get(pk=won.denial_id)
        assert won_denial.status == DenialStatus.RESOLVED
        claim = won_denial.claim
        assert claim.state in (ClaimState.PAID, ClaimState.PARTIALLY_PAID)
    # Upheld: by letter, dated the decision; the next level's clock runs from it.
    assert lost.outcome == AppealOutcome.UPHELD and lost.amount_recovered == 0
    assert lost.decided_on and lost.decided_on > appeal_day
    with rls.practice_scope(ids):
        lost_denial = (
            Denial.objects.for_system(ids, reason="t")
            .select_related("claim__encounter", "payer", "era")
            .get(pk=lost.denial_id)
        )
        assert lost_denial.status == DenialStatus.IN_PROGRESS
        assert DenialEvent.objects.for_system(ids, reason="t").filter(
            denial=lost_denial, note__startswith="Payer upheld the level 1 appeal"
        )
    step = next_level(lost_denial, [lost], lost.decided_on)
    assert step is not None and step.level == 2 and step.deadline > lost.decided_on
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIAL_UPDATED, model="denials.Appeal", detail__from="payer letter"
    ).exists()
    assert AuditEvent.objects.filter(detail__has_key="received_by_payer").exists()

    # Nothing is reviewed twice: handed in again, the payer takes nothing; no letter is left.
    last = appeal_day + timedelta(days=70)
    with simulated(last, seed=SEED):
        assert send_appeals(workspace=workspace, practice_ids=ids, day=last, seed=SEED) == 0
        assert take_in_letters(workspace=workspace, practice_ids=ids, day=last, seed=SEED) == 0
    received = list((simulator_root(workspace) / "appeals" / "received").iterdir())
    assert len(received) == 3


def _exceptions(ids: list[int], claim_ids: list[int]) -> int:
    """ERA exceptions on these claims, or on ERA claim loops of them."""
    with rls.practice_scope(ids):
        rows = EraException.objects.for_system(ids, reason="test")
        return (
            rows.filter(claim_id__in=claim_ids).count()
            + rows.filter(era_claim__claim_id__in=claim_ids).count()
        )
