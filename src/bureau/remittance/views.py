"""Money-in pages: ERAs (list, upload, detail, download), ingest job progress, the exception
queue. Thin: parse, call a selector or service, render."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.clearinghouse.quarantine import quarantine_list
from bureau.remittance import exception_queue, jobs, selectors
from bureau.remittance.charts import weekly_payments
from bureau.remittance.forms import MatchForm, ResolveForm, UploadForm
from bureau.remittance.models import EraException, EraStatus, ExceptionStatus
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    FileDownload,
    actor_of,
    chosen_practice,
    chosen_value,
    file_practice_ids,
    page_number,
    query_without_page,
    record_in_context,
    requires,
    serves_file,
)
from bureau.workqueues.functions import Function
from bureau.workqueues.views import worklist_redirect

# An 835 names each patient (NM1*QC) with member id beside the money.
ERA_FILE_CARRIES = frozenset({Capability.PAYMENTS_VIEW, Capability.PATIENTS_DEMOGRAPHICS})


@requires(Capability.PAYMENTS_VIEW)
def era_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.PAYMENTS_VIEW)
    payers = selectors.era_payer_names(actor=actor)
    filters = selectors.EraFilters(
        practice_id=practice.pk if practice else None,
        payer_name=chosen_value(request, "payer", payers),
        status=chosen_value(request, "status", EraStatus.values),
    )
    page = selectors.era_list(actor=actor, filters=filters, page=page_number(request))
    chart = weekly_payments(
        actor=actor, practice_id=filters.practice_id, payer_name=filters.payer_name
    )
    can_upload = bool(actor.whole_practice_ids(Capability.PAYMENTS_POST))
    template = "remittance/_era_table.html" if request.htmx else "remittance/era_list.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "page": page,
            "chart": chart,
            "practice": practice,
            "practices": actor.practices(Capability.PAYMENTS_VIEW),
            "payers": payers,
            "filters": filters,
            "statuses": EraStatus.choices,
            "query": query_without_page(request),
            "can_upload": can_upload,
            "upload_form": UploadForm() if can_upload else None,
            "jobs": jobs.recent_jobs(actor=actor),
            "quarantined": quarantine_list(actor=actor),
            "can_post": can_upload,
        },
    )


@require_POST
@requires(Capability.PAYMENTS_POST)
def era_upload_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "Choose an 835, 999 or 277CA file to upload.")
        return redirect("eras:list")
    upload = form.cleaned_data["file"]
    try:
        job = jobs.ingest_job_create(actor=actor, file_name=upload.name, content=upload.read())
    except jobs.UploadError as exc:
        messages.error(request, f"{upload.name} not accepted: {exc}")
        return redirect("eras:list")
    except CapabilityDenied as exc:
        raise Http404 from exc
    messages.success(request, f"{job.file_name} is queued for ingest.")
    return redirect("eras:list")


@requires(Capability.PAYMENTS_VIEW)
def job_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """One job's progress row: htmx polls it every second until the job is done or failed.
    Opened as a page (a link, a bookmark), the same row inside the page."""
    actor = actor_of(request)
    job = jobs.job_get(actor=actor, job_id=job_id)
    if job is None:
        raise Http404
    template = "remittance/_job.html" if request.htmx else "remittance/job_detail.html"  # type: ignore[attr-defined]
    return render(request, template, {"job": job, "can_post": actor.can(Capability.PAYMENTS_POST)})


@require_POST
@requires(Capability.PAYMENTS_POST)
def job_retry_view(request: HttpRequest, job_id: int) -> HttpResponse:
    """Queue a failed job again; the job's row polls again until it ends."""
    try:
        job = jobs.ingest_job_retry(actor=actor_of(request), job_id=job_id)
    except CapabilityDenied as exc:
        raise Http404 from exc
    except jobs.RetryError as exc:
        messages.error(request, f"Not retried: {exc}.")
        return redirect("eras:job", job_id=job_id)
    if job is None:
        raise Http404
    messages.success(request, f"{job.file_name} is queued for ingest again.")
    return redirect("eras:job", job_id=job.pk)


@requires(Capability.PAYMENTS_VIEW)
def era_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    detail = selectors.era_detail(actor=actor_of(request), public_id=public_id)
    record_in_context(request, detail.era.practice_id, noun="ERA", back=request.path)
    actor = actor_of(request)
    can_download = detail.era.practice_id in file_practice_ids(actor, ERA_FILE_CARRIES)
    return render(
        request, "remittance/era_detail.html", {"d": detail, "can_download": can_download}
    )


@requires(Capability.PAYMENTS_VIEW)
@serves_file(carries=ERA_FILE_CARRIES)
def era_download_view(request: HttpRequest, public_id: UUID) -> FileDownload:
    # An 835 names each patient (NM1*QC) with member id beside the money.
    era = selectors.era_for_download(actor=actor_of(request), public_id=public_id)
    return FileDownload(
        content=era.content,
        file_name=era.file_name or f"era-{era.trace_number}.835",
        practice_id=era.practice_id,
        content_type="application/edi-x12",
        extensions=(".835", ".x12", ".edi", ".txt"),
    )


