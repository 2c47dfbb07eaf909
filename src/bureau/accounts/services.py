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

from bureau import clock
from bureau.accounts.authority import admin_scope, administers, governing, manage_ends_at
from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.directory.models import Provider
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import CLIENT_VOICE, Capability, Role, grant_capabilities


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
    """`users.manage` somewhere: enough to create a login, which holds nothing until granted."""
    if not actor.can(Capability.USERS_MANAGE):
        raise CapabilityDenied(Capability.USERS_MANAGE)


def _administered(actor: Actor, user: User) -> User:
    """The user, locked, when the actor administers them as their grants stand now (see
    `authority`); CapabilityDenied otherwise, which the pages answer like a missing user.
    The lock serializes changes to one person, so two administrators cannot interleave."""
    if user.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("user outside the workspace")
    locked = User.objects.select_for_update().filter(pk=user.pk).first()
    if locked is None:
        raise CapabilityDenied("no such user")
    held = governing(Grant.objects.filter(user=locked).prefetch_related("providers"))
    if not administers(actor, admin_scope(actor), held):
        raise CapabilityDenied("user outside the actor's administration")
    if locked.pk == actor.user.pk:
        raise AccountError(
            "You cannot change your own login or access: another administrator does that."
        )
    return locked


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
    # Exclusion screening on creation (issue 15), in this transaction: the new user and
    # their screening against the OIG list commit together (nothing while no list is in).
    from bureau.compliance.screening import screen_one

    screen_one(user)
    return user


@transaction.atomic
def user_set_active(*, actor: Actor, user: User, active: bool, reason: str) -> User:
    user = _administered(actor, user)
    reason = _require_reason(reason)
    if user.is_active == active:
        raise AccountError(f"{user.username} is already {'active' if active else 'inactive'}.")
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
    user = _administered(actor, user)
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
    """Nobody hands out more than they hold: users.manage where the grant applies, every
    capability the grant confers (so a supervisor cannot mint an owner), no provider beyond
    their own, and no end later than their own users.manage there."""
    # The client's own voice is not a power the granter must hold (roles.CLIENT_VOICE).
    granted = grant_capabilities(request.role, read_only=request.read_only) - CLIENT_VOICE
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
    if request.practice is not None:
        limit = actor.provider_ids(request.practice)
        if limit is not None and not (request.provider_ids and set(request.provider_ids) <= limit):
            raise AccountError("You cannot grant providers beyond your own: choose among them.")
    ends = manage_ends_at(actor, request.practice.pk if request.practice else None)
    if ends is not None and (request.expires_at is None or request.expires_at > ends):
        raise AccountError(
            "Your own access to manage users here ends "
            f"{timezone.localtime(ends):%Y-%m-%d %H:%M}: a grant you give must end by then."
        )


def _grant_insert(
    actor: Actor, user: User, request: GrantRequest, reason: str, *, replaces: Grant | None = None
) -> Grant:
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
        created_at=clock.now(),  # a replayed day's (the demo's history), else now
    )
    grant.providers.set(providers)
    detail = {
        "user": user.username,
        "role": request.role.value,
        "scope": grant.scope_label,
        "read_only": request.read_only,
        "expires_at": request.expires_at.isoformat() if request.expires_at else None,
        "providers": [p.npi for p in providers],
    }
    if replaces is not None:
        detail["replaces"] = str(replaces.public_id)
    audit_record(
        action=AuditAction.GRANT_CREATED,
        actor=actor,
        practice=request.practice,
        model="tenancy.Grant",
        record_ids=[grant.public_id],
        reason=reason,
        detail=detail,
    )
    return grant


def _grant_mark_revoked(
    actor: Actor,
    grant: Grant,
    reason: str,
    *,
    replaced_by: Grant | None = None,
    access_review: str = "",
) -> None:
    grant.revoked_at = clock.now()  # a replayed day's (an access review's), else now
    grant.revoked_by = actor.user
    grant.revoke_reason = reason
    grant.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
    detail = {"user": grant.user.username, "role": grant.role, "scope": grant.scope_label}
    if replaced_by is not None:
        detail["replaced_by"] = str(replaced_by.public_id)
    if access_review:
        detail["access_review"] = access_review
    audit_record(
        action=AuditAction.GRANT_REVOKED,
        actor=actor,
        practice=grant.practice,
        model="tenancy.Grant",
        record_ids=[grant.public_id],
        reason=reason,
        detail=detail,
    )


