"""Exclusion screening pages: the list's imports, the runs kept as evidence, the open hits as the
officer's work list, a run's page and its CSV, a hit's page where it is resolved.

Thin: the rules are the services' (`exclusion_lists`, `screening`) and the reads the queries'
(`screening_queries`). Whole-program readers (`compliance.view` on every practice) open the
pages; only `compliance.manage` on every practice imports, screens and resolves. Anything else
answers the 404 of a missing page.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.compliance import screening_queries as queries
from bureau.compliance.access import can_manage
from bureau.compliance.exclusion_lists import ImportSource, exclusion_list_import
from bureau.compliance.leie import COLUMNS, LeieError
from bureau.compliance.models.screening import HitStatus, ListKind, ScreeningRun
from bureau.compliance.page_access import require_form_methods
from bureau.compliance.screening import HitAlreadyResolved, NoExclusionList, resolve_hit, screen
from bureau.reports.export import csv_text
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.web.access import WorkspaceDownload, actor_of, requires, serves_workspace_file

C = Capability
# OIG's UPDATED.csv is about 15 MB; room for its growth, not for anything else.
MAX_LEIE_BYTES = 50 * 1024 * 1024


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _manager(actor: Actor) -> None:
    if not can_manage(actor):
        raise Http404


# -- forms ----------------------------------------------------------------------------------------
class LeieImportForm(forms.Form):
    kind = forms.ChoiceField(
        choices=ListKind.choices,
        initial=ListKind.FULL,
        label="Kind of list",
        help_text="The full list replaces the list in force; a supplement adds to it or "
        "takes people off it.",
    )
    file = forms.FileField(label="LEIE file (CSV)")

    def clean_file(self) -> UploadedFile[bytes]:
        upload: UploadedFile[bytes] = self.cleaned_data["file"]
        if upload.size is not None and upload.size > MAX_LEIE_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size // (1024 * 1024)} MB; an LEIE file is at most "
                f"{MAX_LEIE_BYTES // (1024 * 1024)} MB (OIG's full list is about 15 MB)."
            )
        return upload


class ResolveForm(forms.Form):
    outcome = forms.ChoiceField(
        choices=[
            (HitStatus.FALSE_POSITIVE.value, "False positive: not the listed person"),
            (HitStatus.CONFIRMED.value, "Confirmed: the listed person (excluded)"),
            (HitStatus.UNABLE.value, "Unable to determine (raised again next run)"),
        ],
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        help_text="What you compared and what it showed (date of birth, NPI, address, "
        "license): kept with the hit as evidence.",
    )


# -- the screening page ---------------------------------------------------------------------------
def _page(request: HttpRequest, actor: Actor) -> HttpResponse:
    imports = queries.imports_recent(actor)
    runs = queries.runs_recent(actor)
    manager = can_manage(actor)
    return render(
        request,
        "compliance/screening_list.html",
        {
            "imports": imports,
            "runs": runs,
            "last_run": runs[0] if runs else None,
            "open_hits": queries.open_hits(actor),
            "undetermined": queries.undetermined_hits(actor),
            "can_manage": manager,
            "form": LeieImportForm() if manager else None,
            "max_mb": MAX_LEIE_BYTES // (1024 * 1024),
            "columns": COLUMNS,
            "today": timezone.localdate(),
        },
    )


@require_safe
@requires(C.COMPLIANCE_VIEW)
def screening_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    queries.require_screening_reader(actor)
    return _page(request, actor)


@require_form_methods
@requires(C.COMPLIANCE_MANAGE)
def screening_import_view(request: HttpRequest) -> HttpResponse:
    """GET: the upload form on its own page; POST: take the file in (nothing kept when bad)."""
    actor = actor_of(request)
    _manager(actor)
    form = LeieImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload: UploadedFile[bytes] = form.cleaned_data["file"]
        name = upload.name or "upload.csv"
        try:
            # The upload's lines are read straight from Django's spooled file: the service
            # hashes and stores them as it reads, so the 15 MB list is never held twice.
            listing = exclusion_list_import(
                workspace=actor.workspace,
                actor=actor,
                kind=ListKind(form.cleaned_data["kind"]),
                source=ImportSource(file_name=name, lines=upload),
            )
        except LeieError as exc:
            form.add_error("file", f"{name}: {exc}. Nothing was imported.")
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            messages.success(
                request,
                f"Imported {listing.file_name} ({listing.get_kind_display()}): "
                f"{_count(listing.rows_read, 'row')} read, {listing.rows_added} added, "
                f"{listing.rows_retired} retired, {listing.rows_reinstated} reinstated, "
                f"{listing.rows_unmatched} unmatched. Screen now to check everyone against it.",
            )
            return redirect("compliance:screening")
    return render(
        request,
        "compliance/screening_import.html",
        {"form": form, "max_mb": MAX_LEIE_BYTES // (1024 * 1024), "columns": COLUMNS},
    )


@require_POST
@requires(C.COMPLIANCE_MANAGE)
def screening_run_now_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    _manager(actor)
    try:
        run = screen(actor.workspace, actor=actor)
    except NoExclusionList:
        messages.error(
            request, "No exclusion list has been imported yet: import OIG's LEIE file first."
        )
        return redirect("compliance:screening")
    except CapabilityDenied as exc:
        raise Http404 from exc
    messages.success(
        request,
        f"Screened {run.users_screened} staff users and {run.providers_screened} providers "
        f"against {run.entries_in_force} list entries: {_count(run.hits, 'new hit')}, "
        f"{run.hits_suppressed} already open or resolved as false positives.",
    )
    return redirect("compliance:screening_run", public_id=run.public_id)


# -- a run ----------------------------------------------------------------------------------------
@require_safe
@requires(C.COMPLIANCE_VIEW)
def screening_run_view(request: HttpRequest, public_id: Any) -> HttpResponse:
    actor = actor_of(request)
    run = queries.run_get(actor, public_id)
    return render(
        request,
        "compliance/screening_run.html",
        {"run": run, "hits": queries.run_hits(run), "can_manage": can_manage(actor)},
    )


RUN_CSV_HEADER = [
    "run_id",
    "ran_at",
    "ran_by",
    "scope",
    "entries_in_force",
    "users_screened",
    "providers_screened",
    "hits_raised",
    "hits_suppressed",
    "list_files",
    "hit_id",
    "subject_kind",
    "subject",
    "subject_npi",
    "basis",
    "score",
    "why",
    "entry_name",
    "entry_npi",
    "entry_dob",
    "entry_exclusion_type",
    "entry_exclusion_date",
    "status",
    "resolution_reason",
    "resolved_by",
    "resolved_at",
]


def run_csv_rows(run: ScreeningRun) -> list[list[Any]]:
    """One line per hit (one line with no hit when the run found none), each carrying the run's
    own facts, so the file reads alone in front of an auditor."""
    files = "; ".join(
        f"{f.file_name} ({f.kind}, sha256 {f.sha256})" for f in run.imports.order_by("id")
    )
    head = [
        str(run.public_id),
        run.ran_at,
        run.ran_by.username if run.ran_by else run.ran_by_label,
        run.scope,
        run.entries_in_force,
        run.users_screened,
        run.providers_screened,
        run.hits,
        run.hits_suppressed,
        files,
    ]
    rows = []
    for hit in queries.run_hits(run):
        rows.append(
            [
                *head,
                str(hit.public_id),
                "user" if hit.user_id else "provider",
                hit.subject_label,
                hit.provider.npi if hit.provider else "",
                hit.basis,
                hit.score,
                hit.why,
                hit.entry.display_name,
                hit.entry.npi,
                hit.entry.dob,
                hit.entry.exclusion_type,
                hit.entry.exclusion_date,
                hit.status,
                hit.resolution_reason,
                hit.resolved_by.username if hit.resolved_by else "",
                hit.resolved_at,
            ]
        )
    return rows or [[*head, *[""] * (len(RUN_CSV_HEADER) - len(head))]]


@requires(C.COMPLIANCE_VIEW)
@serves_workspace_file(carries=[C.COMPLIANCE_VIEW])
def screening_run_csv_view(request: HttpRequest, public_id: Any) -> WorkspaceDownload:
    actor = actor_of(request)
    run = queries.run_get(actor, public_id)
    audit_record(
        action=AuditAction.REPORT_EXPORTED,
        actor=actor,
        model="compliance.ScreeningRun",
        record_ids=[run.public_id],
        detail={"report": "screening_run", "format": "csv", "hits": run.hits},
    )
    return WorkspaceDownload(
        content=csv_text(RUN_CSV_HEADER, run_csv_rows(run)),
        file_name=f"screening-run-{run.ran_at:%Y-%m-%d}-{str(run.public_id)[:8]}.csv",
        content_type="text/csv; charset=utf-8",
        extensions=(".csv",),
    )


# -- a hit ----------------------------------------------------------------------------------------
def _hit_page(
    request: HttpRequest, actor: Actor, public_id: Any, form: ResolveForm | None = None
) -> HttpResponse:
    hit = queries.hit_get(actor, public_id)
    resolvable = hit.status in (HitStatus.OPEN, HitStatus.UNABLE)
    manager = can_manage(actor)
    return render(
        request,
        "compliance/screening_hit.html",
        {
            "hit": hit,
            "entry": hit.entry,
            "subject": queries.subject_facts(hit),
            "can_manage": manager,
            "resolvable": resolvable,
            "form": form or (ResolveForm() if manager and resolvable else None),
        },
    )


@require_safe
@requires(C.COMPLIANCE_VIEW)
def screening_hit_view(request: HttpRequest, public_id: Any) -> HttpResponse:
    return _hit_page(request, actor_of(request), public_id)


@require_POST
@requires(C.COMPLIANCE_MANAGE)
def screening_hit_resolve_view(request: HttpRequest, public_id: Any) -> HttpResponse:
    actor = actor_of(request)
    _manager(actor)
    hit = queries.hit_get(actor, public_id)
    form = ResolveForm(request.POST)
    if not form.is_valid():
        return _hit_page(request, actor, public_id, form)
    try:
        resolved = resolve_hit(
            actor, hit, form.cleaned_data["outcome"], form.cleaned_data["reason"]
        )
    except HitAlreadyResolved as exc:
        # Two tabs: the other one resolved it first. Show what stands, change nothing.
        messages.error(request, f"Not changed: {exc}.")
        return redirect("compliance:screening_hit", public_id=hit.public_id)
    except ValueError as exc:
        form.add_error(None, str(exc))
        return _hit_page(request, actor, public_id, form)
    except CapabilityDenied as exc:
        raise Http404 from exc
    note = ""
    if resolved.status == HitStatus.FALSE_POSITIVE:
        note = " It will not be raised again for this person and this listing."
    elif resolved.status == HitStatus.UNABLE:
        note = " It will be raised again by the next run."
    messages.success(
        request, f"{resolved.subject_label}: resolved as {resolved.get_status_display()}.{note}"
    )
    return redirect(reverse("compliance:screening") + "#open-hits")
