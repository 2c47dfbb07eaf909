"""Each claim's adjudication row (when the payer first answered it, and first paid it) follows
its 835 loops: written by the poster and the manual match in their transaction, earlier dates
winning, `bureau era check` naming a row that does not, `bureau era rebuild-adjudications`
mending it."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.management import call_command
from django.db.models import Min, Q

from bureau.claims.models import Claim
from bureau.remittance import adjudications
from bureau.remittance.models import ClaimAdjudication, EraClaim
from bureau.remittance.services import ingest_remittances
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.models import Practice, Workspace

from .test_manual_match import mistyped, open_exceptions, owner  # noqa: F401 (a fixture)

pytestmark = pytest.mark.django_db


def _row(claim: Claim) -> tuple[date, date | None] | None:
    with rls.practice_scope([claim.practice_id]):
        row = (
            ClaimAdjudication.objects.for_system([claim.practice_id], reason="test")
            .filter(claim_id=claim.pk)
            .values_list("first_adjudicated", "first_paid")
            .first()
        )
    return row


def _ingest(practice: Practice, day: date, *loops: object) -> None:
    payer = b.payer_of(practice)
    remittance = b.changed(b.remittance(practice, payer, list(loops)), payment_date=day)  # type: ignore[arg-type]
    ingest_remittances(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        remittances=[remittance],
        file_name=f"adj-{day}.835",
    )


@pytest.fixture
def answered() -> tuple[Practice, list[Claim]]:
    """Four submitted claims: the first denied on 3/12, then paid on 3/20; the second paid on
    3/5; the third denied on 3/8; the fourth not answered."""
    practice = b.summit()[0]
    b.autopost(practice)
    claims = b.submitted_claims(practice, b.payer_of(practice), count=4)
    first, second, third, _ = claims

    def denial(claim: Claim) -> object:
        return b.paid_claim(
            claim, [b.svc(b.lines_of(claim)[0], "0.00", ("CO", "50", "110.00"))], status="4"
        )

    def payment(claim: Claim) -> object:
        return b.paid_claim(claim, [b.svc(b.lines_of(claim)[0], "90.00", ("CO", "45", "20.00"))])

    _ingest(practice, date(2026, 3, 12), denial(first))
    _ingest(practice, date(2026, 3, 5), payment(second))
    _ingest(practice, date(2026, 3, 8), denial(third))
    _ingest(practice, date(2026, 3, 20), payment(first))
    return practice, claims


def test_the_rows_are_what_the_loops_say(answered):
    practice, (first, second, third, fourth) = answered
    assert _row(first) == (date(2026, 3, 12), date(2026, 3, 20))
    assert _row(second) == (date(2026, 3, 5), date(2026, 3, 5))
    assert _row(third) == (date(2026, 3, 8), None)  # denied, never paid
    assert _row(fourth) is None  # submitted, not answered
    ids = [practice.pk]
    with rls.practice_scope(ids):
        loops = EraClaim.objects.for_system(ids, reason="test").filter(claim__isnull=False)
        want = {
            r["claim_id"]: (r["first"], r["paid"])
            for r in loops.values("claim_id").annotate(
                first=Min("era__payment_date"),
                paid=Min("era__payment_date", filter=Q(paid__gt=0)),
            )
        }
        held = {
            claim: (first, paid)
            for claim, first, paid in ClaimAdjudication.objects.for_system(
                ids, reason="test"
            ).values_list("claim_id", "first_adjudicated", "first_paid")
        }
    assert held == want
    assert adjudications.drift(ids) == []


def test_a_later_835_dated_earlier_moves_the_first_dates_back(answered):
    practice, (first, *_) = answered
    again = b.paid_claim(
        first, [b.svc(b.lines_of(first)[0], "0.00", ("CO", "50", "110.00"))], status="4"
    )
    _ingest(practice, date(2026, 3, 2), again)  # received late, dated before the others
    assert _row(first) == (date(2026, 3, 2), date(2026, 3, 20))
    assert adjudications.drift([practice.pk]) == []


def test_a_loop_matched_by_hand_dates_its_claim(mistyped):  # noqa: F811 (the fixture)
    practice, paid, _ = mistyped
    assert _row(paid) is None  # the payer's typo: the loop reached no claim
    exc = open_exceptions(practice)["X" + paid.number]
    from bureau.remittance.manual_match import era_exception_match

    era_exception_match(actor=owner(), exception=exc, claim_number=paid.number, note="typo")
    era_date = exc.era.payment_date
    assert _row(paid) == (era_date, era_date)
    assert adjudications.drift([practice.pk]) == []


def test_a_loop_moved_to_another_claim_is_recomputed_on_both(answered):
    practice, (first, second, third, fourth) = answered
    ids = [practice.pk]
    with rls.practice_scope(ids):
        loop = EraClaim.objects.for_system(ids, reason="test").get(claim_id=third.pk)
        EraClaim.objects.for_system(ids, reason="test").filter(pk=loop.pk).update(
            claim_id=fourth.pk
        )
        assert adjudications.drift(ids) != []
        adjudications.note([fourth.pk], moved_from=[third.pk])
        assert adjudications.drift(ids) == []
    assert _row(third) is None  # no loop left: no row
    assert _row(fourth) == (date(2026, 3, 8), None)


def test_check_names_a_row_that_drifted_and_rebuild_mends_it(answered):
    ids = [answered[0].pk]
    with rls.practice_scope(ids):
        row = ClaimAdjudication.objects.for_system(ids, reason="test").order_by("pk").first()
        ClaimAdjudication.objects.for_system(ids, reason="test").filter(pk=row.pk).update(
            first_adjudicated=date(2001, 1, 1)
        )
        ClaimAdjudication.objects.for_system(ids, reason="test").exclude(pk=row.pk).order_by("pk")[
            :1
        ].get().delete()
        number = row.claim.number
    out = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("era", "check", stdout=out)
    assert exit_.value.code == 1
    shown = out.getvalue()
    assert f"claim {number}: adjudication row (first 835, first paid) (2001-01-01" in shown
    assert "has 835 loops but no adjudication row" in shown
    out = io.StringIO()
    call_command("era", "rebuild-adjudications", stdout=out)
    assert "adjudication dates rebuilt" in out.getvalue()
    out = io.StringIO()
    call_command("era", "check", stdout=out)
    assert "ERAs ok" in out.getvalue()
