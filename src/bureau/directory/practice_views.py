"""Setup pages of client practices: the list, add one, its page (details + onboarding checklist),
edit its details, move its status. Thin: the rules are in `tenancy.practices`, the checklist
in `directory.onboarding`. A practice the actor may not see answers 404 like a missing one.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID
from zoneinfo import available_timezones

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.directory import onboarding, selectors
from bureau.directory.setup_forms import setup_context as _base
from bureau.tenancy import practices as services
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice, PracticeStatus
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, record_in_context, requires

FIELDS = (
    "name",
    "code",
    "npi",
    "tax_id",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "timezone",
    "specialty",
)


def _zones() -> list[tuple[str, str]]:
    zones = sorted(z for z in available_timezones() if "/" in z and not z.startswith("Etc/"))
    return [(z, z) for z in zones]


class PracticeForm(forms.Form):
    name = forms.CharField(max_length=200)
    code = forms.CharField(
        max_length=8, label="Claim-number prefix", help_text="2-8 letters or digits: CODE-000123."
    )
    npi = forms.CharField(max_length=10, label="NPI", help_text="The group's NPI (type 2).")
    tax_id = forms.CharField(max_length=10, label="Tax id (EIN)")
    address_line1 = forms.CharField(max_length=55, label="Billing address")
    address_line2 = forms.CharField(max_length=55, required=False, label="Address line 2")
    city = forms.CharField(max_length=30)
    state = forms.CharField(max_length=2, help_text="Two letters, as IL.")
    postal_code = forms.CharField(max_length=10, label="ZIP+4", help_text="As 62701-1234.")
    timezone = forms.ChoiceField(initial="America/New_York")
    specialty = forms.CharField(max_length=100, required=False)
    reason = forms.CharField(max_length=500, help_text="Why: recorded in the audit log.")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = _zones()  # type: ignore[attr-defined]

    def data_out(self) -> services.PracticeData:
        return services.PracticeData(**{k: self.cleaned_data[k] for k in FIELDS})


class StatusForm(forms.Form):
    status = forms.ChoiceField(label="Move to")
    reason = forms.CharField(max_length=500, help_text="Why: recorded in the audit log.")

    def __init__(self, practice: Practice, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (s, PracticeStatus(s).label) for s in services.MANUAL_MOVES[practice.status]
        ]


def _apply(form: forms.Form, exc: services.PracticeError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


def _practice(actor: Actor, public_id: UUID, capability: Capability) -> Practice:
    practice = actor.practice_by_public_id(public_id)
    if practice is None or not actor.can(capability, practice):
        raise Http404
    return practice


def _page(practice: Practice) -> str:
    return reverse("directory:practice", kwargs={"public_id": practice.public_id})


@requires(Capability.SETUP_VIEW)
def practice_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    rows = [(p, onboarding.checklist(p)) for p in actor.practices(Capability.SETUP_VIEW)]
    return render(request, "directory/practices.html", _base(actor, None, rows=rows))


@requires(Capability.SETUP_MANAGE)
def practice_create_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.can_workspace(Capability.SETUP_MANAGE):
        raise Http404
    form = PracticeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            practice = services.practice_create(
                actor=actor, data=form.data_out(), reason=form.cleaned_data["reason"]
            )
        except services.PracticeError as exc:
            _apply(form, exc)
        else:
            messages.success(
                request, f"{practice.name} added, onboarding: work through its checklist."
            )
            return redirect(_page(practice))
    return render(
        request,
        "directory/practice_form.html",
        {"form": form, "title": "Add a practice", "cancel": reverse("directory:practices")},
    )


@requires(Capability.SETUP_VIEW)
def practice_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    practice = _practice(actor, public_id, Capability.SETUP_VIEW)
    record_in_context(request, practice.pk, noun="practice", back=_page(practice))
    fresh = selectors.practice_as_now(actor=actor, practice=practice)
    can_edit = actor.can(Capability.SETUP_MANAGE, practice)
    return render(
        request,
        "directory/practice.html",
        _base(
            actor,
            fresh,
            checklist=onboarding.checklist(fresh),
            can_edit=can_edit,
            # The setup document names every provider: a grant limited to some does not reach it.
            can_export_setup=not actor.provider_limited(fresh, Capability.SETUP_VIEW),
            can_import_setup=can_edit
            and not actor.provider_limited(fresh, Capability.SETUP_MANAGE),
            can_offboard=actor.can(Capability.SETUP_OFFBOARD, fresh)
            or actor.can(Capability.COMPLIANCE_MANAGE, fresh),
            status_form=(
                StatusForm(fresh) if can_edit and services.MANUAL_MOVES[fresh.status] else None
            ),
        ),
    )


@requires(Capability.SETUP_MANAGE)
def practice_edit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    practice = _practice(actor, public_id, Capability.SETUP_MANAGE)
    record_in_context(request, practice.pk, noun="practice", back=_page(practice))
    fresh = selectors.practice_as_now(actor=actor, practice=practice)
    initial = {k: getattr(fresh, k) for k in FIELDS}
    form = PracticeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.practice_update(
                actor=actor,
                practice=fresh,
                data=form.data_out(),
                reason=form.cleaned_data["reason"],
            )
        except services.PracticeError as exc:
            _apply(form, exc)
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            said = f"{fresh.name}: " + (
                "saved (" + ", ".join(sorted(changed)) + ")." if changed else "nothing changed."
            )
            messages.success(request, said)
            return redirect(_page(fresh))
    return render(
        request,
        "directory/practice_form.html",
        {
            "form": form,
            "title": f"Edit {fresh.name}",
            "practice": fresh,
            "cancel": _page(fresh),
        },
    )


@require_POST
@requires(Capability.SETUP_MANAGE)
def practice_status_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    practice = _practice(actor, public_id, Capability.SETUP_MANAGE)
    record_in_context(request, practice.pk, noun="practice", back=_page(practice))
    fresh = selectors.practice_as_now(actor=actor, practice=practice)
    form = StatusForm(fresh, request.POST)
    if form.is_valid():
        try:
            services.practice_set_status(
                actor=actor,
                practice=fresh,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
            )
        except services.PracticeError as exc:
            messages.error(request, str(exc))
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, f"{fresh.name} is now {fresh.get_status_display()}.")
    else:
        problems = "; ".join(f"{k}: {' '.join(str(m) for m in v)}" for k, v in form.errors.items())
        messages.error(request, f"Status not changed: {problems}")
    return redirect(_page(fresh))
