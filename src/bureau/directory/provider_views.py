"""Setup pages of providers: the list, add one (keeping the practice the list shows), edit one,
deactivate or reactivate it. Thin: the rules are in `directory.services`."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.directory import selectors, services
from bureau.directory.models import Provider, ProviderKind
from bureau.directory.setup_forms import (
    ActiveForm,
    attempt,
    reason_field,
    set_active_post,
    setup_context,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, chosen_practice, record_in_context, requires

FIELDS = ("kind", "name", "last_name", "first_name", "npi", "taxonomy")


class ProviderForm(forms.Form):
    practice = forms.ChoiceField()
    kind = forms.ChoiceField(choices=ProviderKind.choices)
    name = forms.CharField(max_length=200)
    last_name = forms.CharField(max_length=60, required=False)
    first_name = forms.CharField(max_length=35, required=False)
    npi = forms.CharField(max_length=10, label="NPI")
    taxonomy = forms.CharField(max_length=10, required=False, help_text="As 207Q00000X.")
    reason = reason_field()

    def __init__(self, practices: list[Practice] | None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if practices is None:  # editing: a provider stays in their practice
            del self.fields["practice"]
            self.practices: dict[str, Practice] = {}
            return
        self.practices = {str(p.public_id): p for p in practices}
        self.fields["practice"].choices = [  # type: ignore[attr-defined]
            (key, p.name) for key, p in self.practices.items()
        ]

    def data_out(self, is_active: bool = True) -> services.ProviderData:
        return services.ProviderData(
            **{k: self.cleaned_data[k] for k in FIELDS}, is_active=is_active
        )


def may_manage_provider(actor: Actor, provider: Provider) -> bool:
    """setup.manage on the provider's practice, and on the provider where the grant names some
    (no query: the actor's grants are resolved once per request)."""
    if not actor.can(Capability.SETUP_MANAGE, provider.practice_id):
        return False
    allowed = actor.provider_ids(provider.practice_id, Capability.SETUP_MANAGE)
    return allowed is None or provider.pk in allowed


def _list_url(practice: Practice | None) -> str:
    url = reverse("directory:providers")
    return f"{url}?practice={practice.public_id}" if practice else url


@requires(Capability.SETUP_VIEW)
def provider_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.SETUP_VIEW)
    providers = selectors.provider_list(
        actor=actor, capability=Capability.SETUP_VIEW, practice=practice
    ).order_by("practice__name", "name")
    editable = {p.pk for p in providers if may_manage_provider(actor, p)}
    return render(
        request,
        "directory/providers.html",
        setup_context(actor, practice, providers=providers, editable=editable),
    )


@requires(Capability.SETUP_MANAGE)
def provider_create_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practices = actor.practices(Capability.SETUP_MANAGE)
    # ?practice= (the list's "New provider") or the bar's practice is the one chosen.
    chosen = chosen_practice(
        request, actor, Capability.SETUP_MANAGE, use_context=request.method == "GET"
    )
    context: Practice | None = chosen or getattr(request, "practice_context", None)
    initial = {"practice": str(context.public_id)} if context in practices else {}
    form = ProviderForm(practices, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        practice = form.practices[form.cleaned_data["practice"]]
        data = form.data_out()
        saved = attempt(
            form,
            lambda: services.provider_create(
                actor=actor, practice=practice, data=data, reason=form.cleaned_data["reason"]
            ),
        )
        if saved is not None:
            messages.success(request, f"Provider {data.name} created.")
            return redirect(_list_url(practice))
    return render(
        request,
        "directory/setup_form.html",
        setup_context(
            actor,
            chosen,
            form=form,
            title="New provider",
            cancel=_list_url(chosen),
            testid="provider-form",
        ),
    )


def _provider(request: HttpRequest, public_id: UUID) -> Provider:
    """A provider the actor manages (its practice, and it where the grant names providers)."""
    provider = selectors.provider_for_setup(
        actor=actor_of(request), capability=Capability.SETUP_MANAGE, public_id=public_id
    )
    if provider is None:
        raise Http404
    here = reverse("directory:provider_edit", kwargs={"public_id": public_id})
    record_in_context(request, provider.practice_id, noun="provider", back=here)
    return provider


@requires(Capability.SETUP_MANAGE)
def provider_edit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    provider = _provider(request, public_id)
    form = ProviderForm(
        None, request.POST or None, initial={k: getattr(provider, k) for k in FIELDS}
    )
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            lambda: services.provider_update(
                actor=actor,
                provider=provider,
                data=form.data_out(is_active=provider.is_active),
                reason=form.cleaned_data["reason"],
            ),
        )
        if saved is not None:
            messages.success(request, f"Provider {form.cleaned_data['name']} saved.")
            return redirect(_list_url(provider.practice))
    return render(
        request,
        "directory/setup_form.html",
        setup_context(
            actor,
            provider.practice,
            form=form,
            title=f"Provider: {provider.name}",
            record_active=provider.is_active,
            cancel=_list_url(provider.practice),
            testid="provider-form",
            active_form=ActiveForm.for_record(provider.is_active),
            active_action=reverse("directory:provider_active", kwargs={"public_id": public_id}),
            active_says="An inactive provider is offered on no new encounter; their claims "
            "and enrollments stay.",
        ),
    )


@require_POST
@requires(Capability.SETUP_MANAGE)
def provider_active_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    provider = _provider(request, public_id)
    return set_active_post(
        request,
        name=f"Provider {provider.name}",
        back=reverse("directory:provider_edit", kwargs={"public_id": public_id}),
        change=lambda active, reason: services.provider_set_active(
            actor=actor, provider=provider, active=active, reason=reason
        ),
    )
