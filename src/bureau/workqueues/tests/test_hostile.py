"""A hostile insider against the work queue: bulk actions from a page opened under another
practice, bulk selections that are partly malformed or too long, NUL bytes in free text, and
"pend, then take next" with a queue query naming a practice the person does not work in.

Each test is one finding of the review (see the branch's report); the items come from the
session seed through `refresh`, the way the queue derives them in production.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db.models import F
from django.test import Client

from bureau import clock
from bureau.accounts.models import User
from bureau.claims.models import Claim, ClaimState
from bureau.conftest import verified_client
from bureau.demo import WORKSPACE_SLUG
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.workqueues.models import Attempt, ItemStatus, WorkItem, WorkItemEvent
from bureau.workqueues.selectors import workable
from bureau.workqueues.sync import refresh

pytestmark = pytest.mark.django_db

SUPERVISOR = "sam.supervisor"


def _system(model: Any) -> Any:
    """The test's own look-ups, past any actor (system access over every practice)."""
    practice_ids = list(Practice.objects.values_list("pk", flat=True))
    return model.objects.for_system(practice_ids, reason="test: hostile review")


def _items() -> Any:
    return _system(WorkItem)


def _refresh() -> None:
    """Follow-up items: every seeded submitted claim three days without an acknowledgement."""
    _system(Claim).filter(state=ClaimState.SUBMITTED).update(
        updated_at=F("updated_at") - timedelta(days=3)
    )
    refresh(workspace=Workspace.objects.get(slug=WORKSPACE_SLUG))
    rls.activate([])  # requests get no help from the test's own scope


@pytest.fixture
def open_items() -> dict[int, list[WorkItem]]:
    """Open items by practice (at least two practices with two open items each)."""
    _refresh()
    by_practice: dict[int, list[WorkItem]] = {}
    for item in _items().filter(status=ItemStatus.OPEN).order_by("practice_id", "pk"):
        by_practice.setdefault(item.practice_id, []).append(item)
    rls.activate([])
    found = {pid: items for pid, items in by_practice.items() if len(items) >= 2}
    assert len(found) >= 2, "the session seed should leave open items in several practices"
    return found


def _workable_pks(username: str) -> set[int]:
    actor = resolve_actor(User.objects.get(username=username))
    assert actor is not None
    return set(workable(actor).values_list("pk", flat=True))


def _state(item: WorkItem) -> tuple[str, Any, Any]:
    fresh = _items().get(pk=item.pk)
    rls.activate([])
    return fresh.status, fresh.assignee_id, fresh.pended_until


