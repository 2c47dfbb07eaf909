"""Write-off pages: the request form (from a claim or a denial), the list, one request with its
approve/refuse form for approvers. Thin: parse, call the selector or service, render."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.billing import selectors, services
from bureau.billing.corrections import writeoff_refusal_for_correction
from bureau.billing.models import WriteOffReason, WriteOffStatus
from bureau.denials.models import RootCause
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    actor_of,
    chosen_practice,
    chosen_value,
    page_number,
    query_without_page,
    record_in_context,
    requires,
)

AMOUNT_PREFIX = "amount-"  # the form's field per line: amount-<claim line public id>


@requires(Capability.WRITEOFFS_VIEW)
def writeoff_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.WRITEOFFS_VIEW)
    filters = selectors.WriteOffFilters(
        practice_id=practice.pk if practice else None,
        status=chosen_value(request, "status", WriteOffStatus.values),
        mine=request.GET.get("mine") == "1",
    )
    page = selectors.writeoff_list(actor=actor, filters=filters, page=page_number(request))
    return render(
        request,
        "billing/writeoff_list.html",
        {
            "page": page,
            "practice": practice,
            "practices": actor.practices(Capability.WRITEOFFS_VIEW),
            "filters": filters,
            "statuses": WriteOffStatus.choices,
            "query": query_without_page(request),
        },
    )


@requires(Capability.WRITEOFFS_VIEW)
def writeoff_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    detail = selectors.writeoff_detail(actor=actor, public_id=public_id)
    record_in_context(request, detail.request.practice_id, noun="write-off", back=request.path)
    return render(request, "billing/writeoff_detail.html", {"w": detail})


@requires(Capability.WRITEOFFS_REQUEST)
def writeoff_new_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """GET: the form for claim `public_id` (?denial=<id> when opened from a denial). POST:
    the request; a refusal re-renders the form with what was typed and why."""
    actor = actor_of(request)
    claim = selectors.claim_for_writeoff(actor=actor, public_id=public_id)
    # Before anything is read for the page or written: a form opened under another practice.
    back = reverse("claims:detail", kwargs={"public_id": public_id})
    record_in_context(request, claim.practice_id, noun="claim", back=back)
    source = request.POST if request.method == "POST" else request.GET
    form = selectors.writeoff_form(
        actor=actor, claim=claim, denial_public_id=_uuid(source.get("denial", ""))
    )
    error = ""
    if request.method == "POST":
        amounts = {
            key[len(AMOUNT_PREFIX) :]: value
            for key, value in request.POST.items()
            if key.startswith(AMOUNT_PREFIX)
        }
        try:
            made = services.writeoff_request(
                actor=actor,
                claim=form.claim,
                amounts=amounts,
                reason=request.POST.get("reason", ""),
                note=request.POST.get("note", ""),
                root_cause=request.POST.get("root_cause", ""),
                denial=form.denial,
            )
        except CapabilityDenied as exc:
            raise Http404 from exc
        except services.WriteOffError as exc:
            error = str(exc)
        else:
            if made.status == WriteOffStatus.PENDING:
                messages.success(request, "Write-off requested: it waits for an approver.")
            else:
                messages.success(request, "Write-off approved within the limit and posted.")
            return redirect("billing:writeoff", public_id=made.public_id)
    typed = request.POST if error else {}
    rows = [(o, typed.get(f"{AMOUNT_PREFIX}{o.line.public_id}", "")) for o in form.openings]
    return render(
        request,
        "billing/writeoff_form.html",
        {
            "f": form,
            "rows": rows,
            "reasons": WriteOffReason.choices,
            "root_causes": RootCause.choices,
            "error": error,
            # Said before anything is typed: the claim's correction is about to move its balance.
            "blocked": writeoff_refusal_for_correction(actor, claim),
            "post": typed,
            "prefix": AMOUNT_PREFIX,
        },
    )


def _uuid(raw: str) -> UUID | None:
    try:
        return UUID(raw) if raw else None
    except ValueError:
        return None


def _decide(request: HttpRequest, public_id: UUID, approve: bool) -> HttpResponse:
    actor = actor_of(request)
    found = selectors.writeoff_get(
        actor=actor, public_id=public_id, capability=Capability.WRITEOFFS_APPROVE
    )
    back = reverse("billing:writeoff", kwargs={"public_id": public_id})
    record_in_context(request, found.practice_id, noun="write-off", back=back)
    note = request.POST.get("note", "")
    try:
        if approve:
            services.writeoff_approve(actor=actor, request=found, note=note)
        else:
            services.writeoff_refuse(actor=actor, request=found, note=note)
    except CapabilityDenied as exc:
        raise Http404 from exc
    except services.WriteOffError as exc:
        messages.error(request, f"Not saved: {exc}")
    else:
        messages.success(request, "Write-off approved and posted." if approve else "Refused.")
    return redirect(back)


@require_POST
@requires(Capability.WRITEOFFS_APPROVE)
def writeoff_approve_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _decide(request, public_id, approve=True)


@require_POST
@requires(Capability.WRITEOFFS_APPROVE)
def writeoff_refuse_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _decide(request, public_id, approve=False)
