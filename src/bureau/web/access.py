"""How a view declares who may open it.

Every URL is either `public` (login), `pre_mfa` (the TOTP pages), or needs a verified user; views
that show or change practice data also name their capability with `requires`. A view that answers
with a file or an export also declares, with `serves_file`, the data the file carries. The
authorization matrix tests read these marks, so a view without one is found.

Methods: a page that only reads is declared `require_safe` (GET and HEAD; 405 otherwise), and a
`serves_file`/`serves_report` view answers GET alone, so no HEAD or OPTIONS runs an export and
audits a file never delivered. The matrix holds every report URL and the home page to it.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import wraps
from typing import Any, Protocol, TypeVar
from urllib.parse import quote
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.utils.http import url_has_allowed_host_and_scheme

from bureau.accounts.middleware import PRE_MFA_ATTR, PUBLIC_ATTR
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.tenancy.actor import Actor
from bureau.tenancy.context import (
    ALL,
    OPENED_UNDER,
    PracticeMismatch,
    bar_must_follow,
    context_value,
    switch_practice,
    write_refusal,
)
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

View = TypeVar("View", bound=Callable[..., HttpResponse])


class _Public(Protocol):
    @property
    def public_id(self) -> Any: ...


Choice = TypeVar("Choice", bound=_Public)
CAPABILITY_ATTR = "bureau_capability"
FILE_CARRIES_ATTR = "bureau_file_carries"


def public(view: View) -> View:
    setattr(view, PUBLIC_ATTR, True)
    return view


def pre_mfa(view: View) -> View:
    setattr(view, PRE_MFA_ATTR, True)
    return view


def requires(capability: Capability) -> Callable[[View], View]:
    """The actor must hold `capability` on at least one practice; otherwise 404, because a page
    of a function the user does not have is, for them, a page that does not exist."""

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            actor: Actor | None = getattr(request, "actor", None)
            if actor is None or not actor.can(capability):
                raise Http404
            return view(request, *args, **kwargs)

        setattr(wrapper, CAPABILITY_ATTR, capability)
        return wrapper  # type: ignore[return-value]

    return decorate


def requires_any(*capabilities: Capability) -> Callable[[View], View]:
    """The actor must hold one of `capabilities` on some practice (a page that gathers work
    done under several, like the work queue); otherwise 404."""
    needed = tuple(capabilities)

    def decorate(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            actor: Actor | None = getattr(request, "actor", None)
            if actor is None or not any(actor.can(c) for c in needed):
                raise Http404
            return view(request, *args, **kwargs)

        setattr(wrapper, CAPABILITY_ATTR, needed)
        return wrapper  # type: ignore[return-value]

    return decorate


@dataclass(frozen=True)
class FileDownload:
    """What a `serves_file` view returns: the file, the practice it belongs to, and the name
    to offer (anyone's upload name: `attachment_disposition` cleans it)."""

    content: bytes | str
    file_name: str
    practice_id: int
    content_type: str
    # The offered name ends with one of these; the first is added when it does not, so no
    # name an uploader chose makes the saved file open as something else (`evil.html`).
    extensions: tuple[str, ...]


FileView = Callable[..., FileDownload]
ResponseView = Callable[..., HttpResponse]


def serves_file(
    *, carries: Iterable[Capability], one_record: bool = False
) -> Callable[[FileView], ResponseView]:
    """The view answers with a file (or an export) holding the data of `carries`, e.g. an 835
    carries payments and patient demographics. Its actor is narrowed to the practices whose
    whole files it may take (`file_practice_ids`: every one of them held over every provider),
    so the view's own lookups find the file only there: elsewhere it is a 404 like a missing
    record, and nothing is audited as read. Raw files cannot be masked, hence minimum
    necessary is all or nothing per file; pages offer a link by the same rule.

    A `one_record` file (an appeal letter) carries one claim's people, not the practice's: its
    view reads it through a scoped lookup (practice and provider), so the actor keeps every
    practice where it holds what the file carries, over some providers or all.

    The view returns a `FileDownload`; the response (name, no-store) is built here, once. Only a
    GET is served (405 otherwise): a HEAD or an OPTIONS delivers no file, so it must not run the
    view, whose audit event would record a read that never happened."""
    needed = frozenset(carries)
    if not needed:
        raise ValueError("a file carries some data: name its capabilities")

    def decorate(view: FileView) -> ResponseView:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "GET":
                return HttpResponseNotAllowed(["GET"])
            actor = actor_of(request)
            allowed = (
                record_file_practice_ids(actor, needed)
                if one_record
                else file_practice_ids(actor, needed)
            )
            narrowed = actor_narrowed_to(actor, allowed)
            if not narrowed.access:
                raise Http404
            request.actor = narrowed  # type: ignore[attr-defined]
            try:
                download = view(request, *args, **kwargs)
            finally:
                request.actor = actor  # type: ignore[attr-defined]
            if download.practice_id not in narrowed.access:
                # The view looked past its actor: refuse (ATOMIC_REQUESTS drops its audit).
                raise Http404
            return attachment_response(download)

        setattr(wrapper, FILE_CARRIES_ATTR, needed)
        return wrapper

    return decorate


@dataclass(frozen=True)
class ReportDownload:
    """What a `serves_report` view returns: an export of a report over several practices."""

    content: bytes | str
    file_name: str
    practice_ids: frozenset[int]  # every practice whose data the file carries
    content_type: str
    extensions: tuple[str, ...]


ReportView = Callable[..., "ReportDownload | HttpResponse"]


def serves_report(*, carries: Iterable[Capability]) -> Callable[[ReportView], ResponseView]:
    """`serves_file` for an export of a report across the book: one file, many practices.

    The same rule as a practice's file (`file_practice_ids`: every capability the export
    carries, held over every provider), applied per practice: the view runs with its actor
    narrowed to those practices, so an export covers exactly the practices where the actor may
    take all it carries, and the rest of the book is left out rather than refused. With none,
    404. The view returns a `ReportDownload` naming the practices it read (one it may not take
    is a bug: refused, and ATOMIC_REQUESTS drops its audit), or an `HttpResponse` of its own
    (a page naming a filter it could not read). Only a GET is served, as by `serves_file`."""
    needed = frozenset(carries)
    if not needed:
        raise ValueError("an export carries some data: name its capabilities")

    def decorate(view: ReportView) -> ResponseView:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "GET":
                return HttpResponseNotAllowed(["GET"])
            actor = actor_of(request)
            narrowed = actor_narrowed_to(actor, file_practice_ids(actor, needed))
            if not narrowed.access:
                raise Http404
            request.actor = narrowed  # type: ignore[attr-defined]
            request.page_actor = actor  # type: ignore[attr-defined]  # what the page shows
            try:
                answer = view(request, *args, **kwargs)
            finally:
                request.actor = actor  # type: ignore[attr-defined]
                del request.page_actor  # type: ignore[attr-defined]
            if isinstance(answer, HttpResponse):
                return answer
            if not answer.practice_ids <= set(narrowed.access):
                raise Http404
            return attachment_response(answer)

        setattr(wrapper, FILE_CARRIES_ATTR, needed)
        return wrapper

    return decorate


@dataclass(frozen=True)
class WorkspaceDownload:
    """What a `serves_workspace_file` view returns: a file of the workspace's own records (a
    compliance evidence bundle), which belongs to no one practice."""

    content: bytes | str
    file_name: str
    content_type: str
    extensions: tuple[str, ...]


WorkspaceView = Callable[..., "WorkspaceDownload | HttpResponse"]
# Marks a `serves_workspace_file` view: a file of no practice (tests tell them apart).
WORKSPACE_FILE_ATTR = "bureau_workspace_file"


def serves_workspace_file(
    *, carries: Iterable[Capability] = ()
) -> Callable[[WorkspaceView], ResponseView]:
    """The view answers with a file of workspace records, not of a practice's patients (a
    compliance evidence bundle, a BAA, a training certificate, a policy): who may take it is
    the view's service's rule, over the record's scope. The actor must hold every capability of
    `carries` somewhere (404 otherwise, as a missing record; none named: a document the whole
    workforce reads, its service deciding alone), the view raises Http404 for a record the
    actor may not take, and the response is built here as every download's (name, no-store).
    Only a GET is served, as by `serves_file`; the view may answer with a page of its own (a
    record not ready for download)."""
    needed = frozenset(carries)

    def decorate(view: WorkspaceView) -> ResponseView:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if request.method != "GET":
                return HttpResponseNotAllowed(["GET"])
            actor = actor_of(request)
            if not all(actor.can(capability) for capability in needed):
                raise Http404
            answer = view(request, *args, **kwargs)
            if isinstance(answer, HttpResponse):
                return answer
            return attachment_response(answer)

        setattr(wrapper, FILE_CARRIES_ATTR, needed)
        setattr(wrapper, WORKSPACE_FILE_ATTR, True)
        return wrapper

    return decorate


def page_actor_of(request: HttpRequest) -> Actor:
    """The actor as the page saw it: inside a `serves_report` view the request's actor is
    narrowed to what the file may carry; this is the one before, so a file can say which of
    the page's practices it leaves out."""
    actor: Actor | None = getattr(request, "page_actor", None)
    return actor if actor is not None else actor_of(request)


def file_practice_ids(actor: Actor, carries: Iterable[Capability]) -> frozenset[int]:
    """Practices whose whole files the actor may take: every capability the file carries held
    over every provider (a file carries all providers' patients). Pages show a download link
    only there, so no link answers 404."""
    wanted = list(carries)
    if not wanted:
        return frozenset()
    shared = actor.whole_practice_ids(wanted[0])
    for capability in wanted[1:]:
        shared &= actor.whole_practice_ids(capability)
    return shared


def record_file_practice_ids(actor: Actor, carries: Iterable[Capability]) -> frozenset[int]:
    """Practices where the actor holds every capability a one-record file carries."""
    wanted = list(carries)
    return frozenset(
        pid for pid in actor.access if wanted and all(actor.can(c, pid) for c in wanted)
    )


def actor_narrowed_to(actor: Actor, practice_ids: frozenset[int]) -> Actor:
    """The actor seen only through these practices (workspace-wide capabilities dropped: a
    file belongs to one practice)."""
    access = {pid: grant for pid, grant in actor.access.items() if pid in practice_ids}
    return dataclasses.replace(actor, access=access, workspace_capabilities=frozenset())


def attachment_response(
    download: FileDownload | ReportDownload | WorkspaceDownload,
) -> HttpResponse:
    response = HttpResponse(download.content, content_type=download.content_type)
    response["Content-Disposition"] = attachment_disposition(
        download.file_name, extensions=download.extensions
    )
    response["Cache-Control"] = "no-store"  # PHI: no copy in a shared or browser cache
    response["X-Content-Type-Options"] = "nosniff"
    return response


# Kept out of a served name: path separators, quotes, the header's own delimiters, and what
# Windows refuses in a file name. Control and format characters (CR, LF, NUL, bidi overrides
# that show `evil‮lmth.835` as `evil835.html`) go by their Unicode category.
_REFUSED_IN_NAME = re.compile(r'[\\/"\'`;,:=*?<>|%]')
_NOT_PLAIN_ASCII = re.compile(r"[^A-Za-z0-9._ ()+-]")
_NAME_LIMIT = 120


def download_name(name: str, *, extensions: tuple[str, ...]) -> str:
    """The name a file is offered under: the last path part of `name`, without characters
    that could end the header value, name a path or hide the real extension, and ending
    with one of `extensions` (the first is added otherwise)."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " ")
    name = _REFUSED_IN_NAME.sub("_", name)
    name = re.sub(r"\s+", " ", name).strip(" ._")
    if not name.lower().endswith(tuple(e.lower() for e in extensions)):
        name = f"{name or 'download'}{extensions[0]}"
    stem, dot, ext = name.rpartition(".")
    if len(name) > _NAME_LIMIT:
        name = f"{stem[: _NAME_LIMIT - len(ext) - 1].rstrip(' ._')}{dot}{ext}"
    return name


def attachment_disposition(name: str, *, extensions: tuple[str, ...]) -> str:
    """`attachment` with an ASCII `filename` for old clients and the exact name as RFC 6266
    `filename*` (UTF-8, percent-encoded): no quote, semicolon or line break reaches the
    header, whatever the uploader called the file."""
    clean = download_name(name, extensions=extensions)
    ascii_name = unicodedata.normalize("NFKD", clean).encode("ascii", "ignore").decode()
    ascii_name = _NOT_PLAIN_ASCII.sub("_", ascii_name).strip(" ._")
    if not ascii_name.lower().endswith(tuple(e.lower() for e in extensions)):
        ascii_name = f"{ascii_name or 'download'}{extensions[0]}"
    return f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(clean, safe='')}"


def actor_of(request: HttpRequest) -> Actor:
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None:
        raise Http404
    return actor


def local_next(request: HttpRequest, target: str | None) -> str:
    """Where to go on to after a sign-in or a switch: `target` when it is a path on this site,
    else "/". A path, never a URL name (`redirect("²")` would try to reverse it: a 500), and no
    control character (a newline in Location is refused by Django: a 500 too)."""
    if (
        target
        and target.startswith("/")
        and target.isprintable()
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return "/"


def search_text(request: HttpRequest, name: str = "q", *, limit: int = 60) -> str:
    """?name= as search text: control characters dropped (PostgreSQL refuses a NUL in a query
    parameter: a 500), cut to `limit` characters."""
    text = "".join(c for c in request.GET.get(name, "")[: limit * 2] if c.isprintable())
    return text.strip()[:limit]


def page_number(request: HttpRequest) -> int:
    """The ?page= of a list, 1 for anything that is not a positive number."""
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


def query_without_page(request: HttpRequest) -> str:
    """The list's query string minus ?page=, for the pager's links to add their own."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def chosen_value(
    request: HttpRequest, name: str, allowed: Iterable[str], *, default: str = ""
) -> str:
    """?name= (or `default` when absent) if it is one of `allowed`; otherwise "" — no filter."""
    value = request.GET.get(name, default)
    return value if value in allowed else ""


