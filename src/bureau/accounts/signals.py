"""Audit events for authentication failures, which Django and django-axes report by signal."""

from __future__ import annotations

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_login_failed
from django.db import transaction
from django.dispatch import receiver

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record


def _user_named(username: str | None) -> User | None:
    if not username:
        return None
    return User.objects.filter(username=username.strip().lower()).first()


@receiver(user_login_failed, dispatch_uid="bureau-login-failed")
def on_login_failed(sender: Any, credentials: dict[str, Any], **kwargs: Any) -> None:
    username = credentials.get("username")
    user = _user_named(username)
    with transaction.atomic():
        audit_record(
            action=AuditAction.LOGIN_FAILED,
            user=user,
            label=user.label if user else f"unknown login {str(username)[:60]!r}",
        )


@receiver(user_locked_out, dispatch_uid="bureau-locked-out")
def on_locked_out(sender: Any, username: str | None = None, **kwargs: Any) -> None:
    user = _user_named(username)
    with transaction.atomic():
        audit_record(
            action=AuditAction.LOCKED_OUT,
            user=user,
            label=user.label if user else f"unknown login {str(username)[:60]!r}",
        )
