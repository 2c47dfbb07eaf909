"""The Actor: a user with their live grants, resolved once per request.

Everything below a view asks the actor, never the request: which practices it may see for a
capability, whether it may do something on a practice, which providers it is limited to.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from uuid import UUID

from django.utils import timezone

from bureau.tenancy import actor_reads
from bureau.tenancy.models import Practice, PracticeStatus, Workspace
from bureau.tenancy.roles import Capability, Role, grant_capabilities

if TYPE_CHECKING:
    from bureau.accounts.models import User


class CapabilityDenied(Exception):
    """The actor may not do this. Views turn it into 404 when the record is involved, so a
    forbidden record is indistinguishable from a missing one; otherwise 403."""


@dataclass(frozen=True)
class PracticeAccess:
    practice: Practice
    capabilities: frozenset[Capability]
    # None: every provider of the practice; otherwise the provider ids the grants allow.
    provider_ids: frozenset[int] | None
    roles: frozenset[Role]
    read_only: bool
    # The same per capability, from the grants that confer it: a biller grant limited to one
    # doctor beside a whole-practice read-only grant reads everything but edits that doctor's
    # claims only. A capability missing here falls back to `provider_ids`.
    capability_providers: Mapping[Capability, frozenset[int] | None] = field(default_factory=dict)

    def providers_for(self, capability: Capability | None) -> frozenset[int] | None:
        if capability is None:
            return self.provider_ids
        return self.capability_providers.get(capability, self.provider_ids)


@dataclass(frozen=True)
class Actor:
    user: User
    workspace: Workspace
    access: dict[int, PracticeAccess]
    # Capabilities the actor holds on *every* practice through an all-practices grant:
    # needed for workspace-wide things such as events that name no practice.
    workspace_capabilities: frozenset[Capability] = field(default_factory=frozenset)

    # -- questions about practices -------------------------------------------------------
    def practices(self, capability: Capability | None = None) -> list[Practice]:
        """Practices the actor may see (with `capability`, when given), by name."""
        return sorted(
            (
                a.practice
                for a in self.access.values()
                if capability is None or capability in a.capabilities
            ),
            key=lambda p: p.name.lower(),
        )

    def practice_ids(self, capability: Capability | None = None) -> frozenset[int]:
        return frozenset(
            pid
            for pid, a in self.access.items()
            if capability is None or capability in a.capabilities
        )

    def can(self, capability: Capability, practice: Practice | int | None = None) -> bool:
        """With a practice: may the actor do this there. Without: anywhere at all."""
        if practice is None:
            return any(capability in a.capabilities for a in self.access.values())
        pid = practice if isinstance(practice, int) else practice.pk
        access = self.access.get(pid)
        return access is not None and capability in access.capabilities

    def can_workspace(self, capability: Capability) -> bool:
        return capability in self.workspace_capabilities

    def require(self, capability: Capability, practice: Practice | int | None = None) -> None:
        if not self.can(capability, practice):
            raise CapabilityDenied(capability)

    def practice_by_public_id(self, public_id: Any) -> Practice | None:
        """The practice with this id among the actor's; None for any other, or for a value
        that is no UUID. Any spelling of a UUID is the same id (upper case, no dashes), as
        every other id parameter reads it."""
        try:
            wanted = public_id if isinstance(public_id, UUID) else UUID(str(public_id)[:80])
        except ValueError:
            return None
        for access in self.access.values():
            if access.practice.public_id == wanted:
                return access.practice
        return None

    def provider_ids(
        self, practice: Practice | int, capability: Capability | None = None
    ) -> frozenset[int] | None:
        """The providers the actor is limited to in the practice (for `capability`, when
        given); None: every provider."""
        pid = practice if isinstance(practice, int) else practice.pk
        access = self.access.get(pid)
        return access.providers_for(capability) if access else frozenset()

    def limited_providers(self, capability: Capability | None = None) -> dict[int, frozenset[int]]:
        """{practice id: allowed provider ids} for the practices (where the actor holds
        `capability`, when given) whose access is limited to some providers."""
        limited = {}
        for pid, a in self.access.items():
            if capability is not None and capability not in a.capabilities:
                continue
            providers = a.providers_for(capability)
            if providers is not None:
                limited[pid] = providers
        return limited

    def whole_practice_ids(self, capability: Capability) -> frozenset[int]:
        """Practices where the actor holds `capability` over every provider: the only ones whose
        whole files (an 835 pays, an 837 bills, every provider's patients) it may take in or
        give out."""
        return frozenset(
            pid
            for pid, a in self.access.items()
            if capability in a.capabilities and a.providers_for(capability) is None
        )

    def provider_limited(self, practice: Practice | int, capability: Capability) -> bool:
        """Is the actor's `capability` on this practice limited to some of its providers? Such
        an actor may not take whole files of the practice (an 835 or 837 carries every
        provider's patients) nor do practice-wide work that belongs to no provider."""
        pid = practice if isinstance(practice, int) else practice.pk
        access = self.access.get(pid)
        return access is not None and access.providers_for(capability) is not None

    @property
    def label(self) -> str:
        return self.user.label


def _merge_provider_ids(
    current: frozenset[int] | None, grant_providers: frozenset[int]
) -> frozenset[int] | None:
    if current is None or not grant_providers:
        return None  # some grant allows every provider
    return current | grant_providers


@dataclass(frozen=True)
class GrantTerms:
    """What build_actor needs of one live grant: its role, flag, practice (None: every
    practice of the workspace) and provider subset (empty: every provider)."""

    role: str
    read_only: bool
    practice_id: int | None
    provider_ids: frozenset[int]


VISIBLE_STATUS: tuple[str, ...] = (
    PracticeStatus.ONBOARDING,
    PracticeStatus.ACTIVE,
    PracticeStatus.OFFBOARDING,
)


def resolve_actor(user: User) -> Actor | None:
    """Build the actor from the user's live grants: two short reads, whatever the grant
    count (the workspace with the grants and their provider subsets, the practices they reach), in
    SQL written once (`actor_reads`): this runs on every request."""
    if user.workspace_id is None or not user.is_active:
        return None
    workspace, rows = actor_reads.workspace_with_grants(user.pk, user.workspace_id, timezone.now())
    if workspace is None:
        return None
    found: dict[int, tuple[str, bool, int | None, set[int]]] = {}
    for pk, role, read_only, practice_id, provider_id in rows:
        terms = found.setdefault(pk, (role, read_only, practice_id, set()))
        if provider_id is not None:
            terms[3].add(provider_id)
    grants = [
        GrantTerms(
            role=role,
            read_only=read_only,
            practice_id=practice_id,
            provider_ids=frozenset(providers),
        )
        for role, read_only, practice_id, providers in found.values()
    ]
    visible: list[Practice] = []
    if grants:
        # A grant on every practice reaches them all; otherwise only the practices named.
        named = [g.practice_id for g in grants if g.practice_id is not None]
        everywhere = len(named) < len(grants)
        visible = actor_reads.visible_practices(
            user.workspace_id, VISIBLE_STATUS, None if everywhere else named
        )
    # One instance for the user and every practice: reading `.workspace` costs no query.
    user.workspace = workspace
    for practice in visible:
        practice.workspace = workspace
    return build_actor(user, workspace, grants, visible)


def _confine_demographics(
    caps: set[Capability], per_cap: dict[Capability, frozenset[int] | None]
) -> None:
    """Demographics limited to some providers, beside another capability that reaches further
    (a limited biller grant plus a whole-practice denial specialist grant): names, birth dates
    and raw files are shown record by record through `actor.can(patients.demographics)`, which
    knows practices, not providers, so the safe answer is to show none on that practice (masked
    everywhere, no raw file) rather than every provider's."""
    demographics = Capability.PATIENTS_DEMOGRAPHICS
    allowed = per_cap.get(demographics)
    if demographics not in caps or allowed is None:
        return
    for cap in caps - {demographics}:
        reach = per_cap.get(cap)
        if reach is None or not reach <= allowed:
            caps.discard(demographics)
            per_cap.pop(demographics, None)
            return


def build_actor(
    user: User, workspace: Workspace, grants: Iterable[GrantTerms], visible: list[Practice]
) -> Actor:
    """The actor of these grants over the `visible` practices (every visible practice of the
    workspace when a grant covers them all; otherwise at least those the grants name)."""
    by_id = {p.pk: p for p in visible}
    caps: dict[int, set[Capability]] = {}
    providers: dict[int, frozenset[int] | None] = {}
    cap_providers: dict[int, dict[Capability, frozenset[int] | None]] = {}
    roles: dict[int, set[Role]] = {}
    writable: dict[int, bool] = {}
    practices: dict[int, Practice] = {}
    workspace_caps: set[Capability] = set()
    for grant in grants:
        role = Role(grant.role)
        grant_caps = grant_capabilities(role, read_only=grant.read_only)
        if grant.practice_id is None:
            workspace_caps |= grant_caps
            targets = visible
        elif grant.practice_id in by_id:  # a practice offboarded is no longer seen
            targets = [by_id[grant.practice_id]]
        else:
            targets = []
        grant_providers = grant.provider_ids
        for practice in targets:
            pid = practice.pk
            practices[pid] = practice
            caps.setdefault(pid, set()).update(grant_caps)
            roles.setdefault(pid, set()).add(role)
            writable[pid] = writable.get(pid, False) or not grant.read_only
            providers[pid] = (
                _merge_provider_ids(providers[pid], grant_providers)
                if pid in providers
                else (grant_providers or None)
            )
            per_cap = cap_providers.setdefault(pid, {})
            for cap in grant_caps:
                per_cap[cap] = (
                    _merge_provider_ids(per_cap[cap], grant_providers)
                    if cap in per_cap
                    else (grant_providers or None)
                )
    for pid in practices:
        _confine_demographics(caps[pid], cap_providers[pid])
    access = {
        pid: PracticeAccess(
            practice=practices[pid],
            capabilities=frozenset(caps[pid]),
            provider_ids=providers[pid],
            roles=frozenset(roles[pid]),
            read_only=not writable[pid],
            capability_providers=cap_providers[pid],
        )
        for pid in practices
    }
    return Actor(
        user=user,
        workspace=workspace,
        access=access,
        workspace_capabilities=frozenset(workspace_caps),
    )
