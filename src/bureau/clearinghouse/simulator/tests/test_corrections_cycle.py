"""Corrected and void claims through the whole loop (issue 13): an original sent to the payer
simulator and denied, a replacement with a changed modifier submitted through the same batch
path, the simulator's 835 (the original's reversal and the replacement's payment) posted
without an exception, and `bureau ledger check` holding at every step. A void likewise."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.claims.corrections import CorrectedLine, correction_create, replacement_update
from bureau.claims.models import Claim, ClaimFrequency, ClaimLine, ClaimState
from bureau.claims.services import LineData
from bureau.claims.tests import factories
from bureau.clearinghouse.cycle import CycleSummary, run_day
from bureau.clearinghouse.simulator import port as sim_port
from bureau.demo import WORKSPACE_SLUG
from bureau.directory.models import Enrollment, EnrollmentStatus, Payer, PayerKind
from bureau.ledger.check import ledger_check
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.models import EraClaim, EraException
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db
SEED = 7
START = timezone.localdate() + timedelta(days=1)  # after the claims' date of service


def _business_day_after(day: date) -> date:
    """The first weekday on or after `day`: claims go out on business days only (`run_day`),
    so a correction sent on a Saturday would wait (this test failed on the Mondays that put
    START + 46 on a weekend)."""
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def cycle(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A practice of the demo workspace whose simulated payer denies every original claim
    (a replacement is never denied) and rejects nothing at its front door."""
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    real = sim_port.profile_for

    def strict(kind: str, payer_id: str) -> Any:
        return replace(
            real(kind, payer_id),
            denial_rate=1.0,
            reject_rate=0.0,
            file_reject_rate=0.0,
            reversal_rate=0.0,
            plb_rate=0.0,
        )

    monkeypatch.setattr(sim_port, "profile_for", strict)
    workspace = Workspace.objects.get(slug=WORKSPACE_SLUG)
    practice = Practice.objects.filter(workspace=workspace).order_by("code").first()
    assert practice is not None
    b.autopost(practice)
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    assert owner is not None
    return workspace, practice, owner


def _payer(practice: Practice) -> Payer:
    return Payer.objects.filter(
        workspace_id=practice.workspace_id, kind=PayerKind.COMMERCIAL, route="simulator"
    ).order_by("id")[0]


def _original(practice: Practice, payer: Payer) -> Claim:
    with rls.practice_scope([practice.pk]):
        patient = factories.patient(practice, 3)
        claim = factories.claim(practice, factories.coverage(patient, payer))
        doctor = factories.provider(practice)
        Enrollment.objects.update_or_create(
            workspace_id=practice.workspace_id,
            practice=practice,
            provider=doctor,
            payer=payer,
            defaults={"status": EnrollmentStatus.ACTIVE, "effective_date": date(2020, 1, 1)},
        )
    # Only this claim goes out in these tests' batches.
    Claim.objects.for_system([practice.pk], reason="test").filter(
        practice=practice, state=ClaimState.READY
    ).exclude(pk=claim.pk).update(state=ClaimState.DRAFT)
    return claim


def _days(workspace: Workspace, practice: Practice, first: date, count: int) -> None:
    summary = CycleSummary(start=first, end=first + timedelta(days=count), seed=SEED)
    for offset in range(count):
        run_day(
            workspace=workspace,
            practice_ids=[practice.pk],
            day=first + timedelta(days=offset),
            seed=SEED,
            summary=summary,
        )


def _fresh(claim: Claim) -> Claim:
    return Claim.objects.for_system([claim.practice_id], reason="test").get(pk=claim.pk)


def _entries(claim: Claim) -> list[LedgerEntry]:
    return list(
        LedgerEntry.objects.for_system([claim.practice_id], reason="test")
        .filter(claim=claim)
        .order_by("claim_line_id", "sequence")
    )


def _balance(claim: Claim) -> Decimal:
    return sum((e.amount for e in _entries(claim)), Decimal("0.00"))


def _no_ledger_problems(workspace: Workspace) -> None:
    assert [str(p) for p in ledger_check(workspace=workspace)] == []