def _messages(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def _pend_data(items: list[WorkItem], **extra: str) -> list[tuple[str, str]]:
    until = (clock.now().date() + timedelta(days=7)).isoformat()
    data = [("action", "pend"), ("until", until), ("reason", "waiting for records")]
    data += [("item", str(i.public_id)) for i in items]
    return data + list(extra.items())


def _post(client: Client, url: str, data: list[tuple[str, str]]) -> Any:
    from urllib.parse import urlencode

    return client.post(
        url, urlencode(data), content_type="application/x-www-form-urlencoded", follow=True
    )


# -- bulk actions and the practice context -------------------------------------------------------


def test_bulk_from_a_page_opened_under_another_practice_changes_nothing(
    open_items: dict[int, list[WorkItem]],
) -> None:
    """The queue's bulk form is a write like any other: opened under practice B, it may not
    pend practice A's items (the item page's forms are refused the same way)."""
    (a_id, a_items), (b_id, _) = list(open_items.items())[:2]
    other = Practice.objects.get(pk=b_id)
    client = verified_client(SUPERVISOR)
    before = [_state(i) for i in a_items]
    response = _post(client, "/queue/bulk/", _pend_data(a_items, opened_under=str(other.public_id)))
    assert response.status_code == 200
    assert [_state(i) for i in a_items] == before
    assert any(other.name in m for m in _messages(response)), _messages(response)


def test_bulk_mixing_practices_under_one_practice_is_all_or_nothing(
    open_items: dict[int, list[WorkItem]],
) -> None:
    (a_id, a_items), (b_id, b_items) = list(open_items.items())[:2]
    practice = Practice.objects.get(pk=a_id)
    client = verified_client(SUPERVISOR)
    mixed = [a_items[0], b_items[0]]
    before = [_state(i) for i in mixed]
    _post(client, "/queue/bulk/", _pend_data(mixed, opened_under=str(practice.public_id)))
    assert [_state(i) for i in mixed] == before


def test_bulk_without_the_field_is_held_to_the_session_context(
    open_items: dict[int, list[WorkItem]],
) -> None:
    """A POST that carries no opened_under (an old page, a script) answers to the bar."""
    (a_id, a_items), (b_id, _) = list(open_items.items())[:2]
    client = verified_client(SUPERVISOR)
    other = Practice.objects.get(pk=b_id)
    client.post("/context/", {"practice": str(other.public_id), "next": "/"})
    before = [_state(i) for i in a_items]
    _post(client, "/queue/bulk/", _pend_data(a_items))
    assert [_state(i) for i in a_items] == before


def test_bulk_under_the_items_practice_or_all_still_works(
    open_items: dict[int, list[WorkItem]],
) -> None:
    (a_id, a_items), (b_id, b_items) = list(open_items.items())[:2]
    practice = Practice.objects.get(pk=a_id)
    client = verified_client(SUPERVISOR)
    _post(client, "/queue/bulk/", _pend_data(a_items[:1], opened_under=str(practice.public_id)))
    assert _state(a_items[0])[0] == ItemStatus.PENDED
    _post(client, "/queue/bulk/", _pend_data([a_items[1], b_items[0]], opened_under="all"))
    assert _state(a_items[1])[0] == ItemStatus.PENDED
    assert _state(b_items[0])[0] == ItemStatus.PENDED


def test_queue_bulk_form_carries_the_context_it_was_opened_under() -> None:
    client = verified_client(SUPERVISOR)
    html = client.get("/queue/?practice=all").content.decode()
    bulk_form = html.split('id="queue-bulk"', 1)[1].split("</form>", 1)[0]
    assert 'name="opened_under" value="all"' in bulk_form


# -- bulk selections: all or nothing ----------------------------------------------------------


def test_bulk_with_a_malformed_item_id_changes_nothing(
    open_items: dict[int, list[WorkItem]],
) -> None:
    """A malformed id in the selection is an item that does not exist: nothing changes (it
    used to be dropped silently and the rest pended)."""
    items = next(iter(open_items.values()))
    client = verified_client(SUPERVISOR)
    data = _pend_data(items[:1], opened_under="all") + [("item", "not-a-uuid")]
    response = _post(client, "/queue/bulk/", data)
    assert response.status_code == 404
    assert _state(items[0])[0] == ItemStatus.OPEN


def test_bulk_over_the_limit_is_refused_not_cut(
    open_items: dict[int, list[WorkItem]],
) -> None:
    """More ids than one page holds: refused with a reason, not the first 200 changed."""
    items = next(iter(open_items.values()))
    client = verified_client(SUPERVISOR)
    data = _pend_data(items[:1], opened_under="all")
    data += [("item", str(items[1].public_id))] * 200
    response = _post(client, "/queue/bulk/", data)
    assert response.status_code == 200
    assert any("200" in m for m in _messages(response)), _messages(response)
    assert _state(items[0])[0] == ItemStatus.OPEN
    assert _state(items[1])[0] == ItemStatus.OPEN


def test_bulk_counts_a_repeated_item_once(open_items: dict[int, list[WorkItem]]) -> None:
    items = next(iter(open_items.values()))
    client = verified_client(SUPERVISOR)
    response = _post(client, "/queue/bulk/", _pend_data([items[0]] * 3, opened_under="all"))
    assert "1 item(s) updated." in _messages(response)
    events = _system(WorkItemEvent).filter(item_id=items[0].pk, kind="pended")
    assert events.count() == 1


# -- a pend keeps its holder ------------------------------------------------------------------


def test_a_worker_cannot_take_or_release_another_workers_pended_item(
    open_items: dict[int, list[WorkItem]],
) -> None:
    """Casey claims and pends an item until next week; Bella (same function, no queue.assign)
    could press `a` on it and silently drop Casey's pend. Refused with who holds it; a
    supervisor still releases it."""
    casey = verified_client("casey.contractor")
    bella = verified_client("bella.biller")
    both = _workable_pks("casey.contractor") & _workable_pks("bella.biller")
    rls.activate([])
    item = next(i for items in open_items.values() for i in items if i.pk in both)
    base = f"/queue/{item.public_id}/"
    _post(casey, base + "claim/", [])
    until = (clock.now().date() + timedelta(days=7)).isoformat()
    _post(casey, base + "pend/", [("until", until), ("reason", "waiting for records")])
    held = _state(item)
    assert held[0] == ItemStatus.PENDED
    for action in ("claim/", "release/"):
        response = _post(bella, base + action, [])
        assert any("Casey" in m and "working this item" in m for m in _messages(response))
        assert _state(item) == held
    response = _post(bella, "/queue/bulk/", [("action", "release"), ("item", str(item.public_id))])
    assert _state(item) == held
    _post(verified_client(SUPERVISOR), base + "release/", [])
    assert _state(item)[0] == ItemStatus.OPEN


# -- free text with a NUL ---------------------------------------------------------------------


def test_nul_bytes_in_free_text_never_reach_the_database(
    open_items: dict[int, list[WorkItem]],
) -> None:
    """PostgreSQL refuses a NUL in a text value (a 500): every free-text field of the item's
    forms drops control characters (the claims search does the same)."""
    item = next(iter(open_items.values()))[0]
    client = verified_client(SUPERVISOR)
    base = f"/queue/{item.public_id}/"
    response = _post(
        client,
        base + "attempt/",
        [
            ("channel", "phone"),
            ("outcome", "P1"),
            ("minutes", "5"),
            ("representative", "Ann\x00"),
            ("reference", "REF\x00123"),
            ("note", "called\x00"),
        ],
    )
    assert response.status_code == 200
    attempt = _system(Attempt).get(item_id=item.pk)
    assert (attempt.representative, attempt.reference, attempt.note) == ("Ann", "REF123", "called")
    response = _post(
        client,
        base + "assign/",
        [("assignee", str(User.objects.get(username=SUPERVISOR).public_id)), ("note", "a\x00b")],
    )
    assert response.status_code == 200
    until = (clock.now().date() + timedelta(days=3)).isoformat()
    response = _post(client, base + "pend/", [("until", until), ("reason", "w\x00ait")])
    assert response.status_code == 200
    fresh = _items().get(pk=item.pk)
    assert fresh.pend_reason == "wait"
    notes = _system(WorkItemEvent).filter(item_id=item.pk)
    assert all("\x00" not in e.note for e in notes)


# -- pend, then take next ---------------------------------------------------------------------


def test_pend_then_next_with_a_foreign_practice_in_the_query_is_not_a_404_after_the_pend(
    open_items: dict[int, list[WorkItem]],
) -> None:
    """The carried queue query names a practice the person does not work in: the pend is
    saved, so the answer may not be a 404 page that hides it; the filter is dropped."""
    item = next(iter(open_items.values()))[0]
    client = verified_client(SUPERVISOR)
    until = (clock.now().date() + timedelta(days=3)).isoformat()
    response = _post(
        client,
        f"/queue/{item.public_id}/pend/",
        [
            ("until", until),
            ("reason", "waiting"),
            ("then", "next"),
            ("query", "practice=00000000-0000-0000-0000-000000000000"),
        ],
    )
    assert response.status_code == 200
    assert _state(item)[0] == ItemStatus.PENDED
