"""The queue page: who sees which items, masking, keyset paging, hostile query input, and a
query count that does not grow with the rows shown."""

from __future__ import annotations

import uuid
from urllib.parse import quote

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bureau.claims.models import Claim
from bureau.conftest import verified_client
from bureau.patients.models import Patient
from bureau.remittance.tests import builders as b
from bureau.tenancy.models import Grant
from bureau.tenancy.tests.provider_world import build as provider_world
from bureau.workqueues.functions import Function
from bureau.workqueues.models import WorkItem
from bureau.workqueues.tests import helpers as h
from bureau.workqueues.tests.test_rules import enrolled_payers

pytestmark = pytest.mark.django_db
F = Function


def rows(client, query=""):
    response = client.get(f"/queue/{query}")
    assert response.status_code == 200, (query, response.status_code)
    return response.context["page"].rows


def shown(client, query="?practice=all&per_page=200"):
    return {r.item.pk for r in rows(client, query)}


def held_for_review(practice):
    """An ERA held by the practice's no-auto-post policy (a posting-review item)."""
    b.autopost(practice)
    b.configure(practice, "era.autopost_enabled", False)
    payer = enrolled_payers(practice)[0]
    claims = b.submitted_claims(practice, payer, count=2)
    return h.ingest(practice, payer, [h.paid(c) for c in claims])


def denied_claims(practice, count=2):
    b.autopost(practice)
    payer = enrolled_payers(practice)[0]
    claims = b.submitted_claims(practice, payer, count=count)
    h.ingest(practice, payer, [h.denied(c) for c in claims])
    return claims


def test_the_offshore_poster_sees_her_two_practices_posting_items_only():
    summit = h.summit()
    for practice in (summit[0], summit[4], summit[5]):
        held_for_review(practice)
    h.followup_items()
    hers = {summit[4].pk, summit[5].pk}
    posting = h.live([p.pk for p in summit], function__in=(F.POSTING_REVIEW, F.ERA_EXCEPTIONS))
    assert {i.practice_id for i in posting} >= {summit[0].pk, *hers}
    seen = rows(verified_client("priya.poster"), "?practice=all&per_page=200")
    assert {r.item.pk for r in seen} == {i.pk for i in posting if i.practice_id in hers}
    assert {r.item.function for r in seen} == {F.POSTING_REVIEW}
    assert all(r.item.practice.name in (summit[4].name, summit[5].name) for r in seen)


