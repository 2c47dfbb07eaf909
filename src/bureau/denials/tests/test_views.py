"""Denial pages: the worklist (for those who work denials, the work queue filtered to denials;
for readers, the read-only list: filters, deadlines, practice column, audit), one denial, and
working it (status/assignee with a note, denials.work on its practice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from bureau import clock
from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.denials.models import Denial, DenialCategory, DenialStatus
from bureau.denials.services import DenialUpdateError, denial_update
from bureau.remittance.selectors import carc_description
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import foreign_practice, ingest_scenario
from bureau.tenancy import rls
from bureau.tenancy.actor import CapabilityDenied, resolve_actor
from bureau.tenancy.roles import Capability
from bureau.workqueues.functions import Function
from bureau.workqueues.sla import local_date
from bureau.workqueues.sync import refresh
from bureau.workqueues.tests.pages import item_of, item_url, queue_url, row_naming

pytestmark = pytest.mark.django_db


def denials_of(practice) -> list[Denial]:
    with rls.practice_scope([practice.pk]):
        return list(
            Denial.objects.for_system([practice.pk], reason="test")
            .select_related("claim")
            .order_by("id")
        )


def actor(username: str):
    found = resolve_actor(User.objects.get(username=username))
    assert found is not None
    return found


def test_worklist_shows_denials_of_every_practice_with_carc_text_and_deadline():
    """The denial specialist works denials in the work queue (/denials/ sends her there): a
    row per denied claim of every practice, and the item's page shows the CARC with its
    text, the category and the appeal deadline."""
    s = ingest_scenario(unmatched=False)
    other = ingest_scenario(b.summit()[1], unmatched=False)
    client = verified_client("dan.denials")
    response = client.get(reverse("denials:list"), follow=True)
    assert response.redirect_chain == [(queue_url(Function.DENIALS), 302)]
    body = response.content.decode()
    assert s.denied.number in body and other.denied.number in body
    assert s.practice.name in body and other.practice.name in body
    assert "Denied CO-50 (medical necessity)" in row_naming(body, s.denied.number)
    listed = AuditEvent.objects.filter(
        action=AuditAction.WORKITEM_LISTED, user__username="dan.denials"
    )
    assert {e.practice_id for e in listed} >= {s.practice.pk, other.practice.pk}
    item = item_of(s.practice, Function.DENIALS, claim=s.denied)
    assert item_url(item) in row_naming(body, s.denied.number)
    page = client.get(item_url(item)).content.decode()
    denials = page[page.index('id="item-denials"') :]
    assert "CO-50" in denials and "Medical necessity" in denials
    assert escape(carc_description("50")) in denials
    denial = denials_of(s.practice)[0]
    deadlines = page[page.index('id="item-deadlines"') : page.index('id="item-priority"')]
    assert "Appeal" in deadlines and denial.appeal_deadline.isoformat() in deadlines


def test_worklist_filters_and_highlights_near_deadlines():
    """In the queue: filters by practice, payer, category and deadline; a claim whose nearest
    clock runs out within two weeks is highlighted, one with months left is not."""
    s = ingest_scenario(unmatched=False)
    other = ingest_scenario(b.summit()[1], unmatched=False)
    today = local_date(clock.now(), s.practice.timezone)  # the queue counts the practice's days
    for scenario, denied_on in ((s, today - timedelta(days=85)), (other, today)):
        practice = scenario.practice
        with rls.practice_scope([practice.pk]):
            Denial.objects.for_system([practice.pk], reason="test").filter(
                claim=scenario.denied
            ).update(denied_on=denied_on)
    refresh(workspace=s.practice.workspace)  # the clocks are recomputed from the denials
    near = item_of(s.practice, Function.DENIALS, claim=s.denied)
    far = item_of(other.practice, Function.DENIALS, claim=other.denied)
    assert near.deadline_due == today + timedelta(days=5)
    assert far.deadline_due is not None and far.deadline_due > today + timedelta(days=30)
    client = verified_client("dan.denials")
    url = reverse("denials:list")
    moved = client.get(url, {"practice": str(s.practice.public_id)}, follow=True)
    body = moved.content.decode()
    assert moved.redirect_chain[-1][0].startswith(queue_url(Function.DENIALS))
    assert s.denied.number in body and other.denied.number not in body
    row = row_naming(body, s.denied.number)
    assert "urgent" in row.split(">", 1)[0] and "due in 5 days" in row
    everyone = client.get(queue_url(Function.DENIALS)).content.decode()
    assert "urgent" not in row_naming(everyone, other.denied.number).split(">", 1)[0]
    soon = client.get(queue_url(Function.DENIALS, deadline_days="14")).content.decode()
    assert s.denied.number in soon and other.denied.number not in soon

    def listed(**params: str) -> str:
        return client.get(url, params, follow=True).content.decode()

    assert s.denied.number in listed(category=DenialCategory.MEDICAL_NECESSITY)
    assert s.denied.number not in listed(category=DenialCategory.CODING)
    assert s.denied.number in listed(payer=str(s.payer.public_id))


def test_a_reader_keeps_the_read_only_denial_list():
    """A biller sees denials but does not work them: she keeps the list, with every practice
    she sees, the CARC text, the highlighted near appeal deadline and the list's filters."""
    s = ingest_scenario(unmatched=False)
    other = ingest_scenario(b.summit()[1], unmatched=False)
    denial = denials_of(s.practice)[0]
    with rls.practice_scope([s.practice.pk]):
        Denial.objects.for_system([s.practice.pk], reason="test").filter(pk=denial.pk).update(
            appeal_deadline=timezone.localdate() + timedelta(days=5)
        )
    client = verified_client("bella.biller")
    url = reverse("denials:list")
    response = client.get(url)
    assert response.status_code == 200
    body = response.content.decode()
    assert s.denied.number in body and other.denied.number in body
    assert s.practice.name in body and other.practice.name in body
    assert "CO-50" in body and "Medical necessity" in body
    assert escape(carc_description("50")) in body
    assert "denial-update" not in body
    listed = AuditEvent.objects.filter(
        action=AuditAction.DENIAL_LISTED, user__username="bella.biller"
    )
    assert {e.practice_id for e in listed} >= {s.practice.pk, other.practice.pk}
    body = client.get(url, {"practice": str(s.practice.public_id)}).content.decode()
    assert s.denied.number in body and other.denied.number not in body
    assert 'class="urgent"' in body
    assert (
        s.denied.number
        in client.get(url, {"category": DenialCategory.MEDICAL_NECESSITY}).content.decode()
    )
    assert (
        s.denied.number not in client.get(url, {"category": DenialCategory.CODING}).content.decode()
    )
    assert (
        s.denied.number not in client.get(url, {"status": DenialStatus.APPEALED}).content.decode()
    )
    assert s.denied.number in client.get(url, {"payer": str(s.payer.public_id)}).content.decode()
    htmx = client.get(url, {"status": "open"}, HTTP_HX_REQUEST="true").content
    assert b"<html" not in htmx and b"denial-table" in htmx


