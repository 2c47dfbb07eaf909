"""ERA posting: paid, partial, denied, reversal, PLB; duplicates; each exception; underpayments."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import Claim, ClaimState
from bureau.denials.models import Denial, DenialCategory, DenialStatus
from bureau.directory.models import ContractRate, Provider
from bureau.ledger.check import ledger_check
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.models import (
    Era,
    EraClaim,
    EraException,
    EraLine,
    EraStatus,
    ExceptionReason,
    ProviderAdjustmentEntry,
)
from bureau.remittance.payee import PayeeUnknown
from bureau.remittance.services import era_exception_resolve, ingest_remittances
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Workspace
from bureau.x12.remit835 import ClaimPayment

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def setup():
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()  # each test sets the rates it needs
    return practice, payer


def ingest(practice, *remittances, actor=None):
    return ingest_remittances(
        actor=actor,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        remittances=list(remittances),
        file_name="test.835",
    )


def scoped(model, practice):
    rls_ids = [practice.pk]
    return model.objects.for_system(rls_ids, reason="test")


def entries(claim):
    with rls.practice_scope([claim.practice_id]):
        return [
            (
                e.claim_line.line_number,
                e.sequence,
                e.kind,
                e.amount,
                e.balance_after,
                e.group_code,
                e.reason_code,
            )
            for e in scoped(LedgerEntry, claim.practice)
            .filter(claim=claim)
            .select_related("claim_line")
            .order_by("claim_line__line_number", "sequence")
        ]


def fresh(claim):
    with rls.practice_scope([claim.practice_id]):
        return scoped(Claim, claim.practice).get(pk=claim.pk)


def rows(model, practice, **filters):
    with rls.practice_scope([practice.pk]):
        return list(scoped(model, practice).filter(**filters).order_by("id"))


def test_paid_claim_posts_payment_contractual_and_patient_share(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    payment = b.paid_claim(
        claim,
        [
            b.svc(
                one, "80.00", ("CO", "45", "20.00"), ("PR", "2", "10.00"), claim_number=claim.number
            ),
            b.svc(two, "12.00", claim_number=claim.number),
        ],
        payer_claim_number="ICN777",
    )
    result = ingest(practice, b.remittance(practice, payer, [payment]))
    era = result.eras[0]
    assert (era.posted, era.exceptions, era.denials, era.status) == (1, 0, 0, EraStatus.POSTED), [
        e.detail for e in rows(EraException, practice)
    ]
    assert entries(claim) == [
        (1, 1, EntryKind.CHARGE, D("110.00"), D("110.00"), "", ""),
        (1, 2, EntryKind.PAYMENT, D("-80.00"), D("30.00"), "", ""),
        (1, 3, EntryKind.ADJUSTMENT, D("-20.00"), D("10.00"), "CO", "45"),
        (1, 4, EntryKind.PATIENT_RESPONSIBILITY, D("-10.00"), D("0.00"), "PR", "2"),
        (2, 1, EntryKind.CHARGE, D("12.00"), D("12.00"), "", ""),
        (2, 2, EntryKind.PAYMENT, D("-12.00"), D("0.00"), "", ""),
    ]
    claim = fresh(claim)
    assert claim.state == ClaimState.PAID and claim.payer_claim_number == "ICN777"
    assert ledger_check(workspace=Workspace.objects.get(slug="summit")) == []
    event = AuditEvent.objects.filter(action=AuditAction.ERA_INGESTED).latest("id")
    assert event.detail["posted"] == 1 and event.practice_id == practice.pk


def test_same_file_twice_is_a_duplicate_and_changes_nothing(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    remittance = b.remittance(
        practice,
        payer,
        [
            b.paid_claim(
                claim,
                [
                    b.svc(one, "110.00", claim_number=claim.number),
                    b.svc(two, "12.00", claim_number=claim.number),
                ],
            )
        ],
    )
    ingest(practice, remittance)
    counts = (len(entries(claim)), len(rows(EraClaim, practice)), len(rows(Era, practice)))
    again = ingest(practice, remittance).eras[0]
    assert again.duplicate and again.era_id is None
    assert counts == (len(entries(claim)), len(rows(EraClaim, practice)), len(rows(Era, practice)))
    assert AuditEvent.objects.filter(action=AuditAction.ERA_DUPLICATE).exists()


def test_partial_denial_creates_line_denial_with_category_and_deadline(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    payment = b.paid_claim(
        claim,
        [
            b.svc(one, "110.00", claim_number=claim.number),
            b.svc(two, "0.00", ("CO", "197", "12.00"), rarcs=("N54",), claim_number=claim.number),
        ],
    )
    era = ingest(practice, b.remittance(practice, payer, [payment])).eras[0]
    assert era.denials == 1
    denial = rows(Denial, practice)[0]
    assert (denial.claim_line_id, denial.carc, denial.group_code, denial.amount) == (
        two.pk,
        "197",
        "CO",
        D("12.00"),
    )
    assert denial.category == DenialCategory.AUTHORIZATION and denial.rarcs == ["N54"]
    assert denial.appeal_deadline == b.PAY_DATE + timedelta(days=payer.appeal_limit_days)
    assert fresh(claim).state == ClaimState.PARTIALLY_PAID
    assert entries(claim)[-1][2:5] == (EntryKind.ADJUSTMENT, D("-12.00"), D("0.00"))


def test_denied_claim_with_claim_level_reason_only(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    payment = b.paid_claim(claim, [], status="4", claim_adjustments=(("CO", "29", "122.00"),))
    era = ingest(practice, b.remittance(practice, payer, [payment])).eras[0]
    assert (era.posted, era.denials) == (1, 1)
    denial = rows(Denial, practice)[0]
    assert denial.claim_line_id is None and denial.category == DenialCategory.TIMELY_FILING
    assert denial.amount == D("122.00")
    assert fresh(claim).state == ClaimState.DENIED
    # The claim-level amount is spread over the lines in order, up to each line's balance.
    assert [e[2:5] for e in entries(claim) if e[2] != EntryKind.CHARGE] == [
        (EntryKind.ADJUSTMENT, D("-110.00"), D("0.00")),
        (EntryKind.ADJUSTMENT, D("-12.00"), D("0.00")),
    ]


@pytest.mark.parametrize(
    ("carc", "category"),
    [
        ("27", DenialCategory.ELIGIBILITY),
        ("16", DenialCategory.MISSING_INFORMATION),
        ("50", DenialCategory.MEDICAL_NECESSITY),
        ("18", DenialCategory.DUPLICATE),
        ("97", DenialCategory.BUNDLING),
        ("22", DenialCategory.COORDINATION_OF_BENEFITS),
        ("181", DenialCategory.CODING),
        ("999", DenialCategory.OTHER),
    ],
)
def test_denial_categories(carc, category):
    from bureau.denials.categories import category_for, is_denial_reason

    assert category_for(carc) == category
    assert is_denial_reason("CO", carc)
    assert not is_denial_reason("CO", "45") and not is_denial_reason("PR", "1")


def test_denial_hold_still_creates_denials(setup):
    practice, payer = setup
    b.configure(practice, "era.autopost_denials", False)
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    payment = b.paid_claim(
        claim,
        [
            b.svc(one, "0", ("CO", "50", "110.00"), claim_number=claim.number),
            b.svc(two, "0", ("CO", "50", "12.00"), claim_number=claim.number),
        ],
        status="4",
    )
    era = ingest(practice, b.remittance(practice, payer, [payment])).eras[0]
    assert (era.posted, era.exceptions, era.denials) == (0, 1, 2)
    exc = rows(EraException, practice)[0]
    assert exc.reason == ExceptionReason.POLICY_HOLD and "denied" in exc.detail
    # The payer's decision shows at once; only the zero-pay adjustments wait for a poster.
    assert fresh(claim).state == ClaimState.DENIED
    assert len(entries(claim)) == 2  # the charges only


def test_reversal_then_correction(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    first = b.paid_claim(
        claim,
        [
            b.svc(one, "0", ("CO", "16", "110.00"), claim_number=claim.number),
            b.svc(two, "12.00", claim_number=claim.number),
        ],
    )
    ingest(practice, b.remittance(practice, payer, [first]))
    assert fresh(claim).state == ClaimState.PARTIALLY_PAID
    assert rows(Denial, practice)[0].status == DenialStatus.OPEN
    corrected = b.paid_claim(
        claim,
        [
            b.svc(one, "100.00", ("CO", "45", "10.00"), claim_number=claim.number),
            b.svc(two, "12.00", claim_number=claim.number),
        ],
    )
    era = ingest(practice, b.remittance(practice, payer, [b.reversal_of(first), corrected])).eras[0]
    assert (era.posted, era.exceptions) == (2, 0)
    [denial] = rows(Denial, practice)
    assert denial.status == DenialStatus.REVERSED
    closed = AuditEvent.objects.filter(action=AuditAction.DENIAL_UPDATED).latest("id")
    assert closed.record_ids == [str(denial.public_id)] and closed.detail["status"] == "reversed"
    assert fresh(claim).state == ClaimState.PAID
    line_one = [e for e in entries(claim) if e[0] == 1]
    assert [e[2:5] for e in line_one] == [
        (EntryKind.CHARGE, D("110.00"), D("110.00")),
        (EntryKind.ADJUSTMENT, D("-110.00"), D("0.00")),
        (EntryKind.ADJUSTMENT, D("110.00"), D("110.00")),  # the reversal
        (EntryKind.PAYMENT, D("-100.00"), D("10.00")),
        (EntryKind.ADJUSTMENT, D("-10.00"), D("0.00")),
    ]
    with rls.practice_scope([practice.pk]):
        reversal = scoped(LedgerEntry, practice).get(claim_line=one, sequence=3)
        assert reversal.reverses.sequence == 2
    assert ledger_check() == []


def test_reversal_without_original_is_a_takeback(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    original = b.paid_claim(claim, [b.svc(one, "110.00"), b.svc(two, "12.00")])
    era = ingest(practice, b.remittance(practice, payer, [b.reversal_of(original)])).eras[0]
    assert era.status == EraStatus.EXCEPTION
    exc = rows(EraException, practice)[0]
    assert exc.reason == ExceptionReason.TAKEBACK and exc.amount == D("122.00")


def test_plb_rows_and_payment_amount(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    payment = b.paid_claim(claim, [b.svc(one, "110.00"), b.svc(two, "12.00")])
    remit = b.remittance(practice, payer, [payment], plb=[("WO", "20.00"), ("L6", "-1.50")])
    assert remit.payment_amount == D("103.50")
    ingest(practice, remit)
    plbs = rows(ProviderAdjustmentEntry, practice)
    assert [(p.reason, p.amount, p.effective_date) for p in plbs] == [
        ("WO", D("20.00"), b.PAY_DATE),
        ("L6", D("-1.50"), b.PAY_DATE),
    ]


def test_unmatched_claim_and_line(setup):
    practice, payer = setup
    claim, other = b.submitted_claims(practice, payer, count=2)
    one, two = b.lines_of(claim)
    ghost = b.paid_claim(claim, [b.svc(one, "110.00"), b.svc(two, "12.00")])
    ghost = ghost._replace(patient_control_number="NOPE123")
    o1, o2 = b.lines_of(other)
    wrong_line = b.paid_claim(other, [b.svc(o1, "110.00"), b.svc(o2, "12.00")])
    services = list(wrong_line.services)
    services[1] = type(services[1])(procedure_code="99999", charge=D("12.00"), paid=D("12.00"))
    wrong_line = wrong_line._replace(services=tuple(services))
    era = ingest(practice, b.remittance(practice, payer, [ghost, wrong_line])).eras[0]
    assert (era.posted, era.exceptions, era.status) == (0, 2, EraStatus.EXCEPTION)
    reasons = sorted(e.reason for e in rows(EraException, practice))
    assert reasons == [ExceptionReason.UNMATCHED_CLAIM, ExceptionReason.UNMATCHED_LINE]
    assert len(entries(other)) == 2


def test_balance_mismatch_posts_nothing(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    payment = b.paid_claim(claim, [b.svc(one, "110.00"), b.svc(two, "12.00")])
    era = ingest(practice, b.remittance(practice, payer, [payment], amount=D("999.00"))).eras[0]
    assert (era.posted, era.exceptions, era.status) == (0, 1, EraStatus.EXCEPTION)
    exc = rows(EraException, practice)[0]
    assert exc.reason == ExceptionReason.BALANCE_MISMATCH and "BPR02" in exc.detail
    assert [c.outcome for c in rows(EraClaim, practice)] == ["exception"]
    assert len(entries(claim)) == 2


def test_overpayment_takeback_and_policy_hold(setup):
    practice, payer = setup
    over, back, held = b.submitted_claims(practice, payer, count=3)
    o1, o2 = b.lines_of(over)
    ContractRate.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        payer=payer,
        code="99213",
        allowed_amount=D("90.00"),
    )
    b.configure(practice, "era.autopost_tolerance", "5.00")
    overpaid = b.paid_claim(over, [b.svc(o1, "100.00", ("CO", "45", "10.00")), b.svc(o2, "12.00")])
    t1, t2 = b.lines_of(back)
    negative = b.paid_claim(back, [b.svc(t1, "-20.00", ("CO", "45", "130.00")), b.svc(t2, "12.00")])
    ingest(practice, b.remittance(practice, payer, [overpaid, negative]))
    by_claim = {e.claim_id: e for e in rows(EraException, practice)}
    assert by_claim[over.pk].reason == ExceptionReason.OVERPAYMENT
    assert by_claim[over.pk].amount == D("10.00") and "contract 90.00" in by_claim[over.pk].detail
    assert by_claim[back.pk].reason == ExceptionReason.TAKEBACK
    b.configure(practice, "era.autopost_enabled", False)
    h1, h2 = b.lines_of(held)
    ingest(
        practice,
        b.remittance(
            practice,
            payer,
            [b.paid_claim(held, [b.svc(h1, "90.00", ("CO", "45", "20.00")), b.svc(h2, "12.00")])],
        ),
    )
    exc = rows(EraException, practice, claim_id=held.pk)[0]
    assert exc.reason == ExceptionReason.POLICY_HOLD and exc.amount == D("102.00")


def test_underpayment_flag_still_posts(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    ContractRate.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        payer=payer,
        code="99213",
        allowed_amount=D("100.00"),
    )
    b.configure(practice, "era.autopost_tolerance", "1.00")
    payment = b.paid_claim(
        claim,
        [
            b.svc(one, "70.00", ("CO", "45", "30.00"), ("PR", "3", "10.00")),
            b.svc(two, "12.00"),
        ],
    )
    era = ingest(practice, b.remittance(practice, payer, [payment])).eras[0]
    assert (era.posted, era.underpayments) == (1, 1)
    line = rows(EraLine, practice, claim_line=one)[0]
    assert (line.expected, line.underpaid_by) == (D("100.00"), D("20.00"))
    assert rows(EraLine, practice, claim_line=two)[0].underpaid_by is None


def test_payee_unknown_writes_nothing(setup):
    practice, payer = setup
    remit = b.remittance(practice, payer, [], npi="1999999999", amount=D("0"))
    with pytest.raises(PayeeUnknown, match="1999999999"):
        ingest(practice, remit)
    assert rows(Era, practice) == []


def test_payee_from_matched_claims_when_npi_unknown(setup):
    practice, payer = setup
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    payment = b.paid_claim(claim, [b.svc(one, "110.00"), b.svc(two, "12.00")])
    era = ingest(practice, b.remittance(practice, payer, [payment], npi="")).eras[0]
    assert era.practice_code == practice.code and era.posted == 1


def stray(number: str, paid: str) -> ClaimPayment:
    """A paid claim loop under a number that is none of ours."""
    return ClaimPayment(
        patient_control_number=number,
        status="1",
        charge=D(paid),
        paid=D(paid),
        patient_responsibility=D("0"),
        payer_claim_number="PCNX",
    )


def test_payee_from_a_providers_individual_npi_when_no_claim_matched(setup):
    practice, payer = setup
    provider = Provider.objects.filter(practice=practice).order_by("id").first()
    assert provider is not None and provider.npi != practice.npi
    era = ingest(
        practice, b.remittance(practice, payer, [stray("NOTOURS-1", "40.00")], npi=provider.npi)
    ).eras[0]
    assert era.practice_code == practice.code and era.exceptions == 1
    # The same NPI shared by providers of two practices proves nothing: refused, nothing kept.
    other = b.summit()[1]
    Provider.objects.filter(pk=Provider.objects.filter(practice=other).order_by("id")[0].pk).update(
        npi=provider.npi
    )
    again = b.remittance(practice, payer, [stray("NOTOURS-2", "5.00")], npi=provider.npi)
    with pytest.raises(PayeeUnknown, match="no practice you may post payments for"):
        ingest(practice, again)


def test_charge_posted_first_for_claims_submitted_before_the_ledger(setup):
    practice, payer = setup
    from bureau.claims.tests import factories

    with rls.practice_scope([practice.pk]):
        patient = factories.patient(practice)
        claim = factories.claim(
            practice, factories.coverage(patient, payer), state=ClaimState.SUBMITTED
        )
    one, two = b.lines_of(claim)
    ingest(
        practice,
        b.remittance(
            practice, payer, [b.paid_claim(claim, [b.svc(one, "110.00"), b.svc(two, "12.00")])]
        ),
    )
    assert [e[1:3] for e in entries(claim)] == [
        (1, EntryKind.CHARGE),
        (2, EntryKind.PAYMENT),
        (1, EntryKind.CHARGE),
        (2, EntryKind.PAYMENT),
    ]


def test_progress_is_reported(setup):
    practice, payer = setup
    claims = b.submitted_claims(practice, payer, count=3)
    payments = []
    for claim in claims:
        one, two = b.lines_of(claim)
        payments.append(b.paid_claim(claim, [b.svc(one, "110.00"), b.svc(two, "12.00")]))
    calls = []
    ingest_remittances(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        remittances=[
            b.remittance(practice, payer, payments[:2]),
            b.remittance(practice, payer, payments[2:]),
        ],
        file_name="p.835",
        progress=lambda done, total, stage: calls.append((done, total)),
    )
    assert calls[-1] == (3, 3) and all(total == 3 for _, total in calls)


def test_a_takeback_posted_from_the_queue_reverses_the_earlier_denial(setup):
    """The original was held (auto-posting off) when the payer's reversal arrived, so the
    reversal waited as a takeback; once the original is posted, posting the takeback reverses
    it — and closes the denial it carried, as automatic posting would."""
    practice, payer = setup
    b.configure(practice, "era.autopost_enabled", False)
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    denied = b.paid_claim(
        claim,
        [
            b.svc(one, "0", ("CO", "50", "110.00"), claim_number=claim.number),
            b.svc(two, "0", ("CO", "50", "12.00"), claim_number=claim.number),
        ],
        status="4",
    )
    ingest(practice, b.remittance(practice, payer, [denied]))
    ingest(practice, b.remittance(practice, payer, [b.reversal_of(denied)]))
    held, takeback = rows(EraException, practice)
    assert (held.reason, takeback.reason) == (ExceptionReason.POLICY_HOLD, ExceptionReason.TAKEBACK)
    assert {d.status for d in rows(Denial, practice)} == {DenialStatus.OPEN}
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    era_exception_resolve(actor=owner, exception=held, action="post", note="reviewed")
    era_exception_resolve(actor=owner, exception=takeback, action="post", note="reviewed")
    denials = rows(Denial, practice)
    assert {d.status for d in denials} == {DenialStatus.REVERSED}
    closed = AuditEvent.objects.filter(action=AuditAction.DENIAL_UPDATED).latest("id")
    assert sorted(closed.record_ids) == sorted(str(d.public_id) for d in denials)
    assert closed.user.username == "olivia.owner"
    assert fresh(claim).state == ClaimState.ACCEPTED
    assert ledger_check() == []
