"""User and grant administration for owners and supervisors (`users.manage`).

Each page shows only the users the actor administers and their grants inside the actor's
practices (`selectors.administered_*`); anyone else answers 404, like a missing user.
"""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from bureau.accounts import selectors, services
from bureau.directory.selectors import provider_list
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability, Role
from bureau.web.access import actor_of, requires

ALL_PRACTICES = "all"


class ReasonField(forms.CharField):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(
            label="Reason",
            min_length=4,
            widget=forms.TextInput(attrs={"placeholder": "Why (kept in the audit log)"}),
            **kwargs,  # type: ignore[arg-type]
        )


class UserCreateForm(forms.Form):
    username = forms.CharField(label="Login name", max_length=150)
    full_name = forms.CharField(label="Full name", max_length=200)
    email = forms.EmailField(required=False)
    password = forms.CharField(
        label="Initial password", widget=forms.PasswordInput, min_length=12, strip=False
    )
    reason = ReasonField()


# A refused choice is not echoed back: the answer is the same for a practice or provider that
# does not exist and one the actor does not manage.
NOT_YOURS = {"invalid_choice": "Choose among the options offered."}


class GrantForm(forms.Form):
    # Nothing chosen when the form opens: a grant is a decision, and a form that opened on
    # "Owner, all practices" would hand out the widest access to whoever pressed Save.
    role = forms.ChoiceField(
        choices=[("", "— choose a role —")] + [(r.value, r.label) for r in Role],
        error_messages=NOT_YOURS,
    )
    practice = forms.ChoiceField(label="Practice", error_messages=NOT_YOURS)
    read_only = forms.BooleanField(required=False, label="Read-only")
    expires_at = forms.DateTimeField(
        required=False,
        label="Expires",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    providers = forms.MultipleChoiceField(
        required=False,
        label="Only these providers",
        widget=forms.SelectMultiple(attrs={"size": 4}),
        error_messages=NOT_YOURS,
    )
    reason = ReasonField()

    def __init__(self, actor: Actor, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        choices = [(str(p.public_id), p.name) for p in actor.practices(Capability.USERS_MANAGE)]
        if actor.can_workspace(Capability.USERS_MANAGE):
            choices.insert(0, (ALL_PRACTICES, "All practices"))
        choices.insert(0, ("", "— choose a practice —"))
        self.fields["practice"].choices = choices  # type: ignore[attr-defined]
        self.fields["providers"].choices = [  # type: ignore[attr-defined]
            (str(p.pk), f"{p.name} — {p.practice.name}")
            for p in provider_list(actor=actor, capability=Capability.USERS_MANAGE)
            if _may_name_provider(actor, p.practice_id, p.pk)
        ]


def _may_name_provider(actor: Actor, practice_id: int, provider_id: int) -> bool:
    limit = actor.provider_ids(practice_id)
    return limit is None or provider_id in limit


ROLE_CHOICES = [(r.value, r.label) for r in Role]


@requires(Capability.USERS_MANAGE)
def user_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request,
        "accounts/user_list.html",
        {"users": selectors.administered_user_list(actor=actor), "now": timezone.now()},
    )


@requires(Capability.USERS_MANAGE)
def user_create_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=actor, **form.cleaned_data)
        except services.AccountError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Created {user.username}. Add a grant so they can work.")
            return redirect("accounts:user_detail", public_id=user.public_id)
    return render(request, "accounts/user_create.html", {"form": form})


@requires(Capability.USERS_MANAGE)
def user_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    user = selectors.administered_user_get(actor=actor, public_id=str(public_id))
    is_self = user.pk == actor.user.pk
    form = GrantForm(actor, request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        practice = (
            None
            if data["practice"] == ALL_PRACTICES
            else actor.practice_by_public_id(data["practice"])
        )
        grant_request = services.GrantRequest(
            user=user,
            role=Role(data["role"]),
            practice=practice,
            read_only=data["read_only"],
            expires_at=data["expires_at"],
            provider_ids=tuple(int(p) for p in data["providers"]),
            reason=data["reason"],
        )
        try:
            services.grant_create(actor=actor, request=grant_request)
        except (services.AccountError, CapabilityDenied) as exc:
            form.add_error(
                None,
                str(exc)
                if isinstance(exc, services.AccountError)
                else "You cannot grant access there.",
            )
        else:
            messages.success(request, f"Granted {Role(data['role']).label} to {user.username}.")
            return redirect("accounts:user_detail", public_id=user.public_id)
    return render(
        request,
        "accounts/user_detail.html",
        {
            "subject": user,
            "grants": selectors.shown_grants(user),
            "is_self": is_self,
            "form": form,
            "roles": ROLE_CHOICES,
            "now": timezone.now(),
        },
    )


@requires(Capability.USERS_MANAGE)
@require_POST
def grant_revoke_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    grant = selectors.administered_grant_get(actor=actor, public_id=str(public_id))
    try:
        services.grant_revoke(actor=actor, grant=grant, reason=request.POST.get("reason", ""))
    except services.AccountError as exc:
        messages.error(request, str(exc))
    except CapabilityDenied as exc:  # changed since the page was read: as if it were gone
        raise Http404 from exc
    else:
        messages.success(request, f"Revoked {grant.get_role_display()} on {grant.scope_label}.")
    return redirect("accounts:user_detail", public_id=grant.user.public_id)


@requires(Capability.USERS_MANAGE)
@require_POST
def grant_role_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    grant = selectors.administered_grant_get(actor=actor, public_id=str(public_id))
    role = next((r for r in Role if r.value == request.POST.get("role", "")), None)
    try:
        if role is None:
            raise services.AccountError("Choose a role.")
        services.grant_change_role(
            actor=actor, grant=grant, role=role, reason=request.POST.get("reason", "")
        )
    except services.AccountError as exc:
        messages.error(request, str(exc))
    except CapabilityDenied as exc:
        raise Http404 from exc
    else:
        messages.success(
            request, f"{grant.user.username} is now {role.label} on {grant.scope_label}."
        )
    return redirect("accounts:user_detail", public_id=grant.user.public_id)


@requires(Capability.USERS_MANAGE)
@require_POST
def user_status_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    user = selectors.administered_user_get(actor=actor, public_id=str(public_id))
    action = request.POST.get("action", "")
    reason = request.POST.get("reason", "")
    try:
        if action == "reset_mfa":
            services.mfa_reset(actor=actor, user=user, reason=reason)
            messages.success(request, f"{user.username} will enrol a new authenticator.")
        elif action in {"deactivate", "activate"}:
            services.user_set_active(
                actor=actor, user=user, active=action == "activate", reason=reason
            )
            messages.success(request, f"{user.username} is now {action}d.")
        else:
            messages.error(request, "Unknown action.")
    except services.AccountError as exc:
        messages.error(request, str(exc))
    except CapabilityDenied as exc:
        raise Http404 from exc
    return redirect("accounts:user_detail", public_id=user.public_id)
