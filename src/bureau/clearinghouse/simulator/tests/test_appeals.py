"""The simulator's appeals desk on files our 837P writer produces (no database): decisions
deterministic by seed with shares by category, won appeals paid on a later 835 (reversal +
the claim paid again, same CLP07, balanced, pyx12-clean), upheld ones answered by letter, and
nothing reviewed twice."""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bureau.clearinghouse.simulator import appeals as ap
from bureau.clearinghouse.simulator.port import SimulatorPort
from bureau.clearinghouse.simulator.profiles import COMMERCIAL
from bureau.clearinghouse.simulator.tests.sample_claims import WORKSPACE, book, claims_file
from bureau.denials.appeal_models import AppealOutcome
from bureau.denials.appeal_payer import paid_as_allowed
from bureau.x12.reader835 import read_835
from bureau.x12.remit835 import STATUS_DENIED, ClaimPayment, Remittance
from bureau.x12.tests.oracle import pyx12_errors

SUBMITTED = date(2026, 6, 25)
PAID_BY = date(2026, 8, 31)  # every original claim paid or denied by then
SEED = 7


def record(pcn: str, category: str, level: int = 1, payer: str = "ACME1") -> ap.AppealRecord:
    return ap.AppealRecord(
        appeal_id=f"A-{pcn}-{level}",
        level=level,
        category=category,
        payer_id=payer,
        claim_number=pcn,
        payer_claim_number="",
        submitted_on=PAID_BY,
    )


def test_outcomes_are_bureaus_appeal_outcomes() -> None:
    assert {ap.OVERTURNED, ap.PARTIAL, ap.UPHELD} == set(AppealOutcome.values)


def test_decisions_are_pure_and_follow_the_category_shares() -> None:
    """Same seed, same decisions; another seed, others. Over many claims the share overturned
    tracks the category's: coding mostly won, timely filing almost never, level 2 less."""
    records = [record(f"C{n}", cat) for n in range(3000) for cat in ("coding", "timely_filing")]
    first = [ap.decide(r, seed=SEED) for r in records]
    assert first == [ap.decide(r, seed=SEED) for r in records]
    assert first != [ap.decide(r, seed=SEED + 1) for r in records]

    def share(category: str, level: int = 1, outcome: str = ap.OVERTURNED) -> float:
        decided = [ap.decide(record(f"C{n}", category, level), seed=SEED) for n in range(3000)]
        return sum(d.outcome == outcome for d in decided) / len(decided)

    assert abs(share("coding") - ap.OVERTURN["coding"].overturned) < 0.04
    assert abs(share("coding", outcome=ap.PARTIAL) - ap.OVERTURN["coding"].partial) < 0.04
    assert share("timely_filing") < 0.08
    assert share("missing_info") > share("medical_necessity") > share("timely_filing")
    assert share("coding", level=2) < share("coding")
    partial = [d for d in first if d.outcome == ap.PARTIAL]
    assert partial and all(ap.PARTIAL_PAY[0] <= d.share <= ap.PARTIAL_PAY[1] for d in partial)


def _denied_claims(port: SimulatorPort) -> list[tuple[dict[str, str], ClaimPayment]]:
    desk = ap.AppealDesk(port.root, seed=SEED, book=port.book)
    found = []
    for path in sorted((port.root / "appeals" / "claims").glob("*.json")):
        payer, _, pcn = path.stem.partition("-")
        memory = desk.remembered(payer, pcn)
        assert memory is not None
        found.append(memory)
    return found


def _remits(files: list[tuple[str, str]]) -> list[Remittance]:
    return [r for name, text in files if "-835-" in name for r in read_835(text).remittances]


