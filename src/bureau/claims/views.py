"""Claim pages: list (all practices or one), detail, encounter entry. Thin: parse, call, render."""

from __future__ import annotations

import re
from datetime import date
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.audit.services import audit_together
from bureau.claims import scrubbing, selectors, services
from bureau.claims.corrections import correction_panel
from bureau.claims.forms import EncounterForm
from bureau.claims.models import ClaimState
from bureau.directory.selectors import facility_list, payer_list, provider_list
from bureau.ledger.selectors import claim_money
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    actor_of,
    chosen_by_public_id,
    chosen_practice,
    chosen_value,
    page_number,
    query_without_page,
    record_in_context,
    requires,
)
from bureau.workqueues.functions import Function
from bureau.workqueues.views import worklist_redirect


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


@requires(Capability.CLAIMS_VIEW)
def claim_list_view(request: HttpRequest) -> HttpResponse:
    if request.GET.get("state") == ClaimState.REJECTED and not request.htmx:  # type: ignore[attr-defined]
        moved = worklist_redirect(request, Function.REJECTIONS)
        if moved is not None:
            return moved
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.CLAIMS_VIEW)
    payers = list(payer_list(actor=actor).order_by("name"))
    providers = list(
        provider_list(actor=actor, capability=Capability.CLAIMS_VIEW, practice=practice)
        .select_related(None)
        .only("public_id", "name")  # what the filter offers
        .order_by("name")
    )
    payer = chosen_by_public_id(request, "payer", payers)
    provider = chosen_by_public_id(request, "provider", providers)
    filters = selectors.ClaimFilters(
        practice_id=practice.pk if practice else None,
        payer_id=payer.pk if payer else None,
        state=chosen_value(request, "state", ClaimState.values),
        rendering_provider_id=provider.pk if provider else None,
        dos_from=_date(request.GET.get("dos_from")),
        dos_to=_date(request.GET.get("dos_to")),
        search=request.GET.get("q", "").replace("\x00", "")[: selectors.SEARCH_MAX],
    )
    page = selectors.claim_list(
        actor=actor,
        filters=filters,
        sort=request.GET.get("sort", "date"),
        page=page_number(request),
    )
    template = "claims/_claim_table.html" if request.htmx else "claims/claim_list.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "page": page,
            "any_masked": any(row.masked for row in page.rows),
            "practice": practice,
            "practices": actor.practices(Capability.CLAIMS_VIEW),
            "payers": payers,
            "providers": providers,
            "filters": filters,
            "selected_payer": payer,
            "selected_provider": provider,
            "states": ClaimState.choices,
            "sort": page.sort,
            "query": query_without_page(request),
            "can_create": bool(actor.practices(Capability.CLAIMS_EDIT)),
            "search_names": bool(actor.practice_ids(Capability.PATIENTS_DEMOGRAPHICS)),
        },
    )


@requires(Capability.CLAIMS_VIEW)
def claim_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    # The claim's read and its ledger's are written as one INSERT (two events), before the page
    # is rendered.
    with audit_together():
        detail = selectors.claim_detail(actor=actor, public_id=public_id)
        money = claim_money(actor=actor, claim=detail.claim)
    record_in_context(request, detail.claim.practice_id, noun="claim", back=request.path)
    state = ClaimState(detail.claim.state)
    return render(
        request,
        "claims/claim_detail.html",
        {
            "d": detail,
            "money": money,
            "scrub_url": (
                reverse("scrub:claim", kwargs={"public_id": detail.claim.public_id})
                # A claim out of the door is the payer's now: no scrub button.
                if detail.can_edit and state in scrubbing.SCRUBBABLE
                else None
            ),
            "can_correct": detail.can_edit
            and state in services.CORRECTABLE
            and detail.claim.replaces_id is None,
            "can_reopen": detail.can_edit and state == ClaimState.REJECTED,
            "correction": correction_panel(actor=actor, claim=detail.claim),
        },
    )


@require_POST
@requires(Capability.CLAIMS_EDIT)
def claim_diagnoses_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Correct the encounter's diagnosis codes from the claim page (before submission)."""
    actor = actor_of(request)
    claim = scrubbing.claim_for_scrub(actor=actor, public_id=public_id)
    if claim is None:
        raise Http404
    record_in_context(request, claim.practice_id, noun="claim", back=_claim_url(public_id))
    codes = [c for c in re.split(r"[\s,;]+", request.POST.get("diagnosis_codes", "")) if c]
    try:
        services.encounter_diagnoses_correct(actor=actor, claim=claim, codes=codes)
    except services.EncounterError as exc:
        messages.error(request, f"Diagnoses not changed: {exc}")
    except CapabilityDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, "Diagnoses corrected; scrub the claim again.")
    return redirect("claims:detail", public_id=public_id)


