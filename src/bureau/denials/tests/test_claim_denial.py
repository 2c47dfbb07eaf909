"""H13: a claim denied on several lines is one denial to work (its page shows every line with
group/CARC/RARC and descriptions, amounts and total; changes apply to every line), its history
(notes and every change, who and when) shows on the page, the category's playbook is shown, and
closing asks for a root cause."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.denials.models import DenialCategory as C
from bureau.denials.models import DenialEvent, DenialStatus, RootCause
from bureau.denials.playbook import PLAYBOOK, steps_for
from bureau.denials.services import DenialUpdateError, denial_update
from bureau.denials.tests.test_views import actor, denials_of
from bureau.remittance.selectors import carc_description
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.tenancy import rls
from bureau.x12.adjustment_codes import group_description

pytestmark = pytest.mark.django_db


def claim_denial(s):
    lines = [d for d in denials_of(s.practice) if d.claim_id == s.denied.pk]
    assert len(lines) == 2  # the scenario's denied claim: CO-50 on both lines
    return lines


def test_a_claim_denied_on_two_lines_is_one_page_with_every_line_and_the_total():
    s = ingest_scenario(unmatched=False)
    first, second = claim_denial(s)
    for one in (first, second):  # either line's address shows the claim's denial
        page = verified_client("dan.denials").get(
            reverse("denials:detail", kwargs={"public_id": one.public_id})
        )
        body = page.content.decode()
        start = body.index('id="denial-lines"')
        lines = body[body.index("<tbody>", start) : body.index("</tbody>", start)]
        assert lines.count("<tr>") == 2  # both denied lines
        assert escape(carc_description("50")) in lines and escape(group_description("CO")) in lines
        assert str(first.amount) in lines and str(second.amount) in lines
        total = first.amount + second.amount
        assert f'id="denial-total">{total}<' in body


def test_working_the_claim_denial_changes_every_line_and_shows_history():
    s = ingest_scenario(unmatched=False)
    first, second = claim_denial(s)
    dan = actor("dan.denials")
    user = User.objects.get(username="dan.denials")
    denial_update(actor=dan, denial=second, status="in_progress", note="calling the payer")
    denial_update(actor=dan, denial=first, category=C.CODING, note="it was the modifier")
    denial_update(actor=dan, denial=first, note="payer says resubmit")  # a note alone
    with rls.practice_scope([s.practice.pk]):
        events = list(DenialEvent.objects.for_system([s.practice.pk], reason="test"))
    assert len(events) == 3 and all(e.denial_id == first.pk for e in events)
    assert events[0].changes == {"status": ["open", "in_progress"]}
    assert events[0].user_id == user.pk
    assert {(d.status, d.category) for d in claim_denial(s)} == {("in_progress", "coding")}
    audit = AuditEvent.objects.filter(action=AuditAction.DENIAL_UPDATED).order_by("id")
    assert set(audit.last().record_ids) == {str(first.public_id), str(second.public_id)}
    body = (
        verified_client("dan.denials")
        .get(reverse("denials:detail", kwargs={"public_id": second.public_id}))
        .content.decode()
    )
    history = body[body.index('id="denial-history"') :]
    assert "calling the payer" in history and "payer says resubmit" in history
    assert "status: Open → In progress" in history
    assert "category: Medical necessity / non-covered → Coding" in history
    assert escape(user.label) in history


def test_closing_needs_a_root_cause_which_is_stored_and_audited():
    s = ingest_scenario(unmatched=False)
    first, _ = claim_denial(s)
    dan = actor("dan.denials")
    for status in (DenialStatus.RESOLVED,):  # written off: by a write-off (test_hostile13)
        with pytest.raises(DenialUpdateError, match="Root cause"):
            denial_update(actor=dan, denial=first, status=status, note="done")
    with pytest.raises(DenialUpdateError, match="root cause"):
        denial_update(actor=dan, denial=first, status="resolved", root_cause="bogus", note="x")
    with pytest.raises(DenialUpdateError, match="Root cause"):  # only when closing
        denial_update(actor=dan, denial=first, root_cause=RootCause.CODING, note="x")
    assert {d.status for d in claim_denial(s)} == {"open"}
    denial_update(
        actor=dan, denial=first, status="resolved", root_cause=RootCause.CODING, note="fixed"
    )
    assert {(d.status, d.root_cause) for d in claim_denial(s)} == {("resolved", "coding")}
    audit = AuditEvent.objects.filter(action=AuditAction.DENIAL_UPDATED).latest("id")
    assert audit.detail["root_cause"] == [None, "coding"]


def test_closing_through_the_page_without_root_cause_is_a_clear_error_not_a_500():
    s = ingest_scenario(unmatched=False)
    first, _ = claim_denial(s)
    client = verified_client("dan.denials")
    url = reverse("denials:update", kwargs={"public_id": first.public_id})
    for post in (
        {"status": "resolved", "note": "x"},
        {"status": "resolved", "root_cause": "nope", "note": "x"},
        {"category": "nope", "note": "x"},
        {"status": "resolved", "root_cause": "coding", "note": "x", "assignee": "not-a-uuid"},
    ):
        response = client.post(url, post, follow=True)
        assert response.status_code == 200 and "Not saved" in response.content.decode()
    response = client.post(url, {"status": "resolved", "root_cause": "coding", "note": "ok"})
    assert response.status_code == 302
    assert {d.root_cause for d in claim_denial(s)} == {"coding"}


def test_playbook_covers_every_category_and_is_on_the_page():
    assert set(PLAYBOOK) == set(C)
    assert "corrected claim" in steps_for(C.CODING)[1].action.lower()
    assert "retro-authorization" in steps_for(C.AUTHORIZATION)[0].action.lower()
    assert "timely filing" in steps_for(C.TIMELY_FILING)[0].action.lower()
    assert "write off" in steps_for(C.TIMELY_FILING)[-1].action.lower()
    assert "original" in steps_for(C.DUPLICATE)[0].action.lower()
    assert steps_for("not-a-category") == PLAYBOOK[C.OTHER]
    s = ingest_scenario(unmatched=False)
    first, _ = claim_denial(s)
    body = (
        verified_client("dan.denials")
        .get(reverse("denials:detail", kwargs={"public_id": first.public_id}))
        .content.decode()
    )
    playbook = body[body.index('id="denial-playbook"') :]
    assert escape(steps_for(C.MEDICAL_NECESSITY)[0].action) in playbook
    assert "{# appeals #}" not in body  # the include spot is a template comment
