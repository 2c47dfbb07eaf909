"""Helpers of the setup page tests: clients, messages, and the 404 that foreign and missing
records share."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.audit.models import AuditEvent
from bureau.conftest import verified_client

OWNER = "olivia.owner"
# Roles without setup.manage: an account manager (setup.view), a biller, a client viewer.
NOT_MANAGERS = ["alex.manager", "bella.biller", "cliff.client"]


def said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def verified(user_actor: Any) -> Client:
    """A client for an actor made in the test (it gets an authenticator first)."""
    TOTPDevice.objects.create(user=user_actor.user, name="Authenticator", confirmed=True)
    return verified_client(user_actor.user.username)


def events() -> int:
    return AuditEvent.objects.count()


def missing_404(client: Client, name: str, method: str = "get", data: Any = None) -> bytes:
    """The body of `name` for an id that exists nowhere: what every refusal must look like."""
    url = reverse(name, kwargs={"public_id": uuid.uuid4()})
    response = getattr(client, method)(url, data or {})
    assert response.status_code == 404
    return bytes(response.content)


def assert_404_like_missing(
    client: Client, name: str, public_id: Any, method: str = "get", data: Any = None
) -> None:
    """`public_id` answers 404 with the very body of a missing id (nothing to tell them apart)."""
    response = getattr(client, method)(reverse(name, kwargs={"public_id": public_id}), data or {})
    assert response.status_code == 404
    assert response.content == missing_404(client, name, method, data)
