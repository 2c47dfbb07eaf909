"""Setup pages of enrollment (credentialing): the provider × payer matrix, a new enrollment,
and one enrollment's page. An enrollment made active releases the provider's claims held for
that payer (`claims.credentialing`), in the same transaction; the message says how many.
Thin: the rules are in `directory.services`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from bureau.directory import selectors, services
from bureau.directory.models import Enrollment, EnrollmentStatus, Payer, Provider
from bureau.directory.provider_views import may_manage_provider
from bureau.directory.setup_forms import AsciiDateField, attempt, reason_field, setup_context
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, chosen_practice, record_in_context, requires


def _matrix_url(practice: Practice) -> str:
    return f"{reverse('directory:enrollments')}?practice={practice.public_id}"


def _result_message(provider: Provider, payer: Payer, change: services.EnrollmentChange) -> str:
    said = f"Enrollment of {provider.name} with {payer.name} "
    said += "saved." if change.changed else "unchanged: nothing to save."
    if change.enrollment.status == EnrollmentStatus.ACTIVE and change.changed:
        said += f" {change.release.summary() or 'No held claims to release'}."
    elif change.release.summary():
        said += f" {change.release.summary()}."
    return said


# -- the matrix ---------------------------------------------------------------------------------
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
        MatrixLine(
            row,
            may_manage_provider(actor, row.provider),
            list(zip(payers, row.cells, strict=True)),
        )
        for row in rows
    ]
    return render(
        request,
        "directory/enrollments.html",
        setup_context(actor, practice, payers=payers, lines=lines, missing=missing),
    )


# -- a new enrollment ---------------------------------------------------------------------------
class NewEnrollmentForm(forms.Form):
    practice = forms.CharField(widget=forms.HiddenInput)
    provider = forms.ChoiceField()
    payer = forms.ChoiceField()
    status = forms.ChoiceField(choices=EnrollmentStatus.choices)
    effective_date = AsciiDateField(required=False)
    end_date = AsciiDateField(required=False)
    revalidation_date = AsciiDateField(required=False)
    reason = reason_field()

    def __init__(
        self, providers: list[Provider], payers: list[Payer], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.providers = {str(p.public_id): p for p in providers}
        self.payers = {str(p.public_id): p for p in payers}
        self.fields["provider"].choices = [  # type: ignore[attr-defined]
            (key, f"{p.name} ({p.npi})") for key, p in self.providers.items()
        ]
        self.fields["payer"].choices = [  # type: ignore[attr-defined]
            (key, f"{p.name} ({p.payer_id})") for key, p in self.payers.items()
        ]

    def data_out(self) -> services.EnrollmentData:
        return services.EnrollmentData(
            **{k: self.cleaned_data[k] for k in ("status", *services.DATE_LABELS)}
        )


@requires(Capability.SETUP_MANAGE)
def enrollment_create_view(request: HttpRequest) -> HttpResponse:
    """Practice first (?practice=, the bar, or a choice), then provider, payer, status, dates."""
    actor = actor_of(request)
    posted = request.method == "POST"
    practice = chosen_practice(
        request,
        actor,
        Capability.SETUP_MANAGE,
        chosen=request.POST.get("practice", "") if posted else None,
        use_context=not posted,
    )
    if practice is None:
        return render(
            request,
            "directory/enrollment_new.html",
            setup_context(actor, None, form=None, choices=actor.practices(Capability.SETUP_MANAGE)),
        )
    providers = [
        p
        for p in selectors.provider_list(
            actor=actor, capability=Capability.SETUP_MANAGE, practice=practice
        )
        .filter(is_active=True)
        .order_by("name", "pk")
        if may_manage_provider(actor, p)
    ]
    payers = list(selectors.payer_list(actor=actor, active_only=True).order_by("name", "pk"))
    initial = {
        "practice": str(practice.public_id),
        "provider": request.GET.get("provider", ""),
        "payer": request.GET.get("payer", ""),
        "status": EnrollmentStatus.PENDING,
    }
    form = NewEnrollmentForm(providers, payers, request.POST or None, initial=initial)
    if posted and form.is_valid():
        provider = form.providers[form.cleaned_data["provider"]]
        payer = form.payers[form.cleaned_data["payer"]]
        change = attempt(
            form,
            lambda: services.enrollment_create(
                actor=actor,
                provider=provider,
                payer=payer,
                data=form.data_out(),
                reason=form.cleaned_data["reason"],
            ),
        )
        if change is not None:
            messages.success(request, _result_message(provider, payer, change))
            return redirect(_matrix_url(practice))
    return render(
        request,
        "directory/enrollment_new.html",
        setup_context(actor, practice, form=form, cancel=_matrix_url(practice)),
    )


# -- one enrollment -----------------------------------------------------------------------------
class EnrollmentForm(forms.Form):
    payer = forms.ChoiceField()
    status = forms.ChoiceField(choices=EnrollmentStatus.choices)
    effective_date = AsciiDateField(required=False)
    end_date = AsciiDateField(required=False)
    revalidation_date = AsciiDateField(required=False)
    reason = reason_field()

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
        change = attempt(
            form,
            lambda: services.enrollment_change(
                actor=actor, provider=provider, payer=payer, data=data, reason=cleaned["reason"]
            ),
        )
        if change is not None:
            messages.success(request, _result_message(provider, payer, change))
            return redirect(_matrix_url(provider.practice))
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
