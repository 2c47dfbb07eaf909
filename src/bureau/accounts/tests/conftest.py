"""A cast for user administration: administrators of different reach, and the people they might
administer, in the demo's Summit workspace (Lakeside = practice A, Northgate = practice B)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import Role

# Administrators: demo users, and new ones whose users.manage covers one or two practices.
ACTORS = [
    "owner_all",  # olivia.owner: owner on all practices
    "supervisor_all",  # sam.supervisor: supervisor on all practices
    "supervisor_a",  # supervisor on A only
    "supervisor_ab",  # supervisor on A and on B (two grants)
    "owner_a",  # owner on A only (holds compliance.manage there, unlike a supervisor)
    "account_manager",  # alex.manager: account managers hold no users.manage
]
# The people administered: "self" is the actor.
TARGETS = [
    "biller_a",  # biller on A
    "biller_b",  # biller on B
    "biller_ab",  # biller on A and B
    "supervisor_on_a",  # a peer of supervisor_a
    "owner_on_a",  # holds more than any supervisor on A
    "owner_everywhere",  # a second all-practices owner
    "self",
]
# Whom each actor administers: every grant inside its users.manage practices, nothing more
# than it holds. "self" is visible to the actor when this holds, but never changeable.
ADMINISTERS: dict[str, set[str]] = {
    "owner_all": set(TARGETS),
    "supervisor_all": {"biller_a", "biller_b", "biller_ab", "supervisor_on_a", "self"},
    "supervisor_a": {"biller_a", "supervisor_on_a", "self"},
    "supervisor_ab": {"biller_a", "biller_b", "biller_ab", "supervisor_on_a", "self"},
    "owner_a": {"biller_a", "supervisor_on_a", "owner_on_a", "self"},
    "account_manager": set(),
}
DEMO_ACTORS = {
    "owner_all": "olivia.owner",
    "supervisor_all": "sam.supervisor",
    "account_manager": "alex.manager",
}


@dataclass
class Cast:
    workspace: Workspace
    a: Practice
    b: Practice
    people: dict[str, User]

    def actor(self, key: str) -> User:
        return self.people[key]

    def target(self, actor_key: str, key: str) -> User:
        return self.people[actor_key if key == "self" else key]


def make_user(workspace: Workspace, username: str, *grants: tuple[Role, Any]) -> User:
    """A user with an authenticator (so a test client can sign in as them) and `grants`:
    (role, practice or None for all practices, optional extra fields)."""
    user = User(username=username, full_name=username.title(), workspace=workspace)
    user.set_unusable_password()  # Argon2 is slow; tests sign in with force_login
    user.save()
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    for role, practice, *extra in grants:
        grant(user, role, practice, **(extra[0] if extra else {}))
    return user


def grant(
    user: User,
    role: Role,
    practice: Practice | None,
    *,
    read_only: bool = False,
    expires_at: datetime | None = None,
    revoked_at: datetime | None = None,
    providers: tuple[int, ...] = (),
) -> Grant:
    assert user.workspace is not None
    created = Grant.objects.create(
        workspace=user.workspace,
        user=user,
        practice=practice,
        role=role.value,
        read_only=read_only,
        expires_at=expires_at,
        revoked_at=revoked_at,
        reason="test cast",
    )
    created.providers.set(providers)
    return created


@pytest.fixture
def cast(db: Any) -> Cast:
    workspace = Workspace.objects.get(slug="summit")
    a = Practice.objects.get(workspace=workspace, code="LFM")
    b = Practice.objects.get(workspace=workspace, code="NGO")
    people = {key: User.objects.get(username=name) for key, name in DEMO_ACTORS.items()}
    people.update(
        supervisor_a=make_user(workspace, "sue.lakeside", (Role.SUPERVISOR, a)),
        supervisor_ab=make_user(
            workspace, "sid.twopractices", (Role.SUPERVISOR, a), (Role.SUPERVISOR, b)
        ),
        owner_a=make_user(workspace, "oona.lakeside", (Role.OWNER, a)),
        biller_a=make_user(workspace, "ada.onlya", (Role.BILLER, a)),
        biller_b=make_user(workspace, "ben.onlyb", (Role.BILLER, b)),
        biller_ab=make_user(workspace, "cy.spans", (Role.BILLER, a), (Role.BILLER, b)),
        supervisor_on_a=make_user(workspace, "dee.peer", (Role.SUPERVISOR, a)),
        owner_on_a=make_user(workspace, "eve.practiceowner", (Role.OWNER, a)),
        owner_everywhere=make_user(workspace, "fay.secondowner", (Role.OWNER, None)),
    )
    return Cast(workspace, a, b, people)


@pytest.fixture(autouse=True)
def mark_audit() -> None:
    """Each test counts the audit events it wrote, not the seed's (`audit_marks`)."""
    from bureau.accounts.tests.audit_marks import mark

    mark()