def _denied_original(cycle: Any) -> tuple[Workspace, Practice, Actor, Claim]:
    workspace, practice, owner = cycle
    claim = _original(practice, _payer(practice))
    _days(workspace, practice, START, 45)
    claim = _fresh(claim)
    assert claim.state in {ClaimState.DENIED, ClaimState.PARTIALLY_PAID}, claim.state
    assert claim.payer_claim_number
    _no_ledger_problems(workspace)
    return workspace, practice, owner, claim


def test_denied_claim_replaced_paid_and_the_ledger_counts_each_dollar_once(cycle: Any) -> None:
    workspace, practice, owner, original = _denied_original(cycle)
    charged = original.total_charge
    with rls.practice_scope(owner.practice_ids()):
        fix = correction_create(actor=owner, claim=original, frequency=ClaimFrequency.REPLACEMENT)
        lines = list(ClaimLine.objects.visible_to(owner, Capability.CLAIMS_VIEW).filter(claim=fix))
        edited = [
            CorrectedLine(
                LineData(
                    line.procedure_code,
                    ["25"] if n == 0 else list(line.modifiers),
                    list(line.diagnosis_pointers),
                    line.units,
                    line.charge,
                ),
                source=line.line_number,
            )
            for n, line in enumerate(sorted(lines, key=lambda ln: ln.line_number))
        ]
        replacement_update(
            actor=owner, claim=fix, diagnoses=list(fix.diagnosis_codes), lines=edited
        )
    fix = _fresh(fix)
    assert fix.state == ClaimState.READY, fix.state
    day = _business_day_after(START + timedelta(days=46))
    _days(workspace, practice, day, 1)  # the replacement goes out
    fix, original = _fresh(fix), _fresh(original)
    assert fix.state in {ClaimState.SUBMITTED, ClaimState.ACCEPTED}
    assert original.state == ClaimState.CLOSED
    batch_text = fix.batch.content  # type: ignore[union-attr]
    assert f"CLM*{fix.number}*" in batch_text and ":B:7*" in batch_text
    assert f"REF*F8*{original.payer_claim_number}~" in batch_text
    # The original's balance left it (cash aside), the replacement carries its own charge.
    paid_before = -sum(
        (e.amount for e in _entries(original) if e.kind == EntryKind.PAYMENT), Decimal(0)
    )
    assert _balance(original) == -paid_before
    assert _balance(fix) == fix.total_charge == charged
    _no_ledger_problems(workspace)

    _days(workspace, practice, day + timedelta(days=1), 45)  # the payer answers
    fix, original = _fresh(fix), _fresh(original)
    assert fix.state in {ClaimState.PAID, ClaimState.PARTIALLY_PAID}, fix.state
    assert original.state == ClaimState.CLOSED
    era_claims = EraClaim.objects.for_system([practice.pk], reason="test").filter(
        claim__in=[fix, original]
    )
    assert {(e.claim_id, e.status_code) for e in era_claims} >= {
        (original.pk, "22"),
        (fix.pk, "1"),
    }
    exceptions = EraException.objects.for_system([practice.pk], reason="test").filter(
        claim__in=[fix, original]
    )
    assert not exceptions.exists()
    assert _balance(original) == 0  # the payer's reversal took the payment back
    _no_ledger_problems(workspace)


def test_void_closes_the_original_and_the_payers_reversal_answers_it(cycle: Any) -> None:
    workspace, practice, owner, original = _denied_original(cycle)
    with rls.practice_scope(owner.practice_ids()):
        void = correction_create(actor=owner, claim=original, frequency=ClaimFrequency.VOID)
    void = _fresh(void)
    assert void.state == ClaimState.READY  # scrubbed at once: a void is not edited
    day = _business_day_after(START + timedelta(days=46))
    _days(workspace, practice, day, 1)
    void, original = _fresh(void), _fresh(original)
    assert original.state == ClaimState.CLOSED
    assert ":B:8*" in void.batch.content  # type: ignore[union-attr]
    assert _entries(void) == []  # a void bills nothing
    _no_ledger_problems(workspace)
    _days(workspace, practice, day + timedelta(days=1), 45)
    void, original = _fresh(void), _fresh(original)
    assert void.state == ClaimState.CLOSED
    assert _balance(original) == 0
    assert not EraException.objects.for_system([practice.pk], reason="test").filter(claim=original)
    _no_ledger_problems(workspace)
