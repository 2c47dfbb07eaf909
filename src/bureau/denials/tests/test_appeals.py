"""Appeals (issue 13): levels and their windows from the deadline engine (Medicare and a
commercial payer), late appeals refused unless a supervisor gives a reason, outcomes (by hand
and from a later paying 835), the denial's status following, and input that must not 500."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest
from django.urls import reverse

from bureau import clock
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.denials.appeal_models import Appeal, AppealOutcome
from bureau.denials.appeals import AppealError, appeal_create, appeal_decide, appeal_submit
from bureau.denials.models import Denial, DenialEvent, DenialStatus
from bureau.denials.tests.test_views import actor, denials_of
from bureau.directory.models import Payer, PayerKind
from bureau.remittance.services import ingest_era_text
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import era_text, ingest_scenario
from bureau.tenancy import rls
from bureau.tenancy.models import Practice, Workspace
from bureau.workqueues.sla import local_date

pytestmark = pytest.mark.django_db
PAY = b.PAY_DATE  # the ERA's payment date: the denial's determination


def set_payer(denial: Denial, payer: Payer) -> Denial:
    with rls.practice_scope([denial.practice_id]):
        Denial.objects.for_system([denial.practice_id], reason="test").filter(pk=denial.pk).update(
            payer=payer
        )
    return reload(denial)


def reload(denial: Denial) -> Denial:
    with rls.practice_scope([denial.practice_id]):
        return (
            Denial.objects.for_system([denial.practice_id], reason="test")
            .select_related("claim__encounter", "payer", "era", "practice")
            .get(pk=denial.pk)
        )


def appeals_of(denial: Denial) -> list[Appeal]:
    with rls.practice_scope([denial.practice_id]):
        return list(
            Appeal.objects.for_system([denial.practice_id], reason="test")
            .filter(denial_id=denial.pk)
            .order_by("level")
        )


def decide_upheld(denial: Denial, on: date, who: str = "dan.denials") -> Appeal:
    last = appeals_of(denial)[-1]
    appeal_submit(
        actor=actor(who), appeal=last, submitted_on=str(on), method="fax", reference="R1", today=on
    )
    return appeal_decide(
        actor=actor(who),
        appeal=last,
        outcome=AppealOutcome.UPHELD,
        decided_on=str(on),
        amount="",
        today=on,
    )


def test_commercial_payer_two_levels_each_from_the_last_decision():
    """Bluepeak (commercial, 180-day limit): level 1 is due 180 days after the denial; upheld,
    level 2 is due 180 days after that decision; after level 2 no level is left (ERISA)."""
    s = ingest_scenario(unmatched=False)
    denial = reload(denials_of(s.practice)[0])
    assert s.payer.kind == PayerKind.COMMERCIAL
    dan = actor("dan.denials")
    first = appeal_create(actor=dan, denial=denial, level="1", today=PAY + timedelta(days=10))
    assert (first.level, first.kind) == (1, "appeal")
    assert first.deadline == PAY + timedelta(days=s.payer.appeal_limit_days)
    assert reload(denial).status == DenialStatus.APPEALED
    with pytest.raises(AppealError, match="No appeal level"):  # one is pending
        appeal_create(actor=dan, denial=denial, level="2", today=PAY + timedelta(days=10))
    decided = PAY + timedelta(days=40)
    decide_upheld(denial, decided)
    assert reload(denial).status == DenialStatus.IN_PROGRESS
    second = appeal_create(actor=dan, denial=denial, level="2", today=decided)
    assert second.deadline == decided + timedelta(days=s.payer.appeal_limit_days)
    assert "level 2" in second.deadline_source
    decide_upheld(denial, decided + timedelta(days=5))
    with pytest.raises(AppealError, match="No appeal level"):
        appeal_create(actor=dan, denial=denial, level="3", today=decided + timedelta(days=5))


def test_medicare_five_levels_with_windows_and_amount_in_controversy():
    """Medicare: redetermination 120 days, reconsideration 180, ALJ 60 (needs $200 in
    controversy), Appeals Council 60, federal court 60 (needs $1,960)."""
    s = ingest_scenario(unmatched=False)
    medicare = Payer.objects.get(workspace_id=s.practice.workspace_id, kind=PayerKind.MEDICARE)
    denial = set_payer(denials_of(s.practice)[0], medicare)
    assert denial.amount == D("110.00")
    dan = actor("dan.denials")
    day = PAY + timedelta(days=1)
    expected = [(1, "redetermination", 120), (2, "reconsideration", 180)]
    start = PAY
    for level, kind, days in expected:
        appeal = appeal_create(actor=dan, denial=denial, level=level, today=day)
        assert (appeal.level, appeal.kind, appeal.deadline) == (
            level,
            kind,
            start + timedelta(days=days),
        )
        day = day + timedelta(days=3)
        decide_upheld(denial, day)
        start = day
    with pytest.raises(AppealError, match=r"at least \$200.00 in controversy"):
        appeal_create(actor=dan, denial=denial, level=3, today=day)
    with rls.practice_scope([denial.practice_id]):
        Denial.objects.for_system([denial.practice_id], reason="t").filter(pk=denial.pk).update(
            amount=D("1500.00")
        )
    denial = reload(denial)
    for level, kind in ((3, "alj"), (4, "appeals_council")):
        appeal = appeal_create(actor=dan, denial=denial, level=level, today=day)
        assert (appeal.kind, appeal.deadline) == (kind, start + timedelta(days=60))
        day = day + timedelta(days=3)
        decide_upheld(denial, day)
        start = day
    with pytest.raises(AppealError, match=r"\$1960.00 in controversy"):
        appeal_create(actor=dan, denial=denial, level=5, today=day)


def test_late_appeal_refused_unless_a_supervisor_gives_a_reason():
    s = ingest_scenario(unmatched=False)
    denial = reload(denials_of(s.practice)[0])
    late = denial.appeal_deadline + timedelta(days=1)
    with pytest.raises(AppealError, match="only a supervisor"):
        appeal_create(
            actor=actor("dan.denials"), denial=denial, level=1, today=late, late_reason="please"
        )
    with pytest.raises(AppealError, match="a reason is required"):
        appeal_create(actor=actor("sam.supervisor"), denial=denial, level=1, today=late)
    assert appeals_of(denial) == []
    appeal = appeal_create(
        actor=actor("sam.supervisor"),
        denial=denial,
        level=1,
        today=late,
        late_reason="Payer portal outage, ticket 4411",
    )
    assert appeal.late_reason == "Payer portal outage, ticket 4411"
    assert appeal.late_approved_by is not None
    assert appeal.late_approved_by.username == "sam.supervisor"
    event = AuditEvent.objects.filter(
        action=AuditAction.DENIAL_UPDATED, model="denials.Appeal"
    ).last()
    assert event is not None and event.detail["late_reason"].startswith("Payer portal")


def test_a_later_835_paying_the_claim_records_the_outcome_and_amount():
    """The claim's denial (both lines) appealed once, from its second line's page: one appeal
    of the claim, for both lines' total. A later ERA pays the claim 110 + 5 of the 122 denied:
    partially overturned, 115 recovered, both lines back in progress."""
    s = ingest_scenario(unmatched=False)
    first, second = (reload(d) for d in denials_of(s.practice))
    dan = actor("dan.denials")
    appeal = appeal_create(actor=dan, denial=second, level=1, today=PAY)
    assert appeal.denial_id == first.pk  # the claim's denial, not one line of it
    assert reload(first).status == reload(second).status == DenialStatus.APPEALED
    with pytest.raises(AppealError, match="one is pending"):
        appeal_create(actor=dan, denial=first, level=1, today=PAY)
    appeal_submit(
        actor=dan,
        appeal=appeal,
        submitted_on=str(PAY),
        method="portal",
        reference="WEB-1",
        today=PAY,
    )
    d1, d2 = b.lines_of(s.denied)
    paying = b.paid_claim(
        s.denied,
        [b.svc(d1, "110.00"), b.svc(d2, "5.00", ("CO", "45", "7.00"))],
        payer_claim_number="PCN2",
    )
    ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=s.practice.workspace_id),
        text=era_text(s.practice, s.payer, [paying]),
        file_name="later.835",
    )
    (a1,) = appeals_of(first)
    assert first.amount + second.amount == D("122.00")
    assert (a1.outcome, a1.amount_recovered) == (AppealOutcome.PARTIALLY_OVERTURNED, D("115.00"))
    assert a1.decided_on == PAY
    assert reload(first).status == reload(second).status == DenialStatus.IN_PROGRESS
    with rls.practice_scope([first.practice_id]):
        events = DenialEvent.objects.for_system([first.practice_id], reason="test")
        history = [e.note for e in events.filter(denial=first).order_by("id")]
    assert any("opened for $122.00" in n for n in history), history
    assert any("submitted" in n for n in history), history
    assert any("Payer paid $115.00" in n for n in history), history
    assert AuditEvent.objects.filter(
        action=AuditAction.DENIAL_UPDATED, model="denials.Appeal", detail__outcome="from 835"
    ).exists()


def test_an_835_leaves_appeals_of_unpaid_claims_alone():
    s = ingest_scenario(unmatched=False)
    denial = reload(denials_of(s.practice)[0])
    appeal_create(actor=actor("dan.denials"), denial=denial, level=1, today=PAY)
    ingest_scenario(s.practice, unmatched=False)  # another ERA: pays other claims only
    (appeal,) = appeals_of(denial)
    assert appeal.outcome == "" and appeal.amount_recovered is None


# -- the page ------------------------------------------------------------------------------


def today_of(practice_id: int) -> date:
    """The practice's calendar day (the appeal clocks count its days)."""
    return local_date(clock.now(), Practice.objects.get(pk=practice_id).timezone)


