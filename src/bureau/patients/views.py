"""Patient pages: list (all practices or one), detail, create, edit. Thin: parse, call, render."""

from __future__ import annotations

from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from bureau.patients import import_views, selectors, services
from bureau.patients.models import Patient, Sex
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    actor_of,
    chosen_practice,
    page_number,
    record_in_context,
    requires,
    search_text,
)
from bureau.web.forms import DateField

US_STATES = services.US_STATES


class PatientForm(forms.Form):
    practice = forms.ChoiceField(label="Practice")
    account_number = forms.RegexField(
        regex=r"^[A-Za-z0-9-]{1,20}$",
        label="Account #",
        error_messages={"invalid": "Up to 20 letters, digits or dashes."},
    )
    last_name = forms.CharField(max_length=60)
    first_name = forms.CharField(max_length=60)
    date_of_birth = DateField(widget=forms.DateInput(attrs={"type": "date"}))
    sex = forms.ChoiceField(choices=Sex.choices)
    address_line1 = forms.CharField(max_length=120, required=False, label="Address")
    address_line2 = forms.CharField(max_length=120, required=False, label="Address 2")
    city = forms.CharField(max_length=60, required=False)
    state = forms.ChoiceField(choices=[("", "—")] + [(s, s) for s in US_STATES], required=False)
    postal_code = forms.RegexField(
        regex=r"^[0-9]{5}(-?[0-9]{4})?$",
        required=False,
        label="ZIP",
        error_messages={"invalid": "ZIP is 5 or 9 digits."},
    )
    phone = forms.RegexField(
        regex=r"^[0-9()+ .-]{7,20}$",
        required=False,
        error_messages={"invalid": "Phone: digits, spaces, ( ) - . + only."},
    )

    def __init__(self, practices: list[Practice], *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.practices = {str(p.public_id): p for p in practices}
        self.fields["practice"].choices = [  # type: ignore[attr-defined]
            (key, p.name) for key, p in self.practices.items()
        ]

    def practice_obj(self) -> Practice:
        return self.practices[self.cleaned_data["practice"]]

    def data_obj(self) -> services.PatientData:
        cleaned = {k: v for k, v in self.cleaned_data.items() if k != "practice"}
        return services.PatientData(**cleaned)


@requires(Capability.PATIENTS_VIEW)
def patient_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.PATIENTS_VIEW)
    search = search_text(request)
    sort = request.GET.get("sort", "name")
    page = selectors.patient_list(
        actor=actor, practice=practice, search=search, sort=sort, page=page_number(request)
    )
    template = "patients/_table.html" if request.htmx else "patients/list.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "page": page,
            "any_masked": any(card.masked for card in page.rows),
            "practice": practice,
            "practices": actor.practices(Capability.PATIENTS_VIEW),
            "q": search,
            "sort": page.sort,
            "can_create": bool(actor.practices(Capability.PATIENTS_EDIT)),
            "can_import": bool(import_views.importable(actor)),
        },
    )


@requires(Capability.PATIENTS_VIEW)
def patient_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    patient, card = selectors.patient_detail(actor=actor, public_id=public_id)
    record_in_context(request, patient.practice_id, noun="patient", back=request.path)
    can_edit = actor.can(Capability.PATIENTS_EDIT, patient.practice_id) and not card.masked
    coverages = selectors.patient_coverages(actor=actor, patient=patient)
    today = timezone.localdate()
    for coverage in coverages:  # as of today, for the status column
        coverage.ended = coverage.end_date is not None and coverage.end_date < today  # type: ignore[attr-defined]
        coverage.future = coverage.effective_date > today  # type: ignore[attr-defined]
    return render(
        request,
        "patients/detail.html",
        {"card": card, "can_edit": can_edit, "coverages": coverages},
    )


def _editable_practices(actor: Actor) -> list[Practice]:
    return [
        p
        for p in actor.practices(Capability.PATIENTS_EDIT)
        if actor.can(Capability.PATIENTS_DEMOGRAPHICS, p)
    ]


def _apply_errors(form: PatientForm, exc: services.PatientError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@requires(Capability.PATIENTS_EDIT)
def patient_create_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practices = _editable_practices(actor)
    if not practices:
        raise Http404
    context: Practice | None = request.practice_context  # type: ignore[attr-defined]
    initial = {"practice": str(context.public_id)} if context in practices else {}
    form = PatientForm(practices, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            patient = services.patient_create(
                actor=actor, practice=form.practice_obj(), data=form.data_obj()
            )
        except services.PatientError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, f"Patient {patient.account_number} created.")
            return redirect("patients:detail", public_id=patient.public_id)
    return render(request, "patients/form.html", {"form": form, "creating": True})


@requires(Capability.PATIENTS_EDIT)
def patient_edit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    patient: Patient = selectors.patient_get(
        actor=actor, public_id=public_id, capability=Capability.PATIENTS_EDIT
    )
    practice = actor.access[patient.practice_id].practice
    if not actor.can(Capability.PATIENTS_DEMOGRAPHICS, practice):
        raise Http404
    back = reverse("patients:detail", kwargs={"public_id": public_id})
    record_in_context(request, patient.practice_id, noun="patient", back=back)
    initial = {
        name: getattr(patient, name) for name in PatientForm.base_fields if name != "practice"
    } | {"practice": str(practice.public_id)}
    form = PatientForm([practice], request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.patient_update(
                actor=actor, patient=patient, practice=form.practice_obj(), data=form.data_obj()
            )
        except services.PatientError as exc:
            _apply_errors(form, exc)
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, f"Patient {patient.account_number} saved.")
            return redirect("patients:detail", public_id=patient.public_id)
    return render(
        request,
        "patients/form.html",
        {"form": form, "creating": False, "patient_public_id": patient.public_id},
    )
