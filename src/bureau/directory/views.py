"""Setup pages: fee schedules and contract rates. Thin. (Providers, facilities, payers and
enrollment have their own modules: provider_views, facility_views, payer_views,
enrollment_views.)"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from bureau.directory import imports, selectors, services
from bureau.directory.setup_forms import apply_error as _apply
from bureau.directory.setup_forms import reason_field
from bureau.directory.setup_forms import setup_context as _base
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, chosen_practice, requires
from bureau.web.forms import uploaded_text

MAX_UPLOAD_BYTES = 2 * 1024 * 1024


# -- fee schedules and contract rates -----------------------------------------------------------
class UploadForm(forms.Form):
    target = forms.ChoiceField(label="Import into")
    file = forms.FileField(label="CSV file")
    reason = reason_field()

    def __init__(self, targets: list[tuple[str, str]], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = targets  # type: ignore[attr-defined]

    def text(self) -> str | None:
        return uploaded_text(self, MAX_UPLOAD_BYTES)


@requires(Capability.SETUP_VIEW)
def fee_schedule_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.SETUP_VIEW)
    default = selectors.fee_schedule_for(actor=actor, practice=None)
    override = selectors.fee_schedule_for(actor=actor, practice=practice) if practice else None
    return render(
        request,
        "directory/fees.html",
        _base(
            actor,
            practice,
            default=default,
            default_lines=selectors.fee_lines(default),
            override=override,
            override_lines=selectors.fee_lines(override),
        ),
    )


def _upload(
    request: HttpRequest,
    targets: list[tuple[str, str]],
    run: Any,
    title: str,
    back: str,
    columns: tuple[str, ...],
) -> HttpResponse:
    form = UploadForm(targets, request.POST or None, request.FILES or None)
    result = None
    if request.method == "POST" and form.is_valid():
        text = form.text()
        if text is not None:
            try:
                result = run(form.cleaned_data["target"], text, form.cleaned_data["reason"])
            except services.DirectoryError as exc:
                _apply(form, exc)
            except CapabilityDenied as exc:
                raise Http404 from exc
            else:
                if result.ok:
                    messages.success(
                        request,
                        f"Imported: {result.created} new, {result.updated} changed, "
                        f"{result.deleted} removed.",
                    )
                    return redirect(back)
    return render(
        request,
        "directory/upload.html",
        {
            "form": form,
            "title": title,
            "back": back,
            "result": result,
            "columns": columns,
        },
    )


@requires(Capability.SETUP_MANAGE)
def fee_schedule_upload_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    targets = (
        [("default", "Workspace default")] if actor.can_workspace(Capability.SETUP_MANAGE) else []
    )
    targets += [
        (str(p.public_id), f"Override: {p.name}") for p in actor.practices(Capability.SETUP_MANAGE)
    ]

    def run(target: str, text: str, reason: str) -> imports.ImportResult:
        practice = None if target == "default" else actor.practice_by_public_id(target)
        if target != "default" and practice is None:
            raise Http404
        return imports.fee_schedule_import(actor=actor, practice=practice, text=text, reason=reason)

    return _upload(
        request, targets, run, "Import fee schedule", "directory:fees", imports.FEE_COLUMNS
    )


@requires(Capability.SETUP_VIEW)
def contract_rate_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.SETUP_VIEW)  # None: every practice
    rates = selectors.contract_rate_list(actor=actor, practice=practice)
    return render(request, "directory/contracts.html", _base(actor, practice, rates=rates))


@requires(Capability.SETUP_MANAGE)
def contract_rate_upload_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    targets = [(str(p.public_id), p.name) for p in actor.practices(Capability.SETUP_MANAGE)]

    def run(target: str, text: str, reason: str) -> imports.ImportResult:
        practice = actor.practice_by_public_id(target)
        if practice is None:
            raise Http404
        return imports.contract_rates_import(
            actor=actor, practice=practice, text=text, reason=reason
        )

    return _upload(
        request,
        targets,
        run,
        "Import contract rates",
        "directory:contracts",
        imports.CONTRACT_COLUMNS,
    )
