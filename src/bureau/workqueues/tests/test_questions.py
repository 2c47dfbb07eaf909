"""Questions to the client practice (issue 14): a biller asks, the item waits on the practice,
the client viewer answers in her portal page, the item returns to whoever asked; both clocks
show; scope, validation and audit like every other write."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse

from bureau import clock
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.workqueues import questions, services
from bureau.workqueues.models import EventKind, ItemStatus, PracticeQuestion, WorkItem
from bureau.workqueues.services import QueueError
from bureau.workqueues.sla import add_business_days, local_date
from bureau.workqueues.tests import helpers as h
from bureau.workqueues.tests.test_services import free_items

pytestmark = pytest.mark.django_db
ASK = "Please send the operative note for 03/02; the payer asks for it."


@pytest.fixture
def summit():
    h.followup_items()
    return h.summit()


def asked(summit, who="bella.biller", practice=0):
    """An item of the practice, taken by `who` and asked about."""
    person = h.actor(who)
    item = free_items([summit[practice]])[0]
    services.item_claim(actor=person, public_id=item.public_id)
    question = questions.ask_practice(actor=person, public_id=item.public_id, question=ASK)
    return item, question


def answer_url(question) -> str:
    return reverse("workqueues:question_answer", args=[question.public_id])


def audited(action, practice_id) -> int:
    return AuditEvent.objects.filter(action=action, practice_id=practice_id).count()


def test_asking_pends_the_item_until_the_day_after_the_practices_due_date(summit):
    item, question = asked(summit)
    today = local_date(clock.now(), summit[0].timezone)
    due = add_business_days(today, 3, frozenset())  # practice_questions.sla_days = 3
    assert question.practice_due == due
    stored = h.stored(item)
    assert stored.status == ItemStatus.PENDED
    assert stored.pended_until == add_business_days(due, 1, frozenset())
    assert stored.pend_reason.startswith("Waiting on the practice: Please send")
    assert stored.assignee.username == "bella.biller"  # the pend keeps its holder
    assert h.event_kinds(item)[-1] == EventKind.ASKED
    assert audited(AuditAction.QUESTION_ASKED, item.practice_id) == 1


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "Write the question"), ("  \x00 ", "Write the question"), ("q" * 1001, "too long")],
)
def test_a_bad_question_is_refused_and_nothing_changes(summit, text, message):
    bella = h.actor("bella.biller")
    item = free_items([summit[0]])[0]
    with pytest.raises(QueueError, match=message):
        questions.ask_practice(actor=bella, public_id=item.public_id, question=text)
    assert h.stored(item).status == ItemStatus.OPEN
    assert audited(AuditAction.QUESTION_ASKED, item.practice_id) == 0


def test_one_open_question_per_item(summit):
    item, _ = asked(summit)
    with pytest.raises(QueueError, match="not answered the question already asked"):
        questions.ask_practice(
            actor=h.actor("bella.biller"), public_id=item.public_id, question="?"
        )


def test_the_client_sees_her_practices_questions_with_both_clocks_and_answers(summit):
    item, question = asked(summit)
    _, elsewhere = asked(summit, practice=1)
    client = verified_client("cliff.client")  # client viewer of the first practice only
    page = client.get(reverse("workqueues:questions"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Please send the operative note" in body
    assert str(question.public_id) in body and str(elsewhere.public_id) not in body
    assert question.practice_due.isoformat() in body  # the practice's clock
    assert h.stored(item).sla_due.isoformat() in body  # the billing company's clock
    assert audited(AuditAction.QUESTION_LISTED, item.practice_id) == 1
    assert audited(AuditAction.QUESTION_LISTED, elsewhere.practice_id) == 0

    response = client.post(answer_url(question), {"answer": "Uploaded to the portal today."})
    assert response.status_code == 302
    back = h.stored(item)
    # Back with the person who asked, assigned to her, no longer pended.
    assert (back.status, back.assignee.username, back.pended_until) == (
        ItemStatus.CLAIMED,
        "bella.biller",
        None,
    )
    assert h.event_kinds(item)[-1] == EventKind.ANSWERED
    assert audited(AuditAction.QUESTION_ANSWERED, item.practice_id) == 1
    # The biller sees the answer on the item's page.
    item_page = verified_client("bella.biller").get(
        reverse("workqueues:item", args=[item.public_id])
    )
    assert "Uploaded to the portal today." in item_page.content.decode()


def test_a_question_elsewhere_answers_like_a_missing_one_and_changes_nothing(summit):
    _, elsewhere = asked(summit, practice=1)
    client = verified_client("cliff.client")
    client.raise_request_exception = False
    foreign = client.post(answer_url(elsewhere), {"answer": "x"})
    missing = client.post(
        reverse("workqueues:question_answer", args=[uuid.uuid4()]), {"answer": "x"}
    )
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    stored = h.system(PracticeQuestion, [elsewhere.practice_id]).get(pk=elsewhere.pk)
    assert stored.answered_at is None


@pytest.mark.parametrize("who", ["bella.biller", "dan.denials", "lina.limited"])
def test_staff_without_the_capability_neither_list_nor_answer(summit, who):
    _, question = asked(summit)
    client = verified_client(who)
    client.raise_request_exception = False
    assert client.get(reverse("workqueues:questions")).status_code == 404
    assert client.post(answer_url(question), {"answer": "x"}).status_code == 404


@pytest.mark.parametrize(("text", "message"), [("", "Write the answer"), ("a" * 2001, "too long")])
def test_a_bad_answer_is_refused_and_the_item_still_waits(summit, text, message):
    item, question = asked(summit)
    with pytest.raises(QueueError, match=message):
        questions.answer_question(
            actor=h.actor("cliff.client"), public_id=question.public_id, answer=text
        )
    assert h.stored(item).status == ItemStatus.PENDED


def test_answering_twice_or_after_the_item_closed_is_refused(summit):
    item, question = asked(summit)
    cliff = h.actor("cliff.client")
    questions.answer_question(actor=cliff, public_id=question.public_id, answer="Sent.")
    with pytest.raises(QueueError, match="answered already"):
        questions.answer_question(actor=cliff, public_id=question.public_id, answer="Again.")
    # A new question, then the item closes (its claim moved on): no answer is needed.
    bella = h.actor("bella.biller")
    second = questions.ask_practice(actor=bella, public_id=item.public_id, question="One more?")
    h.system(WorkItem, [item.practice_id]).filter(pk=item.pk).update(status=ItemStatus.DONE)
    with pytest.raises(QueueError, match="closed this item"):
        questions.answer_question(actor=cliff, public_id=second.public_id, answer="Here.")


def test_an_unanswered_question_returns_the_item_to_the_queue_after_the_practices_due_date(
    summit, monkeypatch
):
    item, question = asked(summit)
    later = clock.now() + timedelta(days=10)
    monkeypatch.setattr(clock, "now", lambda: later)
    assert question.answered_at is None
    assert h.system(WorkItem, [item.practice_id]).filter(services.free(later), pk=item.pk).exists()


@pytest.mark.parametrize("who", ["olivia.owner", "sam.supervisor"])
def test_no_billing_company_role_answers_for_the_practice(summit, who):
    """The owner and the supervisor see the questions (questions.view) but cannot answer for
    the practice and so stop its clock: no form, and the POST is a 404 like a missing one."""
    item, question = asked(summit)
    client = verified_client(who)
    client.raise_request_exception = False
    page = client.get(reverse("workqueues:questions"))
    assert page.status_code == 200 and str(question.public_id) in page.content.decode()
    assert answer_url(question) not in page.content.decode()
    assert client.post(answer_url(question), {"answer": "x"}).status_code == 404
    assert h.stored(item).status == ItemStatus.PENDED


def test_bidi_and_control_characters_are_dropped_line_breaks_kept(summit):
    _, question = asked(summit)
    cliff = h.actor("cliff.client")
    answered = questions.answer_question(
        actor=cliff, public_id=question.public_id, answer="Sent\u202e.fdp\u202c\nPage 2\x07"
    )
    assert answered.answer == "Sent.fdp\nPage 2"


def test_an_answer_leaves_a_later_pend_for_another_reason_alone(summit):
    item, question = asked(summit)
    bella = h.actor("bella.biller")
    until = local_date(clock.now(), summit[0].timezone) + timedelta(days=20)
    services.items_pend(
        actor=bella, public_ids=[item.public_id], until=until, reason="Payer callback"
    )
    questions.answer_question(
        actor=h.actor("cliff.client"), public_id=question.public_id, answer="Sent."
    )
    stored = h.stored(item)
    assert (stored.status, stored.pend_reason) == (ItemStatus.PENDED, "Payer callback")
    assert h.event_kinds(item)[-1] == EventKind.ANSWERED


def test_each_practices_list_event_names_only_its_own_items(summit):
    _, here = asked(summit)
    _, there = asked(summit, practice=1)
    verified_client("alex.manager").get(reverse("workqueues:questions"), {"practice": "all"})
    for q in (here, there):
        (event,) = AuditEvent.objects.filter(
            action=AuditAction.QUESTION_LISTED, practice_id=q.practice_id
        )
        item_id = str(h.system(PracticeQuestion, [q.practice_id]).get(pk=q.pk).item.public_id)
        assert event.record_ids == [item_id] and event.detail == {}


def test_the_owner_still_administers_the_client_viewer_she_cannot_answer_for(summit):
    """Administering a user needs every capability the user holds — but the client's own
    voice (questions.answer) is not a power over anyone: the owner manages Cliff."""
    from bureau.accounts.models import User

    cliff = User.objects.get(username="cliff.client")
    page = verified_client("olivia.owner").get(
        reverse("accounts:user_detail", args=[cliff.public_id])
    )
    assert page.status_code == 200
