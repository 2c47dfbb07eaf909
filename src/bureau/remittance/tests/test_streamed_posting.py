"""A payment posted claim by claim: the file read twice as a stream (`plan_835`, then
`stream_835`), its claims posted in chunks of `posting.CHUNK` — never all of them at once."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

import pytest

from bureau.claims.models import ClaimState
from bureau.remittance import posting
from bureau.remittance.models import Era, EraClaim, EraException, EraStatus, ExceptionReason
from bureau.remittance.outcome import Ticker
from bureau.remittance.services import ingest_era_text, plan_835
from bureau.remittance.tests import builders as b
from bureau.remittance.tests import test_posting
from bureau.remittance.tests.test_posting import fresh, rows, setup  # noqa: F401 - the fixture
from bureau.remittance.tests.test_views import envelope, writable
from bureau.tenancy import rls
from bureau.tenancy.models import Workspace
from bureau.x12.reader835 import stream_835
from bureau.x12.remit835 import ClaimPayment
from bureau.x12.writer835 import write_835

D = Decimal
pytestmark = pytest.mark.django_db


def _file(*remittances: object, unbalanced: bool = False) -> str:
    return write_835(
        envelope(),
        [writable(r) for r in remittances],  # type: ignore[arg-type]
        allow_unbalanced=unbalanced,
    )


def _ingest(practice, text: str):
    workspace = Workspace.objects.get(pk=practice.workspace_id)
    return ingest_era_text(actor=None, workspace=workspace, text=text, file_name="stream.835")


def _paid(practice, payer, count: int) -> list[ClaimPayment]:
    return _payments(b.submitted_claims(practice, payer, count=count))


def _payments(claims) -> list[ClaimPayment]:
    payments = []
    for claim in claims:
        one, two = b.lines_of(claim)
        payments.append(
            b.paid_claim(
                claim,
                [
                    b.svc(one, "100.00", ("CO", "45", "10.00"), claim_number=claim.number),
                    b.svc(two, "12.00", claim_number=claim.number),
                ],
            )
        )
    return payments


@pytest.mark.parametrize("chunk", [1, 2])
def test_a_reversal_and_its_correction_in_separate_chunks(setup, monkeypatch, chunk):  # noqa: F811
    # The reversal lands in one chunk and the correction in the next: the second chunk reads
    # the claim and its ledger as the first left them, and the outcome is the one-chunk one.
    monkeypatch.setattr(posting, "CHUNK", chunk)
    test_posting.test_reversal_then_correction(setup)


def test_seven_claims_in_chunks_of_two_post_as_one_payment(setup, monkeypatch):  # noqa: F811
    practice, payer = setup
    monkeypatch.setattr(posting, "CHUNK", 2)
    claims = b.submitted_claims(practice, payer, count=7)
    payments = _payments(claims)
    ticks: list[int] = []
    text = _file(b.remittance(practice, payer, payments))
    workspace = Workspace.objects.get(pk=practice.workspace_id)
    result = ingest_era_text(
        actor=None,
        workspace=workspace,
        text=text,
        file_name="stream.835",
        progress=lambda done, total, stage: ticks.append(done),
    )
    [outcome] = result.eras
    assert (outcome.claims, outcome.posted, outcome.exceptions) == (7, 7, 0)
    assert outcome.paid == sum((p.paid for p in payments), D("0"))
    assert ticks[-1] == 7
    with rls.practice_scope([practice.pk]):
        era = Era.objects.for_system([practice.pk], reason="test").get(pk=outcome.era_id)
        assert (era.claim_count, era.posted_count, era.status) == (7, 7, EraStatus.POSTED)
        stored = EraClaim.objects.for_system([practice.pk], reason="test").filter(era=era)
        assert stored.count() == 7
    assert [fresh(c).state for c in claims] == [ClaimState.PAID] * 7


def test_claims_are_read_as_they_are_posted_not_before(setup, monkeypatch):  # noqa: F811
    # post_payment takes the claims as an iterator and writes each chunk before it asks for
    # the next: when claim k is handed over, every claim of the chunks before it is stored.
    practice, payer = setup
    monkeypatch.setattr(posting, "CHUNK", 3)
    payments = _paid(practice, payer, 8)
    remittance = b.remittance(practice, payer, payments)
    stored_when_asked: list[int] = []

    def lazily() -> Iterator[ClaimPayment]:
        for payment in payments:
            with rls.practice_scope([practice.pk]):
                stored_when_asked.append(
                    EraClaim.objects.for_system([practice.pk], reason="test").count()
                )
            yield payment

    outcome = posting.post_payment(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        end=remittance.end(),
        numbers=[p.patient_control_number for p in payments],
        claims=lazily(),
        file_name="lazy.835",
        ticker=Ticker(total=8),
    )
    assert outcome.posted == 8
    assert stored_when_asked == [0, 0, 0, 3, 3, 3, 6, 6]


def test_a_duplicate_payment_in_the_file_leaves_the_next_one_its_own_claims(setup):  # noqa: F811
    practice, payer = setup
    first = b.remittance(practice, payer, _paid(practice, payer, 2), trace="DUPTRACE1")
    _ingest(practice, _file(first))
    second = b.remittance(practice, payer, _paid(practice, payer, 3), trace="NEWTRACE2")
    result = _ingest(practice, _file(first, second))
    duplicate, posted = result.eras
    assert duplicate.duplicate and not posted.duplicate
    assert (posted.claims, posted.posted, posted.trace_number) == (3, 3, "NEWTRACE2")


def test_an_unbalanced_payment_in_chunks_has_one_balance_exception(setup, monkeypatch):  # noqa: F811
    practice, payer = setup
    monkeypatch.setattr(posting, "CHUNK", 2)
    payments = _paid(practice, payer, 5)
    text = _file(b.remittance(practice, payer, payments, amount=D("1.00")), unbalanced=True)
    [plan] = plan_835(text)
    assert plan.end.claim_count == 5 and plan.end.problems
    assert len(plan.numbers) == 5
    [outcome] = _ingest(practice, text).eras
    assert (outcome.posted, outcome.status) == (0, EraStatus.EXCEPTION)
    reasons = [e.reason for e in rows(EraException, practice)]
    assert reasons.count(ExceptionReason.BALANCE_MISMATCH) == 1


@pytest.mark.django_db(False)
def test_the_second_read_sees_what_the_first_planned() -> None:
    # Both reads of ingest are the same stream: the plan's numbers are the claims posted.
    from bureau.x12.tests.test_tokens import golden

    text = golden("payment.835")
    plans = plan_835(text)
    claims = [e.patient_control_number for e in stream_835(text) if type(e) is ClaimPayment]
    assert [n for p in plans for n in p.numbers] == claims


@pytest.mark.parametrize("chunk", [1, 2, 3, posting.CHUNK])
def test_a_payment_and_its_reversal_in_one_file_post_the_same_whatever_the_chunks(
    setup,  # noqa: F811
    monkeypatch,
    chunk,
):
    # A claim paid and then reversed in the same payment: whether the two land in one chunk or
    # in two must not change what is posted. (They differed: within a chunk the reversal found
    # nothing to reverse (TAKEBACK) because the reversal originals are read once per chunk,
    # before the payment is posted; across a boundary it reversed the payment.)
    practice, payer = setup
    monkeypatch.setattr(posting, "CHUNK", chunk)
    pad, claim = b.submitted_claims(practice, payer, count=2)
    paid_pad, paid = _payments([pad, claim])
    text = _file(b.remittance(practice, payer, [paid_pad, paid, b.reversal_of(paid)]))
    [outcome] = _ingest(practice, text).eras
    assert (outcome.posted, outcome.exceptions) == (3, 0)
    assert [e.reason for e in rows(EraException, practice)] == []
    assert fresh(claim).state == ClaimState.ACCEPTED
    assert fresh(pad).state == ClaimState.PAID
