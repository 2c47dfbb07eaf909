"""Setup pages of service facilities: the list (per practice, active or inactive), add one,
edit one, deactivate or reactivate it. Thin: the rules are `directory.facilities`'."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.directory import facilities, selectors
from bureau.directory.models import ServiceFacility
from bureau.directory.setup_forms import (
    ActiveForm,
    active_choice,
    attempt,
    reason_field,
    set_active_post,
    setup_context,
)
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, chosen_practice, record_in_context, requires

FIELDS = ("name", "npi", "address_line1", "city", "state", "postal_code")


class FacilityForm(forms.Form):
    practice = forms.ChoiceField()
    name = forms.CharField(max_length=facilities.LIMITS["name"])
    address_line1 = forms.CharField(max_length=facilities.LIMITS["address_line1"], label="Street")
    city = forms.CharField(max_length=facilities.LIMITS["city"])
    state = forms.CharField(max_length=2, help_text="Two letters, as IL.")
    postal_code = forms.CharField(
        max_length=10, label="ZIP+4", help_text="All nine digits, as 62701-1234."
    )
    npi = forms.CharField(
        max_length=10, required=False, label="NPI", help_text="The facility's own, if it has one."
    )
    reason = reason_field()

    def __init__(self, practices: list[Practice] | None, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if practices is None:  # editing: the facility's practice does not change
            del self.fields["practice"]
            self.practices: dict[str, Practice] = {}
            return
        self.practices = {str(p.public_id): p for p in practices}
        self.fields["practice"].choices = [  # type: ignore[attr-defined]
            (key, p.name) for key, p in self.practices.items()
        ]

    def data_out(self, is_active: bool = True) -> facilities.FacilityData:
        return facilities.FacilityData(
            **{k: self.cleaned_data[k] for k in FIELDS}, is_active=is_active
        )


def _list_url(practice: Practice) -> str:
    return f"{reverse('directory:facilities')}?practice={practice.public_id}"


def _facility(request: HttpRequest, public_id: UUID) -> ServiceFacility:
    facility = selectors.facility_for_setup(
        actor=actor_of(request), capability=Capability.SETUP_MANAGE, public_id=public_id
    )
    if facility is None:
        raise Http404
    here = reverse("directory:facility_edit", kwargs={"public_id": public_id})
    record_in_context(request, facility.practice_id, noun="facility", back=here)
    return facility


@requires(Capability.SETUP_VIEW)
def facility_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.SETUP_VIEW)
    active = active_choice(request)
    rows = selectors.facility_list(
        actor=actor, capability=Capability.SETUP_VIEW, practice=practice, active=active
    )
    return render(
        request,
        "directory/facilities.html",
        setup_context(
            actor,
            practice,
            facilities=rows,
            active={True: "active", False: "inactive", None: "all"}[active],
            manageable=actor.practice_ids(Capability.SETUP_MANAGE),
        ),
    )


@requires(Capability.SETUP_MANAGE)
def facility_create_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practices = actor.practices(Capability.SETUP_MANAGE)
    # ?practice= (from the list) picks the practice; a POST never moves the bar.
    chosen = chosen_practice(
        request, actor, Capability.SETUP_MANAGE, use_context=request.method == "GET"
    )
    form = FacilityForm(
        practices,
        request.POST or None,
        initial={"practice": str(chosen.public_id)} if chosen else {},
    )
    if request.method == "POST" and form.is_valid():
        practice = form.practices[form.cleaned_data["practice"]]
        facility = attempt(
            form,
            lambda: facilities.facility_create(
                actor=actor,
                practice=practice,
                data=form.data_out(),
                reason=form.cleaned_data["reason"],
            ),
        )
        if facility is not None:
            messages.success(request, f"Facility {facility.name} added to {practice.name}.")
            return redirect(_list_url(practice))
    return render(
        request,
        "directory/setup_form.html",
        setup_context(
            actor,
            chosen,
            form=form,
            title="Add a service facility",
            intro="The clinic where patients are seen: claims name it (837P loop 2310C) "
            "with its street, city, state and all nine ZIP digits.",
            cancel=_list_url(chosen) if chosen else reverse("directory:facilities"),
            testid="facility-form",
        ),
    )


@requires(Capability.SETUP_MANAGE)
def facility_edit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    facility = _facility(request, public_id)
    form = FacilityForm(
        None, request.POST or None, initial={k: getattr(facility, k) for k in FIELDS}
    )
    if request.method == "POST" and form.is_valid():
        saved = attempt(
            form,
            lambda: facilities.facility_update(
                actor=actor,
                facility=facility,
                data=form.data_out(is_active=facility.is_active),
                reason=form.cleaned_data["reason"],
            ),
        )
        if saved is not None:
            messages.success(request, f"Facility {form.cleaned_data['name']} saved.")
            return redirect(_list_url(facility.practice))
    return render(
        request,
        "directory/setup_form.html",
        setup_context(
            actor,
            facility.practice,
            form=form,
            title=f"Facility: {facility.name}",
            record_active=facility.is_active,
            cancel=_list_url(facility.practice),
            testid="facility-form",
            active_form=ActiveForm.for_record(facility.is_active),
            active_action=reverse("directory:facility_active", kwargs={"public_id": public_id}),
            active_says="An inactive facility is offered on no new encounter; encounters and "
            "claims that name it keep it.",
        ),
    )


@require_POST
@requires(Capability.SETUP_MANAGE)
def facility_active_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    facility = _facility(request, public_id)
    return set_active_post(
        request,
        name=f"Facility {facility.name}",
        back=reverse("directory:facility_edit", kwargs={"public_id": public_id}),
        change=lambda active, reason: facilities.facility_set_active(
            actor=actor, facility=facility, active=active, reason=reason
        ),
    )