@requires(Capability.PAYMENTS_VIEW)
def exception_list_view(request: HttpRequest) -> HttpResponse:
    holds = request.GET.get("tab") == "holds"
    moved = worklist_redirect(
        request, Function.POSTING_REVIEW if holds else Function.ERA_EXCEPTIONS
    )
    if moved is not None:
        return moved
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.PAYMENTS_VIEW)
    payers = selectors.era_payer_names(actor=actor)
    tab = chosen_value(request, "tab", list(exception_queue.TABS)) or "exceptions"
    reasons = exception_queue.tab_reasons(tab)
    filters = exception_queue.ExceptionFilters(
        practice_id=practice.pk if practice else None,
        payer_name=chosen_value(request, "payer", payers),
        reason=chosen_value(request, "reason", [value for value, _ in reasons]),
        tab=tab,
        # Open by default; ?status=all (or anything unknown) shows every status.
        status=chosen_value(
            request, "status", ExceptionStatus.values, default=ExceptionStatus.OPEN
        ),
    )
    page = exception_queue.exception_list(actor=actor, filters=filters, page=page_number(request))
    return render(
        request,
        "remittance/exception_list.html",
        {
            "page": page,
            "practice": practice,
            "practices": actor.practices(Capability.PAYMENTS_VIEW),
            "payers": payers,
            "filters": filters,
            "reasons": reasons,
            "tabs": exception_queue.TABS,
            "tab_counts": exception_queue.tab_counts(actor=actor, filters=filters),
            "statuses": ExceptionStatus.choices,
            "query": query_without_page(request),
            "next": request.get_full_path(),
        },
    )


class _Incomplete(Exception):
    """The form was not filled in as the action needs (the message says how)."""


def _back_to_queue(request: HttpRequest) -> str:
    """Where the exception was worked from: the list (its filters and page) or the work
    queue's item page; never anywhere else."""
    back = request.POST.get("next", "")
    here = (reverse("eras:exceptions"), reverse("workqueues:queue"))
    return back if back.startswith(here) else reverse("eras:exceptions")


def _work_exception(
    request: HttpRequest,
    public_id: UUID,
    work: Callable[[Actor, EraException], str],
    *,
    refused: str,
) -> HttpResponse:
    """Run one action of the exception queue and go back to the queue, saying what happened:
    `work` returns the success message; a refusal (ValueError) is shown after `refused`; an
    exception the person may not post is a 404 like any record they may not see."""
    actor = actor_of(request)
    exception = exception_queue.exception_get(
        actor=actor, public_id=public_id, capability=Capability.PAYMENTS_POST
    )
    record_in_context(
        request, exception.practice_id, noun="ERA exception", back=_back_to_queue(request)
    )
    try:
        messages.success(request, work(actor, exception))
    except CapabilityDenied as exc:
        raise Http404 from exc
    except _Incomplete as exc:
        messages.error(request, str(exc))
    except ValueError as exc:
        messages.error(request, f"{refused}: {exc}")
    return redirect(_back_to_queue(request))


@require_POST
@requires(Capability.PAYMENTS_POST)
def exception_resolve_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    from bureau.remittance.services import era_exception_resolve

    def resolve(actor: Actor, exception: EraException) -> str:
        form = ResolveForm(request.POST)
        if not form.is_valid():
            raise _Incomplete("Choose post or dismiss and write a note.")
        action = form.cleaned_data["action"]
        era_exception_resolve(
            actor=actor, exception=exception, action=action, note=form.cleaned_data["note"]
        )
        return f"Exception {'posted' if action == 'post' else 'dismissed'}."

    return _work_exception(request, public_id, resolve, refused="Not resolved")


@require_POST
@requires(Capability.PAYMENTS_POST)
def exception_match_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    from bureau.remittance.manual_match import era_exception_match

    def match(actor: Actor, exception: EraException) -> str:
        form = MatchForm(request.POST)
        if not form.is_valid():
            raise _Incomplete("Name the claim to match and write a note.")
        number = form.cleaned_data["claim_number"].strip().upper()
        era_exception_match(
            actor=actor, exception=exception, claim_number=number, note=form.cleaned_data["note"]
        )
        return f"Matched to {number} and posted."

    return _work_exception(request, public_id, match, refused="Not matched")


LINE_FIELD = "line-"  # line-<ERA line public id> = the claim line number it pays


def _chosen_lines(request: HttpRequest) -> dict[str, int] | None:
    """The poster's choices from the form; None when one is not a line number."""
    chosen: dict[str, int] = {}
    for key in request.POST:
        value = request.POST.get(key, "")
        if key.startswith(LINE_FIELD) and value:
            if not value.isdigit():
                return None
            chosen[key.removeprefix(LINE_FIELD)] = int(value)
    return chosen


@require_POST
@requires(Capability.PAYMENTS_POST)
def exception_match_lines_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    from bureau.remittance.manual_match import era_exception_match_lines

    def place(actor: Actor, exception: EraException) -> str:
        chosen = _chosen_lines(request)
        note = request.POST.get("note", "").strip()[:300]
        if not chosen or not note:
            raise _Incomplete("Choose the claim line each service pays and write a note.")
        era_exception_match_lines(actor=actor, exception=exception, chosen=chosen, note=note)
        return "Lines matched and posted."

    return _work_exception(request, public_id, place, refused="Not matched")
