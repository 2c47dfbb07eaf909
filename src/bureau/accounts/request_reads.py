"""The session, the signed-in user and the second factor, read on every request in SQL written
once per process.

Django's session store, its ModelBackend and django-otp's middleware read them through the ORM:
building and compiling those three small queries cost several times what the database took to
answer them (issue 12). These subclasses keep the libraries' behaviour and change only how the
row is read: the same table, the same conditions (a session past its expiry is not found; the
user is found by id and refused when inactive; the device is found by id, and django-otp's
middleware still refuses one that is unconfirmed or another user's), model instances built by
`raw()` with the fields' converters. Nothing is cached: an ended session, a deactivated user or
a removed device counts on the very next request.

The backend is named in AUTHENTICATION_BACKENDS in place of Django's: a session records the
backend that signed it in, so sessions started before it was named there end once (their
people sign in again).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend as DjangoModelBackend
from django.contrib.sessions.backends.db import SessionStore as DbSessionStore
from django.contrib.sessions.models import Session
from django.db import connection, models
from django.utils import timezone
from django_otp.middleware import OTPMiddleware as BaseOTPMiddleware
from django_otp.plugins.otp_totp.models import TOTPDevice


def _select(model: type[models.Model], where: str) -> str:
    """SELECT every concrete column of `model` WHERE `where` ({name} marks a column by field)."""
    meta = model._meta
    quote = connection.ops.quote_name
    names = {
        f.name: quote(f.column)
        for f in meta.concrete_fields
        if isinstance(f, models.Field) and f.column
    }
    columns = ", ".join(names.values())
    sql = f"SELECT {columns} FROM {quote(meta.db_table)} WHERE "  # noqa: S608 - names from the model
    return sql + where.format(**names)


@cache
def _session_sql(vendor: str) -> str:
    return _select(Session, "{session_key} = %s AND {expire_date} > %s")


@cache
def _user_sql(vendor: str) -> str:
    return _select(get_user_model(), "{id} = %s")


@cache
def _totp_sql(vendor: str) -> str:
    return _select(TOTPDevice, "{id} = %s")


class SessionStore(DbSessionStore):
    """Django's database sessions (SESSION_ENGINE), read by `_session_sql`."""

    def _get_session_from_db(self) -> Any:
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        found = list(Session.objects.raw(_session_sql(connection.vendor), [self.session_key, now]))
        if not found:
            self._session_key = None
            return None
        return found[0]


class ModelBackend(DjangoModelBackend):
    """Django's ModelBackend (passwords, permissions), the signed-in user read by `_user_sql`."""

    def get_user(self, user_id: Any) -> Any:
        user_model = get_user_model()
        found = list(user_model.objects.raw(_user_sql(connection.vendor), [user_id]))
        if not found:
            return None
        return found[0] if self.user_can_authenticate(found[0]) else None


TOTP_LABEL = TOTPDevice._meta.label_lower  # "otp_totp.totpdevice", as persistent ids name it


class OTPMiddleware(BaseOTPMiddleware):  # type: ignore[misc]  # untyped library
    """django-otp's middleware; an authenticator (TOTP) device is read by `_totp_sql`, any
    other kind as the library reads it."""

    def _device_from_persistent_id(self, persistent_id: str) -> Any:
        label, _, pk = self._normalize_persistent_id(persistent_id).rpartition("/")
        if label != TOTP_LABEL or not pk.isdigit():
            return super()._device_from_persistent_id(persistent_id)
        found = list(TOTPDevice.objects.raw(_totp_sql(connection.vendor), [int(pk)]))
        return found[0] if found else None