def test_won_appeals_are_paid_on_a_later_835_upheld_ones_answered_by_letter(
    tmp_path: Path,
) -> None:
    port = SimulatorPort(WORKSPACE, root=tmp_path, seed=SEED, book=book())
    port.submit("batch-1.x12", claims_file(300, seed=3), as_of=SUBMITTED)
    for file in port.poll(as_of=PAID_BY):
        port.acknowledge(file.name)
    denied = _denied_claims(port)
    assert len(denied) >= 10 and any(c.status == STATUS_DENIED for _, c in denied)
    desk = ap.AppealDesk(tmp_path, seed=SEED, book=port.book)
    records = [
        record(c.patient_control_number, "coding" if n % 2 else "medical_necessity", 1, h["payer"])
        for n, (h, c) in enumerate(denied)
    ]
    taken = desk.receive(records, PAID_BY)
    assert sorted(taken) == sorted(r.appeal_id for r in records)
    # Handed in again (tomorrow's mail room): nothing is reviewed twice.
    assert desk.receive(records, PAID_BY + timedelta(days=1)) == []
    decided = {r.appeal_id: ap.decide(r, seed=SEED) for r in records}
    outcomes = Counter(d.outcome for d in decided.values())
    assert outcomes[ap.OVERTURNED] and outcomes[ap.UPHELD]

    later = PAID_BY + timedelta(days=80)
    files = [(f.name, f.content) for f in port.poll(as_of=later)]
    for name, text in files:
        assert pyx12_errors(text) == [], name
    paid = {c.patient_control_number: c for r in _remits(files) for c in r.claims}
    reversals = {
        c.patient_control_number for r in _remits(files) for c in r.claims if c.is_reversal
    }
    originals = {c.patient_control_number: c for _, c in denied}
    for rec in records:
        decision = decided[rec.appeal_id]
        pcn = rec.claim_number
        if decision.outcome == ap.UPHELD:
            assert pcn not in paid
            continue
        again, original = paid[pcn], originals[pcn]
        assert pcn in reversals
        assert again.status in ("1", "2", "3") and again.paid > original.paid
        assert again.payer_claim_number == original.payer_claim_number
        for svc in again.services:  # balanced by construction
            assert svc.charge - svc.paid == svc.adjusted
        assert again.charge - again.paid == sum((s.adjusted for s in again.services), Decimal(0))
        # Won outright: paid all it allows; partly: part of it still denied.
        assert paid_as_allowed(again) == (decision.outcome == ap.OVERTURNED)
    # The upheld ones: one letter each, dated the decision, due three days later.
    letters = desk.letters_due(later)
    upheld = {a for a, d in decided.items() if d.outcome == ap.UPHELD}
    assert {body["appeal_id"] for _, body in letters} == upheld
    for name, body in letters:
        decided_on = date.fromisoformat(body["decided_on"])
        assert name.startswith((decided_on + timedelta(days=ap.MAIL_DAYS)).strftime("%Y%m%d"))
        desk.letter_delivered(name)
    assert desk.letters_due(later) == []

    # Paid in full, the claim is no longer denied: a second appeal finds nothing to review;
    # paid in part, the rest is still denied: the next level is reviewed.
    def level_two(outcome: str) -> list[ap.AppealRecord]:
        return [
            record(r.claim_number, r.category, 2, r.payer_id)
            for r in records
            if decided[r.appeal_id].outcome == outcome
        ]

    assert desk.receive(level_two(ap.OVERTURNED), later) == []
    partly = level_two(ap.PARTIAL)
    assert partly
    assert sorted(desk.receive(partly, later)) == sorted(r.appeal_id for r in partly)


def test_one_review_per_claim_at_a_time(tmp_path: Path) -> None:
    port = SimulatorPort(WORKSPACE, root=tmp_path, seed=SEED, book=book())
    port.submit("batch-1.x12", claims_file(120, seed=5), as_of=SUBMITTED)
    port.poll(as_of=PAID_BY)
    head, claim = _denied_claims(port)[0]
    desk = ap.AppealDesk(tmp_path, seed=SEED, book=port.book)
    one = record(claim.patient_control_number, "coding", 1, head["payer"])
    two = ap.AppealRecord(
        appeal_id="second-line",
        level=1,
        category="coding",
        payer_id=one.payer_id,
        claim_number=one.claim_number,
        payer_claim_number="",
        submitted_on=PAID_BY,
    )
    assert desk.receive([one, two], PAID_BY) == [one.appeal_id]
    assert desk.received("second-line") is None  # waits: handed in again after the decision


@pytest.mark.parametrize("share", [Decimal(1), Decimal("0.50")])
def test_overturned_payment_balances_and_repays_only_the_denied_lines(share: Decimal) -> None:
    from bureau.x12.remit835 import Adjustment, ServicePayment

    paid_line = ServicePayment(
        "99213", Decimal("145.00"), Decimal("74.00"), allowed=Decimal("92.50"),
        adjustments=(
            Adjustment("CO", "45", Decimal("52.50")), Adjustment("PR", "2", Decimal("18.50"))
        ),
    )  # fmt: skip
    denied_line = ServicePayment(
        "93000", Decimal("60.00"), Decimal("0.00"), units=Decimal(2), allowed=Decimal("0.00"),
        adjustments=(Adjustment("CO", "97", Decimal("60.00")),), remark_codes=("M15",),
    )  # fmt: skip
    original = ClaimPayment(
        "P-1", "1", Decimal("205.00"), Decimal("74.00"), payer_claim_number="X1",
        services=(paid_line, denied_line),
    )  # fmt: skip
    rates = {"93000": Decimal("17.25")}
    outcome = ap.OVERTURNED if share == 1 else ap.PARTIAL
    again = ap.overturned_payment(
        original, ap.Decision(outcome, share), COMMERCIAL, lambda c, m: rates.get(c)
    )
    assert again.services[0] == paid_line
    line = again.services[1]
    assert line.allowed == (Decimal("34.50") * share).quantize(Decimal("0.01"))
    assert line.charge - line.paid == line.adjusted
    assert again.paid == paid_line.paid + line.paid
    assert again.payer_claim_number == "X1"
    assert paid_as_allowed(again) == (share == 1)
