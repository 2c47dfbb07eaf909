"""What the pages of the load mix cost (issue 12): their own reads are pinned, and none of them
grows with the rows it shows.

The mix (bench/bench_load.py) is home, the claims list, a claim, the patients list, a patient,
the denials (the queue filtered to them) and the whole queue, for a supervisor of every
practice. A page's own reads are its queries less the ones every page makes (session, user,
authenticator, the actor's grants, practices and workspace), the transaction's statements and
the audit trail's writes. Lists fetch only the columns a row shows (`.only`, named values), so
a template touching one more column would cost a query per row: the counts catch that too.
`bench/profile_pages.py` measures the CPU.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from bureau.claims.models import Claim, ClaimLine
from bureau.conftest import verified_client
from bureau.remittance.tests import builders as b
from bureau.workqueues.tests import helpers as h
from bureau.workqueues.tests.test_queue_views import denied_claims
from bureau.workqueues.tests.test_rules import enrolled_payers

pytestmark = pytest.mark.django_db

# Not the page's own: what every page reads first (the session, the user by id, the
# authenticator, the actor's two reads), the session's save and the audit trail's
# statements. The pattern names them exactly: a page reading users or practices for itself
# still counts.
SHARED = re.compile(
    r'"?django_session\b|FROM "accounts_user" WHERE ("accounts_user"\.)?"id" = '
    r'|FROM "otp_totp_totpdevice"|FROM "tenancy_grant" g |FROM "tenancy_practice" WHERE '
    r'|FROM "tenancy_workspace" (WHERE|w) |^(INSERT INTO|UPDATE) "?audit_|FROM "?audit_'
)
TRANSACTION = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SELECT SET_CONFIG")

# The page's own reads, measured on SQLite and PostgreSQL (RLS): the mix as the load test
# opens it. One more is a new query per page (or per row, which the growth tests name).
PAGE_READS = {
    # Work summary; patients, rejected claims, open exceptions + holds, denials, paid; and the
    # book at a glance (reports.book), one statement per measure for every practice: aging (a
    # probe for entries dated after today, then the balances) and its payers' names, days in
    # A/R, denials (claims + denials), clean claims, net collection, SLA breaches, this month
    # and last, the denial trend (claims + denials); and the nightly snapshots looked for
    # first (none here: read live; from them, the snapshots and SLA breaches alone).
    # compliance: the policies the user has still to acknowledge, and the access reviews
    # the user has to do.
    "/": 6 + 13 + 2,
    "/claims/?practice=all": 4,  # payers, providers, count, page
    "/patients/?practice=all": 2,  # count, page
    "/queue/?function=denials&practice=all": 3,  # payers, page, people to assign to
    "/queue/?practice=all": 3,
}
# claim, lines, scrub findings, history, acknowledgements, remittances, ledger, write-offs
CLAIM_READS = 8
PATIENT_READS = 2  # patient, coverages


def own_reads(client: Client, url: str) -> tuple[list[str], Any]:
    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, url
    sql = [q["sql"] for q in ctx.captured_queries]
    return [
        s[:200] for s in sql if not s.upper().startswith(TRANSACTION) and not SHARED.search(s)
    ], response


def listing(sql: list[str]) -> str:
    return "\n".join(sql)


@pytest.mark.parametrize("url", sorted(PAGE_READS))
def test_mix_list_pages_read_what_they_show_and_no_more(url):
    h.followup_items()
    client = verified_client("sam.supervisor")
    sql, _ = own_reads(client, url)
    assert len(sql) == PAGE_READS[url], listing(sql)


def _claims_with_most_and_fewest_lines() -> tuple[Claim, Claim]:
    practices = [p.pk for p in h.summit()]
    lines = {}
    for claim_id in h.system(ClaimLine, practices).values_list("claim_id", flat=True):
        lines[claim_id] = lines.get(claim_id, 0) + 1
    fewest = min(lines, key=lambda c: lines[c])
    most = max(lines, key=lambda c: lines[c])
    assert lines[most] > lines[fewest]
    claims = {c.pk: c for c in h.system(Claim, practices).filter(pk__in=[fewest, most])}
    return claims[fewest], claims[most]


@pytest.mark.parametrize("username", ["sam.supervisor", "dan.denials"])
def test_a_claim_page_costs_the_same_for_one_line_or_many(username):
    small, big = _claims_with_most_and_fewest_lines()
    client = verified_client(username)
    one, _ = own_reads(client, f"/claims/{small.public_id}/")
    many, response = own_reads(client, f"/claims/{big.public_id}/")
    assert len(response.context["d"].lines) > 1
    assert len(many) == len(one) == CLAIM_READS, listing(many)


def test_a_patient_page_reads_the_patient_and_coverages():
    practice_ids = [p.pk for p in h.summit()]
    from bureau.patients.models import Patient

    patient = h.system(Patient, practice_ids).order_by("id").first()
    sql, _ = own_reads(verified_client("sam.supervisor"), f"/patients/{patient.public_id}/")
    assert len(sql) == PATIENT_READS, listing(sql)


@pytest.mark.parametrize("username", ["sam.supervisor", "dan.denials", "bella.biller"])
def test_the_claims_list_costs_the_same_for_one_row_or_a_page(username):
    client = verified_client(username)
    page_sql, page = own_reads(client, "/claims/?practice=all")
    rows = page.context["page"].rows
    assert len(rows) > 10
    number = rows[0].number
    one_sql, one = own_reads(client, f"/claims/?practice=all&q={number}")
    assert [r.number for r in one.context["page"].rows] == [number]
    assert len(page_sql) == len(one_sql), listing(page_sql)


def test_rejected_claims_read_their_reasons_in_one_query():
    practice = h.summit()[0]
    payer = enrolled_payers(practice)[0]
    for claim in b.submitted_claims(practice, payer, count=3):
        h.reject(claim)
    client = verified_client("sam.supervisor")
    htmx = {"HX-Request": "true"}  # the list itself (a full page goes to the queue)
    client.get("/claims/?practice=all&state=rejected", headers=htmx)
    with CaptureQueriesContext(connection) as ctx:
        many = client.get("/claims/?practice=all&state=rejected", headers=htmx)
    rows = many.context["page"].rows
    assert len(rows) >= 3 and all(r.rejection for r in rows)
    number = rows[0].number
    with CaptureQueriesContext(connection) as one_ctx:
        one = client.get(f"/claims/?practice=all&state=rejected&q={number}", headers=htmx)
    assert [r.number for r in one.context["page"].rows] == [number]
    assert len(ctx.captured_queries) == len(one_ctx.captured_queries)


@pytest.mark.parametrize("username", ["sam.supervisor", "dan.denials"])
def test_the_queue_costs_the_same_for_a_few_rows_or_many_of_every_kind(username):
    """Claimed, pended and unassigned items of every function, with and without a claim and
    a payer: the columns a row prints are all fetched with the page."""
    h.followup_items()
    for practice in h.summit()[:2]:
        denied_claims(practice, count=2)
    client = verified_client(username)
    few_sql, few = own_reads(client, "/queue/?practice=all&per_page=2")
    many_sql, many = own_reads(client, "/queue/?practice=all&per_page=200")
    assert len(few.context["page"].rows) == 2
    rows = many.context["page"].rows
    assert len(rows) >= (4 if username == "dan.denials" else 10)
    assert all(r.masked for r in rows if r.patient) == (username == "dan.denials")
    assert len(many_sql) == len(few_sql), listing(many_sql)
