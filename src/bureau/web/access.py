"""How a view declares who may open it.

Every URL is either `public` (login), `pre_mfa` (the TOTP pages), or needs a verified user; views
that show or change practice data also name their capability with `requires`. The authorization
matrix test reads these marks, so a view without one is found.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any, Protocol, TypeVar
from uuid import UUID

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from bureau.accounts.middleware import PRE_MFA_ATTR, PUBLIC_ATTR
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

View = TypeVar("View", bound=Callable[..., HttpResponse])


class _Public(Protocol):
    @property
    def public_id(self) -> Any: ...


Choice = TypeVar("Choice", bound=_Public)
CAPABILITY_ATTR = "bureau_capability"


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
    capability: Capability,
    *,
    chosen: str | None = None,
    use_context: bool = True,
) -> Practice | None:
    """The practice a page is asked for: `chosen` (default ?practice=), else the practice
    context. A practice the actor may not use with `capability`, or that does not exist,
    is a 404 — the same answer for both, so a foreign practice cannot be probed."""
    chosen = request.GET.get("practice") if chosen is None else chosen
    if chosen:
        practice = actor.practice_by_public_id(chosen)
        if practice is None or not actor.can(capability, practice):
            raise Http404
        return practice
    if not use_context:
        return None
    context: Practice | None = getattr(request, "practice_context", None)
    return context if context is not None and actor.can(capability, context) else None
