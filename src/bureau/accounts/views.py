"""Sign in (password, then TOTP), TOTP enrolment, sign out."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from bureau.accounts import services
from bureau.web.access import local_next, pre_mfa, public


class TokenForm(forms.Form):
    token = forms.CharField(
        label="6-digit code",
        max_length=8,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _next_url(request: HttpRequest) -> str:
    return local_next(request, request.POST.get("next") or request.GET.get("next"))


@public
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.user.is_verified():  # type: ignore[union-attr,attr-defined,unused-ignore]
        return redirect(_next_url(request))
    form = AuthenticationForm(request, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.session_start(request, form.get_user())
        target = (
            "accounts:mfa_verify" if user_has_device(form.get_user()) else "accounts:mfa_enroll"
        )
        response = redirect(target)
        response["Location"] += "?" + urlencode({"next": _next_url(request)})
        return response
    return render(
        request,
        "accounts/login.html",
        {"form": form, "next": _next_url(request), "idle": request.GET.get("idle")},
    )


@pre_mfa
def mfa_verify_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user_has_device(user):
        return redirect("accounts:mfa_enroll")
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.mfa_verify(request, user, form.cleaned_data["token"]):  # type: ignore[arg-type]
            return redirect(_next_url(request))
        form.add_error("token", "That code is not valid. Codes change every 30 seconds.")
    return render(request, "accounts/mfa_verify.html", {"form": form, "next": _next_url(request)})


@pre_mfa
def mfa_enroll_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if user_has_device(user):
        return redirect("accounts:mfa_verify")
    device = services.mfa_device_pending(user)  # type: ignore[arg-type]
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.mfa_enroll_confirm(request, user, form.cleaned_data["token"]):  # type: ignore[arg-type]
            return redirect(_next_url(request))
        form.add_error("token", "That code does not match. Check the time on your phone.")
    image = qrcode.make(device.config_url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = io.BytesIO()
    image.save(buffer)
    return render(
        request,
        "accounts/mfa_enroll.html",
        {
            "form": form,
            "qr_svg": buffer.getvalue().decode(),
            "secret": _base32(device.bin_key),
            "next": _next_url(request),
        },
    )


def _base32(key: bytes) -> str:
    from base64 import b32encode

    return b32encode(key).decode().rstrip("=")


@public
@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    services.session_end(request)
    return redirect("accounts:login")