@require_POST
@requires(Capability.CLAIMS_EDIT)
def claim_reopen_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """A rejected claim back to draft, to correct and scrub again."""
    actor = actor_of(request)
    claim = scrubbing.claim_for_scrub(actor=actor, public_id=public_id)
    if claim is None:
        raise Http404
    record_in_context(request, claim.practice_id, noun="claim", back=_claim_url(public_id))
    try:
        services.claim_reopen(actor=actor, claim=claim, note=request.POST.get("note", ""))
    except services.ReopenNoteMissing:
        messages.error(request, "Say what was wrong (the payer's reason) to reopen the claim.")
    except services.ClaimStateError:
        messages.error(request, "Only a rejected claim can be reopened.")
    except CapabilityDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, "Claim reopened as a draft: correct it, then scrub it again.")
    return redirect("claims:detail", public_id=public_id)


def _claim_url(public_id: UUID) -> str:
    return reverse("claims:detail", kwargs={"public_id": public_id})


def _encounter_practice(request: HttpRequest, actor: Actor) -> Practice | None:
    """The practice to enter an encounter for: the one chosen, else the context, else the only
    one the actor may enter claims for. A foreign or unknown choice is a 404."""
    chosen = request.POST.get("practice") or request.GET.get("practice")
    if chosen:
        practice = actor.practice_by_public_id(chosen)
        if practice is None or not actor.can(Capability.CLAIMS_EDIT, practice):
            raise Http404
        return practice
    context: Practice | None = request.practice_context  # type: ignore[attr-defined]
    if context is not None and actor.can(Capability.CLAIMS_EDIT, context):
        return context
    editable = actor.practices(Capability.CLAIMS_EDIT)
    return editable[0] if len(editable) == 1 else None


@requires(Capability.CLAIMS_EDIT)
def encounter_create_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = _encounter_practice(request, actor)
    if practice is None:
        # No practice in context: choose one first.
        return render(
            request,
            "claims/encounter_form.html",
            {"form": None, "practices": actor.practices(Capability.CLAIMS_EDIT)},
        )
    allowed = actor.provider_ids(practice, Capability.CLAIMS_EDIT)
    providers = [
        p
        for p in provider_list(actor=actor, capability=Capability.CLAIMS_EDIT, practice=practice)
        .filter(is_active=True)
        .order_by("name")
        if allowed is None or p.pk in allowed
    ]
    facilities = list(
        facility_list(
            actor=actor, capability=Capability.CLAIMS_EDIT, practice=practice, active=True
        )
    )
    form = EncounterForm(
        providers,
        request.POST or None,
        facilities=facilities,
        initial={"practice": str(practice.public_id), "place_of_service": "11"},
    )
    if request.method == "POST" and form.is_valid():
        patient = selectors.patient_for_encounter(
            actor=actor,
            practice_id=practice.pk,
            account_number=form.cleaned_data["patient_account"],
        )
        if patient is None:
            form.add_error("patient_account", "No patient with that account # in this practice.")
        else:
            try:
                encounter = services.encounter_create(
                    actor=actor, practice=practice, data=form.data_obj(patient.public_id)
                )
            except services.EncounterError as exc:
                form.apply_error(exc)
            except CapabilityDenied as exc:
                raise Http404 from exc
            else:
                claim_ids = selectors.encounter_claim_ids(actor=actor, encounter_id=encounter.pk)
                messages.success(
                    request,
                    f"Encounter of {encounter.date_of_service:%Y-%m-%d} saved"
                    f" with {len(claim_ids)} claim{'s' if len(claim_ids) != 1 else ''}.",
                )
                # Land on the primary claim: scrubbing it is the next step.
                if claim_ids:
                    return redirect("claims:detail", public_id=claim_ids[0])
                return redirect(f"{reverse('claims:list')}?practice={practice.public_id}")
    return render(
        request,
        "claims/encounter_form.html",
        {
            "form": form,
            "practice": practice,
            "practices": actor.practices(Capability.CLAIMS_EDIT),
        },
    )
