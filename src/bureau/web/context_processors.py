"""What every page's shell needs: the actor, the practice context and the switcher's list."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from bureau.compliance.access import practices_seen, sees_whole_program
from bureau.tenancy.context import OPENED_UNDER, context_value
from bureau.tenancy.roles import Capability
from bureau.web.links import shell_urls
from bureau.workqueues.functions import CAPABILITY as WORK_CAPABILITY


def shell(request: HttpRequest) -> dict[str, Any]:
    actor = getattr(request, "actor", None)
    if actor is None:
        return {"idle_minutes": settings.BUREAU_IDLE_MINUTES, "shell_urls": shell_urls()}
    context = getattr(request, "practice_context", None)
    works_queue = any(actor.can(c) for c in set(WORK_CAPABILITY.values()))
    return {
        "actor": actor,
        "practice_context": context,
        # What a form's `web/_opened_under.html` carries: the bar as this page shows it.
        "opened_under": {"name": OPENED_UNDER, "value": context_value(context)},
        "switch_practices": actor.practices(),
        "nav": {
            "queue": works_queue,
            "patients": actor.can(Capability.PATIENTS_VIEW),
            "claims": actor.can(Capability.CLAIMS_VIEW),
            "eras": actor.can(Capability.PAYMENTS_VIEW),
            "denials": actor.can(Capability.DENIALS_VIEW),
            # The client's way in; staff reach it from the queue (the bar stays short).
            "questions": actor.can(Capability.QUESTIONS_VIEW) and not works_queue,
            # Staff reach the reports from Home (the bar stays short); clients from the bar.
            "reports": actor.can(Capability.REPORTS_VIEW) and not works_queue,
            "audit": actor.can(Capability.AUDIT_VIEW),
            "users": actor.can(Capability.USERS_MANAGE),
            "settings": actor.can(Capability.SETUP_VIEW),
            "setup": actor.can(Capability.SETUP_VIEW),
            # compliance: the whole program's dashboard, or a practice's own records (client).
            "compliance": sees_whole_program(actor),
            "compliance_practice": not sees_whole_program(actor) and bool(practices_seen(actor)),
            # Offboardings: the owner starts them, a compliance officer approves the purge.
            "offboardings": actor.can(Capability.SETUP_OFFBOARD)
            or actor.can(Capability.COMPLIANCE_MANAGE),
        },
        "idle_minutes": settings.BUREAU_IDLE_MINUTES,
        # The bar's links, resolved once per process, not a {% url %} each on every page.
        "shell_urls": shell_urls(),
    }