def test_a_provider_limited_biller_sees_her_providers_items_only():
    pw = provider_world()
    h.followup_items()
    practice = pw.practice
    claims = {
        c.pk: {c.encounter.rendering_provider_id, c.encounter.billing_provider_id}
        for c in h.system(Claim, [practice.pk]).select_related("encounter")
    }
    items = h.live([practice.pk], function__in=(F.REJECTIONS, F.FOLLOWUP))
    mine = {i.pk for i in items if claims[i.claim_id] & pw.allowed}
    theirs = [i for i in items if not claims[i.claim_id] & pw.allowed]
    assert mine and theirs
    client = verified_client(pw.user.username)
    assert shown(client) == mine
    assert shown(client, f"?practice={practice.public_id}&per_page=200") == mine
    missing = client.get(f"/queue/{uuid.uuid4()}/")
    foreign = client.get(f"/queue/{theirs[0].public_id}/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    posted = client.post(f"/queue/{theirs[0].public_id}/claim/")
    assert posted.status_code == 404
    assert h.system(WorkItem, [practice.pk]).get(pk=theirs[0].pk).assignee_id is None


@pytest.mark.parametrize("username", ["cliff.client", "carla.compliance", "read-only"])
def test_no_work_capability_no_queue(username):
    h.followup_items()
    if username == "read-only":  # every grant read-only: reads are kept, work is not
        username = "alex.manager"
        Grant.objects.filter(user__username=username).update(read_only=True)
    client = verified_client(username)
    [item] = h.live([h.summit()[0].pk])[:1]
    for url in ("/queue/", "/queue/?practice=all", f"/queue/{item.public_id}/"):
        assert client.get(url).status_code == 404, url
    for action in ("claim", "release", "pend", "assign", "attempt", "done"):
        assert client.post(f"/queue/{item.public_id}/{action}/").status_code == 404
    for url in ("/queue/take-next/", "/queue/bulk/"):
        assert client.post(url).status_code == 404
    assert h.system(WorkItem, [item.practice_id]).get(pk=item.pk).assignee_id is None


def test_an_item_of_a_function_i_do_not_work_is_missing_to_me():
    practice = h.summit()[0]
    denied_claims(practice, count=1)
    h.refresh_all()
    [denial] = h.live([practice.pk], function=F.DENIALS)
    client = verified_client("bella.biller")  # claims.edit here, no denials.work
    foreign = client.get(f"/queue/{denial.public_id}/")
    missing = client.get(f"/queue/{uuid.uuid4()}/")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.content == missing.content
    assert denial.pk not in shown(client)
    assert verified_client("dan.denials").get(f"/queue/{denial.public_id}/").status_code == 200


def test_patient_names_are_masked_without_demographics():
    practice = h.summit()[0]
    claims = denied_claims(practice)
    h.refresh_all()
    names = {
        p.last_name
        for p in h.system(Patient, [practice.pk]).filter(pk__in=[c.patient_id for c in claims])
    }
    h.rls.activate([])
    query = f"?practice={practice.public_id}&function=denials"
    dan = verified_client("dan.denials").get(f"/queue/{query}")
    dan_rows = dan.context["page"].rows
    assert len(dan_rows) == 2 and all(r.masked for r in dan_rows)
    assert not any(name in dan.content.decode() for name in names)
    owner = verified_client("olivia.owner").get(f"/queue/{query}")
    assert not any(r.masked for r in owner.context["page"].rows)
    assert all(name in owner.content.decode() for name in names)


def test_an_items_page_audits_the_claim_patient_and_denials_it_shows():
    from bureau.audit.models import AuditAction, AuditEvent

    practice = h.summit()[0]
    [claim] = denied_claims(practice, count=1)
    h.refresh_all()
    [item] = h.live([practice.pk], function=F.DENIALS)
    patient = h.system(Patient, [practice.pk]).get(pk=claim.patient_id)
    h.rls.activate([])

    for username, sees_patient in (("olivia.owner", True), ("dan.denials", False)):
        assert verified_client(username).get(f"/queue/{item.public_id}/").status_code == 200
        event = AuditEvent.objects.filter(action=AuditAction.WORKITEM_VIEWED).latest("id")
        shown = event.detail["shown"]
        assert event.record_ids == [str(item.public_id)]
        assert shown["claim"] == str(claim.public_id)
        assert len(shown["denials"]) == len(b.lines_of(claim))
        # A masked name is not a read of the patient's demographics.
        assert (shown.get("patient") == str(patient.public_id)) is sees_patient


def test_keyset_paging_shows_the_next_rows_without_repeats():
    h.followup_items()
    client = verified_client("olivia.owner")
    whole = [r.item.pk for r in rows(client, "?practice=all&per_page=15")]
    assert len(whole) == 15
    seen: list[int] = []
    query = "?practice=all&per_page=5"
    for _ in range(3):
        response = client.get(f"/queue/{query}")
        page = response.context["page"]
        seen += [r.item.pk for r in page.rows]
        link = f"after={quote(page.next_cursor)}"
        assert page.next_cursor and link in response.content.decode()
        query = f"?practice=all&per_page=5&after={page.next_cursor}"
    assert seen == whole and len(set(seen)) == 15


HOSTILE = [
    "?amount_min=٣",
    "?amount_min=²&amount_max=1e30",
    "?amount_max=" + "9" * 5000,
    "?carc=" + "x" * 10_000,
    "?carc=٣٣",
    "?after=abc:xyz",
    "?after=a%00b",  # PostgreSQL stores no NUL: the audit detail once carried the raw cursor
    "?after=99999999999999999999999:1",
    "?after=1:99999999999999999999999",
    "?after=-:",
    "?after=" + "1" * 5000,
    "?function=nonsense",
    "?function=denials&function=" + "f" * 10_000,
    "?deadline_days=٣",
    "?deadline_days=99999999",
    "?per_page=٣",
    "?per_page=0",
    "?per_page=99999999999",
    "?assignee=not-a-uuid",
    f"?assignee={uuid.uuid4()}",
    "?status=nonsense",
    "?age=nonsense",
    "?sla=nonsense",
    "?payer=nonsense",
    "?category=a%00b",
]


def test_hostile_query_input_never_fails():
    h.followup_items()
    client = verified_client("bella.biller")
    problems = []
    for n, query in enumerate(HOSTILE):
        status = client.get(f"/queue/{query}").status_code
        if status != 200:
            problems.append(f"GET {query[:60]}: {status}")
        if n % 3:
            continue  # take next reads the same filters: a third of them is enough
        data = dict(part.split("=", 1) for part in query[1:].split("&"))
        status = client.post("/queue/take-next/", data).status_code
        if status != 302:
            problems.append(f"POST take-next {query[:60]}: {status}")
    assert not problems, problems
    # A practice outside her work, or no practice at all: 404, like a foreign record.
    foreign = h.summit()[6]
    for value in [str(uuid.uuid4()), "٣", "x" * 10_000, str(foreign.public_id)]:
        assert client.get("/queue/", {"practice": value}).status_code == 404


def test_a_filter_the_queue_cannot_use_says_so():
    client = verified_client("bella.biller")
    page = client.get(
        "/queue/", {"amount_min": "12O", "deadline_days": "٣", "carc": "CO-45", "amount_max": "5"}
    ).content.decode()
    assert "Amount from: “12O” is not an amount in dollars; that filter is off." in page
    assert "Deadline within: “٣” is not a whole number of days up to 3650" in page
    assert "CARC: “CO-45” is not a claim adjustment reason code" in page
    assert "Amount to" not in page.split('id="filter-problems"')[1].split("</ul>")[0]

    page = client.get("/queue/", {"amount_min": "500", "amount_max": "20"}).content.decode()
    assert "Amount from $500.00 is above amount to $20.00: nothing can match." in page

    page = client.get("/queue/", {"amount_min": "20", "amount_max": "500", "carc": "45"})
    assert 'id="filter-problems"' not in page.content.decode()


def test_the_queue_page_query_count_does_not_grow_with_rows():
    h.followup_items()
    client = verified_client("olivia.owner")

    def count(per_page: int) -> tuple[int, int]:
        url = f"/queue/?practice=all&per_page={per_page}"
        client.get(url)  # warm-up
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        reads = sum("set_config" not in q["sql"] for q in ctx.captured_queries)
        return reads, len(response.context["page"].rows)

    few, shown_few = count(5)
    many, shown_many = count(50)
    assert (shown_few, shown_many) == (5, 50)
    assert many == few, (few, many)
