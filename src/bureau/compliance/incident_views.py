"""The incident log's pages: the log with its breach clocks, recording an incident, and one
incident's page (timeline, the four-factor assessment and decision, the clock, the affected
practices and the audit log's proposal of them).

Reading: the whole program's readers see every incident; a practice's reader (its client
viewer) sees the incidents that affected its practice, read-only, with its own practice only
and no proposal; any other incident is a 404 like a missing one (`incident_get`). Writing:
`compliance.manage` on the workspace (the services refuse anyone else; the pages 404 first).
Every write is audited by its service; the proposal's patient list is audited as it is read
(`incident_log.proposal_shown`).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bureau.accounts.selectors import user_list
from bureau.compliance import incident_log
from bureau.compliance.access import can_manage, sees_whole_program
from bureau.compliance.incident_forms import (
    FACTOR_LABELS,
    MOMENT_LABELS,
    AssessmentForm,
    DecisionForm,
    FactsForm,
    IncidentForm,
    MomentForm,
    PracticesForm,
    WindowForm,
    at_utc,
)
from bureau.compliance.incident_queries import (
    evidence_visible_to,
    incident_get,
    proposed_affected,
)
from bureau.compliance.incidents import (
    FACTORS,
    MOMENTS,
    IncidentData,
    IncidentError,
    RiskAssessment,
    Timeline,
    incident_change,
    incident_confirm_affected,
    incident_data,
    incident_decide,
    incident_record,
    incident_set_affected,
    incident_set_window,
)
from bureau.compliance.models.incidents import Incident
from bureau.compliance.page_access import require_form_methods, requires_program_reader
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, chosen_value, page_number, requires


def _today() -> date:
    return timezone.localdate()


def _manager(request: HttpRequest) -> Actor:
    """The actor, if it may change the program (compliance.manage on the whole workspace);
    a 404 otherwise, as for a page that does not exist."""
    actor = actor_of(request)
    if not can_manage(actor):
        raise Http404
    return actor


# -- the log ----------------------------------------------------------------------------------
@require_safe
@requires_program_reader
def incident_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    status = chosen_value(request, "status", incident_log.STATUSES)
    rows = incident_log.incident_log(actor, _today(), status)
    return render(
        request,
        "compliance/incident_list.html",
        {
            "rows": rows,
            "status": status,
            "can_manage": can_manage(actor),
            "whole": sees_whole_program(actor),
            "soon_days": incident_log.SOON_DAYS,
        },
    )


# -- recording --------------------------------------------------------------------------------
@require_form_methods
@requires(Capability.COMPLIANCE_MANAGE)
def incident_new_view(request: HttpRequest) -> HttpResponse:
    actor = _manager(request)
    users = list(user_list(actor=actor))
    form = IncidentForm(users, request.POST or None)
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        data = IncidentData(
            title=cleaned["title"],
            description=cleaned["description"],
            systems_affected=cleaned["systems_affected"],
            timeline=Timeline(
                discovered_at=at_utc(cleaned["discovered_on"], cleaned["discovered_time"]),  # type: ignore[arg-type]
                discovered_by=form.person("discovered_by"),
                reported_at=at_utc(cleaned.get("reported_on"), cleaned.get("reported_time")),
                reported_by=form.person("reported_by"),
            ),
        )
        try:
            incident = incident_record(actor=actor, data=data)
            window = form.window()
            if window is not None:
                incident_set_window(
                    actor=actor,
                    incident=incident,
                    start=window[0],
                    end=window[1],
                    user=form.person("concerns_user"),
                )
        except IncidentError as exc:
            # ATOMIC_REQUESTS: a refused window undoes the incident recorded with it.
            _rollback()
            form.refused(exc)
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            messages.success(request, f"Incident “{incident.title}” recorded: its clock runs.")
            return redirect("compliance:incident_detail", public_id=incident.public_id)
    return render(request, "compliance/incident_new.html", {"form": form})


def _rollback() -> None:
    transaction.set_rollback(True)


# -- one incident ---------------------------------------------------------------------------
def _timeline(incident: Incident) -> list[dict[str, Any]]:
    return [
        {
            "moment": m,
            "label": MOMENT_LABELS[m],
            "at": getattr(incident, f"{m}_at"),
            "by": getattr(incident, f"{m}_by"),
        }
        for m in MOMENTS
    ]


def _assessment(incident: Incident) -> list[dict[str, str]]:
    return [
        {
            "label": FACTOR_LABELS[f],
            "text": getattr(incident, f),
            "risk": getattr(incident, f"{f}_risk"),
        }
        for f in FACTORS
    ]


def _forms(actor: Actor, incident: Incident, bound: dict[str, Any]) -> dict[str, Any]:
    """The officer's forms, unbound (filled from the incident) unless one came back refused."""
    users = list(user_list(actor=actor))
    next_moment = next((m for m in MOMENTS[1:] if getattr(incident, f"{m}_at") is None), "resolved")
    forms: dict[str, Any] = {
        "moment_form": MomentForm(
            users, initial={"moment": next_moment, "by": str(actor.user.public_id)}
        ),
        "facts_form": FactsForm(
            initial={
                "title": incident.title,
                "description": incident.description,
                "systems_affected": incident.systems_affected,
            }
        ),
        "assess_form": AssessmentForm(
            initial={n: getattr(incident, n) for f in FACTORS for n in (f, f"{f}_risk")}
        ),
        "decision_form": DecisionForm(
            initial={"decision": incident.decision, "reasoning": incident.decision_reasoning}
        ),
        "window_form": WindowForm(users),
        "affected_form": PracticesForm(
            actor.practices(),
            initial={"practices": [str(p.public_id) for p in incident.affected_practices.all()]},
        ),
    }
    asked = incident_log.asked_window(incident)
    if asked is not None:
        forms["window_form"] = WindowForm(
            users,
            initial={
                "concerns_user": str(asked.user.public_id) if asked.user else "",
                "window_start_on": asked.start.astimezone(UTC).date(),
                "window_start_time": asked.start.astimezone(UTC).time(),
                "window_end_on": asked.end.astimezone(UTC).date(),
                "window_end_time": asked.end.astimezone(UTC).time(),
            },
        )
    forms.update(bound)
    return forms


