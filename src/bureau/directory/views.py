"""Setup pages: payers, providers, enrollment matrix, fee schedules, contract rates. Thin."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from bureau.compliance.access import sees_whole_program
from bureau.compliance.baa_queries import practice_has_baa_in_force
from bureau.directory import imports, selectors, services
from bureau.directory.models import (
    ClearinghouseRoute,
    Enrollment,
    EnrollmentStatus,
    Payer,
    PayerKind,
    Provider,
    ProviderKind,
)
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice, PracticeStatus
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, chosen_practice, record_in_context, requires
from bureau.web.forms import uploaded_text

MAX_UPLOAD_BYTES = 2 * 1024 * 1024
DATE_INPUT = {"type": "date", "min": "1900-01-01", "max": "2199-12-31"}


def _base(actor: Actor, practice: Practice | None, **extra: Any) -> dict[str, Any]:
    return {
        "practice": practice,
        # compliance: a practice we hold PHI of with no BAA in force shows it here (one query).
        "baa_missing": practice is not None
        and practice.status != PracticeStatus.OFFBOARDED
        and not practice_has_baa_in_force(practice, timezone.localdate()),
        "baa_inventory": sees_whole_program(actor),
        "practices": actor.practices(Capability.SETUP_VIEW),
        "can_manage": actor.can(Capability.SETUP_MANAGE),
        "can_manage_workspace": actor.can_workspace(Capability.SETUP_MANAGE),
        **extra,
    }


# -- payers -------------------------------------------------------------------------------------
class PayerForm(forms.Form):
    name = forms.CharField(max_length=200)
    payer_id = forms.CharField(max_length=80, label="Payer id")
    kind = forms.ChoiceField(choices=PayerKind.choices)
    timely_filing_days = forms.IntegerField(min_value=1, initial=365, label="Timely filing (days)")
    appeal_limit_days = forms.IntegerField(min_value=1, initial=180, label="Appeal limit (days)")
    route = forms.ChoiceField(choices=ClearinghouseRoute.choices, label="Clearinghouse route")
    reason = forms.CharField(max_length=500)


def _apply(form: forms.Form, exc: services.DirectoryError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


@requires(Capability.SETUP_VIEW)
def payer_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    payers = selectors.payer_list(actor=actor)
    return render(request, "directory/payers.html", _base(actor, None, payers=payers))


@requires(Capability.SETUP_MANAGE)
def payer_create_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    if not actor.can_workspace(Capability.SETUP_MANAGE):
        raise Http404
    form = PayerForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "reason"}
        try:
            payer = services.payer_create(
                actor=actor, data=services.PayerData(**data), reason=form.cleaned_data["reason"]
            )
        except services.DirectoryError as exc:
            _apply(form, exc)
        else:
            messages.success(request, f"Payer {payer.name} created.")
            return redirect("directory:payers")
    return render(
        request,
        "directory/form.html",
        {"form": form, "title": "New payer", "back": "directory:payers"},
    )


# -- providers ----------------------------------------------------------------------------------
class ProviderForm(forms.Form):
    practice = forms.ChoiceField()
    kind = forms.ChoiceField(choices=ProviderKind.choices)
    name = forms.CharField(max_length=200)
    last_name = forms.CharField(max_length=60, required=False)
    first_name = forms.CharField(max_length=35, required=False)
    npi = forms.CharField(max_length=10, label="NPI")
    taxonomy = forms.CharField(max_length=10, required=False)
    reason = forms.CharField(max_length=500)

    def __init__(self, practices: list[Practice], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.practices = {str(p.public_id): p for p in practices}
        self.fields["practice"].choices = [  # type: ignore[attr-defined]
            (key, p.name) for key, p in self.practices.items()
        ]


@requires(Capability.SETUP_VIEW)
def provider_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.SETUP_VIEW)
    providers = selectors.provider_list(
        actor=actor, capability=Capability.SETUP_VIEW, practice=practice
    ).order_by("practice__name", "name")
    return render(request, "directory/providers.html", _base(actor, practice, providers=providers))


@requires(Capability.SETUP_MANAGE)
def provider_create_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practices = actor.practices(Capability.SETUP_MANAGE)
    context: Practice | None = getattr(request, "practice_context", None)
    initial = {"practice": str(context.public_id)} if context in practices else {}
    form = ProviderForm(practices, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        data = services.ProviderData(
            **{
                k: cleaned[k]
                for k in ("kind", "name", "last_name", "first_name", "npi", "taxonomy")
            }
        )
        try:
            services.provider_create(
                actor=actor,
                practice=form.practices[cleaned["practice"]],
                data=data,
                reason=cleaned["reason"],
            )
        except services.DirectoryError as exc:
            _apply(form, exc)
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, f"Provider {data.name} created.")
            return redirect("directory:providers")
    return render(
        request,
        "directory/form.html",
        {"form": form, "title": "New provider", "back": "directory:providers"},
    )


# -- enrollment ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class MatrixLine:
    row: selectors.MatrixRow
    editable: bool  # the actor may change this provider's enrollments
    cells: list[tuple[Payer, Enrollment | None]]


@requires(Capability.SETUP_VIEW)
def enrollment_matrix_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    # None: every practice the actor may view, each row naming its practice.
    practice = chosen_practice(request, actor, Capability.SETUP_VIEW)
    payers, rows = selectors.enrollment_matrix(actor=actor, practice=practice)
    missing = sum(cell is None for row in rows for cell in row.cells)
    lines = [
        MatrixLine(row, _may_edit(actor, row.provider), list(zip(payers, row.cells, strict=True)))
        for row in rows
    ]
    return render(
        request,
        "directory/enrollments.html",
        _base(actor, practice, payers=payers, lines=lines, missing=missing),
    )


def _may_edit(actor: Actor, provider: Provider) -> bool:
    if not actor.can(Capability.SETUP_MANAGE, provider.practice_id):
        return False
    allowed = actor.provider_ids(provider.practice_id, Capability.SETUP_MANAGE)
    return allowed is None or provider.pk in allowed


class EnrollmentForm(forms.Form):
    payer = forms.ChoiceField()
    status = forms.ChoiceField(choices=EnrollmentStatus.choices)
    effective_date = forms.DateField(required=False, widget=forms.DateInput(attrs=DATE_INPUT))
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs=DATE_INPUT))
    revalidation_date = forms.DateField(required=False, widget=forms.DateInput(attrs=DATE_INPUT))
    reason = forms.CharField(max_length=500, help_text="Why: recorded in the audit log.")

    def __init__(self, payers: list[Payer], fixed: Payer | None, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["payer"]
        field.choices = [(str(p.public_id), p.name) for p in payers]  # type: ignore[attr-defined]
        if fixed is not None:  # the page is about one payer: the title names it
            field.widget = forms.HiddenInput()


def _chosen_payer(request: HttpRequest, payers: list[Payer]) -> Payer | None:
    """The payer the page is for (?payer= to show, the form's field to save); a value that is
    not one of the workspace's payers is a 404, like a missing one."""
    value = (request.POST if request.method == "POST" else request.GET).get("payer") or ""
    if not value:
        return None
    try:
        wanted = UUID(value)
    except ValueError as exc:
        raise Http404 from exc
    found = next((p for p in payers if p.public_id == wanted), None)
    if found is None:
        raise Http404
    return found


@requires(Capability.SETUP_MANAGE)
def enrollment_edit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """One provider's enrollment with one payer: GET shows it, POST changes it (with a reason).
    Making it active releases the provider's claims held for this payer."""
    actor = actor_of(request)
    provider = selectors.provider_for_setup(
        actor=actor, capability=Capability.SETUP_MANAGE, public_id=public_id
    )
    if provider is None:
        raise Http404
    payers = list(selectors.payer_list(actor=actor).order_by("name", "pk"))
    payer = _chosen_payer(request, payers)
    here = reverse("directory:enrollment_edit", kwargs={"public_id": public_id})
    back = f"{here}?payer={payer.public_id}" if payer else here
    record_in_context(request, provider.practice_id, noun="enrollment", back=back)
    current = (
        selectors.enrollment_list(
            actor=actor, capability=Capability.SETUP_MANAGE, provider=provider, payer=payer
        ).first()
        if payer is not None
        else None
    )
    initial: dict[str, Any] = {"payer": str(payer.public_id) if payer else ""}
    if current is not None:
        initial |= {name: getattr(current, name) for name in services.DATE_LABELS}
        initial["status"] = current.status
    form = EnrollmentForm(payers, payer, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid() and payer is not None:
        cleaned = form.cleaned_data
        data = services.EnrollmentData(
            status=cleaned["status"],
            effective_date=cleaned["effective_date"],
            end_date=cleaned["end_date"],
            revalidation_date=cleaned["revalidation_date"],
        )
        try:
            change = services.enrollment_change(
                actor=actor, provider=provider, payer=payer, data=data, reason=cleaned["reason"]
            )
        except services.DirectoryError as exc:
            _apply(form, exc)
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            said = f"Enrollment of {provider.name} with {payer.name} "
            said += "saved." if change.changed else "unchanged: nothing to save."
            if change.release.summary():
                said += f" {change.release.summary()}."
            messages.success(request, said)
            matrix = reverse("directory:enrollments")
            return redirect(f"{matrix}?practice={provider.practice.public_id}")
    return render(
        request,
        "directory/enrollment_form.html",
        {
            "form": form,
            "provider": provider,
            "payer": payer,
            "current": current,
            "practice": provider.practice,
        },
    )


# -- fee schedules and contract rates -----------------------------------------------------------
class UploadForm(forms.Form):
    target = forms.ChoiceField(label="Import into")
    file = forms.FileField(label="CSV file")
    reason = forms.CharField(max_length=500)

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