def _administered_grant(actor: Actor, grant: Grant) -> Grant:
    """The grant, as it stands once its user is locked, when the actor administers its user
    and the grant lies inside the actor's practices."""
    if grant.workspace_id != actor.workspace.pk or not admin_scope(actor).covers(grant.practice_id):
        raise CapabilityDenied("grant outside the actor's practices")
    user = _administered(actor, grant.user)
    current = (
        Grant.objects.select_related("practice").prefetch_related("providers").get(pk=grant.pk)
    )
    current.user = user
    return current


@transaction.atomic
def grant_create(*, actor: Actor, request: GrantRequest) -> Grant:
    user = _administered(actor, request.user)
    reason = _require_reason(request.reason)
    return _grant_insert(actor, user, request, reason)


@transaction.atomic
def grant_revoke(*, actor: Actor, grant: Grant, reason: str) -> Grant:
    grant = _administered_grant(actor, grant)
    reason = _require_reason(reason)
    if grant.revoked_at is not None:
        raise AccountError("This grant is already revoked.")
    _grant_mark_revoked(actor, grant, reason)
    return grant


@transaction.atomic
def grant_revoke_on_review(*, actor: Actor, grant: Grant, reason: str, review: str) -> Grant:
    """Revoke a grant on an access review's decision (`review`: the campaign's public id).

    The review decides who may do this (the practice's reviewer or a `compliance.manage`
    holder, checked by `compliance.access_review_services`), not `users.manage`: a compliance
    officer takes away what the review finds but can give nothing. Otherwise as `grant_revoke`: the
    user is locked, the grant read again, and the same GRANT_REVOKED event written."""
    if grant.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("grant outside the workspace")
    reason = _require_reason(reason)
    user = User.objects.select_for_update().get(pk=grant.user_id)
    current = Grant.objects.select_related("practice").get(pk=grant.pk)
    current.user = user
    if current.revoked_at is not None:
        raise AccountError("This grant is already revoked.")
    _grant_mark_revoked(actor, current, reason, access_review=review)
    return current


@transaction.atomic
def grants_revoke_for_offboarded_practice(
    *, actor: Actor, practice: Practice, reason: str
) -> list[Grant]:
    """Revoke every live grant on a practice whose data was just purged (the offboarding's
    approver is the actor: an owner or a compliance officer, checked by
    `offboarding.services`). All-practices grants stay: they stop reaching an offboarded
    practice by themselves."""
    reason = _require_reason(reason)
    revoked = []
    live = Grant.objects.live().filter(practice=practice).select_related("user", "practice")
    for grant in live.select_for_update(of=("self",)).order_by("pk"):
        _grant_mark_revoked(actor, grant, reason)
        revoked.append(grant)
    return revoked


@transaction.atomic
def grant_change_role(*, actor: Actor, grant: Grant, role: Role, reason: str) -> Grant:
    """Give a live grant another role: the old grant is revoked and a new one with the same
    practice, providers, read-only flag and expiry takes its place, both audited and linked.
    The new role passes the same checks as any grant the actor gives."""
    grant = _administered_grant(actor, grant)
    reason = _require_reason(reason)
    if not grant.is_live:
        raise AccountError("Only a live grant can change its role.")
    if grant.role == role.value:
        raise AccountError(f"This grant already has the role {role.label}.")
    request = GrantRequest(
        user=grant.user,
        role=role,
        practice=grant.practice,
        read_only=grant.read_only,
        expires_at=grant.expires_at,
        provider_ids=tuple(p.pk for p in grant.providers.all()),
        reason=reason,
    )
    replacement = _grant_insert(actor, grant.user, request, reason, replaces=grant)
    _grant_mark_revoked(actor, grant, reason, replaced_by=replacement)
    return replacement


def seed_grants_held_since(workspace: Workspace, made_after: datetime, held_from: datetime) -> int:
    """The demo seed's grants stand for access held long before the seeded access review: date
    those it made after `made_after` back to `held_from` (seed only; the seed's own event
    records it was seeded)."""
    return Grant.objects.filter(workspace=workspace, created_at__gte=made_after).update(
        created_at=held_from
    )