def current(denial: Denial) -> Denial:
    """The denial moved to today, so its deadline is open."""
    today = today_of(denial.practice_id)
    with rls.practice_scope([denial.practice_id]):
        Denial.objects.for_system([denial.practice_id], reason="t").filter(pk=denial.pk).update(
            denied_on=today, appeal_deadline=today + timedelta(days=180)
        )
    return reload(denial)


def test_page_refuses_bad_input_with_a_message_never_a_500():
    s = ingest_scenario(unmatched=False)
    denial = current(denials_of(s.practice)[0])
    client = verified_client("dan.denials")
    detail = reverse("denials:detail", args=[denial.public_id])
    opened = client.post(
        reverse("denials:appeal_create", args=[denial.public_id]), {"level": "1"}, follow=True
    )
    assert opened.status_code == 200 and "Appeal opened." in opened.content.decode()
    (appeal,) = appeals_of(denial)
    write = reverse("denials:appeal_write", args=[appeal.public_id])
    submit = reverse("denials:appeal_submit", args=[appeal.public_id])
    decide = reverse("denials:appeal_decide", args=[appeal.public_id])
    cases = [
        (write, {"rebuttal": "x" * 20_001}, "too long"),
        (submit, {"submitted_on": "9999-12-31", "method": "fax"}, "between"),
        (submit, {"submitted_on": "٢٠٢٦-٠١-٠١", "method": "fax"}, "a date like"),
        (submit, {"submitted_on": "2026-02-30", "method": "fax"}, "a date like"),
        (
            submit,
            {"submitted_on": str(today_of(denial.practice_id)), "method": "pigeon"},
            "how the",
        ),
        (
            decide,
            {"outcome": "overturned", "decided_on": str(today_of(denial.practice_id))},
            "submitted",
        ),
    ]
    for url, data, message in cases:
        response = client.post(url, data, follow=True)
        assert response.status_code == 200, (url, data)
        assert message in response.content.decode(), (url, data)
    today = str(today_of(denial.practice_id))
    ok = client.post(
        submit, {"submitted_on": today, "method": "mail", "reference": "TRK 1"}, follow=True
    )
    assert "Appeal marked submitted." in ok.content.decode()
    for amount, message in (
        ("1e400", "between"),
        ("12,5x", "a number"),
        ("99999999999999", "between"),
        ("١٠", "a number"),
        ("-5", "between"),
        ("NaN", "between"),
        ("500.00", "cannot exceed"),
        ("1.005", "two decimal"),
    ):
        response = client.post(
            decide,
            {"outcome": "partial", "decided_on": today, "amount_recovered": amount},
            follow=True,
        )
        assert response.status_code == 200 and message in response.content.decode(), amount
    done = client.post(
        decide,
        {"outcome": "overturned", "decided_on": today, "amount_recovered": "110.00"},
        follow=True,
    )
    assert "Outcome recorded." in done.content.decode()
    assert reload(denial).status == DenialStatus.RESOLVED
    assert client.get(detail).status_code == 200


def test_appeal_pages_are_404_outside_the_workspace_and_for_readers():
    s = ingest_scenario(unmatched=False)
    denial = current(denials_of(s.practice)[0])
    appeal = appeal_create(actor=actor("dan.denials"), denial=denial, level=1)
    foreign = verified_client("hank.harbor")
    for url in (
        reverse("denials:appeal_letter", args=[appeal.public_id]),
        reverse("denials:appeal_pdf", args=[appeal.public_id]),
    ):
        assert foreign.get(url).status_code == 404
    for url in (
        reverse("denials:appeal_create", args=[denial.public_id]),
        reverse("denials:appeal_write", args=[appeal.public_id]),
        reverse("denials:appeal_submit", args=[appeal.public_id]),
    ):
        assert foreign.post(url, {"rebuttal": "x"}).status_code == 404
        assert verified_client("bella.biller").post(url, {"rebuttal": "x"}).status_code == 404
