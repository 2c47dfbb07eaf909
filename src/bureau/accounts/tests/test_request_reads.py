"""The session, the signed-in user and the authenticator read in SQL written once
(accounts.request_reads, issue 12): the same answers as the libraries' ORM reads, and nothing
kept between requests, so an ended or expired session, a user deactivated or deleted, or an
authenticator removed, unconfirmed or another user's, counts on the very next request."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.accounts.request_reads import ModelBackend, SessionStore
from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db

PAGE = "/patients/"
LOGIN = "/accounts/login/"
MFA = "/accounts/mfa/"


def test_the_settings_use_them():
    assert settings.SESSION_ENGINE == "bureau.accounts.request_reads"
    assert "bureau.accounts.request_reads.OTPMiddleware" in settings.MIDDLEWARE
    assert "django_otp.middleware.OTPMiddleware" not in settings.MIDDLEWARE
    assert "bureau.accounts.request_reads.ModelBackend" in settings.AUTHENTICATION_BACKENDS
    assert "django.contrib.auth.backends.ModelBackend" not in settings.AUTHENTICATION_BACKENDS


def test_the_user_reads_as_the_orm_reads_it():
    user = User.objects.get(username="sam.supervisor")
    found = ModelBackend().get_user(user.pk)
    assert found is not None
    for field in User._meta.concrete_fields:
        assert getattr(found, field.attname) == getattr(user, field.attname), field.name
    assert ModelBackend().get_user(0) is None
    User.objects.filter(pk=user.pk).update(is_active=False)
    assert ModelBackend().get_user(user.pk) is None


def test_a_user_deactivated_is_signed_out_on_the_next_request():
    client = verified_client("sam.supervisor")
    assert client.get(PAGE).status_code == 200
    User.objects.filter(username="sam.supervisor").update(is_active=False)
    assert client.get(PAGE)["Location"].startswith(LOGIN)


def test_a_session_reads_as_the_orm_reads_it():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    again = SessionStore(store.session_key)
    assert again["answer"] == 42
    orm = Session.objects.get(session_key=store.session_key)
    assert again._get_session_from_db().expire_date == orm.expire_date  # type: ignore[union-attr]


def test_an_expired_or_unknown_session_is_not_found():
    store = SessionStore()
    store["answer"] = 42
    store.create()
    Session.objects.filter(session_key=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    expired = SessionStore(store.session_key)
    assert "answer" not in expired and expired.session_key is None
    unknown = SessionStore("x" * 32)
    assert dict(unknown.items()) == {} and unknown.session_key is None


def test_an_ended_session_counts_on_the_next_request():
    client = verified_client("sam.supervisor")
    assert client.get(PAGE).status_code == 200
    Session.objects.filter(session_key=client.session.session_key).delete()
    assert client.get(PAGE)["Location"].startswith(LOGIN)


@pytest.mark.parametrize("change", ["removed", "unconfirmed", "another user's"])
def test_an_authenticator_changed_counts_on_the_next_request(change):
    client = verified_client("sam.supervisor")
    assert client.get(PAGE).status_code == 200
    pk = int(client.session[DEVICE_ID_SESSION_KEY].rsplit("/", 1)[1])
    device = TOTPDevice.objects.get(pk=pk)
    if change == "removed":
        device.delete()
    elif change == "unconfirmed":
        TOTPDevice.objects.filter(pk=pk).update(confirmed=False)
    else:
        other = User.objects.exclude(pk=device.user_id).filter(totpdevice__confirmed=True).first()
        assert other is not None
        TOTPDevice.objects.filter(pk=pk).update(user=other)
    # Not verified any more: to the second factor (enrolment, when no authenticator is left).
    assert client.get(PAGE)["Location"].startswith(MFA)


def test_each_is_one_query_a_request():
    client = verified_client("sam.supervisor")
    client.get(PAGE)
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(PAGE).status_code == 200
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "django_session"' in s for s in sql) == 1, sql
    assert sum('FROM "otp_totp_totpdevice"' in s for s in sql) == 1, sql
    assert sum('FROM "accounts_user"' in s and "password" in s for s in sql) == 1, sql


def _session_says(client, **values):
    session = client.session
    for key, value in values.items():
        session[key] = value
    session.save()


def test_a_session_signed_in_by_the_old_backend_is_signed_out_cleanly():
    client = verified_client("sam.supervisor")
    _session_says(client, _auth_user_backend="django.contrib.auth.backends.ModelBackend")
    assert client.get(PAGE)["Location"].startswith(LOGIN)


@pytest.mark.parametrize("user_id", [0, -1, 2**40, "12"])
def test_a_session_naming_no_such_user_is_signed_out(user_id):
    client = verified_client("sam.supervisor")
    _session_says(client, _auth_user_id=user_id)
    response = client.get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith(LOGIN)


def test_a_user_deleted_is_signed_out_on_the_next_request():
    user = User.objects.create_user(username="gone.soon", password="x" * 20)
    pk = user.pk
    assert ModelBackend().get_user(pk) is not None
    user.delete()
    assert ModelBackend().get_user(pk) is None
