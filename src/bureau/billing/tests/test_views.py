"""Write-off pages: the request form from a denial and a claim, the list with its filters and
practice column, the detail with approve/refuse for approvers only, the approval queue, and
input that must not 500."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.billing.models import WriteOffRequest, WriteOffStatus
from bureau.billing.tests.helpers import denials_of_claim, denied_claim, lines_of, write_offs
from bureau.conftest import verified_client
from bureau.denials.models import RootCause
from bureau.tenancy import rls
from bureau.workqueues.functions import Function

pytestmark = pytest.mark.django_db


def form_url(claim, denial=None):
    url = reverse("billing:writeoff_new", kwargs={"public_id": claim.public_id})
    return url + (f"?denial={denial.public_id}" if denial is not None else "")


def post_request(client, claim, amounts, denial=None, **extra):
    lines = lines_of(claim)
    data = {f"amount-{lines[i].public_id}": v for i, v in amounts.items()}
    data.update(
        reason=extra.get("reason", "timely_filing"),
        note=extra.get("note", "Past the filing limit."),
        root_cause=extra.get("root_cause", RootCause.CHARGE_ENTRY),
    )
    if denial is not None:
        data["denial"] = str(denial.public_id)
    return client.post(form_url(claim), data)


def only_request(claim) -> WriteOffRequest:
    with rls.practice_scope([claim.practice_id]):
        return WriteOffRequest.objects.for_system([claim.practice_id], reason="t").get(
            claim_id=claim.pk
        )


def test_the_denial_and_claim_pages_offer_the_request_to_who_may_ask():
    s = denied_claim()
    denial = denials_of_claim(s.denied)[0]
    biller = verified_client("bella.biller")
    page = biller.get(reverse("denials:detail", kwargs={"public_id": denial.public_id}))
    assert form_url(s.denied, denial).encode() in page.content
    page = biller.get(reverse("claims:detail", kwargs={"public_id": s.denied.public_id}))
    assert form_url(s.denied).encode() in page.content
    # The client viewer may not request write-offs: no link.
    client_page = verified_client("cliff.client").get(
        reverse("claims:detail", kwargs={"public_id": s.denied.public_id})
    )
    assert b"Request write-off" not in client_page.content


def test_form_shows_open_amounts_and_a_request_above_the_limit_waits():
    s = denied_claim()
    denial = denials_of_claim(s.denied)[0]
    biller = verified_client("bella.biller")
    page = biller.get(form_url(s.denied, denial)).content.decode()
    assert "110.00" in page and "12.00" in page and s.practice.name in page
    assert 'name="root_cause"' in page  # the write-off closes an open denial
    response = post_request(biller, s.denied, {0: "110.00", 1: "12.00"}, denial=denial)
    made = only_request(s.denied)
    assert response.status_code == 302
    assert response["Location"] == reverse("billing:writeoff", kwargs={"public_id": made.public_id})
    assert made.status == WriteOffStatus.PENDING and made.denial_id == denial.pk
    detail = biller.get(response["Location"]).content.decode()
    assert "You asked for this write-off" in detail and 'id="writeoff-approve"' not in detail
    # The biller holds no writeoffs.approve: the approve URL does not exist for her.
    approve = reverse("billing:writeoff_approve", kwargs={"public_id": made.public_id})
    assert biller.post(approve, {"note": "mine"}).status_code == 404
    # In the approver's queue.
    sam = verified_client("sam.supervisor")
    queue = sam.get(reverse("workqueues:queue"), {"function": Function.WRITEOFF_APPROVAL})
    assert "Write-off 122.00" in queue.content.decode()
    page = sam.get(response["Location"]).content.decode()
    assert 'id="writeoff-approve"' in page and 'id="writeoff-refuse"' in page
    assert sam.post(approve, {"note": "ok"}).status_code == 302
    assert only_request(s.denied).status == WriteOffStatus.APPROVED
    assert sorted(write_offs(s.denied)) == [D("-110.00"), D("-12.00")]


def test_refusal_shows_the_note_to_the_requester():
    s = denied_claim()
    biller = verified_client("bella.biller")
    post_request(biller, s.denied, {0: "100.00"})
    made = only_request(s.denied)
    sam = verified_client("sam.supervisor")
    refuse = reverse("billing:writeoff_refuse", kwargs={"public_id": made.public_id})
    sam.post(refuse, {"note": "Appeal it first."})
    page = biller.get(reverse("billing:writeoff", kwargs={"public_id": made.public_id}))
    assert "Refused" in page.content.decode() and "Appeal it first." in page.content.decode()
    listing = biller.get(reverse("billing:writeoffs"), {"status": "refused", "mine": "1"})
    assert s.denied.number in listing.content.decode()


@pytest.mark.parametrize(
    "amounts",
    [{}, {0: "abc"}, {0: "-1"}, {0: "1e999999"}, {0: "110.01"}, {0: "0.001"}, {0: "\x00"}],
)
def test_bad_form_input_re_renders_with_the_reason(amounts):
    s = denied_claim()
    response = post_request(verified_client("bella.biller"), s.denied, amounts)
    assert response.status_code == 200
    assert b"Not saved:" in response.content
    with rls.practice_scope([s.practice.pk]):
        assert not WriteOffRequest.objects.for_system([s.practice.pk], reason="t").exists()


def test_bad_denial_parameter_is_ignored_not_a_crash():
    s = denied_claim()
    client = verified_client("bella.biller")
    assert client.get(form_url(s.denied) + "?denial=not-a-uuid").status_code == 200


def test_list_filters_and_shows_the_practice_and_audits():
    s = denied_claim()
    client = verified_client("bella.biller")
    post_request(client, s.denied, {1: "5.00"})
    sam = verified_client("sam.supervisor")
    page = sam.get(reverse("billing:writeoffs"), {"status": "auto_approved"}).content.decode()
    assert s.denied.number in page and s.practice.name in page
    page = sam.get(reverse("billing:writeoffs"), {"status": "pending"}).content.decode()
    assert s.denied.number not in page
    assert AuditEvent.objects.filter(
        action=AuditAction.WRITEOFF_LISTED, user__username="sam.supervisor"
    ).exists()


def test_the_denial_page_lists_the_claims_write_offs_with_their_status():
    s = denied_claim()
    denial = denials_of_claim(s.denied)[0]
    biller = verified_client("bella.biller")
    post_request(biller, s.denied, {0: "100.00"}, denial=denial)
    page = biller.get(reverse("denials:detail", kwargs={"public_id": denial.public_id}))
    body = page.content.decode()
    assert 'id="claim-writeoffs"' in body and "Waiting for approval" in body


def test_provider_limited_biller_gets_404_for_another_providers_write_off():
    """lina.limited bills two providers of the first practice: another provider's claim form
    and its write-off request answer 404, like a missing one."""
    from bureau.claims.models import Encounter
    from bureau.demo import LIMITED_USER
    from bureau.denials.tests.test_views import actor
    from bureau.directory.models import Provider

    s = denied_claim()
    limited = actor(LIMITED_USER).access[s.practice.pk].provider_ids
    other = Provider.objects.filter(practice=s.practice).exclude(pk__in=limited).first()
    with rls.practice_scope([s.practice.pk]):
        Encounter.objects.for_system([s.practice.pk], reason="test").filter(
            pk=s.denied.encounter_id
        ).update(rendering_provider=other, billing_provider=other)
    post_request(verified_client("bella.biller"), s.denied, {0: "100.00"})
    made = only_request(s.denied)
    lina = verified_client(LIMITED_USER)
    assert lina.get(form_url(s.denied)).status_code == 404
    assert post_request(lina, s.denied, {0: "1.00"}).status_code == 404
    detail = reverse("billing:writeoff", kwargs={"public_id": made.public_id})
    assert lina.get(detail).status_code == 404
    assert s.denied.number not in lina.get(reverse("billing:writeoffs")).content.decode()
