"""Working the queue: take next, claim, assign, release, pend, attempts and done. Each refused
change says why and writes nothing; each change writes the item's history and an audit event."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from bureau import clock
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import Claim
from bureau.conftest import verified_client
from bureau.directory.models import Enrollment
from bureau.workqueues import services
from bureau.workqueues.functions import Function
from bureau.workqueues.models import Attempt, EventKind, ItemStatus, WorkItem
from bureau.workqueues.selectors import QueueFilters
from bureau.workqueues.services import AttemptData, QueueError
from bureau.workqueues.sla import local_date
from bureau.workqueues.tests import helpers as h

pytestmark = pytest.mark.django_db
F = Function
BILLER_WORK = (F.REJECTIONS, F.FOLLOWUP)

get = h.stored
history = h.event_kinds


@pytest.fixture
def summit():
    """Follow-up items in every practice; bella works the first four, casey the 2nd to 4th."""
    h.followup_items()
    return h.summit()


def audited(action, item):
    rows = AuditEvent.objects.filter(action=action, practice_id=item.practice_id)
    return sum(str(item.public_id) in ids for ids in rows.values_list("record_ids", flat=True))


def free_items(practices, functions=BILLER_WORK):
    now = timezone.now()
    return [
        i
        for i in h.live([p.pk for p in practices], function__in=functions)
        if i.status == ItemStatus.OPEN or (i.claimed_until and i.claimed_until < now)
    ]


# -- take next and claim -------------------------------------------------------------------------


def test_take_next_takes_the_highest_priority_free_item_in_my_scope(summit):
    bella = h.actor("bella.biller")
    expected = free_items(summit[:4])
    assert len(expected) >= 3 and free_items(summit[4:]), "items inside and outside her scope"
    first = services.take_next(actor=bella)
    assert first is not None and first.pk == expected[0].pk
    taken = get(first)
    assert taken.status == ItemStatus.CLAIMED and taken.assignee_id == bella.user.pk
    minutes = (taken.claimed_until - clock.now()).total_seconds() / 60
    assert 100 < minutes <= 120  # workqueue.claim_minutes
    assert history(first) == [EventKind.OPENED, EventKind.CLAIMED]
    assert audited(AuditAction.WORKITEM_CLAIMED, first) == 1
    second = services.take_next(actor=bella)
    assert second is not None and second.pk == expected[1].pk
    # Filters narrow what is taken: one practice, an amount nothing reaches.
    top_of_fourth = free_items([summit[3]])[0]
    third = services.take_next(actor=bella, filters=QueueFilters(practice_id=summit[3].pk))
    assert third is not None and third.pk == top_of_fourth.pk
    assert services.take_next(actor=bella, filters=QueueFilters(amount_min=Decimal(10**9))) is None
    # A poster works neither rejections nor follow-up: nothing for her.
    assert services.take_next(actor=h.actor("priya.poster")) is None


def test_an_expired_claim_can_be_taken_by_someone_else(summit):
    bella, casey = h.actor("bella.biller"), h.actor("casey.contractor")
    only = QueueFilters(practice_id=summit[1].pk)
    item = services.take_next(actor=bella, filters=only)
    assert item is not None
    other = services.take_next(actor=casey, filters=only)
    assert other is not None and other.pk != item.pk  # still held: casey gets the next one
    with pytest.raises(QueueError, match="is working this item"):
        services.item_claim(actor=casey, public_id=item.public_id)
    assert get(item).assignee_id == bella.user.pk
    services.items_release(actor=casey, public_ids=[other.public_id])
    h.system(WorkItem, [item.practice_id]).filter(pk=item.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    again = services.take_next(actor=casey, filters=only)
    assert again is not None and again.pk == item.pk
    assert get(item).assignee_id == casey.user.pk


def test_item_claim_refuses_an_item_someone_else_holds(summit):
    bella, casey = h.actor("bella.biller"), h.actor("casey.contractor")
    item = free_items([summit[2]])[0]
    services.item_claim(actor=bella, public_id=item.public_id)
    services.item_claim(actor=bella, public_id=item.public_id)  # her own: renewed
    with pytest.raises(QueueError, match="is working this item"):
        services.item_claim(actor=casey, public_id=item.public_id)
    with pytest.raises(QueueError, match="is working this item"):
        services.items_release(actor=casey, public_ids=[item.public_id])
    assert get(item).assignee_id == bella.user.pk
    assert history(item).count(EventKind.CLAIMED) == 2
    # An item of a function she does not work is missing to her, like a foreign one.
    from django.http import Http404

    with pytest.raises(Http404):
        services.item_claim(actor=h.actor("priya.poster"), public_id=item.public_id)
    with pytest.raises(Http404):
        services.item_claim(actor=bella, public_id=free_items([summit[6]])[0].public_id)


# -- assign and release --------------------------------------------------------------------------


def test_supervisors_assign_and_reassign_only_to_people_who_may_work_the_item(summit):
    sam, bella = h.actor("sam.supervisor"), h.actor("bella.biller")
    casey, priya = h.actor("casey.contractor"), h.actor("priya.poster")
    item = free_items([summit[1]])[0]
    services.items_assign(
        actor=sam, public_ids=[item.public_id], assignee=bella.user.public_id, note="yours"
    )
    assigned = get(item)
    assert assigned.status == ItemStatus.CLAIMED and assigned.assignee_id == bella.user.pk
    assert assigned.claimed_until is None  # an assignment does not expire
    assert audited(AuditAction.WORKITEM_ASSIGNED, item) == 1
    # Bella holds it now; casey cannot take it, and take next skips it.
    with pytest.raises(QueueError):
        services.item_claim(actor=casey, public_id=item.public_id)
    services.items_assign(actor=sam, public_ids=[item.public_id], assignee=casey.user.public_id)
    assert get(item).assignee_id == casey.user.pk
    for person in (priya, h.actor("dan.denials"), h.actor("carla.compliance")):
        with pytest.raises(QueueError, match="cannot work follow-up here"):
            services.items_assign(
                actor=sam, public_ids=[item.public_id], assignee=person.user.public_id
            )
    # Bella does not work practice 7.
    far = free_items([summit[6]])[0]
    with pytest.raises(QueueError, match="cannot work"):
        services.items_assign(actor=sam, public_ids=[far.public_id], assignee=bella.user.public_id)
    assert get(far).assignee_id is None
    assert get(item).assignee_id == casey.user.pk
    services.items_assign(actor=sam, public_ids=[item.public_id], assignee=None)  # to the pool
    back = get(item)
    assert back.status == ItemStatus.OPEN and back.assignee_id is None
    assert history(item)[1:] == [EventKind.ASSIGNED, EventKind.ASSIGNED, EventKind.RELEASED]


def test_a_biller_cannot_assign_to_others(summit):
    bella, casey = h.actor("bella.biller"), h.actor("casey.contractor")
    item = free_items([summit[1]])[0]
    with pytest.raises(QueueError, match="queue.assign"):
        services.items_assign(
            actor=bella, public_ids=[item.public_id], assignee=casey.user.public_id
        )
    assert get(item).assignee_id is None and history(item) == [EventKind.OPENED]
    assert audited(AuditAction.WORKITEM_ASSIGNED, item) == 0


def test_release_by_the_holder_and_by_a_supervisor(summit):
    bella, sam = h.actor("bella.biller"), h.actor("sam.supervisor")
    first, second = free_items([summit[0]])[:2]
    for item in (first, second):
        services.item_claim(actor=bella, public_id=item.public_id)
    services.items_release(actor=bella, public_ids=[first.public_id])
    services.items_release(actor=sam, public_ids=[second.public_id])  # takes it off her
    for item in (first, second):
        released = get(item)
        assert released.status == ItemStatus.OPEN and released.assignee_id is None
        assert history(item)[-1] == EventKind.RELEASED
        assert audited(AuditAction.WORKITEM_RELEASED, item) == 1


# -- pend ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("days", "reason", "message"),
    [
        (-1, "records", "future date"),
        (0, "records", "future date"),
        (367, "records", "at most a year"),
        (7, "   ", "reason is required"),
    ],
    ids=["past", "today", "over-a-year", "no-reason"],
)
def test_pend_validation_writes_nothing(summit, days, reason, message):
    bella = h.actor("bella.biller")
    item = free_items([summit[0]])[0]
    until = local_date(clock.now(), summit[0].timezone) + timedelta(days=days)
    with pytest.raises(QueueError, match=message):
        services.items_pend(actor=bella, public_ids=[item.public_id], until=until, reason=reason)
    assert get(item).status == ItemStatus.OPEN and history(item) == [EventKind.OPENED]
    assert audited(AuditAction.WORKITEM_PENDED, item) == 0


def test_pend_until_a_date_with_a_reason(summit):
    bella = h.actor("bella.biller")
    item = free_items([summit[0]])[0]
    services.item_claim(actor=bella, public_id=item.public_id)
    until = local_date(clock.now(), summit[0].timezone) + timedelta(days=366)
    services.items_pend(
        actor=bella, public_ids=[item.public_id], until=until, reason=" Waiting for records "
    )
    pended = get(item)
    assert (pended.status, pended.pended_until, pended.pend_reason) == (
        ItemStatus.PENDED,
        until,
        "Waiting for records",
    )
    assert history(item)[-1] == EventKind.PENDED
    assert audited(AuditAction.WORKITEM_PENDED, item) == 1
    assert services.take_next(actor=bella, filters=QueueFilters(practice_id=summit[0].pk)) != item


# -- attempts ------------------------------------------------------------------------------------

GOOD = AttemptData(channel="phone", outcome="P1", minutes=12, reference="REF-1")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"channel": "pigeon"}, "how you reached the payer"),
        ({"outcome": "Z9"}, "outcome from the list"),
        ({"minutes": 0}, "between 1 and 480"),
        ({"minutes": 481}, "between 1 and 480"),
        ({"reference": "R" * 61}, "at most 60"),
        ({"representative": "x" * 81}, "at most 80"),
        ({"note": "n" * 1001}, "at most 1,000"),
        ({"next_action_on": "far"}, "between today and a year"),
        ({"next_action_on": "past"}, "between today and a year"),
    ],
)
def test_attempt_validation_writes_nothing(summit, changes, message):
    bella = h.actor("bella.biller")
    item = free_items([summit[0]])[0]
    today = local_date(clock.now(), summit[0].timezone)
    dates = {"far": today + timedelta(days=400), "past": today - timedelta(days=1)}
    if "next_action_on" in changes:
        changes = {"next_action_on": dates[changes["next_action_on"]]}
    data = AttemptData(**{**GOOD.__dict__, **changes})
    with pytest.raises(QueueError, match=message):
        services.attempt_record(actor=bella, public_id=item.public_id, data=data)
    assert not h.system(Attempt, [item.practice_id]).filter(item_id=item.pk).exists()
    assert history(item) == [EventKind.OPENED]
    assert audited(AuditAction.WORKITEM_ATTEMPT, item) == 0


def test_an_attempt_is_data_history_and_audit(summit):
    bella = h.actor("bella.biller")
    item = free_items([summit[0]])[0]
    next_on = clock.now().date() + timedelta(days=14)
    data = AttemptData(
        channel="portal",
        outcome="P2",
        minutes=480,
        representative="Rita",
        reference=" CALL-77 ",
        next_action_on=next_on,
        note="Payer review",
    )
    services.attempt_record(actor=bella, public_id=item.public_id, data=data)
    [attempt] = h.system(Attempt, [item.practice_id]).filter(item_id=item.pk)
    assert (attempt.channel, attempt.outcome, attempt.minutes, attempt.reference) == (
        "portal",
        "P2",
        480,
        "CALL-77",
    )
    assert get(item).next_action_on == next_on
    assert history(item)[-1] == EventKind.ATTEMPT
    assert audited(AuditAction.WORKITEM_ATTEMPT, item) == 1


@pytest.mark.parametrize(
    ("minutes", "message"),
    [
        ("٣", "Minutes spent must be a whole number."),
        ("²", "Minutes spent must be a whole number."),
        ("0", "Minutes spent must be between 1 and 480."),
        ("481", "Minutes spent must be between 1 and 480."),
    ],
)
def test_attempt_minutes_through_the_view(summit, minutes, message):
    item = free_items([summit[0]])[0]
    client = verified_client("bella.biller")
    response = client.post(
        f"/queue/{item.public_id}/attempt/",
        {"channel": "phone", "outcome": "P1", "minutes": minutes, "reference": "R1"},
        follow=True,
    )
    assert response.status_code == 200
    assert message in [str(m) for m in response.context["messages"]]
    assert not h.system(Attempt, [item.practice_id]).filter(item_id=item.pk).exists()
    ok = client.post(
        f"/queue/{item.public_id}/attempt/",
        {"channel": "phone", "outcome": "P1", "minutes": "15", "next_action_on": "2O26-01-01"},
        follow=True,
    )
    assert "The next action date must be a date (YYYY-MM-DD)." in [
        str(m) for m in ok.context["messages"]
    ]
    assert not h.system(Attempt, [item.practice_id]).filter(item_id=item.pk).exists()


# -- done ----------------------------------------------------------------------------------------


def test_done_only_for_the_functions_no_record_state_closes(summit):
    olivia = h.actor("olivia.owner")
    followup = free_items([summit[0]])[0]
    with pytest.raises(QueueError, match="closes by itself"):
        services.item_done(actor=olivia, public_id=followup.public_id, note="done")
    assert get(followup).status == ItemStatus.OPEN
    # A setup gap: a payer billed with no enrollment on file.
    claim = h.system(Claim, [summit[0].pk]).filter(pk=followup.claim_id).get()
    provider_id = claim.encounter.rendering_provider_id
    Enrollment.objects.filter(provider_id=provider_id, payer_id=claim.payer_id).delete()
    h.sync(summit[0], claim_ids=[claim.pk])
    [gap] = h.live([summit[0].pk], function=F.SETUP_GAPS, provider_id=provider_id)
    with pytest.raises(QueueError, match="note is required"):
        services.item_done(actor=olivia, public_id=gap.public_id, note="  ")
    with pytest.raises(QueueError, match="Recovered must be between"):
        services.item_done(
            actor=olivia, public_id=gap.public_id, note="x", recovered=gap.amount + 1
        )
    assert get(gap).status == ItemStatus.OPEN and history(gap) == [EventKind.OPENED]
    services.item_done(actor=olivia, public_id=gap.public_id, note="Enrollment filed")
    done = get(gap)
    assert done.status == ItemStatus.DONE and done.closed_by_person
    assert done.resolved_by_id == olivia.user.pk and done.resolution == "Enrollment filed"
    assert history(gap)[-1] == EventKind.DONE
    assert audited(AuditAction.WORKITEM_DONE, gap) == 1
    with pytest.raises(QueueError, match="done item cannot be changed"):
        services.item_done(actor=olivia, public_id=gap.public_id, note="again")
    with pytest.raises(QueueError, match="This item is done"):
        services.item_claim(actor=olivia, public_id=gap.public_id)


def test_pend_until_tomorrow_in_the_practices_own_day(summit, monkeypatch):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    practice = summit[0]
    assert practice.timezone == "America/Chicago"
    # 21:00 on June 9 in Chicago is 02:00 on June 10 in UTC.
    evening = datetime(2026, 6, 9, 21, 0, tzinfo=ZoneInfo(practice.timezone))
    monkeypatch.setattr(clock, "now", lambda: evening.astimezone(ZoneInfo("UTC")))
    item = free_items([practice])[0]
    tomorrow = evening.date() + timedelta(days=1)
    services.items_pend(
        actor=h.actor("bella.biller"), public_ids=[item.public_id], until=tomorrow, reason="x"
    )
    assert get(item).pended_until == tomorrow
    # It ends at midnight in Chicago (05:00 UTC), not at midnight UTC.
    assert get(item).resumes_at == datetime(2026, 6, 10, 0, 0, tzinfo=ZoneInfo(practice.timezone))
    assert get(item).resumes_at == datetime(2026, 6, 10, 5, 0, tzinfo=ZoneInfo("UTC"))
