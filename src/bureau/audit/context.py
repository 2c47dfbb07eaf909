"""Where a request came from, kept for the audit events it writes (IP, user agent, request id).

A context variable rather than a parameter: services never read the request, yet every event they
record carries its origin. Commands and tasks run with an empty origin ("system").
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class Origin:
    ip: str | None = None
    user_agent: str = ""
    request_id: str = ""


SYSTEM = Origin()
_origin: ContextVar[Origin] = ContextVar("bureau_audit_origin", default=SYSTEM)


def current_origin() -> Origin:
    return _origin.get()


def set_origin(origin: Origin) -> object:
    return _origin.set(origin)


def reset_origin(token: object) -> None:
    _origin.reset(token)  # type: ignore[arg-type]
