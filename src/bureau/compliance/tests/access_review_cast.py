"""A small workspace of its own for access reviews, so every roster is worked out by hand:

    Alder Clinic (A), Birch Pediatrics (B)
    carla   compliance officer, all practices          (decides anything; no users.manage)
    olive   owner, all practices                       (granted bob his access)
    rita    account manager on A                       (appointed reviewer of A)
    bob     biller on A, limited to Dr. Ash             (granted by olive)
    bea     biller on B
    rex     read-only on A, expired yesterday          (not live: not on any roster)
    otto    biller on A, revoked last week             (not live: not on any roster)

A whole-workspace campaign freezes 5 grants (carla, olive, rita, bob, bea); a campaign of
Alder alone freezes 4 (carla's and olive's all-practices grants reach Alder too, and bea's
does not)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.directory.models import Provider
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import Role

RITA_LAST_LOGIN = datetime(2026, 11, 30, 14, 5, tzinfo=UTC)


@dataclass
class Acme:
    workspace: Workspace
    a: Practice
    b: Practice
    ash: Provider
    people: dict[str, User]
    grants: dict[str, Grant]

    def actor(self, name: str) -> Actor:
        """The actor as a fresh request would build it (after any grant change)."""
        user = User.objects.get(pk=self.people[name].pk)
        actor = resolve_actor(user)
        assert actor is not None
        return actor


def _user(workspace: Workspace, username: str) -> User:
    user = User(username=username, full_name=username.title(), workspace=workspace)
    user.set_unusable_password()
    user.save()
    return user


def _grant(
    user: User, role: Role, practice: Practice | None, granted_by: User | None = None, **extra: Any
) -> Grant:
    assert user.workspace is not None
    return Grant.objects.create(
        workspace=user.workspace,
        user=user,
        practice=practice,
        role=role.value,
        granted_by=granted_by,
        reason="access review cast",
        **extra,
    )


def build_acme() -> Acme:
    workspace = Workspace.objects.create(name="Acme Billing", slug="acme-review")
    a = Practice.objects.create(
        workspace=workspace, name="Alder Clinic", code="ALD", npi="1234567893", tax_id="111111111"
    )
    b = Practice.objects.create(
        workspace=workspace,
        name="Birch Pediatrics",
        code="BIR",
        npi="1245319599",
        tax_id="222222222",
    )
    ash = Provider.objects.create(
        workspace=workspace, practice=a, name="Dr. Ada Ash", npi="1003000126"
    )
    people = {
        name: _user(workspace, name) for name in ("carla", "olive", "rita", "bob", "bea", "rex")
    }
    people["otto"] = _user(workspace, "otto")
    User.objects.filter(pk=people["rita"].pk).update(last_login=RITA_LAST_LOGIN)
    now = timezone.now()
    grants = {
        "carla": _grant(people["carla"], Role.COMPLIANCE_OFFICER, None),
        "olive": _grant(people["olive"], Role.OWNER, None),
        "rita": _grant(people["rita"], Role.ACCOUNT_MANAGER, a),
        "bob": _grant(people["bob"], Role.BILLER, a, granted_by=people["olive"]),
        "bea": _grant(people["bea"], Role.BILLER, b),
        "rex": _grant(people["rex"], Role.READ_ONLY, a, expires_at=now - timedelta(days=1)),
        "otto": _grant(people["otto"], Role.BILLER, a, revoked_at=now - timedelta(days=7)),
    }
    grants["bob"].providers.set([ash])
    return Acme(workspace, a, b, ash, people, grants)


@pytest.fixture
def acme(db: Any) -> Acme:
    return build_acme()
