"""The user-administration matrix (issue 9, item 2): each administrator × each person × each
action, through the services and through the pages.

`users.manage` on one practice administers people of that practice only. An actor administers
a user when every grant the user holds lies inside the actor's users.manage practices and the
user holds nothing more than the actor; anyone else does not exist for the actor (404, like a
missing user). Nobody changes their own login or grants. Every change is audited.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.http import Http404
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts import selectors, services
from bureau.accounts.models import User
from bureau.accounts.tests.audit_marks import new_events
from bureau.accounts.tests.conftest import ACTORS, ADMINISTERS, TARGETS, Cast
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.tenancy.actor import Actor, CapabilityDenied, resolve_actor
from bureau.tenancy.models import Grant
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db

ACTIONS = [
    "view",
    "list",
    "deactivate",
    "reactivate",
    "reset_mfa",
    "grant",
    "revoke",
    "change_role",
]
WRITES = ACTIONS[2:]
ADMIN_EVENTS = [
    AuditAction.USER_DEACTIVATED,
    AuditAction.USER_REACTIVATED,
    AuditAction.MFA_RESET,
    AuditAction.GRANT_CREATED,
    AuditAction.GRANT_REVOKED,
]
REASON = "Matrix check"


def _subject_grant(cast: Cast, user: User) -> Grant:
    """The grant a revoke or role change works on: the user's grant on A when they have one."""
    grants = Grant.objects.filter(user=user, revoked_at__isnull=True).order_by("pk")
    return next((g for g in grants if g.practice_id == cast.a.pk), None) or grants[0]


def _state(user: User) -> tuple[Any, ...]:
    return (
        User.objects.get(pk=user.pk).is_active,
        TOTPDevice.objects.filter(user=user).count(),
        tuple(
            Grant.objects.filter(user=user).order_by("pk").values_list("pk", "role", "revoked_at")
        ),
        new_events().filter(action__in=ADMIN_EVENTS).count(),
    )


def _events(action: AuditAction, actor: User) -> list[AuditEvent]:
    return list(new_events().filter(action=action, user=actor).order_by("id"))


def _assert_done(action: str, cast: Cast, actor: User, target: User, grant: Grant) -> None:
    """The change happened, and its audit event names the actor and the record."""
    target.refresh_from_db()
    if action in ("deactivate", "reactivate"):
        assert target.is_active == (action == "reactivate")
        kind = (
            AuditAction.USER_REACTIVATED if action == "reactivate" else AuditAction.USER_DEACTIVATED
        )
        [event] = _events(kind, actor)
        assert event.record_ids == [str(target.public_id)] and event.reason == REASON
    elif action == "reset_mfa":
        assert not TOTPDevice.objects.filter(user=target).exists()
        [event] = _events(AuditAction.MFA_RESET, actor)
        assert event.record_ids == [str(target.public_id)]
    elif action == "grant":
        new = Grant.objects.filter(user=target, granted_by=actor).get()
        assert new.role == Role.BILLER.value and new.practice_id == cast.a.pk
        [event] = _events(AuditAction.GRANT_CREATED, actor)
        assert event.record_ids == [str(new.public_id)]
    elif action == "revoke":
        grant.refresh_from_db()
        assert grant.revoked_at is not None and grant.revoked_by_id == actor.pk
        [event] = _events(AuditAction.GRANT_REVOKED, actor)
        assert event.record_ids == [str(grant.public_id)]
    elif action == "change_role":
        grant.refresh_from_db()
        assert grant.revoked_at is not None
        new = Grant.objects.filter(user=target, granted_by=actor).get()
        assert new.role == Role.READ_ONLY.value and new.practice_id == grant.practice_id
        [created] = _events(AuditAction.GRANT_CREATED, actor)
        [revoked] = _events(AuditAction.GRANT_REVOKED, actor)
        assert created.detail["replaces"] == str(grant.public_id)
        assert revoked.detail["replaced_by"] == str(new.public_id)
    else:
        raise AssertionError(action)


def _prepare(action: str, target: User) -> None:
    if action == "reactivate":
        User.objects.filter(pk=target.pk).update(is_active=False)


