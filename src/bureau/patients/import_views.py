"""The roster import page: a practice's patients and policies from one CSV, all or nothing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from bureau.patients import roster
from bureau.patients.services import PatientError
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, requires
from bureau.web.forms import uploaded_text


class RosterForm(forms.Form):
    practice = forms.ChoiceField(label="Practice")
    file = forms.FileField(label="CSV file")

    def __init__(self, practices: list[Practice], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practices = {str(p.public_id): p for p in practices}
        self.fields["practice"].choices = [(k, p.name) for k, p in self.practices.items()]  # type: ignore[attr-defined]

    def text(self) -> str | None:
        """The file as text, or None with the reason on the file field."""
        return uploaded_text(self, roster.MAX_BYTES)


def importable(actor: Actor) -> list[Practice]:
    """Practices where the actor may register patients: edit with demographics. A grant
    limited to some providers is offered too, and the import says why it may not (as the
    new-patient form does): new patients have no provider yet."""
    return [
        p
        for p in actor.practices(Capability.PATIENTS_EDIT)
        if actor.can(Capability.PATIENTS_DEMOGRAPHICS, p)
    ]


@requires(Capability.PATIENTS_EDIT)
def roster_import_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practices = importable(actor)
    if not practices:
        raise Http404
    context: Practice | None = request.practice_context  # type: ignore[attr-defined]
    initial = {"practice": str(context.public_id)} if context in practices else {}
    form = RosterForm(practices, request.POST or None, request.FILES or None, initial=initial)
    result = None
    if request.method == "POST" and form.is_valid():
        text = form.text()
        practice = form.practices[form.cleaned_data["practice"]]
        if text is not None:
            try:
                result = roster.roster_import(actor=actor, practice=practice, text=text)
            except PatientError as exc:
                form.add_error("practice", str(exc))
            except CapabilityDenied as exc:
                raise Http404 from exc
            else:
                if result.ok:
                    messages.success(
                        request,
                        f"Imported {result.patients} patient{'s' if result.patients != 1 else ''}"
                        f" and {result.coverages} coverage{'s' if result.coverages != 1 else ''}"
                        f" into {practice.name}.",
                    )
                    return redirect(f"{reverse('patients:list')}?practice={practice.public_id}")
    return render(
        request,
        "patients/import.html",
        {
            "form": form,
            "result": result,
            "columns": roster.COLUMNS,
            "column_help": roster.COLUMN_HELP,
            "max_rows": roster.MAX_ROWS,
        },
    )
