"""Offboarding pages: a practice's offboarding (start, progress, download, call off, approve
the purge), the workspace's offboardings with their certificates. Thin: the rules are in
`services`. A practice the actor may not offboard or approve for answers 404 like a missing one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.offboarding import selectors, services
from bureau.offboarding.catalog import bundle_carries
from bureau.offboarding.models import Offboarding, OffboardingStatus
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    FileDownload,
    WorkspaceDownload,
    actor_of,
    file_practice_ids,
    record_in_context,
    requires,
    requires_any,
    serves_file,
    serves_workspace_file,
)

WHO = (Capability.SETUP_OFFBOARD, Capability.COMPLIANCE_MANAGE)
BUNDLE_CARRIES = bundle_carries()


class StartForm(forms.Form):
    reason = forms.CharField(
        max_length=services.REASON_MAX,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Why the practice leaves (notice given, contract ended): recorded.",
    )


class CancelForm(forms.Form):
    reason = forms.CharField(max_length=services.REASON_MAX, help_text="Why: recorded.")


class ApproveForm(forms.Form):
    override_reason = forms.CharField(
        max_length=services.REASON_MAX,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason to purge despite open work",
        help_text="Needed only while the practice has open A/R or open work items.",
    )
    confirm = forms.BooleanField(
        label="I approve deleting every patient record and file of this practice for good."
    )


def _practice(actor: Actor, public_id: UUID) -> Practice:
    practice = actor.practice_by_public_id(public_id)
    if practice is None or not (
        services.may_start(actor, practice) or services.may_approve(actor, practice)
    ):
        raise Http404
    return practice


def _page(practice: Practice) -> str:
    return reverse("offboarding:practice", kwargs={"public_id": practice.public_id})


def _context(
    request: HttpRequest, actor: Actor, practice: Practice, **extra: Any
) -> dict[str, Any]:
    ob = selectors.offboarding_current(actor=actor, practice=practice)
    now = timezone.now()
    context: dict[str, Any] = {
        "practice": practice,
        "ob": ob,
        "history": selectors.offboarding_history(actor=actor, practice=practice),
        "can_start": services.may_start(actor, practice),
        "can_download": practice.pk in file_practice_ids(actor, BUNDLE_CARRIES)
        and services.may_start(actor, practice),
        "start_form": StartForm(),
        "cancel_form": CancelForm(),
        "approve_form": ApproveForm(),
    }
    if ob is not None and ob.status == OffboardingStatus.EXPORTED:
        context["refusal"] = services.approval_refusal(actor, ob, now)
        context["opens_at"] = services.purge_opens_at(ob)
        context["open_work"] = services.open_work(practice)
    context.update(extra)
    return context


@requires_any(*WHO)
def offboarding_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The practice's offboarding; a POST starts one."""
    actor = actor_of(request)
    practice = _practice(actor, public_id)
    record_in_context(request, practice.pk, noun="practice", back=_page(practice))
    if request.method == "POST":
        form = StartForm(request.POST)
        if form.is_valid():
            try:
                services.offboarding_start(
                    actor=actor, practice=practice, reason=form.cleaned_data["reason"]
                )
            except CapabilityDenied as exc:
                raise Http404 from exc
            except services.OffboardingError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, str(exc))
            else:
                messages.success(request, f"Offboarding of {practice.name} started: export queued.")
                return redirect(_page(practice))
        return render(
            request,
            "offboarding/practice.html",
            _context(request, actor, practice, start_form=form),
        )
    return render(request, "offboarding/practice.html", _context(request, actor, practice))


@require_safe
@requires_any(*WHO)
def offboarding_progress_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The export's progress row alone (the page's poller swaps it in)."""
    actor = actor_of(request)
    practice = _practice(actor, public_id)
    ob = selectors.offboarding_current(actor=actor, practice=practice)
    return render(request, "offboarding/_progress.html", {"ob": ob, "practice": practice})


@requires(Capability.SETUP_OFFBOARD)
@serves_file(carries=BUNDLE_CARRIES)
def offboarding_bundle_view(request: HttpRequest, public_id: UUID) -> FileDownload:
    """The export bundle: everything of the practice, so every capability it carries, held
    over every provider, and the owner's `setup.offboard`. Audited."""
    actor = actor_of(request)
    practice = actor.practice_by_public_id(public_id)
    if practice is None or not services.may_start(actor, practice):
        raise Http404
    ob = selectors.offboarding_current(actor=actor, practice=practice)
    if ob is None or ob.status != OffboardingStatus.EXPORTED or not ob.bundle_path:
        raise Http404
    path = Path(ob.bundle_path)
    if not path.is_file():
        raise Http404
    content = path.read_bytes()
    audit_record(
        action=AuditAction.OFFBOARDING_DOWNLOADED,
        actor=actor,
        practice=practice,
        model="offboarding.Offboarding",
        record_ids=[ob.public_id],
        detail={"sha256": ob.bundle_sha256, "bytes": len(content)},
    )
    return FileDownload(
        content=content,
        file_name=f"{practice.code}-export-{ob.exported_at:%Y-%m-%d}.zip",
        practice_id=practice.pk,
        content_type="application/zip",
        extensions=(".zip",),
    )


