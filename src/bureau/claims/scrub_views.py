"""Scrub one claim from its page: POST only, then back to the claim."""

from __future__ import annotations

from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_POST

from bureau.claims import scrubbing
from bureau.claims.services import ClaimStateError
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, record_in_context, requires


def _claim_url(public_id: UUID) -> str:
    try:
        return reverse("claims:detail", kwargs={"public_id": public_id})
    except NoReverseMatch:
        return "/claims/"


@require_POST
@requires(Capability.CLAIMS_EDIT)
def claim_scrub_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    claim = scrubbing.claim_for_scrub(actor=actor, public_id=public_id)
    if claim is None:
        raise Http404
    record_in_context(request, claim.practice_id, noun="claim", back=_claim_url(public_id))
    try:
        outcome = scrubbing.claim_scrub(actor=actor, claim=claim)
    except (scrubbing.ScrubNotAllowed, ClaimStateError) as exc:
        messages.error(request, f"Not scrubbed: {exc}.")
    else:
        messages.success(
            request,
            f"Claim {claim.number} scrubbed: {outcome.errors} errors, {outcome.warnings} "
            f"warnings; now {outcome.state.label.lower()}.",
        )
    return redirect(_claim_url(public_id))
