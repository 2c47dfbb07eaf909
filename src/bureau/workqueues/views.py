"""The work queue's pages: the queue across every practice, take next, an item with its
subject and history, and the actions on it. Thin: parse, call a selector or service, render."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from urllib.parse import quote
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau import clock
from bureau.denials.models import DenialCategory
from bureau.directory.models import Payer
from bureau.directory.selectors import payer_list
from bureau.tenancy.actor import Actor
from bureau.tenancy.context import ALL, OPENED_UNDER
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    actor_of,
    chosen_by_public_id,
    chosen_practice,
    record_in_context,
    requires_any,
)
from bureau.workqueues import services
from bureau.workqueues.detail import item_detail
from bureau.workqueues.functions import CAPABILITY
from bureau.workqueues.models import Channel, ItemStatus, Outcome
from bureau.workqueues.selectors import (
    AGE_BUCKETS,
    MAX_PAGE_SIZE,
    PAGE_SIZE,
    QueueFilters,
    functions_of,
    item_practice_id,
    items_practice_ids,
    people_of,
    queue_page,
)
from bureau.workqueues.sla import SlaState, local_date

WORK = tuple(dict.fromkeys(CAPABILITY.values()))
MONEY_MAX = Decimal("9999999999.99")


MONEY = re.compile(r"-?\$?\d{1,3}(,\d{3})*(\.\d{1,2})?|-?\$?\d+(\.\d{1,2})?", re.ASCII)


def _money(raw: str | None) -> Decimal | None:
    """Dollars as people type them ($1,234.50, 20, 20.5): no exponents (1E1), no third
    decimal to be rounded away unseen."""
    text = (raw or "").strip()
    if len(text) > 16 or not MONEY.fullmatch(text):
        return None
    value = Decimal(text.replace(",", "").replace("$", ""))
    return value if abs(value) <= MONEY_MAX else None


def _int(raw: str | None, *, low: int, high: int) -> int | None:
    if not raw or not raw.isascii() or not raw.isdigit() or len(raw) > 6:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def _text(raw: str | None) -> str:
    """Free text from a form, without control or format characters: PostgreSQL refuses a NUL
    in a text value (a 500), a bidi override would make a note read other than it was
    written, and every field here is one line."""
    return "".join(c for c in (raw or "") if unicodedata.category(c) not in ("Cc", "Cf")).strip()


def _date(raw: str | None) -> date | None:
    if not raw or len(raw) != 10 or not raw.isascii():
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def _filters(
    request: HttpRequest, source: dict[str, str] | None = None, *, payers: list[Payer] | None = None
) -> QueueFilters:
    """The queue's filters from the query (or a form echoing it): anything unknown or
    malformed filters nothing rather than failing (and the page says so), except a practice:
    one the actor does not work in answers 404, as a foreign record does. `payers`: the
    workspace's, when the caller has read them already."""
    q = source if source is not None else request.GET
    actor = actor_of(request)
    mine = {f for f, _ in functions_of(actor)}
    functions = (
        tuple(f for f in q.getlist("function") if f in mine) if hasattr(q, "getlist") else ()
    )
    practice = _practice(request, q.get("practice"))
    if payers is None:
        payers = list(payer_list(actor=actor))
    payer = (
        chosen_by_public_id(request, "payer", payers)
        if source is None
        else next((p for p in payers if str(p.public_id) == q.get("payer", "")), None)
    )
    assignee = q.get("assignee", "anyone")
    if assignee not in ("anyone", "mine", "unassigned"):
        try:
            assignee = str(UUID(assignee)) if actor.can(Capability.QUEUE_VIEW) else "anyone"
        except ValueError:
            assignee = "anyone"
    return QueueFilters(
        functions=functions,
        practice_id=practice.pk if practice else None,
        payer_id=payer.pk if payer else None,
        category=q.get("category", "") if q.get("category") in DenialCategory.values else "",
        carc=q.get("carc", "")[:5]
        if q.get("carc", "").isascii() and q.get("carc", "").isalnum()
        else "",
        assignee=assignee,
        age=q.get("age", "") if q.get("age") in AGE_BUCKETS else "",
        amount_min=_money(q.get("amount_min")),
        amount_max=_money(q.get("amount_max")),
        sla=q.get("sla", "") if q.get("sla") in {s.value for s in SlaState} else "",
        deadline_days=_int(q.get("deadline_days"), low=0, high=3650),
        status=q.get("status", "live")
        if q.get("status") in ("live", *ItemStatus.values)
        else "live",
    )


