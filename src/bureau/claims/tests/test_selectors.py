"""Claim reads: scope across practices, masking, per-practice audit, no N+1, 404s."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from bureau.audit.models import AuditEvent
from bureau.claims import selectors
from bureau.claims.models import ClaimState
from bureau.claims.tests.test_services import actor, make_claims, practices

pytestmark = pytest.mark.django_db


def ids(page):
    return {r.public_id for r in page.rows}


def everything(username, **kwargs):
    return selectors.claim_list(actor=actor(username), page_size=10_000, **kwargs)


def test_list_spans_permitted_practices_only():
    _, _, _, [mine] = make_claims(practice_index=0)
    _, _, _, [other] = make_claims(username="olivia.owner", practice_index=6)
    bella = everything("bella.biller")
    assert str(mine.public_id) in ids(bella) and str(other.public_id) not in ids(bella)
    assert {r.practice_name for r in bella.rows} <= {p.name for p in practices()[:4]}
    assert {str(mine.public_id), str(other.public_id)} <= ids(everything("olivia.owner"))
    assert not ids(everything("hank.harbor")) & {str(mine.public_id), str(other.public_id)}


def test_filters_and_sort():
    _, practice, _, claims = make_claims(orders=(1, 2))
    page = everything(
        "bella.biller",
        filters=selectors.ClaimFilters(practice_id=practice.pk, payer_id=claims[1].payer_id),
    )
    assert str(claims[1].public_id) in ids(page) and str(claims[0].public_id) not in ids(page)
    assert {r.payer_name for r in page.rows} == {claims[1].payer.name}
    ready = everything("bella.biller", filters=selectors.ClaimFilters(state=ClaimState.READY))
    assert all(r.state == "ready" for r in ready.rows)
    by_number = everything("bella.biller", sort="number")
    assert [r.number for r in by_number.rows] == sorted(r.number for r in by_number.rows)
    assert selectors.claim_list(actor=actor("bella.biller"), sort="bogus").sort == "date"


def test_masked_for_actor_without_demographics():
    _, _, _, [claim] = make_claims()
    [row] = [r for r in everything("dan.denials").rows if r.public_id == str(claim.public_id)]
    assert row.masked and row.patient_name == "Q. C."
    [row] = [r for r in everything("bella.biller").rows if r.public_id == str(claim.public_id)]
    assert not row.masked and row.patient_name == "Claimsworth, Quinn"


def test_list_is_audited_per_practice_with_ids_shown():
    make_claims(practice_index=0)
    make_claims(username="olivia.owner", practice_index=6)
    start = AuditEvent.objects.order_by("-id").first().pk
    page = everything("olivia.owner")
    events = list(AuditEvent.objects.filter(pk__gt=start, action="claim.listed"))
    assert len(events) == len({r.practice_name for r in page.rows})
    assert sorted(i for e in events for i in e.record_ids) == sorted(ids(page))
    assert all(e.user.username == "olivia.owner" for e in events)


def test_list_query_count_does_not_grow_with_rows():
    for _ in range(3):
        make_claims()
    a = actor("bella.biller")
    with CaptureQueriesContext(connection) as few:
        selectors.claim_list(actor=a, page_size=1)
    with CaptureQueriesContext(connection) as many:
        selectors.claim_list(actor=a, page_size=50)

    # The RLS scope is set once per transaction (PostgreSQL): only the first list sets it.
    def reads(ctx: CaptureQueriesContext) -> int:
        return sum("set_config" not in q["sql"] for q in ctx.captured_queries)

    assert reads(many) == reads(few)


def test_detail_has_lines_history_and_is_audited():
    a, _, _, [claim] = make_claims()
    from bureau.claims.services import claim_transition

    claim_transition(actor=a, claim=claim, to_state=ClaimState.READY)
    detail = selectors.claim_detail(actor=a, public_id=claim.public_id)
    assert [ln.procedure_code for ln in detail.lines] == ["99213", "36415", "81002"]
    assert [e.to_state for e in detail.history] == ["ready"]
    assert detail.diagnosis_codes == ["E119", "I10"]
    event = AuditEvent.objects.order_by("-id").first()
    assert event.action == "claim.viewed" and event.record_ids == [str(claim.public_id)]


@pytest.mark.parametrize("username", ["priya.poster", "hank.harbor"])
def test_detail_of_foreign_claim_is_404(username):
    _, _, _, [claim] = make_claims()
    with pytest.raises(Http404):
        selectors.claim_detail(actor=actor(username), public_id=claim.public_id)
