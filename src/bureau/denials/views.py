"""Denial pages: the worklist and one claim's denial (its lines, history, playbook) with its
update (status, assignee, category, root cause on closing, note)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.claims.corrections import correction_offer
from bureau.denials import codes, selectors, services
from bureau.denials.appeal_selectors import appeal_section
from bureau.denials.models import (
    SET_BY_THEIR_WORK,
    DenialCategory,
    DenialStatus,
    RootCause,
)
from bureau.directory.selectors import payer_list
from bureau.tenancy.actor import CapabilityDenied
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


@requires(Capability.DENIALS_VIEW)
def denial_list_view(request: HttpRequest) -> HttpResponse:
    moved = worklist_redirect(request, Function.DENIALS)
    if moved is not None:
        return moved
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.DENIALS_VIEW)
    payers = list(payer_list(actor=actor).order_by("name"))
    payer = chosen_by_public_id(request, "payer", payers)
    filters = selectors.DenialFilters(
        practice_id=practice.pk if practice else None,
        payer_id=payer.pk if payer else None,
        category=chosen_value(request, "category", DenialCategory.values),
        status=chosen_value(request, "status", DenialStatus.values),
    )
    page = selectors.denial_list(actor=actor, filters=filters, page=page_number(request))
    template = "denials/_denial_table.html" if request.htmx else "denials/denial_list.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "page": page,
            "practice": practice,
            "practices": actor.practices(Capability.DENIALS_VIEW),
            "payers": payers,
            "selected_payer": payer,
            "filters": filters,
            "categories": DenialCategory.choices,
            "statuses": DenialStatus.choices,
            "query": query_without_page(request),
            "urgent_days": selectors.URGENT_DAYS,
        },
    )


@requires(Capability.DENIALS_VIEW)
def denial_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    detail = selectors.denial_detail(actor=actor_of(request), public_id=public_id)
    record_in_context(request, detail.denial.practice_id, noun="denial", back=request.path)
    return render(
        request,
        "denials/denial_detail.html",
        {
            "d": detail,
            # The current status stays on the menu (saving a note keeps it); the others set by
            # their own work are not offered.
            "statuses": [
                (value, label)
                for value, label in DenialStatus.choices
                if value not in SET_BY_THEIR_WORK or value == detail.denial.status
            ],
            "categories": DenialCategory.choices,
            "root_causes": RootCause.choices,
            "can_see_table": actor_of(request).can(Capability.SETUP_VIEW),
            "appeals": appeal_section(actor=actor_of(request), denial=detail.denial),
            # Coding denials are fixed with a corrected claim (issue 13): offered here too.
            "correction": correction_offer(
                actor=actor_of(request), claim_id=detail.denial.claim_id
            ),
        },
    )


@require_POST
@requires(Capability.DENIALS_WORK)
def denial_update_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    denial = selectors.denial_get(
        actor=actor, public_id=public_id, capability=Capability.DENIALS_WORK
    )
    back = reverse("denials:detail", kwargs={"public_id": public_id})
    record_in_context(request, denial.practice_id, noun="denial", back=back)
    chosen = request.POST.get("assignee", "keep")
    try:
        services.denial_update(
            actor=actor,
            denial=denial,
            status=request.POST.get("status") or None,
            assignee=chosen or None,  # "" unassigns
            category=request.POST.get("category") or None,
            root_cause=request.POST.get("root_cause") or None,
            note=request.POST.get("note", ""),
        )
    except CapabilityDenied as exc:
        raise Http404 from exc
    except services.DenialUpdateError as exc:
        messages.error(request, f"Not saved: {exc}")
    else:
        messages.success(request, "Denial updated.")
    return redirect("denials:detail", public_id=public_id)


@requires(Capability.SETUP_VIEW)
def categories_view(request: HttpRequest) -> HttpResponse:
    """The CARC → category table and this workspace's overrides; setup.manage (workspace-wide)
    sets or removes an override with a reason. A refused change re-renders with the error."""
    actor = actor_of(request)
    error = ""
    if request.method == "POST":
        try:
            if request.POST.get("action") == "remove":
                raw = request.POST.get("override", "")
                # A row id: ASCII digits that fit the column (int() of 5000 digits raises, and
                # a number past 64 bits overflows the database driver).
                if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
                    raise codes.OverrideError("Choose an override to remove.")
                codes.override_remove(
                    actor=actor, override_id=int(raw), reason=request.POST.get("reason", "")
                )
            else:
                codes.override_set(
                    actor=actor,
                    carc=request.POST.get("carc", ""),
                    group_code=request.POST.get("group_code", ""),
                    category=request.POST.get("category", ""),
                    reason=request.POST.get("reason", ""),
                )
        except CapabilityDenied:
            error = "You may not change this workspace's denial categories."
        except codes.OverrideError as exc:
            error = str(exc)
        else:
            messages.success(request, "Denial categories saved.")
            return redirect("denials:categories")
    return render(
        request,
        "denials/categories.html",
        {
            "rules": codes.default_table(actor=actor),
            "overrides": codes.override_list(actor=actor),
            "categories": DenialCategory.choices,
            "can_manage": actor.can_workspace(Capability.SETUP_MANAGE),
            "error": error,
            "post": request.POST if error else {},
        },
    )