# Filters typed by hand (or a link edited): what each must be, to name it when it is not.
TYPED = {
    "carc": ("CARC", "a claim adjustment reason code (letters and digits, up to 5)"),
    "amount_min": ("Amount from", "an amount in dollars"),
    "amount_max": ("Amount to", "an amount in dollars"),
    "deadline_days": ("Deadline within", "a whole number of days up to 3650"),
}


def filter_problems(raw: QueryDict, filters: QueueFilters) -> list[str]:
    """What the person asked for that the queue could not use, in words: a filter that is
    silently dropped would show more than they think they are looking at."""
    used = {
        "carc": filters.carc,
        "amount_min": filters.amount_min,
        "amount_max": filters.amount_max,
        "deadline_days": filters.deadline_days,
    }
    problems = [
        f"{label}: “{raw[name][:20]}” is not {wanted}; that filter is off."
        for name, (label, wanted) in TYPED.items()
        if raw.get(name, "").strip() and used[name] in (None, "")
    ]
    low, high = filters.amount_min, filters.amount_max
    if low is not None and high is not None and low > high:
        problems.append(
            f"Amount from ${low:,.2f} is above amount to ${high:,.2f}: nothing can match."
        )
    return problems


def _practice(request: HttpRequest, chosen: str | None) -> Practice | None:
    """?practice=: one practice the actor works in (a foreign or unknown one is a 404), `all`,
    or nothing: the practice context when the actor works there. The queue page follows the
    bar as every list does: asked for another practice (or all), the bar moves there, so the
    forms on it carry what it shows."""
    return chosen_practice(request, actor_of(request), WORK, chosen=chosen or "")


@requires_any(*WORK)
def queue_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    payers = list(payer_list(actor=actor))
    filters = _filters(request, payers=payers)
    per_page = _int(request.GET.get("per_page"), low=1, high=200) or PAGE_SIZE
    page = queue_page(
        actor=actor, filters=filters, cursor=request.GET.get("after", "")[:60], per_page=per_page
    )
    query = request.GET.copy()
    query.pop("after", None)
    query_text = query.urlencode()
    return render(
        request,
        "workqueues/queue.html",
        {
            "page": page,
            "filters": filters,
            "functions": functions_of(actor),
            "practices": sorted(
                {p for cap in WORK for p in actor.practices(cap)}, key=lambda p: p.name.lower()
            ),
            "practice": next((p for p in actor.practices() if p.pk == filters.practice_id), None),
            "payers": payers,
            "categories": DenialCategory.choices,
            "ages": list(AGE_BUCKETS),
            "slas": [(s.value, s.value.replace("_", " ")) for s in SlaState],
            "query": query_text,
            # What a row's link carries back to this page of the queue.
            "back": f"?q={quote(query_text, safe='/')}" if query_text else "",
            "problems": filter_problems(request.GET, filters),
            "any_masked": any(r.masked for r in page.rows),
            "can_assign": actor.can(Capability.QUEUE_ASSIGN),
            "can_see_questions": actor.can(Capability.QUESTIONS_VIEW),
            # (public id, label) of each person, for both assign menus.
            "people": people_of(actor=actor) if actor.can(Capability.QUEUE_ASSIGN) else [],
        },
    )


@require_POST
@requires_any(*WORK)
def take_next_view(request: HttpRequest) -> HttpResponse:
    """Take from the queue the page showed: its practice (or the practice it was opened
    under, when the form names none) answers to the page's context like any write."""
    actor = actor_of(request)
    source = request.POST.copy()
    opened_under = source.get(OPENED_UNDER, "")
    if not source.get("practice") and (
        opened_under == ALL or actor.practice_by_public_id(opened_under) is not None
    ):
        source["practice"] = opened_under
    filters = _filters(request, source)
    if filters.practice_id is not None:
        record_in_context(request, filters.practice_id, noun="queue asked for", back=_back(request))
    item = services.take_next(actor=actor, filters=filters)
    if item is None:
        messages.info(request, "Nothing left to take in this queue.")
        return redirect(_back(request))
    return _to_item(item.public_id, request.POST.get("query", ""))


