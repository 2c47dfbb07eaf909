"""Who the workforce is, for training and attestation, and the calendar arithmetic both use.

A billing company's workforce is its own people: every active login of the workspace except
the client practices' viewers (the covered entity's people, trained by their own employer).
A login with no grant yet is a new hire being set up: workforce, so their due dates exist
from the moment the login does.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from bureau.accounts.models import User
from bureau.tenancy.models import Grant, Workspace
from bureau.tenancy.roles import Role


@dataclass(frozen=True)
class WorkforceMember:
    user: User
    # The roles of the live grants.
    roles: frozenset[Role]
    # When each role was first granted (any grant ever held, live or not).
    role_since: dict[Role, date]

    @property
    def started_on(self) -> date:
        return local_date(self.user.date_joined)


def local_date(moment: datetime) -> date:
    return timezone.localdate(moment) if timezone.is_aware(moment) else moment.date()


def months_after(day: date, months: int) -> date:
    """`day` moved by whole months, the day clamped to the month's end (29 Feb + 12 = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def years_after(day: date, years: int) -> date:
    return months_after(day, 12 * years)


def _is_client_viewer(live: list[Grant], ever: list[Grant]) -> bool:
    """Only client-viewer grants: the live ones, or, with none live, every one ever held."""
    held = live or ever
    return bool(held) and all(g.role == Role.CLIENT_VIEWER for g in held)


def workforce_members(workspace: Workspace, *, user: User | None = None) -> list[WorkforceMember]:
    """The workforce of the workspace (or just `user`, if one of it), by name. Two queries."""
    users = User.objects.filter(workspace=workspace, is_active=True)
    if user is not None:
        users = users.filter(pk=user.pk)
    people = list(users.order_by("full_name", "username"))
    at = timezone.now()
    grants: dict[int, list[Grant]] = defaultdict(list)
    for grant in Grant.objects.filter(workspace=workspace, user__in=[p.pk for p in people]):
        grants[grant.user_id].append(grant)
    members = []
    for person in people:
        ever = grants.get(person.pk, [])
        live = [
            g for g in ever if g.revoked_at is None and (g.expires_at is None or g.expires_at > at)
        ]
        if _is_client_viewer(live, ever):
            continue
        since: dict[Role, date] = {}
        for grant in ever:
            role = Role(grant.role)
            day = local_date(grant.created_at)
            since[role] = min(day, since.get(role, day))
        members.append(
            WorkforceMember(
                user=person, roles=frozenset(Role(g.role) for g in live), role_since=since
            )
        )
    return members
