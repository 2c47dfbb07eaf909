"""Batch pages: the list of 837P files, building them, downloading one (audited)."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.claims import batches
from bureau.claims.selectors import unmatched_acknowledgement_list
from bureau.claims.x12_mapping import MappingError
from bureau.tenancy.context import ALL
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    FileDownload,
    actor_of,
    chosen_practice,
    file_practice_ids,
    requires,
    serves_file,
)

# An 837P names each patient and subscriber with birth date, address and member id.
BATCH_FILE_CARRIES = frozenset({Capability.CLAIMS_VIEW, Capability.PATIENTS_DEMOGRAPHICS})


@requires(Capability.CLAIMS_VIEW)
def batch_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    practice = chosen_practice(request, actor, Capability.CLAIMS_VIEW)
    return render(
        request,
        "claims/batch_list.html",
        {
            "batches": batches.batch_list(actor=actor, practice=practice),
            "practice": practice,
            "practices": actor.practices(Capability.CLAIMS_VIEW),
            "can_build": actor.can(Capability.CLAIMS_SUBMIT),
            "downloadable": file_practice_ids(actor, BATCH_FILE_CARRIES),
            "unmatched_acks": unmatched_acknowledgement_list(
                actor=actor, practice_id=practice.pk if practice else None
            ),
        },
    )


@require_POST
@requires(Capability.CLAIMS_SUBMIT)
def batch_build_view(request: HttpRequest) -> HttpResponse:
    """Build the batches of the practice the list showed (its form names it, `all` for every
    practice), never of whatever the bar says by the time the button is pressed."""
    actor = actor_of(request)
    practice = chosen_practice(
        request,
        actor,
        Capability.CLAIMS_SUBMIT,
        chosen=request.POST.get("practice", "").strip() or ALL,
        use_context=False,
    )
    back = f"{reverse('batches:list')}?practice={practice.public_id if practice else ALL}"
    try:
        built = batches.batch_build(
            actor=actor, practice_ids=[practice.pk] if practice is not None else None
        )
    except (MappingError, OSError) as exc:
        messages.error(request, f"Batch build failed: {exc}")
        return redirect(back)
    for refused in built.refused:
        messages.error(request, str(refused))
    for skipped in built.skipped:
        messages.error(request, f"Not batched, {skipped}: correct it and scrub again.")
    if built:
        claims = sum(b.claim_count for b in built)
        messages.success(request, f"Built {len(built)} batch file(s) with {claims} claim(s).")
    elif not built.refused and not built.skipped:
        messages.info(request, "No ready claims to submit.")
    return redirect(back)


@requires(Capability.CLAIMS_VIEW)
@serves_file(carries=BATCH_FILE_CARRIES)
def batch_download_view(request: HttpRequest, public_id: UUID) -> FileDownload:
    # An 837P names each patient and subscriber with birth date, address and member id.
    batch = batches.batch_for_download(actor=actor_of(request), public_id=public_id)
    return FileDownload(
        content=batch.content,
        file_name=batch.file_name,
        practice_id=batch.practice_id,
        content_type="application/edi-x12",
        extensions=(".x12", ".837"),
    )