def _act(request: HttpRequest, public_id: UUID) -> tuple[Actor, Practice, Offboarding | None]:
    """The practice (404 for one the actor may neither offboard nor approve for) and its
    offboarding, None when there is none: the view says so and goes back to the page."""
    actor = actor_of(request)
    practice = _practice(actor, public_id)
    record_in_context(request, practice.pk, noun="practice", back=_page(practice))
    ob = selectors.offboarding_current(actor=actor, practice=practice)
    if ob is None:
        messages.error(request, f"{practice.name} is not being offboarded.")
    return actor, practice, ob


@require_POST
@requires_any(*WHO)
def offboarding_cancel_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, practice, ob = _act(request, public_id)
    if ob is None:
        return redirect(_page(practice))
    form = CancelForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Not called off: give a reason (it is recorded).")
        return redirect(_page(practice))
    try:
        services.offboarding_cancel(actor=actor, offboarding=ob, reason=form.cleaned_data["reason"])
    except CapabilityDenied as exc:
        raise Http404 from exc
    except services.OffboardingError as exc:
        messages.error(request, f"Not called off: {exc}")
    else:
        messages.success(request, f"Offboarding of {practice.name} called off; its export deleted.")
    return redirect(_page(practice))


@require_POST
@requires_any(*WHO)
def offboarding_retry_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, practice, ob = _act(request, public_id)
    if ob is None:
        return redirect(_page(practice))
    if not services.may_start(actor, practice):
        messages.error(request, "Only the owner builds the export again.")
        return redirect(_page(practice))
    try:
        services.offboarding_retry_export(actor=actor, offboarding=ob)
    except services.OffboardingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "The export is queued again.")
    return redirect(_page(practice))


@require_POST
@requires_any(*WHO)
def offboarding_approve_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """Approve and run the purge; any refusal goes back to the page naming the field."""
    actor, practice, ob = _act(request, public_id)
    if ob is None:
        return redirect(_page(practice))
    form = ApproveForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[k].label or k}: {' '.join(str(m) for m in v)}"
            for k, v in form.errors.items()
        )
        messages.error(request, f"Not purged: {problems}")
        return redirect(_page(practice))
    try:
        done = services.offboarding_approve(
            actor=actor, offboarding=ob, override_reason=form.cleaned_data["override_reason"]
        )
    except CapabilityDenied as exc:
        raise Http404 from exc
    except services.OffboardingError as exc:
        label = str(form.fields[exc.field].label) + ": " if exc.field in form.fields else ""
        messages.error(request, f"Not purged: {label}{exc}")
    except services.PurgeNotVerified as exc:
        messages.error(request, f"The purge was not verified and nothing was deleted: {exc}")
    else:
        messages.success(request, f"{practice.name} purged and verified: certificate issued.")
        return redirect("offboarding:certificate", public_id=done.public_id)
    return redirect(_page(practice))


@require_safe
@requires_any(*WHO)
def offboarding_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    return render(
        request, "offboarding/list.html", {"offboardings": selectors.offboarding_list(actor=actor)}
    )


def _certified(request: HttpRequest, public_id: UUID) -> tuple[Actor, Offboarding]:
    actor = actor_of(request)
    ob = selectors.offboarding_certified(actor=actor, public_id=public_id)
    if ob is None:
        raise Http404
    return actor, ob


@require_safe
@requires_any(*WHO)
def offboarding_certificate_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The certificate of destruction on screen (no PHI: tables, counts, file names, people)."""
    _, ob = _certified(request, public_id)
    return render(request, "offboarding/certificate.html", {"ob": ob, "c": ob.certificate})


def _certificate_file(request: HttpRequest, public_id: UUID, kind: str) -> WorkspaceDownload:
    """The certificate as a file: no patient in it (tables, counts, file names, people);
    audited all the same, as every download."""
    actor, ob = _certified(request, public_id)
    audit_record(
        action=AuditAction.OFFBOARDING_CERTIFICATE_DOWNLOADED,
        actor=actor,
        practice=ob.practice,
        model="offboarding.Offboarding",
        record_ids=[ob.public_id],
        detail={"format": kind},
    )
    name = f"{ob.practice.code}-certificate-of-destruction.{kind}"
    if kind == "pdf":
        return WorkspaceDownload(
            content=bytes(ob.certificate_pdf or b""),
            file_name=name,
            content_type="application/pdf",
            extensions=(".pdf",),
        )
    return WorkspaceDownload(
        content=json.dumps(ob.certificate, indent=2, sort_keys=True),
        file_name=name,
        content_type="application/json",
        extensions=(".json",),
    )


@requires_any(*WHO)
@serves_workspace_file()
def offboarding_certificate_pdf_view(request: HttpRequest, public_id: UUID) -> WorkspaceDownload:
    return _certificate_file(request, public_id, "pdf")


@requires_any(*WHO)
@serves_workspace_file()
def offboarding_certificate_json_view(request: HttpRequest, public_id: UUID) -> WorkspaceDownload:
    return _certificate_file(request, public_id, "json")
