"""`{% writeoff_link claim denial %}`: on a claim's or a denial's page (one line in each), the
claim's write-off requests with their status, and the "Request write-off" link for someone who
may request one on that practice."""

from __future__ import annotations

from typing import Any

from django import template

from bureau.billing.selectors import writeoffs_of_claim
from bureau.tenancy.roles import Capability

register = template.Library()


@register.inclusion_tag("billing/_writeoff_link.html", takes_context=True)
def writeoff_link(context: dict[str, Any], claim: Any, denial: Any = None) -> dict[str, Any]:
    request = context.get("request")
    actor = getattr(request, "actor", None)
    allowed = (
        actor is not None
        and claim is not None
        and actor.can(Capability.WRITEOFFS_REQUEST, claim.practice_id)
    )
    requests = (
        writeoffs_of_claim(actor=actor, claim=claim)
        if actor is not None and claim is not None
        else []
    )
    return {"claim": claim, "denial": denial, "allowed": allowed, "requests": requests}
