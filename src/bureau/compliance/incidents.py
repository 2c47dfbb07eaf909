"""Writes of the incident log and the breach clock.

Every write needs `compliance.manage` on the workspace and writes its audit event in the same
transaction. The clock (`deadlines`) starts at discovery (164.404(a)(2): the first day the breach
is known, or by reasonable diligence would have been known): a business associate notifies the
covered entity without unreasonable delay and in no case later than 60 calendar days after
discovery (164.410(b)); a client's BAA may promise fewer days, and that shorter period binds.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.http import Http404
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.compliance.access import require_manage
from bureau.compliance.baa_queries import client_baa_in_force_on
from bureau.compliance.incident_queries import AffectedProposal
from bureau.compliance.models.baa import BusinessAssociateAgreement
from bureau.compliance.models.incidents import BreachDecision, Incident, RiskLevel
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice

MODEL = "compliance.Incident"
OUTER_LIMIT_DAYS = 60  # 164.410(b)(1)
NO_SUCH_PRACTICE = "No such practice."
NO_SUCH_USER = "No such user."
MOMENTS = ("discovered", "reported", "contained", "resolved")
FACTORS = ("phi_nature", "unauthorized_person", "acquired_or_viewed", "mitigation")
_ASSESSED = tuple(name for factor in FACTORS for name in (factor, f"{factor}_risk"))
# The key of `affected_evidence` naming the window (and person) the officer asked the audit
# log about, before (or after) confirming a proposal: the evidence's own "window" and "user"
# say what a confirmed list was drawn from.
ASKED = "asked"


class IncidentError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Timeline:
    """When the incident was discovered, reported (to the affected clients), contained and
    resolved, each with who."""

    discovered_at: datetime
    discovered_by: User | None = None
    reported_at: datetime | None = None
    reported_by: User | None = None
    contained_at: datetime | None = None
    contained_by: User | None = None
    resolved_at: datetime | None = None
    resolved_by: User | None = None


@dataclass(frozen=True)
class RiskAssessment:
    """The four factors of 164.402(2), each described and rated low / medium / high."""

    phi_nature: str = ""
    phi_nature_risk: str = ""
    unauthorized_person: str = ""
    unauthorized_person_risk: str = ""
    acquired_or_viewed: str = ""
    acquired_or_viewed_risk: str = ""
    mitigation: str = ""
    mitigation_risk: str = ""


@dataclass(frozen=True)
class IncidentData:
    title: str
    description: str
    timeline: Timeline
    systems_affected: str = ""
    assessment: RiskAssessment = field(default_factory=RiskAssessment)


def _aware(value: datetime) -> datetime:
    return value if timezone.is_aware(value) else timezone.make_aware(value)


def _check_timeline(actor: Actor, timeline: Timeline) -> dict[str, Any]:
    """The timeline's values, checked: every moment at or after discovery, containment before
    resolution, nothing in the future, each person one of the workspace's users."""
    now = timezone.now()
    values: dict[str, Any] = {}
    for moment in MOMENTS:
        at: datetime | None = getattr(timeline, f"{moment}_at")
        by: User | None = getattr(timeline, f"{moment}_by")
        if at is not None:
            at = _aware(at)
            if at > now:
                raise IncidentError(f"{moment}_at", f"The time {moment} is in the future.")
        if by is not None:
            if at is None:
                raise IncidentError(f"{moment}_by", f"Who {moment} it needs the time {moment}.")
            if by.workspace_id != actor.workspace.pk:
                raise IncidentError(f"{moment}_by", NO_SUCH_USER)
        values[f"{moment}_at"], values[f"{moment}_by"] = at, by
    discovered = values["discovered_at"]
    if discovered is None:
        raise IncidentError("discovered_at", "When was the incident discovered?")
    for moment in MOMENTS[1:]:
        at = values[f"{moment}_at"]
        if at is not None and at < discovered:
            raise IncidentError(f"{moment}_at", f"The time {moment} is before its discovery.")
    contained, resolved = values["contained_at"], values["resolved_at"]
    if contained is not None and resolved is not None and resolved < contained:
        raise IncidentError("resolved_at", "The incident was resolved before it was contained.")
    return values


