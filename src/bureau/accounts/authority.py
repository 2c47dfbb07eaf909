"""Who administers whom: the one rule the user pages (selectors) and the changes (services) share.

`users.manage` is held per practice like every other capability, so it administers people only
inside those practices. An actor administers a user when

* every grant the user holds lies inside the practices where the actor holds `users.manage`
  (an all-practices grant only under an all-practices `users.manage`). Expired grants count
  until revoked: renewing one is for whoever manages its practice to decide; and
* the user holds nothing the actor lacks: on each practice a grant covers, no capability and no
  provider the actor does not hold there (the client's own voice, `roles.CLIENT_VOICE`, aside:
  no staff role holds it). So a supervisor cannot reset the owner's authenticator, deactivate
  them or rewrite their grants.

A user the actor does not administer does not exist for them (404, like a missing one), and a
grant outside the actor's practices is never shown, so no practice name leaks. Nobody changes
their own login or grants: another administrator does it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Grant
from bureau.tenancy.roles import CLIENT_VOICE, Capability, Role, grant_capabilities

MANAGE = Capability.USERS_MANAGE


@dataclass(frozen=True)
class AdminScope:
    """The practices where an actor holds `users.manage`; `everywhere` through an
    all-practices grant (which also covers practices added later or offboarded)."""

    everywhere: bool
    practice_ids: frozenset[int]

    def covers(self, practice_id: int | None) -> bool:
        if self.everywhere:
            return True
        return practice_id is not None and practice_id in self.practice_ids

    def grant_filter(self) -> Q:
        """The grants inside this scope, as a query condition."""
        if self.everywhere:
            return Q()
        return Q(practice_id__in=self.practice_ids)


def admin_scope(actor: Actor) -> AdminScope:
    return AdminScope(actor.can_workspace(MANAGE), actor.practice_ids(MANAGE))


def _capabilities_on(actor: Actor, practice_id: int) -> frozenset[Capability]:
    access = actor.access.get(practice_id)
    # A practice outside `access` (offboarded) is reached only through all-practices grants.
    return access.capabilities if access is not None else actor.workspace_capabilities


def _provider_limit(actor: Actor, practice_id: int) -> frozenset[int] | None:
    """The providers the actor is limited to on a practice; None: every provider."""
    if practice_id not in actor.access:
        return None  # only all-practices grants reach it, and those name no providers
    return actor.provider_ids(practice_id)


def exceeds(actor: Actor, grant: Grant) -> bool:
    """Whether `grant` confers something the actor does not hold where it applies.

    Checking grant by grant is enough: a union of grants stays within the actor's holding
    exactly when each of them does. `grant.providers` should be prefetched."""
    # The client's own voice is not a power an administrator must hold (roles.CLIENT_VOICE).
    conferred = grant_capabilities(Role(grant.role), read_only=grant.read_only) - CLIENT_VOICE
    if grant.practice_id is None:
        return not conferred <= actor.workspace_capabilities
    if not conferred <= _capabilities_on(actor, grant.practice_id):
        return True
    limit = _provider_limit(actor, grant.practice_id)
    if limit is None:
        return False
    providers = {p.pk for p in grant.providers.all()}
    return not providers or not providers <= limit


def governing(grants: Iterable[Grant]) -> list[Grant]:
    """The grants that decide who administers a user: the unrevoked ones or, for a user whose
    every grant was revoked (an offboarded owner, a deactivated contractor), all they ever held,
    so a one-practice supervisor cannot revive a login a higher administrator closed. A login
    that never held a grant is every manager's to grant."""
    grants = list(grants)
    return [g for g in grants if g.revoked_at is None] or grants


def administers(actor: Actor, scope: AdminScope, held: Iterable[Grant]) -> bool:
    """Whether the actor administers a user whose unrevoked grants are `held` (nobody, without
    `users.manage` anywhere: a user with no grants is not everyone's)."""
    if not (scope.everywhere or scope.practice_ids):
        return False
    return all(scope.covers(g.practice_id) and not exceeds(actor, g) for g in held)


def manage_ends_at(actor: Actor, practice_id: int | None) -> datetime | None:
    """When the actor's `users.manage` on a practice (None: on all practices) ends, or None
    when some grant gives it without an end. A temporary administrator hands out only access
    that ends by then; otherwise a contractor could mint a lasting login for later."""
    ends: list[datetime] = []
    grants = Grant.objects.live(timezone.now()).filter(
        user_id=actor.user.pk, workspace_id=actor.workspace.pk
    )
    for grant in grants:
        covers = grant.practice_id is None or (
            practice_id is not None and grant.practice_id == practice_id
        )
        if not covers or MANAGE not in grant_capabilities(
            Role(grant.role), read_only=grant.read_only
        ):
            continue
        if grant.expires_at is None:
            return None
        ends.append(grant.expires_at)
    return max(ends) if ends else None
