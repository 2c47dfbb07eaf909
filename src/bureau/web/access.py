"""How a view declares who may open it.

Every URL is either `public` (login), `pre_mfa` (the TOTP pages), or needs a verified user; views
that show or change practice data also name their capability with `requires`. The authorization
matrix test reads these marks, so a view without one is found.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import Http404, HttpRequest, HttpResponse

from bureau.accounts.middleware import PRE_MFA_ATTR, PUBLIC_ATTR
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

View = TypeVar("View", bound=Callable[..., HttpResponse])
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