def _detail(request: HttpRequest, actor: Actor, incident: Incident, **bound: Any) -> HttpResponse:
    manager = can_manage(actor)
    whole = sees_whole_program(actor)
    proposal = incident_log.proposal_shown(actor, incident, page_number(request))
    evidence = evidence_visible_to(actor, incident)
    context: dict[str, Any] = {
        "incident": incident,
        "timeline": _timeline(incident),
        "assessment": _assessment(incident),
        "decision": incident_log.decision_word(incident),
        "clock": incident_log.clock_shown(actor, incident, _today()),
        "practices": incident_log.affected_shown(actor, incident),
        "evidence": evidence,
        "evidence_rows": incident_log.evidence_rows(evidence),
        "proposal": proposal,
        "can_manage": manager,
        "whole": whole,
        "soon_days": incident_log.SOON_DAYS,
    }
    if proposal is not None and manager:
        context["confirm_form"] = bound.pop(
            "confirm_form",
            PracticesForm(
                [r.practice for r in proposal.rows],
                initial={"practices": [str(r.practice.public_id) for r in proposal.rows]},
            ),
        )
    if manager:
        context.update(_forms(actor, incident, bound))
    return render(request, "compliance/incident_detail.html", context)


@require_safe
@requires_program_reader
def incident_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    return _detail(request, actor, incident_get(actor=actor, public_id=public_id))


def _writable(request: HttpRequest, public_id: UUID) -> tuple[Actor, Incident]:
    actor = _manager(request)
    return actor, incident_get(actor=actor, public_id=public_id)


