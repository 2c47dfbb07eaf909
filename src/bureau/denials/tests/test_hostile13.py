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


def test_an_appeal_sent_after_its_deadline_is_late_and_needs_a_supervisors_reason():
    """Opened in time, marked sent after the deadline: that is appealing late, so the same rule
    as opening applies (the specialist is refused; a supervisor must give a reason)."""
    from datetime import timedelta

    from bureau.denials.appeals import AppealError, appeal_create, appeal_submit
    from bureau.denials.tests.test_appeals import appeals_of, reload, today_of
    from bureau.denials.tests.test_views import actor, denials_of
    from bureau.remittance.tests.test_views import ingest_scenario

    s = ingest_scenario(unmatched=False)
    denial = reload(denials_of(s.practice)[0])
    dan, sam = actor("dan.denials"), actor("sam.supervisor")
    appeal = appeal_create(actor=dan, denial=denial, level=1, today=denial.denied_on)
    late = appeal.deadline + timedelta(days=1)
    today = max(late, today_of(denial.practice_id))
    with pytest.raises(AppealError, match="only a supervisor"):
        appeal_submit(
            actor=dan, appeal=appeal, submitted_on=str(late), method="fax", reference="",
            today=today,
        )  # fmt: skip
    with pytest.raises(AppealError, match="a reason is required"):
        appeal_submit(
            actor=sam, appeal=appeal, submitted_on=str(late), method="fax", reference="",
            today=today,
        )  # fmt: skip
    with pytest.raises(AppealError, match="before the denial"):
        before = str(denial.denied_on - timedelta(days=1))
        appeal_submit(
            actor=dan, appeal=appeal, submitted_on=before, method="fax", reference="",
            today=today,
        )  # fmt: skip
    assert appeals_of(denial)[0].submitted_on is None
    (fresh,) = appeals_of(denial)
    sent = appeal_submit(
        actor=sam, appeal=fresh, submitted_on=str(late), method="fax", reference="",
        late_reason="Payer fax down, ticket 9", today=today,
    )  # fmt: skip
    assert sent.late_reason == "Payer fax down, ticket 9"
    assert sent.late_approved_by_id == sam.user.pk
    # In time: the specialist sends it without any reason.
    other = reload(denials_of(s.practice)[-1])
    if other.claim_id != denial.claim_id:
        mine = appeal_create(actor=dan, denial=other, level=1, today=other.denied_on)
        done = appeal_submit(
            actor=dan, appeal=mine, submitted_on=str(other.denied_on), method="fax",
            reference="", today=max(other.denied_on, today_of(other.practice_id)),
        )  # fmt: skip
        assert done.submitted_on == other.denied_on and done.late_reason == ""


def test_a_workspace_template_cannot_pull_server_files_or_urls_into_the_pdf(tmp_path):
    """Templates are untrusted (sandboxed): WeasyPrint must fetch nothing, or a template's
    `<link rel="attachment" href="file:///…">` embeds the server's files in the letter."""
    import io

    from pypdf import PdfReader

    from bureau.denials.appeal_models import AppealLetterTemplate
    from bureau.denials.tests.test_appeal_letters import appealed

    secret = tmp_path / "secret_key"
    secret.write_text("TOP-SECRET-KEY")
    s, denial, appeal, claim = appealed()
    AppealLetterTemplate.objects.create(
        workspace_id=denial.workspace_id,
        category="",
        level=None,
        name="Hostile",
        body=f'<link rel="attachment" href="file://{secret}"><img src="file://{secret}">'
        f'<a rel="attachment" href="file://{secret}">x</a>'
        '<img src="http://127.0.0.1:9/ping"> {{ claim.number }}',
    )
    response = verified_client("sam.supervisor").get(
        reverse("denials:appeal_pdf", args=[appeal.public_id])
    )
    assert response.status_code == 200
    content = b"".join(response.streaming_content) if response.streaming else response.content
    reader = PdfReader(io.BytesIO(content))
    assert reader.attachments == {}
    assert b"TOP-SECRET-KEY" not in content
    assert claim.number in " ".join(p.extract_text() for p in reader.pages)


def test_nul_bytes_in_every_appeal_and_denial_text_field_are_not_a_500():
    """PostgreSQL text cannot hold NUL: typed (or pasted) into a free-text field it must not
    reach the database as is."""
    from bureau.denials.tests.test_appeals import appeals_of, current, today_of
    from bureau.denials.tests.test_views import denials_of
    from bureau.remittance.tests.test_views import ingest_scenario

    s = ingest_scenario(unmatched=False)
    denial = current(denials_of(s.practice)[0])
    sam = verified_client("sam.supervisor")
    sam.raise_request_exception = False
    nul = "a\x00b"
    update = reverse("denials:update", args=[denial.public_id])
    assert sam.post(update, {"note": nul, "assignee": "keep"}).status_code == 302
    opened = sam.post(
        reverse("denials:appeal_create", args=[denial.public_id]),
        {"level": "1", "late_reason": nul},
    )
    assert opened.status_code == 302
    (appeal,) = appeals_of(denial)
    write = reverse("denials:appeal_write", args=[appeal.public_id])
    assert sam.post(write, {"rebuttal": nul, "attachments": nul}).status_code == 302
    submit = reverse("denials:appeal_submit", args=[appeal.public_id])
    today = str(today_of(denial.practice_id))
    response = sam.post(
        submit, {"submitted_on": today, "method": "fax", "reference": nul, "late_reason": nul}
    )
    assert response.status_code == 302
    (appeal,) = appeals_of(denial)
    assert "\x00" not in appeal.rebuttal + appeal.attachments + appeal.reference


def test_the_denial_form_cannot_mark_a_denial_written_off_past_the_write_off_approval():
    """Written off closes a denial with its balance gone: only an approved write-off (limit,
    approver, ledger entry) may set it, never the denial's status field."""
    from bureau.denials.models import DenialStatus, RootCause
    from bureau.denials.services import DenialUpdateError, denial_update
    from bureau.denials.tests.test_appeals import current
    from bureau.denials.tests.test_views import actor, denials_of
    from bureau.remittance.tests.test_views import ingest_scenario

    s = ingest_scenario(unmatched=False)
    denial = current(denials_of(s.practice)[0])
    for who in ("dan.denials", "sam.supervisor", "olivia.owner"):
        with pytest.raises(DenialUpdateError, match="approved write-off"):
            denial_update(
                actor=actor(who),
                denial=denial,
                status=DenialStatus.WRITTEN_OFF,
                root_cause=RootCause.CODING,
                note="hide it",
            )
    client = verified_client("dan.denials")
    page = client.get(reverse("denials:detail", args=[denial.public_id])).content.decode()
    assert 'value="written_off"' not in page
    response = client.post(
        reverse("denials:update", args=[denial.public_id]),
        {"status": "written_off", "root_cause": "coding", "note": "x", "assignee": "keep"},
        follow=True,
    )
    assert "approved write-off" in response.content.decode()
    assert current(denial).status == DenialStatus.OPEN
