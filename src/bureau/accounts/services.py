"""Writes of accounts: sessions, MFA, users and grants. Each is one transaction with its audit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import login, logout
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.directory.models import Provider
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Capability, Role


class AccountError(ValueError):
    """A request that cannot be carried out, with a message for the person who made it."""


def _require_reason(reason: str) -> str:
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise AccountError("Give a reason for this change (at least a few words).")
    return reason


# -- sessions and MFA -------------------------------------------------------------------------
@transaction.atomic
def session_start(request: HttpRequest, user: User) -> None:
    login(request, user)
    audit_record(action=AuditAction.LOGIN, user=user)


@transaction.atomic
def session_end(request: HttpRequest, *, action: AuditAction = AuditAction.LOGOUT) -> None:
    user = request.user
    if user.is_authenticated:
        audit_record(action=action, user=user)
    logout(request)


@transaction.atomic
def mfa_device_pending(user: User) -> TOTPDevice:
    """The unconfirmed TOTP device an enrolment shows as a QR code (kept across reloads)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=False)


@transaction.atomic
def mfa_enroll_confirm(request: HttpRequest, user: User, token: str) -> bool:
    device = TOTPDevice.objects.filter(user=user, confirmed=False).first()
    if device is None or not device.verify_token(token.strip()):
        audit_record(action=AuditAction.MFA_FAILED, user=user, detail={"stage": "enrol"})
        return False
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    otp_login(request, device)
    audit_record(action=AuditAction.MFA_ENROLLED, user=user)
    return True


@transaction.atomic
def mfa_verify(request: HttpRequest, user: User, token: str) -> bool:
    for device in TOTPDevice.objects.filter(user=user, confirmed=True):
        if device.verify_token(token.strip()):
            otp_login(request, device)
            audit_record(action=AuditAction.MFA_VERIFIED, user=user)
            return True
    audit_record(action=AuditAction.MFA_FAILED, user=user, detail={"stage": "verify"})
    return False


# -- users ------------------------------------------------------------------------------------
def _require_manager(actor: Actor) -> None:
    if not actor.can(Capability.USERS_MANAGE):
        raise CapabilityDenied(Capability.USERS_MANAGE)


def _workspace_user(actor: Actor, user: User) -> User:
    if user.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("user outside the workspace")
    return user


@transaction.atomic
def user_create(
    *,
    actor: Actor,
    username: str,
    full_name: str,
    email: str,
    password: str,
    reason: str,
) -> User:
    _require_manager(actor)
    reason = _require_reason(reason)
    username = username.strip().lower()
    if not username:
        raise AccountError("A login name is required.")
    if User.objects.filter(username=username).exists():
        raise AccountError(f"The login name {username!r} is taken.")
    user = User(
        username=username,
        full_name=full_name.strip(),
        email=email.strip(),
        workspace=actor.workspace,
    )
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise AccountError(" ".join(exc.messages)) from exc
    user.set_password(password)
    user.save()
    audit_record(
        action=AuditAction.USER_CREATED,
        actor=actor,
        model="accounts.User",
        record_ids=[user.public_id],
        reason=reason,
        detail={"username": user.username},
    )
    return user


@transaction.atomic
def user_set_active(*, actor: Actor, user: User, active: bool, reason: str) -> User:
    _require_manager(actor)
    _workspace_user(actor, user)
    reason = _require_reason(reason)
    if user.pk == actor.user.pk and not active:
        raise AccountError("You cannot deactivate your own login.")
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit_record(
        action=AuditAction.USER_REACTIVATED if active else AuditAction.USER_DEACTIVATED,
        actor=actor,
        model="accounts.User",
        record_ids=[user.public_id],
        reason=reason,
    )
    return user


@transaction.atomic
def mfa_reset(*, actor: Actor, user: User, reason: str) -> None:
    """Remove a user's authenticators; they enrol again at their next login."""
    _require_manager(actor)
    _workspace_user(actor, user)
    reason = _require_reason(reason)
    TOTPDevice.objects.filter(user=user).delete()
    audit_record(
        action=AuditAction.MFA_RESET,
        actor=actor,
        model="accounts.User",
        record_ids=[user.public_id],
        reason=reason,
    )


# -- grants -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class GrantRequest:
    user: User
    role: Role
    practice: Practice | None  # None: all practices of the workspace
    read_only: bool
    expires_at: datetime | None
    provider_ids: tuple[int, ...]
    reason: str


def _check_can_confer(actor: Actor, request: GrantRequest) -> None:
    """Nobody hands out more than they hold: users.manage where the grant applies, and every
    capability of the role granted (so a supervisor cannot mint an owner)."""
    granted = request.role.capabilities
    if request.practice is None:
        if not actor.can_workspace(Capability.USERS_MANAGE):
            raise CapabilityDenied("all-practices grants need users.manage on all practices")
        missing = granted - actor.workspace_capabilities
    else:
        actor.require(Capability.USERS_MANAGE, request.practice)
        missing = granted - actor.access[request.practice.pk].capabilities
    if missing:
        names = ", ".join(sorted(missing))
        raise AccountError(f"You cannot grant the role {request.role.label}: you lack {names}.")


@transaction.atomic
def grant_create(*, actor: Actor, request: GrantRequest) -> Grant:
    _require_manager(actor)
    user = _workspace_user(actor, request.user)
    reason = _require_reason(request.reason)
    if request.practice is not None and request.practice.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("practice outside the workspace")
    if request.expires_at is not None and request.expires_at <= timezone.now():
        raise AccountError("The expiry must be in the future.")
    _check_can_confer(actor, request)
    providers = list(Provider.objects.filter(pk__in=request.provider_ids))
    if request.provider_ids and (
        request.practice is None
        or len(providers) != len(set(request.provider_ids))
        or any(p.practice_id != request.practice.pk for p in providers)
    ):
        raise AccountError("A provider subset needs one practice, and providers of that practice.")
    grant = Grant.objects.create(
        workspace=actor.workspace,
        user=user,
        practice=request.practice,
        role=request.role.value,
        read_only=request.read_only,
        expires_at=request.expires_at,
        granted_by=actor.user,
        reason=reason,
    )
    grant.providers.set(providers)
    audit_record(
        action=AuditAction.GRANT_CREATED,
        actor=actor,
        practice=request.practice,
        model="tenancy.Grant",
        record_ids=[grant.public_id],
        reason=reason,
        detail={
            "user": user.username,
            "role": request.role.value,
            "scope": grant.scope_label,
            "read_only": request.read_only,
            "expires_at": request.expires_at.isoformat() if request.expires_at else None,
            "providers": [p.npi for p in providers],
        },
    )
    return grant


@transaction.atomic
def grant_revoke(*, actor: Actor, grant: Grant, reason: str) -> Grant:
    _require_manager(actor)
    if grant.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("grant outside the workspace")
    reason = _require_reason(reason)
    if grant.practice_id is None:
        if not actor.can_workspace(Capability.USERS_MANAGE):
            raise CapabilityDenied("all-practices grants need users.manage on all practices")
    else:
        actor.require(Capability.USERS_MANAGE, grant.practice_id)
    if grant.revoked_at is not None:
        raise AccountError("This grant is already revoked.")
    grant.revoked_at = timezone.now()
    grant.revoked_by = actor.user
    grant.revoke_reason = reason
    grant.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    audit_record(
        action=AuditAction.GRANT_REVOKED,
        actor=actor,
        practice=grant.practice,
        model="tenancy.Grant",
        record_ids=[grant.public_id],
        reason=reason,
        detail={"user": grant.user.username, "role": grant.role, "scope": grant.scope_label},
    )
    return grant
