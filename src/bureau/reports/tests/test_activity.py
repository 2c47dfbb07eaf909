"""The activity report: one person's day from the audit log, as a practice audits its vendor.

bella.biller (a biller on the demo's first four practices) opens a claim of Lakeside (the
practice cliff.client views) and one of the next practice; then each reader asks what she did.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.accounts.tests.conftest import make_user
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import Claim
from bureau.conftest import verified_client
from bureau.directory.models import Provider
from bureau.reports.activity import WORDS, words_for
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db
URL = "/reports/activity/"


def _demo() -> tuple[list[Practice], User]:
    bella = User.objects.get(username="bella.biller")
    actor = resolve_actor(bella)
    assert actor is not None
    return sorted(actor.practices(), key=lambda p: p.pk)[:2], bella


def _a_claim(practice: Practice) -> Claim:
    with rls.practice_scope([practice.pk]):
        claim = (
            Claim.objects.for_system([practice.pk], reason="test")
            .filter(practice=practice)
            .select_related("encounter")
            .order_by("id")
            .first()
        )
    assert claim is not None
    return claim


@pytest.fixture
def bellas_day() -> dict[str, Any]:
    """bella opens one claim in each of two practices, today."""
    (lakeside, other), bella = _demo()
    cliff = resolve_actor(User.objects.get(username="cliff.client"))
    assert cliff is not None and set(cliff.access) == {lakeside.pk}  # Lakeside is cliff's
    client = verified_client("bella.biller")
    claims = {p.pk: _a_claim(p) for p in (lakeside, other)}
    for claim in claims.values():
        assert client.get(f"/claims/{claim.public_id}/").status_code == 200
    return {"lakeside": lakeside, "other": other, "bella": bella, "claims": claims}


def _ask(username: str, bella: User, extra: str = "") -> Any:
    day = timezone.localdate().isoformat()
    return verified_client(username).get(f"{URL}?person={bella.public_id}&day={day}{extra}")


def test_a_client_viewer_sees_only_what_was_done_on_their_practice(bellas_day) -> None:
    lakeside, other, bella = bellas_day["lakeside"], bellas_day["other"], bellas_day["bella"]
    response = _ask("cliff.client", bella)
    assert response.status_code == 200
    found = response.context["found"]
    assert found.events and {e.practice_id for e in found.events} == {lakeside.pk}
    body = response.content.decode()
    assert "Opened a claim" in body and other.name not in body
    # The claim of Lakeside is a link cliff may open (claims.view on Lakeside).
    claim = bellas_day["claims"][lakeside.pk]
    assert f'href="/claims/{claim.public_id}/"' in body
    assert verified_client("cliff.client").get(f"/claims/{claim.public_id}/").status_code == 200
    # The read is audited on the practice it read, naming the report, the person and the day.
    event = AuditEvent.objects.filter(action=AuditAction.REPORT_VIEWED).latest("id")
    assert event.practice_id == lakeside.pk and event.detail["report"] == "activity"
    assert event.detail["person"] == str(bella.public_id)
    assert event.detail["day"] == timezone.localdate().isoformat()


def test_the_owner_sees_every_practice_and_can_narrow_to_one(bellas_day) -> None:
    lakeside, other, bella = bellas_day["lakeside"], bellas_day["other"], bellas_day["bella"]
    found = _ask("olivia.owner", bella).context["found"]
    practices = {e.practice_id for e in found.events}
    assert {lakeside.pk, other.pk} <= practices
    narrowed = _ask("olivia.owner", bella, f"&practice={other.public_id}").context["found"]
    assert {e.practice_id for e in narrowed.events} == {other.pk}
    # Oldest first: a day reads as it happened.
    times = [e.occurred_at for e in found.events]
    assert times == sorted(times)


def test_a_provider_limited_viewer_gets_no_link_to_a_record_outside_the_grant(bellas_day) -> None:
    lakeside, bella = bellas_day["lakeside"], bellas_day["bella"]
    claim = bellas_day["claims"][lakeside.pk]
    someone_else = (
        Provider.objects.filter(practice=lakeside)
        .exclude(pk=claim.encounter.rendering_provider_id)
        .exclude(pk=claim.encounter.billing_provider_id)
        .first()
    )
    assert someone_else is not None
    make_user(
        lakeside.workspace,
        "cora.limited",
        (Role.CLIENT_VIEWER, lakeside, {"providers": (someone_else.pk,)}),
    )
    response = _ask("cora.limited", bella)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Opened a claim" in body  # the event is hers to audit (audit.view on Lakeside)
    assert f'href="/claims/{claim.public_id}/"' not in body  # the claim is not hers to open
    assert str(claim.public_id)[:8] in body


def test_exports_carry_only_the_practices_whose_whole_log_the_reader_may_take(bellas_day) -> None:
    """A file carries whole practices (`serves_report`): a viewer limited to some providers
    takes none (404, like a foreign practice); the compliance officer takes both practices."""
    lakeside, other, bella = bellas_day["lakeside"], bellas_day["other"], bellas_day["bella"]
    make_user(
        lakeside.workspace,
        "cora.limited",
        (
            Role.CLIENT_VIEWER,
            lakeside,
            {"providers": (bellas_day["claims"][lakeside.pk].encounter.rendering_provider_id,)},
        ),
    )
    query = f"person={bella.public_id}&day={timezone.localdate().isoformat()}"
    assert verified_client("cora.limited").get(f"{URL}export.csv?{query}").status_code == 404
    response = verified_client("carla.compliance").get(f"{URL}export.csv?{query}&practice=all")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert {lakeside.name, other.name} <= {r["practice"] for r in rows}
    audited = set(
        AuditEvent.objects.filter(
            action=AuditAction.REPORT_EXPORTED, detail__report="activity"
        ).values_list("practice_id", flat=True)
    )
    assert {lakeside.pk, other.pk} <= audited and None not in audited


def test_unknown_and_foreign_people_answer_alike() -> None:
    """cliff may ask about the people who hold access to Lakeside; anyone else — a poster of
    other practices, a user of another workspace, an id of nobody — is the same 400."""
    outsider_ws = Workspace.objects.create(name="Elsewhere Billing", slug="elsewhere")
    outsider = make_user(outsider_ws, "otto.outside")
    poster = User.objects.get(username="priya.poster")
    client = verified_client("cliff.client")
    answers = [
        client.get(f"{URL}?person={who}")
        for who in (outsider.public_id, poster.public_id, "7b0b7b9a-0000-4222-9bf8-fb964f0de9bd")
    ]
    assert {a.status_code for a in answers} == {400}
    messages = {str(a.context["errors"]) for a in answers}
    assert len(messages) == 1 and "No person you may ask about" in messages.pop()
    # The owner's list of people is the workspace's: the poster, never the outsider.
    people = verified_client("olivia.owner").get(URL).context["people"]
    assert poster in people and outsider not in people
    # cliff's list is who holds access to Lakeside: bella and the owner, not the poster.
    cliffs = list(client.get(URL).context["people"])
    assert {"bella.biller", "olivia.owner"} <= {u.username for u in cliffs}
    assert poster not in cliffs


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("person=nobody", "not a person"),
        ("day=0206-01-01", "before 2000-01-01"),
        ("day=2999-12-31", "in the future"),
        ("day=2026-02-30", "not a day of the calendar"),
        ("day=" + "9" * 5000, "not a date"),
    ],
)
@pytest.mark.parametrize("url", [URL, f"{URL}export.csv"])
def test_unreadable_filters_are_named_never_a_500(url: str, query: str, message: str) -> None:
    response = verified_client("olivia.owner").get(f"{url}?{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


@pytest.mark.parametrize("url", [URL, f"{URL}export.csv", f"{URL}export.pdf"])
def test_a_foreign_practice_answers_like_a_missing_one(url: str) -> None:
    (_, other), _ = _demo()
    client = verified_client("cliff.client")
    missing = client.get(f"{url}?practice=7b0b7b9a-0000-4222-9bf8-fb964f0de9bd")
    foreign = client.get(f"{url}?practice={other.public_id}")
    assert missing.status_code == foreign.status_code == 404
    assert missing.content == foreign.content


@pytest.mark.parametrize("username", ["bella.biller", "alex.manager"])
def test_only_auditors_read_it(username: str) -> None:
    """The audit log's capability: a biller or an account manager may not read another's day."""
    client = verified_client(username)
    assert client.get(URL).status_code in (403, 404)
    assert client.get(f"{URL}export.csv").status_code in (403, 404)


def test_without_a_person_the_page_shows_the_readers_own_day() -> None:
    response = verified_client("carla.compliance").get(URL)
    assert response.status_code == 200
    assert response.context["found"].person.username == "carla.compliance"


def test_csv_and_pdf_carry_the_day(bellas_day) -> None:
    lakeside, bella = bellas_day["lakeside"], bellas_day["bella"]
    client = verified_client("cliff.client")
    day = timezone.localdate()
    query = f"person={bella.public_id}&day={day.isoformat()}"
    response = client.get(f"{URL}export.csv?{query}")
    assert response.status_code == 200
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    opened = [r for r in rows if r["action"] == AuditAction.CLAIM_VIEWED]
    assert opened and all(r["practice"] == lakeside.name for r in rows)
    row = opened[0]
    assert row["what"] == "Opened a claim" and int(row["records"]) == 1
    assert datetime.fromisoformat(row["time"]).date() == day
    assert row["day"] == day.isoformat() and row["record type"] == "claim"
    event = AuditEvent.objects.filter(action=AuditAction.REPORT_EXPORTED).latest("id")
    assert event.detail["report"] == "activity" and event.detail["format"] == "csv"
    pdf = client.get(f"{URL}export.pdf?{query}")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    from pypdf import PdfReader

    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Activity report" in text and "Opened a claim" in text and bella.full_name in text


def test_a_day_with_nothing_says_so(bellas_day) -> None:
    bella = bellas_day["bella"]
    day = (timezone.localdate() - timedelta(days=400)).isoformat()
    response = verified_client("cliff.client").get(f"{URL}?person={bella.public_id}&day={day}")
    assert response.status_code == 200 and "No recorded activity" in response.content.decode()


def test_every_action_has_words() -> None:
    missing = [a for a in AuditAction if a not in WORDS]
    # System actions a person never does themselves read as their code made plain.
    assert words_for("era.duplicate") == "Era: duplicate"
    assert all(words_for(a) for a in missing)