def chosen_by_public_id(request: HttpRequest, name: str, items: Iterable[Choice]) -> Choice | None:
    """The item whose public id is ?name=; None when absent, malformed or not among `items`
    (the actor's own choices, so a foreign id chooses nothing)."""
    try:
        wanted = UUID(request.GET.get(name) or "")
    except ValueError:
        return None
    return next((item for item in items if item.public_id == wanted), None)


def chosen_practice(
    request: HttpRequest,
    actor: Actor,
    capability: Capability | tuple[Capability, ...],
    *,
    chosen: str | None = None,
    use_context: bool = True,
) -> Practice | None:
    """The practice a page is asked for: `chosen` (default ?practice=), else the practice
    context. A practice the actor may not use with `capability`, or that does not exist,
    is a 404 — the same answer for both, so a foreign practice cannot be probed.
    `all` asks for every practice, whatever the context. Several capabilities: any of them
    (the work queue is worked under one per function).

    A page that follows the context (`use_context`) and is asked for something the bar does
    not cover moves the bar to it: one practice under a bar naming another, or all practices
    under a bar naming one. The bar never names a practice other than the page shows."""
    chosen = request.GET.get("practice") if chosen is None else chosen
    if chosen == ALL:
        if use_context and getattr(request, "practice_context", None) is not None:
            _follow_page(request, None, "Switched to All practices to show this list.")
        return None
    if chosen:
        practice = actor.practice_by_public_id(chosen)
        if practice is None or not _may(actor, capability, practice):
            raise Http404
        if use_context and bar_must_follow(getattr(request, "practice_context", None), practice):
            _follow_page(request, practice, f"Switched to {practice.name} to show this list.")
        return practice
    if not use_context:
        return None
    context: Practice | None = getattr(request, "practice_context", None)
    return context if context is not None and _may(actor, capability, context) else None


