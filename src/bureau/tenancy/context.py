"""The practice context: the practice the user works in now, or *All practices*.

Kept in the session; switching never re-authenticates. A context naming a practice the actor no
longer sees (grant revoked or expired) silently falls back to *All practices*.

The bar never names a practice other than the one whose data the page shows (DESIGN §2):

- Opening a record of another practice (a GET of its page) moves a context that names a
  specific practice to the record's practice, with a notice. *All practices* covers every
  record, so it stays as it is.
- Every form that writes carries the context its page was opened under (`OPENED_UNDER`: a
  practice's public id, or `all`). A write to a record is refused, and changes nothing, when
  that value names a practice other than the record's (`write_refusal`). The form, not the
  session, is the witness: with two tabs, tab B switching the session does not make tab A's
  form lie, because tab A's bar still shows what tab A's form carries. A POST that carries no
  value (an old page, a client that is not a browser) is held to the session's context instead.
"""

from __future__ import annotations

from django.contrib.sessions.backends.base import SessionBase

from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice

SESSION_KEY = "bureau_practice_context"
ALL = "all"
# The hidden form field carrying the context a page was opened under.
OPENED_UNDER = "opened_under"


class PracticeMismatch(Exception):
    """A write came from a page opened under another practice than the record's. Raised before
    anything is written (and the request's transaction rolls back): the user is sent to `back`
    with `message`."""

    def __init__(self, message: str, back: str) -> None:
        super().__init__(message)
        self.message = message
        self.back = back


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


def context_value(practice: Practice | None) -> str:
    """What a form carries in OPENED_UNDER for a page shown under `practice` (None: All)."""
    return ALL if practice is None else str(practice.public_id)


def bar_must_follow(context: Practice | None, record_practice: Practice) -> bool:
    """Does opening a record of `record_practice` under `context` move the bar?"""
    return context is not None and context.pk != record_practice.pk


def write_refusal(
    actor: Actor,
    *,
    opened_under: str | None,
    context: Practice | None,
    record_practice: Practice,
    noun: str,
) -> str | None:
    """Why a write to a record of `record_practice` is refused, or None when it may go ahead.

    `opened_under` is what the form carried (None when it carried nothing); `context` is the
    session's context now, consulted only when the form carried nothing. A value naming a
    practice the actor does not see (or no practice at all) is refused without naming it.
    """
    owner = record_practice.name
    if opened_under is None:
        if context is None or context.pk == record_practice.pk:
            return None
        return (
            f"You are working in {context.name}; the {noun} belongs to {owner}. "
            "Reload and try again."
        )
    if opened_under == ALL or opened_under == str(record_practice.public_id):
        return None
    shown = actor.practice_by_public_id(opened_under)
    under = shown.name if shown is not None else "another practice"
    return (
        f"This page was opened under {under}; the {noun} belongs to {owner}. Reload and try again."
    )
