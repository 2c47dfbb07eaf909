"""Appeal letters: filled with the claim's facts, masked without `patients.demographics` (and
the PDF then refused as if missing), the PDF rendered from the same template, stored with its
SHA-256 and frozen once submitted, every preview and download audited; workspace templates are
rendered sandboxed."""

from __future__ import annotations

import hashlib
import io

import pytest
from django.urls import reverse
from django.utils.html import escape
from pypdf import PdfReader

from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import Claim
from bureau.conftest import verified_client
from bureau.denials.appeal_models import AppealLetterTemplate
from bureau.denials.appeals import appeal_create, appeal_submit, appeal_write
from bureau.denials.letters import MASK, LetterError, render_html
from bureau.denials.tests.test_appeals import appeals_of, current, today_of
from bureau.denials.tests.test_views import actor, denials_of
from bureau.remittance.selectors import carc_description
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.tenancy import rls

pytestmark = pytest.mark.django_db
REBUTTAL = "The visit was medically necessary: see the progress note of the date of service."


def appealed():
    s = ingest_scenario(unmatched=False)
    denial = current(denials_of(s.practice)[0])
    dan = actor("dan.denials")
    appeal = appeal_create(actor=dan, denial=denial, level=1)
    appeal = appeal_write(
        actor=dan,
        appeal=appeal,
        rebuttal=REBUTTAL + "\n<script>x</script>",
        attachments="Progress note\nOperative report",
    )
    with rls.practice_scope([s.practice.pk]):
        claim = (
            Claim.objects.for_system([s.practice.pk], reason="t")
            .select_related("patient", "coverage")
            .get(pk=denial.claim_id)
        )
    return s, denial, appeal, claim


def letter_events(username: str) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            action=AuditAction.DENIAL_VIEWED, model="denials.Appeal", user__username=username
        ).order_by("id")
    )


def test_preview_is_masked_without_demographics_and_the_pdf_refused():
    """Dan works denials without demographics: the preview shows the claim's facts and his
    rebuttal with the patient's name, birth date and member id masked; the PDF is a 404."""
    s, denial, appeal, claim = appealed()
    client = verified_client("dan.denials")
    page = client.get(reverse("denials:appeal_letter", args=[appeal.public_id]))
    body = page.content.decode()
    assert page.status_code == 200
    letter = body[body.index('id="letter-preview"') :]
    assert claim.number in letter and REBUTTAL in letter and "Operative report" in letter
    assert escape(carc_description(denial.carc)) in letter
    assert MASK in letter and 'id="letter-masked"' in body
    for secret in (
        claim.patient.last_name,
        claim.patient.date_of_birth.isoformat(),
        claim.coverage.member_id,
    ):
        assert secret not in body
    assert "<script>x</script>" not in body  # the rebuttal is escaped
    assert 'id="letter-pdf"' not in body
    pdf = client.get(reverse("denials:appeal_pdf", args=[appeal.public_id]))
    assert pdf.status_code == 404
    (event,) = letter_events("dan.denials")  # the preview; the refused PDF read nothing
    assert event.detail == {"letter": "preview", "masked": True}


def test_pdf_carries_the_patient_audited_stored_only_when_submitted_then_frozen():
    s, denial, appeal, claim = appealed()
    client = verified_client("sam.supervisor")
    page = client.get(reverse("denials:appeal_letter", args=[appeal.public_id])).content.decode()
    assert claim.patient.last_name in page and claim.coverage.member_id in page
    response = client.get(reverse("denials:appeal_pdf", args=[appeal.public_id]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)
    assert claim.number in text and claim.patient.last_name in text
    assert claim.patient.date_of_birth.isoformat() in text and claim.coverage.member_id in text
    assert "medically necessary" in text
    # A draft's PDF is a read: rendered for the download, stored nowhere (it is frozen only
    # when the appeal is sent), and its audit event names the bytes that left.
    (stored,) = appeals_of(denial)
    assert stored.letter_pdf is None and stored.letter_sha256 == ""
    events = letter_events("sam.supervisor")
    assert [e.detail["letter"] for e in events] == ["preview", "pdf"]
    assert events[-1].detail == {
        "letter": "pdf",
        "sha256": hashlib.sha256(content).hexdigest(),
        "draft": True,
    }
    # Submitted: the letter is frozen, the stored PDF served as it was sent.
    sam = actor("sam.supervisor")
    appeal_submit(
        actor=sam,
        appeal=stored,
        submitted_on=str(today_of(denial.practice_id)),
        method="fax",
        reference="FAX-1",
    )
    sent = appeals_of(denial)[0].letter_sha256
    again = client.get(reverse("denials:appeal_pdf", args=[appeal.public_id]))
    again_bytes = b"".join(again.streaming_content) if again.streaming else again.content
    assert hashlib.sha256(again_bytes).hexdigest() == sent
    assert len(letter_events("sam.supervisor")) == 3


def test_workspace_template_is_used_and_rendered_sandboxed():
    s, denial, appeal, claim = appealed()
    sam = actor("sam.supervisor")
    AppealLetterTemplate.objects.create(
        workspace_id=denial.workspace_id,
        category=denial.category,
        level=1,
        name="Ours",
        body="OURS {{ claim.number }} {{ patient.name }} {{ settings.SECRET_KEY }}"
        "{{ rebuttal.upper }}",
    )
    html = render_html(sam, appeal, denial, unmasked=True)
    assert html.startswith(f"OURS {claim.number} {claim.patient.first_name}")
    for body in (
        '{% include "web/base.html" %}',
        "{% load static %}",
        "{% if %}",
        "{% debug %}",
        '{% extends "web/base.html" %}',
    ):
        AppealLetterTemplate.objects.filter(workspace_id=denial.workspace_id).update(body=body)
        with pytest.raises(LetterError):
            render_html(sam, appeal, denial, unmasked=True)
    # On the page: a message, not a 500.
    response = verified_client("sam.supervisor").get(
        reverse("denials:appeal_letter", args=[appeal.public_id]), follow=True
    )
    assert response.status_code == 200 and "cannot be used" in response.content.decode()
