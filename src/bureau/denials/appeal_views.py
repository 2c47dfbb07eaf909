"""Appeal pages: open a level, write the rebuttal, preview and download the letter, mark it
submitted, record the outcome. Every change goes back to the denial's page with a message."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.denials import appeal_selectors, appeals, selectors
from bureau.denials.appeal_models import Appeal
from bureau.denials.letters import LetterError
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.web.access import FileDownload, actor_of, record_in_context, requires, serves_file

LETTER_CARRIES = frozenset({Capability.DENIALS_VIEW, Capability.PATIENTS_DEMOGRAPHICS})


def _back(request: HttpRequest, denial_public_id: object) -> HttpResponse:
    return redirect("denials:detail", public_id=denial_public_id)


def _run(
    request: HttpRequest, denial_public_id: object, done: str, work: Callable[[], object]
) -> HttpResponse:
    try:
        work()
    except CapabilityDenied as exc:
        raise Http404 from exc
    except (appeals.AppealError, LetterError) as exc:
        messages.error(request, f"Not saved: {exc}")
    else:
        messages.success(request, done)
    return _back(request, denial_public_id)


@require_POST
@requires(Capability.DENIALS_WORK)
def appeal_create_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    denial = selectors.denial_get(
        actor=actor, public_id=public_id, capability=Capability.DENIALS_WORK
    )
    back = reverse("denials:detail", kwargs={"public_id": public_id})
    record_in_context(request, denial.practice_id, noun="denial", back=back)
    return _run(
        request,
        public_id,
        "Appeal opened.",
        lambda: appeals.appeal_create(
            actor=actor,
            denial=denial,
            level=request.POST.get("level"),
            late_reason=request.POST.get("late_reason", ""),
        ),
    )


def _appeal_for_work(request: HttpRequest, public_id: UUID) -> Appeal:
    actor = actor_of(request)
    appeal = appeals.appeal_get(
        actor=actor, public_id=public_id, capability=Capability.DENIALS_WORK
    )
    back = reverse("denials:detail", kwargs={"public_id": appeal.denial.public_id})
    record_in_context(request, appeal.practice_id, noun="denial", back=back)
    return appeal


@require_POST
@requires(Capability.DENIALS_WORK)
def appeal_write_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    appeal = _appeal_for_work(request, public_id)
    return _run(
        request,
        appeal.denial.public_id,
        "Letter saved.",
        lambda: appeals.appeal_write(
            actor=actor_of(request),
            appeal=appeal,
            rebuttal=request.POST.get("rebuttal", ""),
            attachments=request.POST.get("attachments", ""),
        ),
    )


@require_POST
@requires(Capability.DENIALS_WORK)
def appeal_submit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    appeal = _appeal_for_work(request, public_id)
    return _run(
        request,
        appeal.denial.public_id,
        "Appeal marked submitted.",
        lambda: appeals.appeal_submit(
            actor=actor_of(request),
            appeal=appeal,
            submitted_on=request.POST.get("submitted_on", ""),
            method=request.POST.get("method", ""),
            reference=request.POST.get("reference", ""),
            late_reason=request.POST.get("late_reason", ""),
        ),
    )


@require_POST
@requires(Capability.DENIALS_WORK)
def appeal_decide_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    appeal = _appeal_for_work(request, public_id)
    return _run(
        request,
        appeal.denial.public_id,
        "Outcome recorded.",
        lambda: appeals.appeal_decide(
            actor=actor_of(request),
            appeal=appeal,
            outcome=request.POST.get("outcome", ""),
            decided_on=request.POST.get("decided_on", ""),
            amount=request.POST.get("amount_recovered", ""),
        ),
    )


@requires(Capability.DENIALS_VIEW)
def letter_preview_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    try:
        preview = appeal_selectors.letter_preview(actor=actor, public_id=public_id)
    except LetterError as exc:
        appeal = appeals.appeal_get(
            actor=actor, public_id=public_id, capability=Capability.DENIALS_VIEW
        )
        messages.error(request, str(exc))
        return _back(request, appeal.denial.public_id)
    record_in_context(request, preview.appeal.practice_id, noun="appeal letter", back=request.path)
    return render(request, "denials/appeal_letter.html", {"p": preview})


@requires(Capability.DENIALS_VIEW)
@serves_file(carries=LETTER_CARRIES, one_record=True)
def letter_pdf_view(request: HttpRequest, public_id: UUID) -> FileDownload:
    # The letter names the patient with date of birth and member id: no masked PDF exists.
    try:
        appeal, pdf = appeal_selectors.letter_pdf(actor=actor_of(request), public_id=public_id)
    except LetterError as exc:
        raise Http404 from exc
    return FileDownload(
        content=pdf,
        file_name=f"appeal-{appeal.denial.claim.number}-level-{appeal.level}.pdf",
        practice_id=appeal.practice_id,
        content_type="application/pdf",
        extensions=(".pdf",),
    )
