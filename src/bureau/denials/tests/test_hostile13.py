"""Hostile insider review of issue 13 on the denial pages: the categories page's override form
and the appeal forms take hostile input without a 500 and write nothing half-way."""

from __future__ import annotations

import pytest
from django.urls import reverse

from bureau.conftest import verified_client
from bureau.denials.models import CategoryOverride

pytestmark = pytest.mark.django_db

HOSTILE = [
    "99999999999999999999999",
    "9" * 5000,
    "٣",
    "-1",
    "1e30",
    "x" * 100_000,
    "<script>x</script>",
    "\x00",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_override_removal_with_a_hostile_id_is_a_message(value):
    owner = verified_client("olivia.owner")
    owner.raise_request_exception = False
    response = owner.post(
        reverse("denials:categories"), {"action": "remove", "override": value, "reason": "r"}
    )
    assert response.status_code == 200, value[:20]
    body = response.content.decode()
    assert "override" in body.lower() and "<script>x" not in body


@pytest.mark.parametrize("field", ["carc", "group_code", "category", "reason"])
@pytest.mark.parametrize("value", HOSTILE)
def test_override_set_with_hostile_fields_is_a_message(field, value):
    owner = verified_client("olivia.owner")
    owner.raise_request_exception = False
    data = {"carc": "50", "group_code": "CO", "category": "coding", "reason": "payer mix"}
    data[field] = value
    response = owner.post(reverse("denials:categories"), data)
    assert response.status_code in (200, 302), (field, value[:20])
    assert b"<script>x" not in response.content
    if response.status_code == 200:
        assert not CategoryOverride.objects.exists()


def _pdf_text(content: bytes) -> str:
    import io

    from pypdf import PdfReader

    return " ".join(p.extract_text() for p in PdfReader(io.BytesIO(content)).pages)


def test_the_letter_frozen_at_submission_carries_the_last_rebuttal_not_an_earlier_download():
    """A PDF downloaded while drafting is stored; the rebuttal then changes; submission must
    freeze the letter as it stands, not the stale download."""
    from bureau.denials.appeals import appeal_submit, appeal_write
    from bureau.denials.tests.test_appeal_letters import appealed
    from bureau.denials.tests.test_appeals import appeals_of, today_of
    from bureau.denials.tests.test_views import actor

    s, denial, appeal, claim = appealed()
    client = verified_client("sam.supervisor")
    first = client.get(reverse("denials:appeal_pdf", args=[appeal.public_id]))
    assert first.status_code == 200
    sam = actor("sam.supervisor")
    (stored,) = appeals_of(denial)
    appeal_write(actor=sam, appeal=stored, rebuttal="Final rebuttal ZQX-2.", attachments="")
    (stored,) = appeals_of(denial)
    appeal_submit(
        actor=sam,
        appeal=stored,
        submitted_on=str(today_of(denial.practice_id)),
        method="fax",
        reference="",
    )
    sent = client.get(reverse("denials:appeal_pdf", args=[appeal.public_id]))
    content = b"".join(sent.streaming_content) if sent.streaming else sent.content
    assert "ZQX-2" in _pdf_text(content)


def test_rebuttal_with_markup_and_template_syntax_is_text_in_page_and_pdf():
    from bureau.denials.appeals import appeal_write
    from bureau.denials.tests.test_appeal_letters import appealed
    from bureau.denials.tests.test_appeals import appeals_of
    from bureau.denials.tests.test_views import actor

    s, denial, appeal, claim = appealed()
    hostile = "<b>bold</b><script>alert(1)</script> {{ patient.name }} {% now 'Y' %} {{ 7|add:1 }}"
    (stored,) = appeals_of(denial)
    appeal_write(actor=actor("dan.denials"), appeal=stored, rebuttal=hostile, attachments="")
    dan = verified_client("dan.denials")
    body = dan.get(reverse("denials:appeal_letter", args=[appeal.public_id])).content.decode()
    assert "<script>alert(1)" not in body and "<b>bold</b>" not in body
    assert "{{ patient.name }}" in body.replace("&#x27;", "'") and "{% now" in body
    sam = verified_client("sam.supervisor")
    pdf = sam.get(reverse("denials:appeal_pdf", args=[appeal.public_id]))
    text = _pdf_text(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)
    assert "<script>alert(1)</script>" in text and "{{ patient.name }}" in text
    assert "add:1 }}" in text.replace("\n", "")  # shown as typed (the PDF may wrap it)
