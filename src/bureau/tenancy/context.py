"""The practice context: the practice the user works in now, or *All practices*.

Kept in the session; switching never re-authenticates. A context naming a practice the actor no
longer sees (grant revoked or expired) silently falls back to *All practices*.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase

from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice

SESSION_KEY = "bureau_practice_context"
ALL = "all"


def current_practice(actor: Actor, session: SessionBase) -> Practice | None:
    """The context practice, or None for *All practices*."""
    value = session.get(SESSION_KEY, ALL)
    if value == ALL:
        return None
    return actor.practice_by_public_id(value)


def switch_practice(actor: Actor, session: SessionBase, value: str) -> Practice | None:
    """Set the context to a practice the actor sees (by public id) or to ALL.

    Raises LookupError for anything else, so an invisible practice cannot be probed.
    """
    if value == ALL:
        session[SESSION_KEY] = ALL
        return None
    practice = actor.practice_by_public_id(value)
    if practice is None:
        raise LookupError(value)
    session[SESSION_KEY] = str(practice.public_id)
    return practice
