"""Coverage pages on a patient: add, correct and end a policy. Thin: parse, call, render."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from bureau.directory import selectors as directory
from bureau.patients import selectors, services
from bureau.patients.models import CobOrder, Coverage, Patient, Relationship, Sex
from bureau.patients.presentation import present_patient
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, record_in_context, requires
from bureau.web.forms import DateField

DATE = forms.DateInput(attrs={"type": "date", "min": "1900-01-01", "max": "2199-12-31"})


class CoverageForm(forms.Form):
    # Another workspace's payer answers exactly like a missing one (the value is not echoed).
    payer = forms.ChoiceField(
        label="Payer", error_messages={"invalid_choice": "Choose an active payer."}
    )
    member_id = forms.CharField(max_length=80, label="Member id")
    group_number = forms.CharField(max_length=50, required=False, label="Group #")
    cob_order = forms.TypedChoiceField(choices=CobOrder.choices, coerce=int, label="Order")
    relationship = forms.ChoiceField(
        choices=Relationship.choices, label="Patient's relationship to the subscriber"
    )
    subscriber_last_name = forms.CharField(max_length=60, required=False)
    subscriber_first_name = forms.CharField(max_length=60, required=False)
    subscriber_date_of_birth = DateField(
        required=False, widget=DATE, label="Subscriber's date of birth"
    )
    subscriber_sex = forms.ChoiceField(
        choices=[("", "—"), *Sex.choices], required=False, label="Subscriber's sex"
    )
    effective_date = DateField(widget=DATE)
    end_date = DateField(required=False, widget=DATE)

    def __init__(self, payers: list[tuple[str, int, str]], *args: Any, **kwargs: Any) -> None:
        """`payers`: (public id, pk, label) of each payer offered."""
        super().__init__(*args, **kwargs)
        self.payer_pks = {key: pk for key, pk, _ in payers}
        self.fields["payer"].choices = [("", "—"), *((k, label) for k, _, label in payers)]  # type: ignore[attr-defined]

    def data_obj(self) -> services.CoverageData:
        values = {k: v for k, v in self.cleaned_data.items() if k != "payer"}
        payer_pk = self.payer_pks.get(self.cleaned_data["payer"], 0)
        return services.CoverageData(payer_id=payer_pk, **values)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if self.errors:
            return cleaned
        # Every problem of the policy at once, each on its field (the service says the first).
        for problem in services.coverage_problems(self.data_obj()):
            field = "payer" if problem.field == "payer_id" else problem.field
            if field not in self.errors:
                self.add_error(field, str(problem))
        return cleaned


# The form fields that are the policy's own attributes (the payer is chosen by public id).
FIELDS = [name for name in CoverageForm.base_fields if name != "payer"]


def _form(actor: Actor, data: Any, initial: dict[str, Any], keep: Any = None) -> CoverageForm:
    """The form, offering the workspace's active payers (and the policy's own, if inactive)."""
    payers = list(directory.payer_list(actor=actor))
    offered = [p for p in payers if p.is_active or p.pk == keep]
    choices = [(str(p.public_id), p.pk, f"{p.name} ({p.payer_id})") for p in offered]
    form = CoverageForm(choices, data, initial=initial)
    return form


def _apply(form: CoverageForm, exc: services.PatientError) -> None:
    field = "payer" if exc.field == "payer_id" else exc.field
    form.add_error(field if field in form.fields else None, str(exc))


def _practice(actor: Actor, patient: Patient) -> Practice:
    return actor.access[patient.practice_id].practice


def _editable(actor: Actor, practice: Practice) -> None:
    # The subscriber is demographics: a masked actor may not edit (404, like the patient form).
    if not actor.can(Capability.PATIENTS_DEMOGRAPHICS, practice):
        raise Http404


def _render(
    request: HttpRequest,
    actor: Actor,
    patient: Patient,
    form: forms.Form,
    coverage: Coverage | None,
    template: str = "patients/coverage_form.html",
) -> HttpResponse:
    selectors.coverage_form_viewed(actor=actor, patient=patient, coverage=coverage)
    card = present_patient(actor, patient)
    return render(request, template, {"form": form, "card": card, "coverage": coverage})


@requires(Capability.PATIENTS_EDIT)
def coverage_new_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    patient = selectors.patient_get(
        actor=actor, public_id=public_id, capability=Capability.PATIENTS_EDIT
    )
    practice = _practice(actor, patient)
    _editable(actor, practice)
    back = reverse("patients:detail", kwargs={"public_id": public_id})
    record_in_context(request, patient.practice_id, noun="patient", back=back)
    initial = {"effective_date": timezone.localdate(), "relationship": Relationship.SELF}
    form = _form(actor, request.POST or None, initial)
    if request.method == "POST" and form.is_valid():
        try:
            coverage = services.coverage_create(
                actor=actor, patient=patient, practice=practice, data=form.data_obj()
            )
        except services.PatientError as exc:
            _apply(form, exc)
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            messages.success(
                request, f"{coverage.get_cob_order_display()} coverage {coverage.member_id} added."
            )
            return redirect(back)
    return _render(request, actor, patient, form, None)


def _coverage_for_edit(request: HttpRequest, public_id: UUID) -> tuple[Actor, Coverage, str]:
    actor = actor_of(request)
    coverage = selectors.coverage_get(
        actor=actor, public_id=public_id, capability=Capability.PATIENTS_EDIT
    )
    _editable(actor, _practice(actor, coverage.patient))
    back = reverse("patients:detail", kwargs={"public_id": coverage.patient.public_id})
    record_in_context(request, coverage.practice_id, noun="coverage", back=back)
    return actor, coverage, back


@requires(Capability.PATIENTS_EDIT)
def coverage_edit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, coverage, back = _coverage_for_edit(request, public_id)
    initial = {name: getattr(coverage, name) for name in FIELDS}
    initial |= {"payer": str(coverage.payer.public_id)}
    form = _form(actor, request.POST or None, initial, keep=coverage.payer_id)
    if request.method == "POST" and form.is_valid():
        try:
            changed = services.coverage_update(
                actor=actor,
                coverage=coverage,
                practice=_practice(actor, coverage.patient),
                data=form.data_obj(),
            )
        except services.PatientError as exc:
            _apply(form, exc)
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            said = "saved" if changed else "unchanged"
            messages.success(request, f"Coverage {coverage.member_id} {said}.")
            return redirect(back)
    return _render(request, actor, coverage.patient, form, coverage)


class EndForm(forms.Form):
    end_date = DateField(widget=DATE, label="Last day covered")


@requires(Capability.PATIENTS_EDIT)
def coverage_end_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, coverage, back = _coverage_for_edit(request, public_id)
    form = EndForm(request.POST or None, initial={"end_date": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            services.coverage_end(
                actor=actor,
                coverage=coverage,
                practice=_practice(actor, coverage.patient),
                end_date=form.cleaned_data["end_date"],
            )
        except services.PatientError as exc:
            form.add_error("end_date", str(exc))
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            messages.success(
                request,
                f"Coverage {coverage.member_id} ends on {coverage.end_date:%Y-%m-%d}; "
                "it stays on file as history.",
            )
            return redirect(back)
    return _render(
        request, actor, coverage.patient, form, coverage, template="patients/coverage_end.html"
    )
