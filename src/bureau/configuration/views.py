"""The settings page: one practice's (or the workspace's) keys, values, sources, an edit form
per key, and the change history. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from bureau.configuration import selectors, services
from bureau.configuration.registry import REGISTRY
from bureau.directory.models import Payer
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, chosen_practice, requires


def _practice(request: HttpRequest, actor: Actor, chosen: str | None) -> Practice | None:
    """The practice asked for ("all": the workspace, and a GET moves the bar to All practices),
    else the context."""
    return chosen_practice(request, actor, Capability.SETUP_VIEW, chosen=chosen or "")


def _payer(actor: Actor, public_id: str) -> Payer | None:
    if not public_id:
        return None
    payer = next(
        (p for p in selectors.setting_payers(actor=actor) if str(p.public_id) == public_id), None
    )
    if payer is None:
        raise Http404
    return payer


@requires(Capability.SETUP_VIEW)
def settings_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    chosen = (
        request.POST.get("practice") if request.method == "POST" else request.GET.get("practice")
    )
    practice = _practice(request, actor, chosen)
    errors: dict[str, str] = {}
    if request.method == "POST":
        key = request.POST.get("key", "")
        payer = _payer(actor, request.POST.get("payer", ""))
        try:
            if key not in REGISTRY:
                raise services.ConfigurationError("Choose a setting to change.")
            if request.POST.get("action") == "clear":
                changed = services.setting_clear(
                    actor=actor,
                    practice=practice,
                    key=key,
                    payer=payer,
                    reason=request.POST.get("reason", ""),
                )
            else:
                changed = services.setting_set(
                    actor=actor,
                    practice=practice,
                    key=key,
                    payer=payer,
                    value=request.POST.get("value", ""),
                    reason=request.POST.get("reason", ""),
                )
        except CapabilityDenied:
            errors["_"] = "You may not change settings here."
        except services.ConfigurationError as exc:
            # An error about a key the page lists goes beside it; any other at the top.
            errors[key if key in REGISTRY else "_"] = str(exc)
        else:
            messages.success(request, f"{key} saved." if changed else f"{key}: no change.")
            scope = practice.public_id if practice else "all"
            return redirect(f"{reverse('configuration:settings')}?practice={scope}")
    can_manage = (
        actor.can_workspace(Capability.SETUP_MANAGE)
        if practice is None
        else actor.can(Capability.SETUP_MANAGE, practice)
    )
    return render(
        request,
        "configuration/settings.html",
        {
            "practice": practice,
            "practices": actor.practices(Capability.SETUP_VIEW),
            "entries": [
                {
                    "row": row,
                    "error": errors.get(row.spec.key, ""),
                    "text": (
                        request.POST.get("value", row.form_text)
                        if row.spec.key in errors
                        else row.form_text
                    ),
                }
                for row in selectors.setting_table(actor=actor, practice=practice)
            ],
            "history": selectors.setting_history(actor=actor, practice=practice),
            "payers": selectors.setting_payers(actor=actor) if practice else [],
            "can_manage": can_manage,
            "errors": errors,
            "general_error": errors.get("_", ""),
        },
    )