def _check_assessment(assessment: RiskAssessment) -> dict[str, str]:
    values = {}
    for factor in FACTORS:
        text, level = getattr(assessment, factor).strip(), getattr(assessment, f"{factor}_risk")
        if level and level not in RiskLevel.values:
            raise IncidentError(f"{factor}_risk", "Rate the factor low, medium or high.")
        values[factor], values[f"{factor}_risk"] = text, level
    return values


def _check(actor: Actor, data: IncidentData) -> dict[str, Any]:
    if not data.title.strip():
        raise IncidentError("title", "Give the incident a title.")
    if not data.description.strip():
        raise IncidentError("description", "Describe what happened.")
    return {
        "title": data.title.strip()[:200],
        "description": data.description.strip(),
        "systems_affected": data.systems_affected.strip(),
        **_check_timeline(actor, data.timeline),
        **_check_assessment(data.assessment),
    }


def _mine(actor: Actor, incident: Incident) -> None:
    if incident.workspace_id != actor.workspace.pk:
        raise Http404


def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, User):
        return value.username
    return value


def _audit(actor: Actor, action: AuditAction, incident: Incident, detail: dict[str, Any]) -> None:
    # Workspace-wide event (an incident may touch many clients or none yet).
    audit_record(
        action=action, actor=actor, model=MODEL, record_ids=[incident.public_id], detail=detail
    )


@transaction.atomic
def incident_record(*, actor: Actor, data: IncidentData) -> Incident:
    require_manage(actor)
    values = _check(actor, data)
    incident = Incident.objects.create(workspace=actor.workspace, created_by=actor.user, **values)
    _audit(
        actor,
        AuditAction.INCIDENT_RECORDED,
        incident,
        {"discovered_at": _json(incident.discovered_at)},
    )
    return incident


@transaction.atomic
def incident_change(*, actor: Actor, incident: Incident, data: IncidentData) -> Incident:
    """New facts, timeline or assessment; the audit detail names what changed (the moments and
    ratings with their values, the texts by name)."""
    require_manage(actor)
    _mine(actor, incident)
    values = _check(actor, data)
    changed: dict[str, Any] = {}
    for name, value in values.items():
        old = getattr(incident, name)
        if old != value:
            short = name.endswith(("_at", "_by", "_risk"))
            changed[name] = [_json(old), _json(value)] if short else "changed"
            setattr(incident, name, value)
    if not changed:
        return incident
    incident.updated_at = timezone.now()
    incident.save()
    _audit(actor, AuditAction.INCIDENT_CHANGED, incident, {"changed": changed})
    return incident


@transaction.atomic
def incident_decide(*, actor: Actor, incident: Incident, decision: str, reasoning: str) -> Incident:
    """Breach or not, with the reasoning. "Not a breach" rebuts the presumption of 164.402(2),
    so it needs the four factors assessed and rated first."""
    require_manage(actor)
    _mine(actor, incident)
    if decision not in BreachDecision.values:
        raise IncidentError("decision", "Decide: undetermined, not a breach, or breach.")
    reasoning = reasoning.strip()
    if decision != BreachDecision.UNDETERMINED and not reasoning:
        raise IncidentError("decision_reasoning", "Give the reasoning for the decision.")
    if decision == BreachDecision.NOT_BREACH:
        for factor in FACTORS:
            if not getattr(incident, factor) or not getattr(incident, f"{factor}_risk"):
                raise IncidentError(
                    factor,
                    "Assess and rate all four factors before deciding it is not a breach.",
                )
    old = incident.decision
    incident.decision = decision
    incident.decision_reasoning = reasoning
    incident.decided_at = timezone.now() if decision != BreachDecision.UNDETERMINED else None
    incident.decided_by = actor.user if decision != BreachDecision.UNDETERMINED else None
    incident.updated_at = timezone.now()
    incident.save()
    _audit(actor, AuditAction.INCIDENT_CHANGED, incident, {"decision": [old, decision]})
    return incident


