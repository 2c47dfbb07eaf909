"""Setup pages of payers (the whole workspace's): the list, add one, edit one, deactivate or
reactivate it. Changing a payer needs setup.manage over the whole workspace (every client
bills the same payer); anyone else gets 404. Thin: the rules are in `directory.services`."""

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
from bureau.directory.models import ClearinghouseRoute, Payer, PayerKind
from bureau.directory.setup_forms import (
    ActiveForm,
    AsciiIntegerField,
    attempt,
    reason_field,
    set_active_post,
    setup_context,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, requires

FIELDS = ("name", "payer_id", "kind", "timely_filing_days", "appeal_limit_days", "route")
# Ten years: past that a number of days is a typo (and a huge one would overflow the column).
MAX_DAYS = 3650


class PayerForm(forms.Form):
    name = forms.CharField(max_length=200)
    payer_id = forms.CharField(max_length=80, label="Payer id")
    kind = forms.ChoiceField(choices=PayerKind.choices)
    timely_filing_days = AsciiIntegerField(
        min_value=1, max_value=MAX_DAYS, initial=365, label="Timely filing (days)"
    )
    appeal_limit_days = AsciiIntegerField(
        min_value=1, max_value=MAX_DAYS, initial=180, label="Appeal limit (days)"
    )
    route = forms.ChoiceField(choices=ClearinghouseRoute.choices, label="Clearinghouse route")
    reason = reason_field()

    def data_out(self, is_active: bool = True) -> services.PayerData:
        return services.PayerData(**{k: self.cleaned_data[k] for k in FIELDS}, is_active=is_active)


def _manager(request: HttpRequest) -> Actor:
    """The actor, if it manages setup over the whole workspace; otherwise the page is a 404."""
    actor = actor_of(request)
    if not actor.can_workspace(Capability.SETUP_MANAGE):
        raise Http404
    return actor


def _payer(actor: Actor, public_id: UUID) -> Payer:
    payer = selectors.payer_by_public_id(actor=actor, public_id=public_id)
    if payer is None:
        raise Http404
    return payer


@requires(Capability.SETUP_VIEW)
def payer_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    payers = selectors.payer_list(actor=actor)
    return render(request, "directory/payers.html", setup_context(actor, None, payers=payers))


@requires(Capability.SETUP_MANAGE)
def payer_create_view(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    form = PayerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        payer = attempt(
            form,
            lambda: services.payer_create(
                actor=actor, data=form.data_out(), reason=form.cleaned_data["reason"]
            ),
        )
        if payer is not None:
            messages.success(request, f"Payer {payer.name} created.")
            return redirect("directory:payers")
    return render(request, "directory/setup_form.html", _page(actor, form, "New payer"))


def _page(actor: Actor, form: PayerForm, title: str, **extra: Any) -> dict[str, Any]:
    return setup_context(
        actor,
        None,
        form=form,
        title=title,
        intro="Payers are the whole workspace's: a change here applies to every client.",
        cancel=reverse("directory:payers"),
        testid="payer-form",
        **extra,
    )


@requires(Capability.SETUP_MANAGE)
def payer_edit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _manager(request)
    payer = _payer(actor, public_id)
    form = PayerForm(request.POST or None, initial={k: getattr(payer, k) for k in FIELDS})
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            lambda: services.payer_update(
                actor=actor,
                payer=payer,
                data=form.data_out(is_active=payer.is_active),
                reason=form.cleaned_data["reason"],
            ),
        )
        if saved is not None:
            messages.success(request, f"Payer {form.cleaned_data['name']} saved.")
            return redirect("directory:payers")
    return render(
        request,
        "directory/setup_form.html",
        _page(
            actor,
            form,
            f"Payer: {payer.name}",
            record_active=payer.is_active,
            active_form=ActiveForm.for_record(payer.is_active),
            active_action=reverse("directory:payer_active", kwargs={"public_id": public_id}),
            active_says="An inactive payer leaves the enrollment matrix, and the practices "
            "that bill it see an open clearinghouse-route step.",
        ),
    )


@require_POST
@requires(Capability.SETUP_MANAGE)
def payer_active_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = _manager(request)
    payer = _payer(actor, public_id)
    return set_active_post(
        request,
        name=f"Payer {payer.name}",
        back=reverse("directory:payer_edit", kwargs={"public_id": public_id}),
        change=lambda active, reason: services.payer_set_active(
            actor=actor, payer=payer, active=active, reason=reason
        ),
    )
