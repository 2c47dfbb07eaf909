"""Denial pages: the worklist (filters, deadlines, practice column, audit), one denial, and
working it (status/assignee with a note, denials.work on its practice)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.denials.models import Denial, DenialCategory, DenialStatus
from bureau.denials.services import DenialUpdateError, denial_update
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import foreign_practice, ingest_scenario
from bureau.tenancy import rls
from bureau.tenancy.actor import CapabilityDenied, resolve_actor
from bureau.tenancy.roles import Capability

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
    s = ingest_scenario(unmatched=False)
    other = ingest_scenario(b.summit()[1], unmatched=False)
    client = verified_client("dan.denials")
    body = client.get(reverse("denials:list")).content.decode()
    assert s.denied.number in body and other.denied.number in body
    assert s.practice.name in body and other.practice.name in body
    assert "CO-50" in body and "Medical necessity" in body
    assert "medical necessity" in body.lower()
    listed = AuditEvent.objects.filter(
        action=AuditAction.DENIAL_LISTED, user__username="dan.denials"
    )
    assert {e.practice_id for e in listed} >= {s.practice.pk, other.practice.pk}


def test_worklist_filters_and_highlights_near_deadlines():
    s = ingest_scenario(unmatched=False)
    other = ingest_scenario(b.summit()[1], unmatched=False)
    denial = denials_of(s.practice)[0]
    with rls.practice_scope([s.practice.pk]):
        Denial.objects.for_system([s.practice.pk], reason="test").filter(pk=denial.pk).update(
            appeal_deadline=timezone.localdate() + timedelta(days=5)
        )
    client = verified_client("dan.denials")
    url = reverse("denials:list")
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
    assert event.record_ids == [str(denial.public_id)]


def test_working_a_denial_changes_status_and_assignee_with_an_audited_note():
    s = ingest_scenario(unmatched=False)
    denial = denials_of(s.practice)[0]
    dan = User.objects.get(username="dan.denials")
    client = verified_client("dan.denials")
    url = reverse("denials:update", kwargs={"public_id": denial.public_id})
    response = client.post(
        url, {"status": "appealed", "assignee": str(dan.public_id), "note": "appeal sent"}
    )
    assert response.status_code == 302
    denial.refresh_from_db()
    assert denial.status == DenialStatus.APPEALED and denial.assignee == dan
    event = AuditEvent.objects.filter(action=AuditAction.DENIAL_UPDATED).latest("id")
    assert event.reason == "appeal sent" and event.detail["status"] == ["open", "appealed"]
    # Without a note nothing changes.
    follow = client.post(url, {"status": "resolved", "note": ""}, follow=True)
    assert b"A note is required" in follow.content
    denial.refresh_from_db()
    assert denial.status == DenialStatus.APPEALED


def test_only_denials_work_on_the_practice_may_update():
    s = ingest_scenario(unmatched=False)
    denial = denials_of(s.practice)[0]
    url = reverse("denials:update", kwargs={"public_id": denial.public_id})
    # A biller sees denials but does not work them.
    assert (
        verified_client("bella.biller").post(url, {"status": "appealed", "note": "x"}).status_code
        == 404
    )
    with pytest.raises(CapabilityDenied):
        denial_update(actor=actor("bella.biller"), denial=denial, status="appealed", note="x")
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
    client = verified_client("dan.denials")
    client.get(reverse("denials:list"))
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("denials:list"))
    for practice in b.summit()[1:3]:
        ingest_scenario(practice, unmatched=False)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("denials:list"))
    assert len(three) <= len(one) + 2 * 3, [q["sql"] for q in three.captured_queries]