def _set_practices(actor: Actor, incident: Incident, practices: list[Practice]) -> dict[str, Any]:
    for practice in practices:
        if practice.workspace_id != actor.workspace.pk:
            raise IncidentError("affected_practices", NO_SUCH_PRACTICE)
    before = {str(p) for p in incident.affected_practices.values_list("public_id", flat=True)}
    after = {str(p.public_id) for p in practices}
    incident.affected_practices.set(practices)
    return {"added": sorted(after - before), "removed": sorted(before - after)}


@transaction.atomic
def incident_set_affected(
    *, actor: Actor, incident: Incident, practices: list[Practice]
) -> Incident:
    """The affected practices as the officer lists them by hand."""
    require_manage(actor)
    _mine(actor, incident)
    change = _set_practices(actor, incident, practices)
    incident.updated_at = timezone.now()
    incident.save(update_fields=["updated_at"])
    _audit(actor, AuditAction.INCIDENT_CHANGED, incident, {"affected_practices": change})
    return incident


@transaction.atomic
def incident_confirm_affected(
    *,
    actor: Actor,
    incident: Incident,
    proposal: AffectedProposal,
    practice_ids: set[int] | None = None,
) -> Incident:
    """Keep the audit log's proposal (all its practices, or those the officer ticked): the
    affected practices become those, and the proposal is stored as the evidence of how."""
    require_manage(actor)
    _mine(actor, incident)
    offered = {p.practice.pk: p.practice for p in proposal.practices}
    chosen = set(offered) if practice_ids is None else set(practice_ids)
    if not chosen <= set(offered):
        raise IncidentError("affected_practices", "Confirm practices from the proposal only.")
    change = _set_practices(actor, incident, [offered[pk] for pk in sorted(chosen)])
    evidence = proposal.evidence(chosen)
    evidence["confirmed_by"] = actor.user.label
    evidence["confirmed_at"] = timezone.now().isoformat()
    if ASKED in (incident.affected_evidence or {}):
        evidence[ASKED] = incident.affected_evidence[ASKED]  # what the officer asked stays
    incident.affected_evidence = evidence
    incident.updated_at = timezone.now()
    incident.save(update_fields=["affected_evidence", "updated_at"])
    records = sum(
        len(ids) for part in evidence["practices"].values() for ids in part["records"].values()
    )
    _audit(
        actor,
        AuditAction.INCIDENT_CHANGED,
        incident,
        {"affected_practices": change, "confirmed_from_audit_log": True, "records": records},
    )
    return incident


def incident_data(incident: Incident) -> IncidentData:
    """The incident's facts, timeline and assessment as they stand: what a form changing one
    part of it starts from (`dataclasses.replace` the part, then `incident_change`)."""
    moments = {}
    for moment in MOMENTS:
        moments[f"{moment}_at"] = getattr(incident, f"{moment}_at")
        moments[f"{moment}_by"] = getattr(incident, f"{moment}_by")
    return IncidentData(
        title=incident.title,
        description=incident.description,
        systems_affected=incident.systems_affected,
        timeline=Timeline(**moments),
        assessment=RiskAssessment(**{name: getattr(incident, name) for name in _ASSESSED}),
    )