def test_detail_is_audited_and_a_foreign_denial_is_a_404():
    s = ingest_scenario(foreign_practice("cliff.client", Capability.DENIALS_VIEW), unmatched=False)
    denial = denials_of(s.practice)[0]
    url = reverse("denials:detail", kwargs={"public_id": denial.public_id})
    assert verified_client("cliff.client").get(url).status_code == 404
    response = verified_client("dan.denials").get(url)
    assert response.status_code == 200 and b"denial-update" in response.content
    event = AuditEvent.objects.filter(action=AuditAction.DENIAL_VIEWED).latest("id")
    # The page is the claim's denial: the event names every denied line it shows (H13).
    lines = [d for d in denials_of(s.practice) if d.era_claim_id == denial.era_claim_id]
    assert event.record_ids == [str(d.public_id) for d in lines]


def test_working_a_denial_changes_status_and_assignee_with_an_audited_note():
    s = ingest_scenario(unmatched=False)
    denial = denials_of(s.practice)[0]
    dan = User.objects.get(username="dan.denials")
    client = verified_client("dan.denials")
    url = reverse("denials:update", kwargs={"public_id": denial.public_id})
    response = client.post(
        url, {"status": "in_progress", "assignee": str(dan.public_id), "note": "called payer"}
    )
    assert response.status_code == 302
    denial.refresh_from_db()
    assert denial.status == DenialStatus.IN_PROGRESS and denial.assignee == dan
    event = AuditEvent.objects.filter(action=AuditAction.DENIAL_UPDATED).latest("id")
    assert event.reason == "called payer" and event.detail["status"] == ["open", "in_progress"]
    # Without a note nothing changes.
    follow = client.post(url, {"status": "resolved", "note": ""}, follow=True)
    assert b"A note is required" in follow.content
    denial.refresh_from_db()
    assert denial.status == DenialStatus.IN_PROGRESS


def test_appealed_and_reversed_are_not_picked_by_hand():
    """Filing an appeal sets Appealed (past its deadline only with a supervisor's reason); the
    payer's 835 sets Reversed. The form neither offers them nor accepts them."""
    s = ingest_scenario(unmatched=False)
    denial = denials_of(s.practice)[0]
    client = verified_client("dan.denials")
    page = client.get(reverse("denials:detail", kwargs={"public_id": denial.public_id}))
    assert b'<option value="appealed"' not in page.content
    assert b'<option value="in_progress"' in page.content
    url = reverse("denials:update", kwargs={"public_id": denial.public_id})
    for status, said in (("appealed", b"filing the appeal"), ("reversed", b"payer&#x27;s 835")):
        follow = client.post(url, {"status": status, "note": "sent"}, follow=True)
        assert said in follow.content, follow.content
        denial.refresh_from_db()
        assert denial.status == DenialStatus.OPEN


def test_only_denials_work_on_the_practice_may_update():
    s = ingest_scenario(unmatched=False)
    denial = denials_of(s.practice)[0]
    url = reverse("denials:update", kwargs={"public_id": denial.public_id})
    # A biller sees denials but does not work them.
    assert (
        verified_client("bella.biller")
        .post(url, {"status": "in_progress", "note": "x"})
        .status_code
        == 404
    )
    with pytest.raises(CapabilityDenied):
        denial_update(actor=actor("bella.biller"), denial=denial, status="in_progress", note="x")
    with pytest.raises(DenialUpdateError):
        denial_update(actor=actor("dan.denials"), denial=denial, status="bogus", note="x")
    harbor = User.objects.get(username="hank.harbor")
    with pytest.raises(DenialUpdateError):
        denial_update(
            actor=actor("dan.denials"), denial=denial, assignee=str(harbor.public_id), note="x"
        )
    denial.refresh_from_db()
    assert denial.status == DenialStatus.OPEN


def test_worklist_query_count_does_not_grow_with_denials():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    ingest_scenario(unmatched=False)
    client = verified_client("bella.biller")  # a reader: a worker is sent to the queue
    assert client.get(reverse("denials:list")).status_code == 200
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("denials:list"))
    for practice in b.summit()[1:3]:
        ingest_scenario(practice, unmatched=False)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("denials:list"))
    assert len(three) <= len(one) + 2 * 3, [q["sql"] for q in three.captured_queries]