def _may(actor: Actor, capability: Capability | tuple[Capability, ...], practice: Practice) -> bool:
    wanted = capability if isinstance(capability, tuple) else (capability,)
    return any(actor.can(c, practice) for c in wanted)


# -- the bar and the record (DESIGN §2; the rules are in tenancy/context.py) --------------------
def _follow_page(request: HttpRequest, practice: Practice | None, notice: str) -> None:
    """Move the session's context to what a GET page shows, say so, and record it."""
    if request.method != "GET":
        return  # only a page that is shown moves the bar; writes are checked instead
    actor = actor_of(request)
    switch_practice(actor, request.session, context_value(practice))
    request.practice_context = practice  # type: ignore[attr-defined]
    request.practice_moved = True  # type: ignore[attr-defined]
    with transaction.atomic():
        audit_record(
            action=AuditAction.CONTEXT_SWITCHED,
            actor=actor,
            practice=practice,
            detail={"followed": request.path},
        )
    messages.info(request, notice)


def record_in_context(request: HttpRequest, practice_id: int, *, noun: str, back: str) -> None:
    """Every view of one practice record calls this as soon as it holds the record.

    A GET shows the record: a bar naming another practice moves to the record's (with a
    notice; *All practices* stays). A POST writes to it: when the page the form came from was
    opened under another practice, raise PracticeMismatch before anything is written, and the
    user is sent to `back` (the record's page) with a message naming both practices.
    """
    actor = actor_of(request)
    practice = actor.access[practice_id].practice
    context: Practice | None = getattr(request, "practice_context", None)
    if request.method == "GET":
        if bar_must_follow(context, practice):
            _follow_page(request, practice, f"Switched to {practice.name} to show this {noun}.")
        return
    if request.method != "POST":
        return
    refusal = write_refusal(
        actor,
        opened_under=request.POST.get(OPENED_UNDER) or None,
        context=context,
        record_practice=practice,
        noun=noun,
    )
    if refusal is not None:
        raise PracticeMismatch(refusal, back)