@transaction.atomic
def incident_set_window(
    *, actor: Actor, incident: Incident, start: datetime, end: datetime, user: User | None
) -> Incident:
    """The time window (and the person, if one) the incident concerns: what the audit log's
    proposal of affected practices is drawn from. Kept beside a confirmed list, not over it:
    the confirmed evidence stays until the officer confirms again."""
    require_manage(actor)
    _mine(actor, incident)
    start, end = _aware(start), _aware(end)
    if end <= start:
        raise IncidentError("window_end", "The window ends before it starts.")
    if start > timezone.now():
        raise IncidentError("window_start", "The window starts in the future.")
    if user is not None and user.workspace_id != actor.workspace.pk:
        raise IncidentError("concerns_user", NO_SUCH_USER)
    asked = {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "user": str(user.public_id) if user is not None else None,
    }
    evidence = dict(incident.affected_evidence or {})
    old = evidence.get(ASKED)
    if old == asked:
        return incident
    evidence[ASKED] = asked
    incident.affected_evidence = evidence
    incident.updated_at = timezone.now()
    incident.save(update_fields=["affected_evidence", "updated_at"])
    detail = {"window": [asked["start"], asked["end"]], "user": user.username if user else None}
    _audit(actor, AuditAction.INCIDENT_CHANGED, incident, {"asked": detail})
    return incident


# -- the breach clock --------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    """One notification deadline: `days` after discovery, due on `due_on`."""

    days: int
    due_on: date
    days_left: int  # negative: overdue by that many days
    met_on: date | None  # the day the incident was reported, if it was
    practice: Practice | None = None  # None: the 60-day outer limit
    baa: BusinessAssociateAgreement | None = None

    @property
    def overdue(self) -> bool:
        return self.met_on is None and self.days_left < 0

    @property
    def met_late(self) -> bool:
        return self.met_on is not None and self.met_on > self.due_on


@dataclass(frozen=True)
class BreachClock:
    discovered_on: date
    outer: Deadline
    # One per affected practice whose client BAA in force at discovery names a notice period.
    contracts: list[Deadline]
    # Affected practices with no client BAA in force at discovery (itself a finding).
    without_baa: list[Practice]
    # Decided not a breach: no notification owed, the clock is shown stopped.
    stopped: bool

    @property
    def next_due(self) -> Deadline:
        return min([self.outer, *self.contracts], key=lambda d: (d.due_on, d.days))


def _deadline(start: date, days: int, today: date, met_on: date | None, **party: Any) -> Deadline:
    due = start + timedelta(days=days)
    return Deadline(days=days, due_on=due, days_left=(due - today).days, met_on=met_on, **party)


def deadlines(incident: Incident, today: date) -> BreachClock:
    """The breach clock of the incident on `today`: the 60 calendar days of 164.410(b) from the
    discovery day, and for each affected practice the notice period of its client BAA in force
    on the discovery day (the shortest, if several). Reporting the incident meets them."""
    discovered_on = timezone.localdate(incident.discovered_at)
    met_on = timezone.localdate(incident.reported_at) if incident.reported_at else None
    outer = _deadline(discovered_on, OUTER_LIMIT_DAYS, today, met_on)
    contracts, without = [], []
    for practice in incident.affected_practices.order_by("name", "pk"):
        baas = client_baa_in_force_on(practice.pk, discovered_on)
        if not baas:
            without.append(practice)
            continue
        periods = [b for b in baas if b.breach_notice_days is not None]
        if periods:
            baa = min(periods, key=lambda b: b.breach_notice_days or 0)
            contracts.append(
                _deadline(
                    discovered_on,
                    baa.breach_notice_days or 0,
                    today,
                    met_on,
                    practice=practice,
                    baa=baa,
                )
            )
    return BreachClock(
        discovered_on=discovered_on,
        outer=outer,
        contracts=contracts,
        without_baa=without,
        stopped=incident.decision == BreachDecision.NOT_BREACH,
    )


def open_clocks(incidents: Iterable[Incident], today: date) -> list[tuple[Incident, BreachClock]]:
    """For the dashboard: each open incident (not resolved) whose clock still runs (not decided
    "not a breach", not yet reported), with its clock, the most urgent deadline first. Pass the
    actor's `incidents_visible_to(actor)` so a client sees its own incidents' clocks only."""
    running = []
    for incident in incidents:
        if not incident.is_open or incident.reported_at is not None:
            continue
        clock = deadlines(incident, today)
        if not clock.stopped:
            running.append((incident, clock))
    return sorted(running, key=lambda pair: (pair[1].next_due.due_on, pair[0].pk))
