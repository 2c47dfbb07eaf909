"""Authentication (DESIGN §4): password then TOTP, enrolment, lockout, idle logoff, sign-out; and
user/grant administration, each change audited with its reason."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client, override_settings
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.middleware import LAST_SEEN_KEY
from bureau.accounts.models import User
from bureau.accounts.tests.audit_marks import new_events
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.demo import DEMO_PASSWORD
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
MFA_VERIFY = "/accounts/mfa/verify/"
MFA_ENROLL = "/accounts/mfa/enroll/"
NEW_PASSWORD = "Tidal-Quartz-4417!"


# -- helpers ----------------------------------------------------------------------------------
def _code(device: TOTPDevice, steps: int = 0) -> str:
    value = totp(
        device.bin_key,
        step=device.step,
        t0=device.t0,
        digits=device.digits,
        drift=device.drift + steps,
    )
    return f"{value:0{device.digits}d}"


def _wrong_code(device: TOTPDevice) -> str:
    window = {_code(device, d) for d in range(-device.tolerance - 1, device.tolerance + 2)}
    return next(c for c in (f"{n:06d}" for n in range(0, 10**6, 7919)) if c not in window)


def _device(username: str) -> TOTPDevice:
    return TOTPDevice.objects.get(user__username=username, confirmed=True)


def _events(action: AuditAction, user: User | None = None) -> list[AuditEvent]:
    qs = new_events().filter(action=action)
    if user is not None:
        qs = qs.filter(user=user)
    return list(qs.order_by("workspace_id", "seq"))


def _redirect(response) -> tuple[str, dict[str, str]]:  # noqa: ANN001
    """(path, query) of a redirect, whatever the encoding of its query."""
    assert response.status_code == 302, response.status_code
    url = urlsplit(response["Location"])
    return url.path, {k: v[0] for k, v in parse_qs(url.query).items()}


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def _password_login(
    client: Client, username: str, password: str = DEMO_PASSWORD, next_url: str = "/"
):  # noqa: ANN202
    return client.post(LOGIN, {"username": username, "password": password, "next": next_url})


def _lakeside() -> Practice:
    return Practice.objects.get(workspace__slug="summit", code="LFM")


def _new_user_with_grant(username: str = "nina.new") -> User:
    summit = Workspace.objects.get(slug="summit")
    user = User(username=username, full_name="Nina Newcomb", workspace=summit)
    user.set_password(NEW_PASSWORD)
    user.save()
    Grant.objects.create(
        workspace=summit, user=user, practice=_lakeside(), role=Role.BILLER.value, reason="test"
    )
    return user


# -- password, then TOTP ----------------------------------------------------------------------
def test_password_then_totp_signs_in_and_reaches_phi():
    client = Client()
    assert _redirect(client.get("/patients/")) == (LOGIN, {"next": "/patients/"})

    response = _password_login(client, "bella.biller", next_url="/patients/")
    assert _redirect(response) == (MFA_VERIFY, {"next": "/patients/"})
    user = User.objects.get(username="bella.biller")
    assert len(_events(AuditAction.LOGIN, user)) == 1
    # Password alone shows no PHI.
    assert client.get("/patients/")["Location"].startswith(MFA_VERIFY)

    assert client.get(MFA_VERIFY).status_code == 200
    response = client.post(
        f"{MFA_VERIFY}?next=/patients/",
        {"token": _code(_device("bella.biller")), "next": "/patients/"},
    )
    assert response.status_code == 302 and response["Location"] == "/patients/"
    assert len(_events(AuditAction.MFA_VERIFIED, user)) == 1
    response = client.get("/patients/")
    assert response.status_code == 200
    assert _events(AuditAction.PATIENT_LISTED, user)
    # Signed in and verified: the login page sends you on.
    assert client.get(LOGIN).status_code == 302


def test_wrong_password_is_refused_and_audited():
    client = Client()
    response = _password_login(client, "bella.biller", password="not-the-password")
    assert response.status_code == 200
    assert not _signed_in(client)
    user = User.objects.get(username="bella.biller")
    [event] = _events(AuditAction.LOGIN_FAILED, user)
    assert event.workspace_id == user.workspace_id and event.ip == "127.0.0.1"


def test_failed_login_for_an_unknown_name_is_audited_in_the_global_chain():
    response = _password_login(Client(), "nobody.here", password="whatever-it-is")
    assert response.status_code == 200
    [event] = _events(AuditAction.LOGIN_FAILED)
    assert event.user_id is None and event.workspace_id is None
    assert "nobody.here" in event.actor_label


def test_wrong_totp_is_refused_and_audited():
    client = Client()
    _password_login(client, "bella.biller", next_url="/patients/")
    device = _device("bella.biller")
    response = client.post(MFA_VERIFY, {"token": _wrong_code(device), "next": "/patients/"})
    assert response.status_code == 200
    assert b"That code is not valid" in response.content
    user = User.objects.get(username="bella.biller")
    [failed] = _events(AuditAction.MFA_FAILED, user)
    assert failed.detail == {"stage": "verify"}
    assert not _events(AuditAction.MFA_VERIFIED, user)
    response = client.get("/patients/")
    assert response.status_code == 302 and response["Location"].startswith(MFA_VERIFY)
    assert not _events(AuditAction.PATIENT_LISTED, user)


def test_a_user_without_a_device_enrols_with_a_qr_code_and_a_valid_code():
    user = _new_user_with_grant()
    client = Client()
    response = _password_login(client, user.username, password=NEW_PASSWORD)
    assert _redirect(response) == (MFA_ENROLL, {"next": "/"})
    # Trying the verify page or a PHI page also lands on enrolment.
    assert client.get(MFA_VERIFY)["Location"].startswith(MFA_ENROLL)
    assert client.get("/patients/")["Location"].startswith(MFA_ENROLL)

    page = client.get(f"{MFA_ENROLL}?next=/")
    assert page.status_code == 200
    html = page.content.decode()
    assert re.search(r'<div class="qr">\s*(<\?xml[^>]*>\s*)?<svg', html), "no QR svg"
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    assert client.get(MFA_ENROLL).status_code == 200  # reload keeps the same pending device
    assert TOTPDevice.objects.filter(user=user).count() == 1

    response = client.post(MFA_ENROLL, {"token": _code(device), "next": "/"})
    assert response.status_code == 302 and response["Location"] == "/"
    device.refresh_from_db()
    assert device.confirmed
    assert len(_events(AuditAction.MFA_ENROLLED, user)) == 1
    assert client.get("/patients/").status_code == 200
    # Enrolled: the enrolment page now sends to verification instead of showing a new secret.
    assert client.get(MFA_ENROLL)["Location"].startswith(MFA_VERIFY)


def test_enrolment_with_a_wrong_code_is_refused_and_audited():
    user = _new_user_with_grant()
    client = Client()
    _password_login(client, user.username, password=NEW_PASSWORD)
    client.get(MFA_ENROLL)
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = client.post(MFA_ENROLL, {"token": _wrong_code(device), "next": "/"})
    assert response.status_code == 200 and b"does not match" in response.content
    device.refresh_from_db()
    assert not device.confirmed
    [failed] = _events(AuditAction.MFA_FAILED, user)
    assert failed.detail == {"stage": "enrol"}


# -- lockout ----------------------------------------------------------------------------------
def test_five_wrong_passwords_lock_the_login_even_for_the_right_password():
    client = Client()
    responses = [_password_login(client, "bella.biller", password=f"wrong-{i}") for i in range(5)]
    assert [r.status_code for r in responses[:4]] == [200] * 4
    assert b"Login locked" in responses[4].content

    response = _password_login(client, "bella.biller")  # the correct password
    assert response.status_code in {403, 429}
    assert b"Login locked" in response.content
    assert not _signed_in(client)
    assert "Location" not in response

    user = User.objects.get(username="bella.biller")
    assert len(_events(AuditAction.LOGIN_FAILED, user)) >= 5
    assert len(_events(AuditAction.LOCKED_OUT, user)) >= 1
    assert not _events(AuditAction.LOGIN, user)
    # Another person is not locked out by bella's failures.
    response = _password_login(Client(), "priya.poster")
    assert response.status_code == 302 and response["Location"].startswith(MFA_VERIFY)


# -- idle logoff and sign-out -----------------------------------------------------------------
def _set_last_seen(client: Client, minutes_ago: float) -> None:
    session = client.session
    session[LAST_SEEN_KEY] = time.time() - minutes_ago * 60
    session.save()


@override_settings(BUREAU_IDLE_MINUTES=15)
def test_an_idle_session_is_signed_out_at_the_next_request():
    client = verified_client("bella.biller")
    _set_last_seen(client, 16)
    response = client.get("/patients/")
    assert _redirect(response) == (LOGIN, {"idle": "1"})
    assert not _signed_in(client)
    user = User.objects.get(username="bella.biller")
    assert len(_events(AuditAction.IDLE_LOGOUT, user)) == 1
    assert not _events(AuditAction.PATIENT_LISTED, user)
    page = client.get(response["Location"])
    assert page.status_code == 200 and b"15 minutes without activity" in page.content
    assert client.get("/patients/")["Location"].startswith(LOGIN)


@override_settings(BUREAU_IDLE_MINUTES=15)
def test_an_active_session_stays_signed_in_and_its_clock_restarts():
    client = verified_client("bella.biller")
    _set_last_seen(client, 14)
    assert client.get("/patients/").status_code == 200
    assert time.time() - client.session[LAST_SEEN_KEY] < 60
    assert not _events(AuditAction.IDLE_LOGOUT)


def test_logout_by_post_ends_the_session_and_is_audited():
    client = verified_client("bella.biller")
    assert client.get("/").status_code == 200
    assert client.get("/accounts/logout/").status_code == 405  # no sign-out by link
    assert _signed_in(client)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302 and response["Location"] == LOGIN
    assert not _signed_in(client)
    user = User.objects.get(username="bella.biller")
    assert len(_events(AuditAction.LOGOUT, user)) == 1
    assert client.get("/")["Location"].startswith(LOGIN)
    assert client.get("/patients/")["Location"].startswith(LOGIN)


def test_phi_pages_require_a_verified_second_factor():
    user = User.objects.get(username="bella.biller")
    patient_url = "/patients/00000000-0000-4000-8000-000000000000/"
    anonymous = Client()
    for url in ("/patients/", patient_url):
        assert anonymous.get(url)["Location"].startswith(f"{LOGIN}?next=")
    password_only = Client()
    password_only.force_login(user)
    for url in ("/", "/patients/", patient_url, "/accounts/users/"):
        response = password_only.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(f"{MFA_VERIFY}?next="), url
    assert not _events(AuditAction.PATIENT_LISTED) and not _events(AuditAction.PATIENT_VIEWED)


# -- user and grant administration ------------------------------------------------------------
def _create_user_form(reason: str, username: str = "nina.new") -> dict[str, str]:
    return {
        "username": username,
        "full_name": "Nina Newcomb",
        "email": "nina@example.test",
        "password": NEW_PASSWORD,
        "reason": reason,
    }


def _grant_form(
    practice: str, role: Role = Role.BILLER, reason: str = "Covering claims", expires_at: str = ""
) -> dict[str, str]:
    return {"role": role.value, "practice": practice, "expires_at": expires_at, "reason": reason}


def _in_days(days: float) -> str:
    return (timezone.now() + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")


def _supervisor_creates_nina(sam: Client) -> User:
    response = sam.post("/accounts/users/new/", _create_user_form("New biller for Lakeside"))
    assert response.status_code == 302
    nina = User.objects.get(username="nina.new")
    assert response["Location"] == f"/accounts/users/{nina.public_id}/"
    return nina


def test_creating_a_user_requires_a_reason_and_is_audited_with_it():
    sam = verified_client("sam.supervisor")
    assert sam.get("/accounts/users/new/").status_code == 200
    for reason in ("", "  "):
        response = sam.post("/accounts/users/new/", _create_user_form(reason))
        assert response.status_code == 200
        assert "reason" in response.context["form"].errors
    assert not User.objects.filter(username="nina.new").exists()
    assert not _events(AuditAction.USER_CREATED)

    nina = _supervisor_creates_nina(sam)
    assert nina.workspace.slug == "summit" and nina.check_password(NEW_PASSWORD)
    assert not nina.grants.exists()
    [event] = _events(AuditAction.USER_CREATED)
    supervisor = User.objects.get(username="sam.supervisor")
    assert event.user_id == supervisor.pk
    assert event.reason == "New biller for Lakeside"
    assert event.record_ids == [str(nina.public_id)]
    assert nina.username in sam.get("/accounts/users/").content.decode()


def test_a_grant_with_expiry_gives_one_practice_and_dies_when_it_expires():
    sam = verified_client("sam.supervisor")
    nina = _supervisor_creates_nina(sam)
    lakeside = _lakeside()
    response = sam.post(
        f"/accounts/users/{nina.public_id}/",
        _grant_form(str(lakeside.public_id), expires_at=_in_days(3), reason="Covering Lakeside"),
    )
    assert response.status_code == 302
    [grant] = Grant.objects.filter(user=nina)
    assert grant.practice_id == lakeside.pk and grant.role == Role.BILLER.value
    assert grant.expires_at is not None
    assert timedelta(days=2.9) < grant.expires_at - timezone.now() < timedelta(days=3.1)
    assert grant.granted_by.username == "sam.supervisor" and grant.reason == "Covering Lakeside"
    [event] = _events(AuditAction.GRANT_CREATED)
    assert event.reason == "Covering Lakeside" and event.practice_id == lakeside.pk
    assert event.record_ids == [str(grant.public_id)]
    assert event.detail["role"] == "biller" and event.detail["expires_at"]

    actor = resolve_actor(nina)
    assert actor is not None and actor.practice_ids() == {lakeside.pk}

    TOTPDevice.objects.create(user=nina, name="Authenticator", confirmed=True)
    client = verified_client("nina.new")
    others = list(Practice.objects.filter(workspace=lakeside.workspace).exclude(pk=lakeside.pk))
    home = client.get("/").content.decode()
    assert lakeside.name in home
    assert not any(p.name in home for p in others)
    # Work inside Lakeside, so the session names it as the practice context.
    response = client.post("/context/", {"practice": str(lakeside.public_id), "next": "/"})
    assert response.status_code == 302
    assert client.get("/patients/").status_code == 200

    # Expiry is a filter, not a job: past expires_at, the very next request no longer sees it.
    Grant.objects.filter(pk=grant.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    home = client.get("/")
    assert home.status_code == 200
    assert lakeside.name not in home.content.decode()
    assert b"You hold no live grants" in home.content
    assert client.get("/patients/").status_code == 404
    assert client.post("/context/", {"practice": str(lakeside.public_id)}).status_code == 404
    actor = resolve_actor(nina)
    assert actor is not None and actor.practice_ids() == frozenset()


def test_revoking_a_grant_needs_a_reason_and_ends_access_at_once():
    sam = verified_client("sam.supervisor")
    nina = _supervisor_creates_nina(sam)
    lakeside = _lakeside()
    sam.post(f"/accounts/users/{nina.public_id}/", _grant_form(str(lakeside.public_id)))
    [grant] = Grant.objects.filter(user=nina)
    revoke = f"/accounts/grants/{grant.public_id}/revoke/"

    response = sam.post(revoke, {"reason": ""}, follow=True)
    assert b"Give a reason" in response.content
    grant.refresh_from_db()
    assert grant.revoked_at is None and not _events(AuditAction.GRANT_REVOKED)

    response = sam.post(revoke, {"reason": "Contract ended"})
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/users/{nina.public_id}/"
    grant.refresh_from_db()
    assert grant.revoked_at is not None and grant.revoke_reason == "Contract ended"
    assert grant.revoked_by.username == "sam.supervisor"
    [event] = _events(AuditAction.GRANT_REVOKED)
    assert event.reason == "Contract ended" and event.practice_id == lakeside.pk
    assert event.record_ids == [str(grant.public_id)]
    actor = resolve_actor(nina)
    assert actor is not None and actor.practice_ids() == frozenset()
    # Revoking twice is refused, and not audited twice.
    sam.post(revoke, {"reason": "Contract ended"})
    assert len(_events(AuditAction.GRANT_REVOKED)) == 1


@pytest.mark.parametrize("scope", ["practice", "all"])
def test_a_supervisor_cannot_grant_the_owner_role(scope):
    sam = verified_client("sam.supervisor")
    nina = _supervisor_creates_nina(sam)
    practice = str(_lakeside().public_id) if scope == "practice" else "all"
    response = sam.post(
        f"/accounts/users/{nina.public_id}/", _grant_form(practice, role=Role.OWNER)
    )
    assert response.status_code == 200
    assert "You cannot grant the role Owner" in response.content.decode()
    assert not Grant.objects.filter(user=nina).exists()
    assert not _events(AuditAction.GRANT_CREATED)


def test_a_grant_needs_a_reason_and_a_future_expiry():
    sam = verified_client("sam.supervisor")
    nina = _supervisor_creates_nina(sam)
    url = f"/accounts/users/{nina.public_id}/"
    lakeside = str(_lakeside().public_id)
    response = sam.post(url, _grant_form(lakeside, reason=""))
    assert response.status_code == 200 and "reason" in response.context["form"].errors
    response = sam.post(url, _grant_form(lakeside, expires_at=_in_days(-1)))
    assert response.status_code == 200 and b"The expiry must be in the future" in response.content
    assert not Grant.objects.filter(user=nina).exists()
    assert not _events(AuditAction.GRANT_CREATED)


def test_user_administration_is_invisible_without_users_manage():
    bella = verified_client("bella.biller")
    sam = User.objects.get(username="sam.supervisor")
    grant = Grant.objects.filter(user=sam).first()
    assert grant is not None
    for url in ("/accounts/users/", "/accounts/users/new/", f"/accounts/users/{sam.public_id}/"):
        assert bella.get(url).status_code == 404, url
    assert bella.post("/accounts/users/new/", _create_user_form("sneaky")).status_code == 404
    assert (
        bella.post(f"/accounts/grants/{grant.public_id}/revoke/", {"reason": "sneaky"}).status_code
        == 404
    )
    assert not User.objects.filter(username="nina.new").exists()
    grant.refresh_from_db()
    assert grant.revoked_at is None
    assert b"/accounts/users/" not in bella.get("/").content  # no menu entry either