def _done(request: HttpRequest, incident: Incident, said: str) -> HttpResponse:
    messages.success(request, said)
    return redirect(reverse("compliance:incident_detail", kwargs={"public_id": incident.public_id}))


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def incident_moment_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, incident = _writable(request, public_id)
    form = MomentForm(list(user_list(actor=actor)), request.POST)
    if form.is_valid():
        moment = form.cleaned_data["moment"]
        data = incident_data(incident)
        step: dict[str, Any] = {
            f"{moment}_at": at_utc(form.cleaned_data["on"], form.cleaned_data["at"]),
            f"{moment}_by": form.person("by"),
        }
        timeline = dataclasses.replace(data.timeline, **step)
        try:
            incident_change(
                actor=actor, incident=incident, data=dataclasses.replace(data, timeline=timeline)
            )
        except IncidentError as exc:
            form.refused(exc)
        else:
            return _done(request, incident, f"{MOMENT_LABELS[moment]}: recorded.")
    return _detail(request, actor, incident, moment_form=form)


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def incident_facts_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, incident = _writable(request, public_id)
    form = FactsForm(request.POST)
    if form.is_valid():
        data = dataclasses.replace(incident_data(incident), **form.cleaned_data)
        try:
            incident_change(actor=actor, incident=incident, data=data)
        except IncidentError as exc:
            form.refused(exc)
        else:
            return _done(request, incident, "The incident's facts are saved.")
    return _detail(request, actor, incident, facts_form=form)


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def incident_assess_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, incident = _writable(request, public_id)
    form = AssessmentForm(request.POST)
    if form.is_valid():
        assessment = RiskAssessment(**{k: form.cleaned_data[k] for k in form.fields})
        data = dataclasses.replace(incident_data(incident), assessment=assessment)
        try:
            incident_change(actor=actor, incident=incident, data=data)
        except IncidentError as exc:
            form.refused(exc)
        else:
            return _done(request, incident, "The risk assessment is saved.")
    return _detail(request, actor, incident, assess_form=form)


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def incident_decide_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, incident = _writable(request, public_id)
    form = DecisionForm(request.POST)
    if form.is_valid():
        try:
            incident_decide(
                actor=actor,
                incident=incident,
                decision=form.cleaned_data["decision"],
                reasoning=form.cleaned_data["reasoning"],
            )
        except IncidentError as exc:
            form.refused(exc)
        else:
            return _done(
                request, incident, f"Decision recorded: {incident_log.decision_word(incident)}."
            )
    return _detail(request, actor, incident, decision_form=form)


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def incident_window_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, incident = _writable(request, public_id)
    form = WindowForm(list(user_list(actor=actor)), request.POST)
    if form.is_valid():
        start, end = form.window()
        try:
            incident_set_window(
                actor=actor,
                incident=incident,
                start=start,
                end=end,
                user=form.person("concerns_user"),
            )
        except IncidentError as exc:
            form.refused(exc)
        else:
            return _done(request, incident, "Window saved: the audit log's proposal is below.")
    return _detail(request, actor, incident, window_form=form)


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def incident_affected_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, incident = _writable(request, public_id)
    form = PracticesForm(actor.practices(), request.POST)
    if form.is_valid():
        try:
            incident_set_affected(actor=actor, incident=incident, practices=form.chosen())
        except IncidentError as exc:
            form.refused(exc)
        else:
            return _done(request, incident, "Affected practices saved.")
    return _detail(request, actor, incident, affected_form=form)


@require_POST
@requires(Capability.COMPLIANCE_MANAGE)
def incident_confirm_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor, incident = _writable(request, public_id)
    asked = incident_log.asked_window(incident)
    if asked is None:
        messages.error(request, "Give the incident a window first: there is no proposal yet.")
        return redirect("compliance:incident_detail", public_id=incident.public_id)
    proposal = proposed_affected(actor.workspace, asked.start, asked.end, asked.user)
    form = PracticesForm([p.practice for p in proposal.practices], request.POST)
    if form.is_valid():
        chosen = {p.pk for p in form.chosen()}
        if not chosen:
            form.add_error("practices", "Tick the practices to keep (or list them by hand).")
        else:
            try:
                incident_confirm_affected(
                    actor=actor, incident=incident, proposal=proposal, practice_ids=chosen
                )
            except IncidentError as exc:
                form.refused(exc)
            else:
                return _done(request, incident, "Affected practices confirmed from the audit log.")
    return _detail(request, actor, incident, confirm_form=form)
