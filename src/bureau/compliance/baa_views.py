"""The BAA inventory's pages: the list (both directions, filters, practices without a BAA in
force), one agreement's page with its forms, recording a new one, and the audited download.

Reading needs `compliance.view` on the whole workspace (a client viewer reads its own client
BAA on the practice page, `practice_views`); every write needs `compliance.manage` on the whole
workspace, checked here for the 404 and again by the services. A BAA the actor may not read, one
of another workspace and a missing one answer the same 404."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bureau.compliance import baa_forms, baa_queries, baas
from bureau.compliance.access import can_manage, sees_whole_program
from bureau.compliance.models.baa import BaaDirection, BusinessAssociateAgreement
from bureau.compliance.page_access import require_form_methods
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    WorkspaceDownload,
    actor_of,
    requires,
    serves_workspace_file,
)
from bureau.web.links import record_url

DETAIL = "compliance/baa_detail.html"
STANDINGS = [s.value for s in baa_queries.Standing]
DIRECTIONS = [d.value for d in BaaDirection]


def _reader(request: HttpRequest) -> Actor:
    """The actor, when it reads the whole program; a 404 otherwise (a page it cannot have)."""
    actor = actor_of(request)
    if not sees_whole_program(actor):
        raise Http404
    return actor


def _manager(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    if not can_manage(actor):
        raise Http404
    return actor


def _apply(form: forms.Form, exc: baas.BaaError) -> None:
    # A service error lands on the field it names (the form may spell it with a prefix).
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


# -- the inventory ------------------------------------------------------------------------------
@require_safe
@requires(Capability.COMPLIANCE_VIEW)
def baa_list_view(request: HttpRequest) -> HttpResponse:
    actor = _reader(request)
    today = timezone.localdate()
    errors = []
    direction = request.GET.get("direction", "")
    standing = request.GET.get("status", "")
    if direction and direction not in DIRECTIONS:
        errors.append("Direction: choose client practices or subcontractors.")
        direction = ""
    if standing and standing not in STANDINGS:
        errors.append("Status: choose one of the statuses listed.")
        standing = ""
    every = baa_queries.inventory(actor, today)
    rows = [
        r
        for r in every
        if (not direction or r.baa.direction == direction)
        and (not standing or r.standing == standing)
    ]
    context = {
        "rows": [(r, record_url(r.baa.public_id, "compliance:baa_detail")) for r in rows],
        "total": len(every),
        "direction": direction,
        "standing": standing,
        "directions": BaaDirection.choices,
        "standings": [(s.value, baa_queries.STANDING_LABELS[s]) for s in baa_queries.Standing],
        "missing": baa_queries.practices_without_baa_in_force(actor.workspace, today),
        "gaps": baa_queries.flow_down_gaps(actor.workspace, today),
        "can_manage": can_manage(actor),
        "errors": errors,
        "today": today,
    }
    return render(request, "compliance/baa_list.html", context, status=400 if errors else 200)


@require_form_methods
@requires(Capability.COMPLIANCE_MANAGE)
def baa_record_view(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    practices = actor.practices(Capability.COMPLIANCE_MANAGE)
    initial: dict[str, Any] = {}
    if request.GET.get("practice"):
        chosen = actor.practice_by_public_id(request.GET["practice"])
        if chosen is not None:
            initial = {"direction": BaaDirection.CLIENT, "practice": str(chosen.public_id)}
    form = baa_forms.RecordForm(practices, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        practice = None
        try:
            if data["direction"] == BaaDirection.CLIENT:
                practice = baas.practice_for_baa(actor, data["practice"])
                terms = form.terms()
            else:
                terms = form.terms(
                    vendor_name=data["vendor_name"], vendor_service=data["vendor_service"]
                )
            baa = baas.baa_record(
                actor=actor, direction=data["direction"], terms=terms, practice=practice
            )
        except baas.BaaError as exc:
            _apply(form, exc)
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, f"BAA with {baa.party} recorded.")
            return redirect(record_url(baa.public_id, "compliance:baa_detail"))
    return render(request, "compliance/baa_record.html", {"form": form})


# -- one agreement ------------------------------------------------------------------------------
def _detail(
    request: HttpRequest,
    actor: Actor,
    baa: BusinessAssociateAgreement,
    *,
    status: int = 200,
    **forms_given: forms.Form,
) -> HttpResponse:
    today = timezone.localdate()
    manage = can_manage(actor)
    relies_on = list(baa.relies_on.defer("document").order_by("vendor_name", "pk"))
    context: dict[str, Any] = {
        "baa": baa,
        "row": baa_queries.inventory_row(baa, today),
        "relies_on": [baa_queries.inventory_row(s, today) for s in relies_on],
        "relied_on_by": [baa_queries.inventory_row(c, today) for c in baa_queries.relied_on_by(baa)]
        if not baa.is_client
        else [],
        "history": baa_queries.baa_history(baa),
        "can_manage": manage,
        "today": today,
    }
    if manage:
        chosen = [str(s.public_id) for s in relies_on]
        context.update(
            terms_form=forms_given.get("terms_form") or baa_forms.change_form(baa),
            terminate_form=forms_given.get("terminate_form")
            or baa_forms.TerminateForm(initial={"terminated_on": today}, prefix="end"),
            upload_form=forms_given.get("upload_form") or baa_forms.UploadForm(prefix="doc"),
        )
        if baa.is_client:
            context["flow_form"] = forms_given.get("flow_form") or baa_forms.FlowDownForm(
                baa_queries.subcontractor_baas(actor),
                initial={"relies_on": chosen},
                prefix="flow",
            )
    return render(request, DETAIL, context, status=status)


@require_safe
@requires(Capability.COMPLIANCE_VIEW)
def baa_detail_view(request: HttpRequest, public_id: Any) -> HttpResponse:
    actor = _reader(request)
    return _detail(request, actor, baa_queries.baa_get(actor=actor, public_id=public_id))


def _back(baa: BusinessAssociateAgreement) -> HttpResponse:
    return redirect(record_url(baa.public_id, "compliance:baa_detail"))


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def baa_change_view(request: HttpRequest, public_id: Any) -> HttpResponse:
    actor = _manager(request)
    baa = baa_queries.baa_get(actor=actor, public_id=public_id)
    form = baa_forms.change_form(baa, request.POST)
    if form.is_valid():
        party = {}
        if not baa.is_client:
            party = {
                "vendor_name": form.cleaned_data["vendor_name"],
                "vendor_service": form.cleaned_data["vendor_service"],
            }
        try:
            baas.baa_change(actor=actor, baa=baa, terms=form.terms(**party))
        except baas.BaaError as exc:
            _apply(form, exc)
        else:
            messages.success(request, "Terms saved.")
            return _back(baa)
    baa.refresh_from_db()  # the page shows the terms kept, the form the ones typed
    return _detail(request, actor, baa, terms_form=form)


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def baa_terminate_view(request: HttpRequest, public_id: Any) -> HttpResponse:
    actor = _manager(request)
    baa = baa_queries.baa_get(actor=actor, public_id=public_id)
    form = baa_forms.TerminateForm(request.POST, prefix="end")
    if form.is_valid():
        try:
            baas.baa_terminate(
                actor=actor,
                baa=baa,
                terminated_on=form.cleaned_data["terminated_on"],
                reason=form.cleaned_data["reason"],
            )
        except baas.BaaError as exc:
            _apply(form, exc)
        else:
            messages.success(request, f"BAA with {baa.party} terminated.")
            return _back(baa)
    baa.refresh_from_db()
    return _detail(request, actor, baa, terminate_form=form)


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def baa_flow_down_view(request: HttpRequest, public_id: Any) -> HttpResponse:
    actor = _manager(request)
    baa = baa_queries.baa_get(actor=actor, public_id=public_id)
    form = baa_forms.FlowDownForm(
        baa_queries.subcontractor_baas(actor), request.POST, prefix="flow"
    )
    if not baa.is_client:
        # Its page has no flow-down form to show the error on: say it as a message.
        messages.error(request, "Only a client BAA relies on subcontractor BAAs.")
    elif form.is_valid():
        try:
            baas.baa_set_relies_on(actor=actor, baa=baa, subcontractors=form.chosen())
        except baas.BaaError as exc:
            _apply(form, exc)
        else:
            messages.success(request, "Flow-down saved.")
            return _back(baa)
    return _detail(request, actor, baa, flow_form=form)


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def baa_upload_view(request: HttpRequest, public_id: Any) -> HttpResponse:
    actor = _manager(request)
    baa = baa_queries.baa_get(actor=actor, public_id=public_id)
    form = baa_forms.UploadForm(request.POST, request.FILES, prefix="doc")
    if form.is_valid():
        upload = form.cleaned_data["document"]
        if upload.size > baas.MAX_DOCUMENT_BYTES:
            # Refused before it is read into memory; the service says the same of the bytes.
            form.add_error("document", "The file is larger than 10 MB.")
        else:
            try:
                baas.baa_document_upload(
                    actor=actor, baa=baa, filename=upload.name or "", content=upload.read()
                )
            except baas.BaaError as exc:
                _apply(form, exc)
            else:
                messages.success(request, f"Document {baa.document_filename} stored.")
                return _back(baa)
    baa.refresh_from_db()
    return _detail(request, actor, baa, upload_form=form)


@serves_workspace_file()
def baa_document_view(request: HttpRequest, public_id: Any) -> WorkspaceDownload:
    """The signed copy: for the program's readers any of the workspace's BAAs, for a practice's
    client viewer her practice's own client BAA (`baa_get` reads only what the actor may;
    anything else is the 404 of a missing one)."""
    actor = actor_of(request)
    baa = baa_queries.baa_get(actor=actor, public_id=public_id)
    name, content, _sha = baas.baa_document_download(actor=actor, baa=baa)
    return WorkspaceDownload(
        content=content,
        file_name=name,
        content_type="application/pdf",
        extensions=(".pdf",),
    )
