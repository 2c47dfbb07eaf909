"""The ledger: charges at submission (once), the check, resolution of exceptions, properties."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import ClaimState
from bureau.conftest import ON_POSTGRES
from bureau.directory.models import ContractRate
from bureau.ledger.check import ledger_check
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.ledger.selectors import ledger_for_claim
from bureau.ledger.services import post_charges
from bureau.remittance.models import EraException, EraStatus, ExceptionStatus
from bureau.remittance.services import ResolutionError, era_exception_resolve, ingest_remittances
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db
D = Decimal


def _ledger(practice, claim):
    with rls.practice_scope([practice.pk]):
        return list(
            LedgerEntry.objects.for_system([practice.pk], reason="t")
            .filter(claim=claim)
            .order_by("claim_line_id", "sequence")
        )


def test_post_charges_is_idempotent():
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    claim = b.submitted_claims(practice, payer)[0]
    assert post_charges(claims=[claim], effective_date=date(2026, 2, 2)) == 0
    rows = _ledger(practice, claim)
    assert [(e.sequence, e.kind, e.amount, e.balance_after) for e in rows] == [
        (1, EntryKind.CHARGE, D("110.00"), D("110.00")),
        (1, EntryKind.CHARGE, D("12.00"), D("12.00")),
    ]
    assert AuditEvent.objects.filter(action=AuditAction.LEDGER_CHARGES_POSTED).exists()


def test_batch_build_posts_charges(settings, tmp_path):
    from bureau.claims.batches import batch_build
    from bureau.claims.tests import factories

    settings.BUREAU_OUTBOX_DIR = str(tmp_path)
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    with rls.practice_scope([practice.pk]):
        claim = factories.claim(practice, factories.coverage(factories.patient(practice), payer))
    batch_build(actor=None, practice_ids=[practice.pk])
    assert [e.kind for e in _ledger(practice, claim)] == [EntryKind.CHARGE, EntryKind.CHARGE]


def test_ledger_check_finds_each_kind_of_break():
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    assert ledger_check() == []
    common = {
        "workspace_id": practice.workspace_id,
        "practice": practice,
        "claim": claim,
        "effective_date": b.PAY_DATE,
    }
    with rls.practice_scope([practice.pk]):
        LedgerEntry.objects.create(
            claim_line=one,
            sequence=3,
            kind=EntryKind.PAYMENT,
            amount=D("-10"),
            balance_after=D("100"),
            **common,
        )
        LedgerEntry.objects.create(
            claim_line=two,
            sequence=2,
            kind=EntryKind.PAYMENT,
            amount=D("5"),
            balance_after=D("17"),
            **common,
        )
    problems = {(p.line_number, p.problem) for p in ledger_check()}
    assert (1, "sequence 3 where 2 was expected") in problems
    assert (2, "entry 2: payment of 5.00") in problems


def test_ledger_check_finds_an_entry_filed_under_another_claim():
    """Entries copy claim, practice and workspace from their line without a key check, so the
    check proves they agree."""
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    first, second = b.submitted_claims(practice, payer, count=2)
    line = b.lines_of(first)[0]
    assert ledger_check() == []
    with rls.practice_scope([practice.pk]):
        LedgerEntry.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            claim=second,
            claim_line=line,
            sequence=2,
            kind=EntryKind.PAYMENT,
            amount=D("-10"),
            balance_after=line.charge - 10,
            effective_date=b.PAY_DATE,
        )
    problems = [p for p in ledger_check() if p.claim_number == first.number]
    assert len(problems) == 1 and problems[0].line_number == 1
    assert f"belongs to claim/practice/workspace {second.pk}/" in problems[0].problem


def test_ledger_for_claim_is_scoped():
    poster = resolve_actor(User.objects.get(username="priya.poster"))
    assert poster is not None
    mine = poster.practices(Capability.PAYMENTS_POST)[0]
    other = next(p for p in b.summit() if p.pk not in poster.practice_ids())
    claim = b.submitted_claims(mine, b.payer_of(mine))[0]
    theirs = b.submitted_claims(other, b.payer_of(other))[0]
    with transaction.atomic():
        assert [e.kind for e in ledger_for_claim(actor=poster, claim=claim)] == ["charge"] * 2
        assert ledger_for_claim(actor=poster, claim=theirs) == []


def _hold(practice, payer):
    ContractRate.objects.filter(practice=practice).delete()
    b.configure(practice, "era.autopost_enabled", False)
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    payment = b.paid_claim(
        claim, [b.svc(one, "100.00", ("CO", "45", "10.00")), b.svc(two, "12.00")]
    )
    ingest_remittances(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        remittances=[b.remittance(practice, payer, [payment])],
        file_name="x",
    )
    with rls.practice_scope([practice.pk]):
        exc = EraException.objects.for_system([practice.pk], reason="t").get(claim=claim)
    return claim, exc


def test_resolve_post_and_dismiss():
    poster = resolve_actor(User.objects.get(username="priya.poster"))
    assert poster is not None
    practice = poster.practices(Capability.PAYMENTS_POST)[0]
    payer = b.payer_of(practice)
    claim, exc = _hold(practice, payer)
    with pytest.raises(ResolutionError, match="note"):
        era_exception_resolve(actor=poster, exception=exc, action="post", note=" ")
    era_exception_resolve(actor=poster, exception=exc, action="post", note="checked the EOB")
    kinds = [(e.kind, e.amount) for e in _ledger(practice, claim)]
    assert (EntryKind.PAYMENT, D("-100.00")) in kinds and (
        EntryKind.ADJUSTMENT,
        D("-10.00"),
    ) in kinds
    with rls.practice_scope([practice.pk]):
        exc.refresh_from_db()
        era = exc.era
        from bureau.claims.models import Claim

        state = Claim.objects.for_system([practice.pk], reason="t").get(pk=claim.pk).state
    assert exc.status == ExceptionStatus.POSTED and state == ClaimState.PAID
    assert (era.posted_count, era.exception_count, era.status) == (1, 0, EraStatus.POSTED)
    assert ledger_check() == []
    with pytest.raises(ResolutionError, match="already"):
        era_exception_resolve(actor=poster, exception=exc, action="dismiss", note="again")
    claim2, exc2 = _hold(practice, payer)
    era_exception_resolve(actor=poster, exception=exc2, action="dismiss", note="paper check")
    assert len(_ledger(practice, claim2)) == 2
    assert AuditEvent.objects.filter(action=AuditAction.ERA_EXCEPTION_RESOLVED).count() == 2


@pytest.mark.skipif(not ON_POSTGRES, reason="the append-only trigger is PostgreSQL's")
def test_trigger_refuses_update_and_delete():
    practice = b.summit()[0]
    claim = b.submitted_claims(practice, b.payer_of(practice))[0]
    entry = _ledger(practice, claim)[0]
    for sql in (
        "UPDATE remittance_ledgerentry SET amount = 0 WHERE id = %s",
        "DELETE FROM remittance_ledgerentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"):
            with transaction.atomic(), connection.cursor() as cursor:
                rls.activate([practice.pk])
                cursor.execute(sql, [entry.pk])


# -- property: random balanced remittances keep every line balanced ---------------------------
money = st.integers(min_value=0, max_value=20_000).map(lambda c: D(c) / 100)


@st.composite
def line_outcome(draw, charge: Decimal):
    paid = draw(st.integers(0, int(charge * 100)).map(lambda c: D(c) / 100))
    rest = charge - paid
    pr = draw(st.integers(0, int(rest * 100)).map(lambda c: D(c) / 100))
    group, carc = draw(st.sampled_from([("CO", "45"), ("OA", "23"), ("CO", "50"), ("PI", "97")]))
    prc = draw(st.sampled_from(["1", "2", "3"]))
    adjustments = [a for a in [(group, carc, str(rest - pr)), ("PR", prc, str(pr))] if D(a[2])]
    return str(paid), adjustments


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_balanced_remittances_keep_the_ledger_clean(data):
    practice = b.summit()[1]
    payer = b.payer_of(practice)
    ContractRate.objects.filter(practice=practice).delete()
    b.autopost(practice)
    n = data.draw(st.integers(1, 3))
    codes = tuple(
        (code, str(data.draw(money.filter(lambda m: m > 0))))
        for code in data.draw(
            st.lists(
                st.sampled_from(["99213", "36415", "81002", "99214"]),
                min_size=1,
                max_size=3,
                unique=True,
            )
        )
    )
    claims = b.submitted_claims(practice, payer, count=n, codes=codes)
    payments = []
    expected = {}
    for claim in claims:
        services = []
        for line in b.lines_of(claim):
            paid, adjustments = data.draw(line_outcome(line.charge))
            services.append(b.svc(line, paid, *adjustments, claim_number=claim.number))
            expected[line.pk] = line.charge - D(paid) - sum((D(a[2]) for a in adjustments), D(0))
        payments.append(b.paid_claim(claim, services))
    ingest_remittances(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        remittances=[b.remittance(practice, payer, payments)],
        file_name="p",
    )
    assert ledger_check(workspace=Workspace.objects.get(pk=practice.workspace_id)) == []
    for claim in claims:
        last = {}
        for entry in _ledger(practice, claim):
            last[entry.claim_line_id] = entry.balance_after
        for line_id, balance in last.items():
            assert balance == expected[line_id] == D("0.00")
