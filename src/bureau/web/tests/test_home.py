"""Home page figures per practice: what each person may open, counted through the same scope."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bureau.accounts.models import User
from bureau.claims.models import Claim, ClaimState
from bureau.conftest import verified_client
from bureau.remittance.models import Era
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.roles import Capability
from bureau.web.selectors import practice_summaries, summary_totals

pytestmark = pytest.mark.django_db


def summaries_of(username: str):
    actor = resolve_actor(User.objects.get(username=username))
    assert actor is not None
    return actor, {s.practice.pk: s for s in practice_summaries(actor=actor)}


def test_owner_sees_rejections_exceptions_denials_and_recent_payments():
    s = ingest_scenario()  # one paid claim, one denied (CO-50), one claim not ours
    with rls.practice_scope([s.practice.pk]):
        Claim.objects.for_system([s.practice.pk], reason="test").filter(pk=s.paid.pk).update(
            state=ClaimState.REJECTED
        )
        rejected = (
            Claim.objects.for_system([s.practice.pk], reason="test")
            .filter(state=ClaimState.REJECTED)
            .count()
        )
    _, mine = summaries_of("olivia.owner")
    row = mine[s.practice.pk]
    assert row.rejected_claims == rejected >= 1
    assert row.open_exceptions == 1  # the claim that is not ours
    assert row.open_denials == 2  # CO-50 on each of the denied claim's two lines
    # The test ERA is dated in the past: nothing paid in the last 30 days — until it is recent.
    assert row.paid_recently == Decimal("0.00")
    with rls.practice_scope([s.practice.pk]):
        Era.objects.for_system([s.practice.pk], reason="test").filter(pk=s.era.pk).update(
            payment_date=timezone.localdate()
        )
    assert summaries_of("olivia.owner")[1][s.practice.pk].paid_recently == s.era.payment_amount > 0
    others = [r for pk, r in mine.items() if pk != s.practice.pk]
    assert all(r.open_exceptions == 0 for r in others)


def test_figures_follow_capabilities_per_practice():
    s = ingest_scenario(b.summit()[0])
    actor, rows = summaries_of("dan.denials")  # denials on all practices, no payments
    for pk, row in rows.items():
        assert (row.open_denials is None) != actor.can(Capability.DENIALS_VIEW, pk)
        assert (row.open_exceptions is None) != actor.can(Capability.PAYMENTS_VIEW, pk)
        assert (row.rejected_claims is None) != actor.can(Capability.CLAIMS_VIEW, pk)
    assert rows[s.practice.pk].open_denials == 2  # a denial specialist works every practice


# compliance: one query more each for the access reviews to do and the policies to acknowledge.
BOUND = 33 if connection.vendor == "sqlite" else 41


def test_home_page_links_each_figure_and_reads_them_in_grouped_queries():
    s = ingest_scenario()
    client = verified_client("olivia.owner")
    client.get("/")
    with CaptureQueriesContext(connection) as ctx:
        body = client.get("/").content.decode()
    exceptions = f"{reverse('eras:exceptions')}?practice={s.practice.public_id}"
    assert exceptions in body
    assert f"?practice={s.practice.public_id}&amp;status=open" in body
    # Measured with eight practices: 18 (SQLite) / 24 (PostgreSQL, RLS), the work summary's one
    # grouped count (and its RLS setting) included; the book at a glance adds 13 reads (one per
    # measure for every practice, reports.book, aging's probe for entries dated after today,
    # the nightly snapshots looked for: none here, so read live) and its audit write: 31 on
    # SQLite; the open access reviews the person reviews, one more (32). One query
    # per figure, grouped by practice; a query per practice would add eight per figure.
    assert len(ctx.captured_queries) <= BOUND, [q["sql"][:80] for q in ctx.captured_queries]


def test_totals_sum_only_the_figures_a_person_may_see():
    ingest_scenario()
    _, rows = summaries_of("priya.poster")  # payments on two practices, no denials
    totals = summary_totals(list(rows.values()))
    assert totals.open_denials is None
    assert totals.open_exceptions == sum(r.open_exceptions for r in rows.values())
    assert totals.paid_recently == sum(
        (r.paid_recently for r in rows.values() if r.paid_recently is not None), Decimal(0)
    )
    body = verified_client("olivia.owner").get("/").content.decode()
    assert 'id="practice-totals"' in body
