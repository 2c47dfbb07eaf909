"""`{% writeoff_link claim denial %}`: the "Request write-off" link on a claim's or a denial's
page, shown only to someone who may request one on that practice (one line in each page)."""

from __future__ import annotations

from typing import Any

from django import template

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
    return {"claim": claim, "denial": denial, "allowed": allowed}
