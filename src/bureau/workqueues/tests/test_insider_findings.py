"""What an attack on the running demo found (a hostile insider's pass over the queue), each
fixed and held here: the queue page follows the practice bar and take next answers to it,
money as people type it and nothing else, notes without format characters, home's counts
without an expired claim counted twice, no "Assign to me" on an item someone else holds."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from bureau.conftest import verified_client
from bureau.tenancy.context import OPENED_UNDER, SESSION_KEY
from bureau.workqueues import services
from bureau.workqueues.models import Attempt, ItemStatus, WorkItem
from bureau.workqueues.selectors import QueueFilters, work_summary
from bureau.workqueues.tests import helpers as h
from bureau.workqueues.tests.test_services import free_items, get

pytestmark = pytest.mark.django_db


@pytest.fixture
def summit():
    h.followup_items()
    return h.summit()


def _context(client, practice) -> None:
    session = client.session
    session[SESSION_KEY] = str(practice.public_id)
    session.save()


def _said(response) -> str:
    return " ".join(str(m) for m in response.wsgi_request._messages)


def test_the_queue_page_moves_the_bar_to_the_practice_it_shows(summit):
    lakeside, northgate = summit[0], summit[1]
    client = verified_client("olivia.owner")
    _context(client, lakeside)

    page = client.get("/queue/", {"practice": str(northgate.public_id)})

    html = page.content.decode()
    assert f"Switched to {northgate.name} to show this list." in html
    assert client.session[SESSION_KEY] == str(northgate.public_id)
    # Its forms carry the practice the bar now names.
    assert f'name="{OPENED_UNDER}" value="{northgate.public_id}"' in html
    # So a bulk action on a row it shows goes through.
    [item] = free_items([northgate])[:1]
    response = client.post(
        "/queue/bulk/",
        {
            "item": str(item.public_id),
            "action": "pend",
            "until": (timezone.localdate() + timedelta(days=5)).isoformat(),
            "reason": "payer review",
            OPENED_UNDER: str(northgate.public_id),
        },
    )
    assert "Reload and try again" not in _said(response)
    assert get(item).status == ItemStatus.PENDED


def test_take_next_from_a_page_opened_under_another_practice_is_refused(summit):
    lakeside, northgate = summit[0], summit[1]
    client = verified_client("olivia.owner")
    before = h.live([northgate.pk], assignee__isnull=False)

    response = client.post(
        "/queue/take-next/",
        {"practice": str(northgate.public_id), OPENED_UNDER: str(lakeside.public_id)},
    )

    assert response.status_code == 302
    assert (
        f"This page was opened under {lakeside.name}; the queue asked for belongs to "
        f"{northgate.name}. Reload and try again." in _said(response)
    )
    assert h.live([northgate.pk], assignee__isnull=False) == before
    # A form with no practice takes from the practice it was opened under, not the session's.
    _context(client, northgate)
    response = client.post("/queue/take-next/", {OPENED_UNDER: str(lakeside.public_id)})
    taken = h.live([lakeside.pk, northgate.pk], assignee__isnull=False)
    assert [i.practice_id for i in taken if i not in before] == [lakeside.pk]


@pytest.mark.parametrize("typed", ["1E1", "1e2", "10.005", "٣", "$1,23"])
def test_money_is_dollars_as_people_type_them(summit, typed):
    item = _underpayment_like(summit)
    client = verified_client("olivia.owner")
    response = client.post(
        f"/queue/{item.public_id}/done/", {"note": "paid", "recovered": typed, OPENED_UNDER: "all"}
    )
    assert "Recovered must be an amount in dollars." in _said(response)
    assert get(item).status != ItemStatus.DONE
    page = client.get("/queue/", {"amount_min": typed}).content.decode()
    assert "is not an amount in dollars; that filter is off." in page


def _underpayment_like(summit) -> WorkItem:
    """A free item closed by hand (the function does not matter to the parser)."""
    item = free_items([summit[0]])[0]
    h.system(WorkItem, [item.practice_id]).filter(pk=item.pk).update(function="underpayments")
    return get(item)


def test_a_note_keeps_no_bidi_override(summit):
    item = free_items([summit[0]])[0]
    client = verified_client("olivia.owner")
    client.post(
        f"/queue/{item.public_id}/attempt/",
        {
            "channel": "phone",
            "outcome": "P1",
            "minutes": "5",
            "note": "\u202egnidnep",
            "reference": "R\u200b-1",
            OPENED_UNDER: "all",
        },
    )
    attempt = h.system(Attempt, [item.practice_id]).get(item_id=item.pk)
    assert attempt.note == "gnidnep" and attempt.reference == "R-1"


def test_an_expired_claim_counts_as_free_on_home_not_also_as_mine(summit):
    bella = h.actor("bella.biller")
    item = services.take_next(actor=bella, filters=QueueFilters())
    assert item is not None
    before = work_summary(actor=bella)
    expired = timezone.now() - timedelta(minutes=1)
    h.system(WorkItem, [item.practice_id]).filter(pk=item.pk).update(claimed_until=expired)
    h.rls.activate([])
    after = work_summary(actor=bella)
    assert (after.mine, after.free) == (before.mine - 1, before.free + 1)


def test_no_assign_to_me_on_an_item_someone_else_has_pended(summit):
    item = free_items([summit[0]])[0]
    bella = h.actor("bella.biller")
    services.item_claim(actor=bella, public_id=item.public_id)
    services.items_pend(
        actor=bella,
        public_ids=[item.public_id],
        until=timezone.localdate() + timedelta(days=3),
        reason="waiting for the payer",
    )
    page = verified_client("sam.supervisor").get(f"/queue/{item.public_id}/").content.decode()
    assert 'id="claim-form"' not in page
    # Her own pend: she may take it back before its date.
    own = verified_client("bella.biller").get(f"/queue/{item.public_id}/").content.decode()
    assert 'id="claim-form"' in own