def _to_item(public_id: UUID, query: str) -> HttpResponse:
    url = reverse("workqueues:item", kwargs={"public_id": public_id})
    query = _query_text(query)
    return redirect(url + (f"?q={quote(query)}" if query else ""))


def _back(request: HttpRequest) -> str:
    query = request.POST.get("query", "")
    return reverse("workqueues:queue") + (f"?{query}" if query and query.isascii() else "")


@requires_any(*WORK)
def item_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    detail = item_detail(actor=actor_of(request), public_id=public_id)
    record_in_context(request, detail.item.practice_id, noun="work item", back=request.path)
    return render(
        request,
        "workqueues/item.html",
        {
            "d": detail,
            "channels": Channel.choices,
            "outcomes": Outcome.choices,
            # The practice's today: the service refuses a pend "until today" by that calendar.
            "today": local_date(clock.now(), detail.item.practice.timezone).isoformat(),
            "back_query": _query_text(request.GET.get("q", "")),
        },
    )


Done = str | HttpResponse  # what an action says it did, or where it goes next


def _claim(request: HttpRequest, actor: Actor, public_id: UUID) -> Done:
    services.item_claim(actor=actor, public_id=public_id)
    return "The item is yours."


def _release(request: HttpRequest, actor: Actor, public_id: UUID) -> Done:
    services.items_release(actor=actor, public_ids=[public_id])
    return "Back in the queue."


def _pend(request: HttpRequest, actor: Actor, public_id: UUID) -> Done:
    until = _date(request.POST.get("until"))
    if until is None:
        raise services.QueueError("Give the date the item comes back (YYYY-MM-DD).")
    reason = _text(request.POST.get("reason"))
    services.items_pend(actor=actor, public_ids=[public_id], until=until, reason=reason)
    messages.success(request, f"Pended until {until.isoformat()}.")
    return _take_after(request) if request.POST.get("then") == "next" else ""


def _assign(request: HttpRequest, actor: Actor, public_id: UUID) -> Done:
    services.items_assign(
        actor=actor,
        public_ids=[public_id],
        assignee=request.POST.get("assignee") or None,
        note=_text(request.POST.get("note"))[:300],
    )
    return "Assignment saved."


def _attempt(request: HttpRequest, actor: Actor, public_id: UUID) -> Done:
    post = request.POST
    minutes = _int(post.get("minutes"), low=0, high=100000)
    if minutes is None:
        raise services.QueueError("Minutes spent must be a whole number.")
    next_on = post.get("next_action_on") or None
    next_date = _date(next_on)
    if next_on and next_date is None:
        raise services.QueueError("The next action date must be a date (YYYY-MM-DD).")
    data = services.AttemptData(
        channel=post.get("channel", ""),
        outcome=post.get("outcome", ""),
        minutes=minutes,
        representative=_text(post.get("representative")),
        reference=_text(post.get("reference")),
        next_action_on=next_date,
        note=_text(post.get("note")),
    )
    services.attempt_record(actor=actor, public_id=public_id, data=data)
    return "Attempt recorded."


def _done(request: HttpRequest, actor: Actor, public_id: UUID) -> Done:
    raw = request.POST.get("recovered", "").strip()
    recovered = _money(raw) if raw else None
    if raw and recovered is None:
        raise services.QueueError("Recovered must be an amount in dollars.")
    note = _text(request.POST.get("note"))
    services.item_done(actor=actor, public_id=public_id, note=note, recovered=recovered)
    return "Marked done."


Action = Callable[[HttpRequest, Actor, UUID], Done]