# -- through the services ---------------------------------------------------------------------
def _service_call(action: str, cast: Cast, actor: Actor, target: User, grant: Grant) -> Any:
    calls: dict[str, Callable[[], Any]] = {
        "view": lambda: selectors.administered_user_get(
            actor=actor, public_id=str(target.public_id)
        ),
        "list": lambda: selectors.administered_user_list(actor=actor),
        "deactivate": lambda: services.user_set_active(
            actor=actor, user=target, active=False, reason=REASON
        ),
        "reactivate": lambda: services.user_set_active(
            actor=actor, user=target, active=True, reason=REASON
        ),
        "reset_mfa": lambda: services.mfa_reset(actor=actor, user=target, reason=REASON),
        "grant": lambda: services.grant_create(
            actor=actor,
            request=services.GrantRequest(
                user=target,
                role=Role.BILLER,
                practice=cast.a,
                read_only=False,
                expires_at=None,
                provider_ids=(),
                reason=REASON,
            ),
        ),
        "revoke": lambda: services.grant_revoke(actor=actor, grant=grant, reason=REASON),
        "change_role": lambda: services.grant_change_role(
            actor=actor, grant=grant, role=Role.READ_ONLY, reason=REASON
        ),
    }
    return calls[action]()


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("target_key", TARGETS)
@pytest.mark.parametrize("actor_key", ACTORS)
def test_services(cast: Cast, actor_key: str, target_key: str, action: str) -> None:
    actor_user = cast.actor(actor_key)
    target = cast.target(actor_key, target_key)
    actor = resolve_actor(actor_user)
    assert actor is not None
    grant = _subject_grant(cast, target)
    _prepare(action, target)
    visible = target_key in ADMINISTERS[actor_key]
    before = _state(target)

    if action == "list":
        shown = selectors.administered_user_list(actor=actor)
        assert (target.pk in {u.pk for u in shown}) == visible
        return
    if action == "view":
        if visible:
            assert _service_call(action, cast, actor, target, grant).pk == target.pk
        else:
            with pytest.raises(Http404):
                _service_call(action, cast, actor, target, grant)
        return
    if not visible:
        with pytest.raises(CapabilityDenied):
            _service_call(action, cast, actor, target, grant)
    elif target_key == "self":
        with pytest.raises(services.AccountError, match="your own"):
            _service_call(action, cast, actor, target, grant)
    else:
        _service_call(action, cast, actor, target, grant)
        _assert_done(action, cast, actor_user, target, grant)
        return
    assert _state(target) == before, "a refused change changed something"


# -- through the pages ------------------------------------------------------------------------
def _post_for(action: str, cast: Cast, target: User, grant: Grant) -> tuple[str, dict[str, str]]:
    status_url = f"/accounts/users/{target.public_id}/status/"
    return {
        "deactivate": (status_url, {"action": "deactivate", "reason": REASON}),
        "reactivate": (status_url, {"action": "activate", "reason": REASON}),
        "reset_mfa": (status_url, {"action": "reset_mfa", "reason": REASON}),
        "grant": (
            f"/accounts/users/{target.public_id}/",
            {"role": Role.BILLER.value, "practice": str(cast.a.public_id), "reason": REASON},
        ),
        "revoke": (f"/accounts/grants/{grant.public_id}/revoke/", {"reason": REASON}),
        "change_role": (
            f"/accounts/grants/{grant.public_id}/role/",
            {"role": Role.READ_ONLY.value, "reason": REASON},
        ),
    }[action]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("target_key", TARGETS)
@pytest.mark.parametrize("actor_key", ACTORS)
def test_pages(cast: Cast, actor_key: str, target_key: str, action: str) -> None:
    actor_user = cast.actor(actor_key)
    target = cast.target(actor_key, target_key)
    client: Client = verified_client(actor_user.username)
    grant = _subject_grant(cast, target)
    visible = target_key in ADMINISTERS[actor_key]
    manager = bool(ADMINISTERS[actor_key])
    detail_url = f"/accounts/users/{target.public_id}/"

    if action == "list":
        response = client.get("/accounts/users/")
        assert response.status_code == (200 if manager else 404)
        assert (detail_url in response.content.decode()) == visible
        return
    if action == "view":
        response = client.get(detail_url)
        assert response.status_code == (200 if visible else 404)
        return
    _prepare(action, target)
    before = _state(target)
    url, data = _post_for(action, cast, target, grant)
    response = client.post(url, data)
    if target_key == "self" and action == "reactivate":
        # An inactive actor is signed out at its next request, before any view runs.
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    elif not visible:
        assert response.status_code == 404
    elif target_key == "self":
        # Refused with a message on the page (the grant form's error, or a message and back).
        assert response.status_code in (200, 302)
        assert "your own" in client.get(detail_url).content.decode() + response.content.decode()
    else:
        assert response.status_code == 302
        assert response["Location"] == detail_url
        _assert_done(action, cast, actor_user, target, grant)
        return
    assert _state(target) == before, "a refused change changed something"
