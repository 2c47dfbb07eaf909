"""Reads of the incident log: what an actor may see, and who read what in a window (the audit
log's proposal of affected practices and records, for the officer to confirm)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.http import Http404

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.access import practices_seen, sees_whole_program
from bureau.compliance.models.incidents import Incident
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice, Workspace

# The records whose ids the proposal lists: the patients and claims touched. Other PHI reads
# (an ERA, a denial list) still put their practice on the list.
RECORD_MODELS = ("patients.Patient", "claims.Claim")
PHI_READS = tuple(a.value for a in AuditAction if a.is_phi_read)


def incidents_visible_to(actor: Actor) -> QuerySet[Incident]:
    """The incidents the actor may read (rule: `compliance.access`): the whole log with
    `compliance.view` on every practice; otherwise the incidents that affected a practice whose
    compliance records the actor reads (a client viewer: the incidents touching its practice)."""
    mine = Incident.objects.filter(workspace=actor.workspace)
    if sees_whole_program(actor):
        return mine
    return mine.filter(affected_practices__in=practices_seen(actor)).distinct()


def incident_readable(actor: Actor, incident: Incident) -> bool:
    return incidents_visible_to(actor).filter(pk=incident.pk).exists()


def incident_get(*, actor: Actor, public_id: Any) -> Incident:
    """The incident with this public id among those the actor may read; 404 otherwise."""
    try:
        wanted = public_id if isinstance(public_id, UUID) else UUID(str(public_id)[:80])
    except ValueError:
        raise Http404 from None
    incident = incidents_visible_to(actor).filter(public_id=wanted).first()
    if incident is None:
        raise Http404
    return incident


def evidence_visible_to(actor: Actor, incident: Incident) -> dict[str, Any]:
    """The confirmed evidence as the actor may see it: a client viewer gets its own practice's
    part only (another client's record ids are that client's business)."""
    evidence = dict(incident.affected_evidence or {})
    if sees_whole_program(actor) or not evidence:
        return evidence
    seen = {str(p.public_id) for p in Practice.objects.filter(pk__in=practices_seen(actor))}
    evidence["practices"] = {
        pid: part for pid, part in evidence.get("practices", {}).items() if pid in seen
    }
    return evidence


@dataclass
class ProposedPractice:
    practice: Practice
    events: int = 0
    # model label -> the record ids read, sorted
    records: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class AffectedProposal:
    start: datetime
    end: datetime
    user: User | None
    practices: list[ProposedPractice]

    def evidence(self, chosen: set[int]) -> dict[str, Any]:
        """The proposal, narrowed to the chosen practices, as stored with the incident."""
        return {
            "window": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "user": (
                {"public_id": str(self.user.public_id), "label": self.user.label}
                if self.user is not None
                else None
            ),
            "practices": {
                str(p.practice.public_id): {
                    "name": p.practice.name,
                    "events": p.events,
                    "records": p.records,
                }
                for p in self.practices
                if p.practice.pk in chosen
            },
        }


def proposed_affected(
    workspace: Workspace, start: datetime, end: datetime, user: User | None = None
) -> AffectedProposal:
    """The practices and the patient and claim records touched in [start, end) — by `user`
    when given — from the audit log: every event of the window that names a practice and is a
    PHI read or concerns a patient or a claim (a change shows the record too). A proposal
    for the officer to confirm, not a verdict: `incident_confirm_affected` keeps it."""
    if end <= start:
        raise ValueError("The window ends before it starts.")
    events = AuditEvent.objects.filter(
        workspace=workspace,
        occurred_at__gte=start,
        occurred_at__lt=end,
        practice__isnull=False,
    ).filter(Q(action__in=PHI_READS) | Q(model__in=RECORD_MODELS))
    if user is not None:
        events = events.filter(user=user)
    found: dict[int, ProposedPractice] = {}
    records: dict[int, dict[str, set[str]]] = {}
    practices = {p.pk: p for p in Practice.objects.filter(workspace=workspace)}
    for practice_id, model, record_ids in events.values_list(
        "practice_id", "model", "record_ids"
    ).iterator():
        entry = found.setdefault(practice_id, ProposedPractice(practice=practices[practice_id]))
        entry.events += 1
        if model in RECORD_MODELS and record_ids:
            records.setdefault(practice_id, {}).setdefault(model, set()).update(
                str(r) for r in record_ids
            )
    for practice_id, by_model in records.items():
        found[practice_id].records = {m: sorted(ids) for m, ids in sorted(by_model.items())}
    return AffectedProposal(
        start=start,
        end=end,
        user=user,
        practices=sorted(found.values(), key=lambda p: (p.practice.name.lower(), p.practice.pk)),
    )