def _act(request: HttpRequest, public_id: UUID, action: Action) -> HttpResponse:
    """One action on one item, from its page, after the practice-context check: a refused
    change says why and changes nothing; a done one says what it did (or moves on)."""
    actor = actor_of(request)
    back = reverse("workqueues:item", kwargs={"public_id": public_id})
    record_in_context(
        request, item_practice_id(actor=actor, public_id=public_id), noun="work item", back=back
    )
    try:
        done = action(request, actor, public_id)
    except services.QueueError as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if isinstance(done, HttpResponse):
        return done
    if done:
        messages.success(request, done)
    return redirect(back)


def _query_text(raw: str) -> str:
    """A queue query carried through an item's page: ASCII and short, or nothing."""
    return raw if raw.isascii() and len(raw) <= 1000 else ""


def _take_after(request: HttpRequest) -> HttpResponse:
    """Pend, then the next item of the queue the person came from."""
    carried = _query_text(request.POST.get("query", ""))
    try:
        filters = _filters(request, QueryDict(carried))
    except Http404:
        # The carried query names a practice the person no longer works in; the pend is saved
        # already, so a 404 page would hide it: take from the whole queue instead.
        carried = ""
        filters = _filters(request, QueryDict(""))
    item = services.take_next(actor=actor_of(request), filters=filters)
    if item is None:
        messages.info(request, "Nothing left to take in this queue.")
        return redirect(reverse("workqueues:queue") + (f"?{carried}" if carried else ""))
    return _to_item(item.public_id, carried)


@require_POST
@requires_any(*WORK)
def item_claim_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _act(request, public_id, _claim)


@require_POST
@requires_any(*WORK)
def item_release_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _act(request, public_id, _release)


@require_POST
@requires_any(*WORK)
def item_pend_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _act(request, public_id, _pend)


@require_POST
@requires_any(*WORK)
def item_assign_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _act(request, public_id, _assign)


@require_POST
@requires_any(*WORK)
def item_attempt_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _act(request, public_id, _attempt)


@require_POST
@requires_any(*WORK)
def item_done_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _act(request, public_id, _done)


@require_POST
@requires_any(*WORK)
def bulk_view(request: HttpRequest) -> HttpResponse:
    """Assign, pend or release the checked rows at once (all or nothing): a malformed, missing
    or foreign id is a 404 like on an item's page, and the rows' practices answer to the
    context the page was opened under, as the item page's forms do."""
    actor = actor_of(request)
    raws = request.POST.getlist("item")
    action = request.POST.get("action", "")
    try:
        if len(raws) > MAX_PAGE_SIZE:
            raise services.QueueError(f"Tick at most {MAX_PAGE_SIZE} items at once.")
        try:
            ids = list(dict.fromkeys(UUID(raw) for raw in raws))
        except ValueError as exc:
            raise Http404 from exc
        if not ids:
            raise services.QueueError("Tick the items first.")
        for practice_id in items_practice_ids(actor=actor, public_ids=ids):
            record_in_context(request, practice_id, noun="work item", back=_back(request))
        if action == "assign":
            services.items_assign(
                actor=actor, public_ids=ids, assignee=request.POST.get("assignee") or None
            )
        elif action == "release":
            services.items_release(actor=actor, public_ids=ids)
        elif action == "pend":
            until = _date(request.POST.get("until"))
            if until is None:
                raise services.QueueError("Give the date the items come back (YYYY-MM-DD).")
            services.items_pend(
                actor=actor, public_ids=ids, until=until, reason=_text(request.POST.get("reason"))
            )
        else:
            raise services.QueueError("Choose assign, pend or release.")
        messages.success(request, f"{len(ids)} item(s) updated.")
    except services.QueueError as exc:
        messages.error(request, str(exc))
    return redirect(_back(request))


# The lists the queue replaced (rejected claims, ERA exceptions, denials) send the people who
# work them here, filtered to their function; people who only read them keep the read-only list.
CARRIED = ("practice", "payer", "category")


def worklist_redirect(request: HttpRequest, function: str) -> HttpResponse | None:
    actor = actor_of(request)
    if not actor.can(CAPABILITY[function]):
        return None
    query = QueryDict(mutable=True)
    query["function"] = function
    for name in CARRIED:
        value = request.GET.get(name, "")
        if value and value.isascii() and len(value) <= 64:
            query[name] = value
    return redirect(reverse("workqueues:queue") + "?" + query.urlencode())
