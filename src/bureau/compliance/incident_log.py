"""What the incident pages read: the log with each incident's breach clock as the actor may see
it, the window the officer asked the audit log about, and the audit log's proposal of affected
practices and patients (a PHI read: audited here, in the request's transaction).

The clock's arithmetic is `incidents.deadlines`; this module only says how each deadline reads
(red when passed or met late, amber within `SOON_DAYS`) and narrows it to the actor: a client
viewer sees the 60-day limit and its own practice's contract period, never another client's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db.models import QuerySet

from bureau.accounts.models import User
from bureau.audit.listing import Page, audited_page
from bureau.audit.models import AuditAction
from bureau.compliance.access import practices_seen, sees_whole_program
from bureau.compliance.incident_queries import (
    AffectedProposal,
    incidents_visible_to,
    proposed_affected,
)
from bureau.compliance.incidents import ASKED, BreachClock, Deadline, deadlines
from bureau.compliance.models.incidents import BreachDecision, Incident
from bureau.patients.models import Patient
from bureau.patients.presentation import present_patient
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

SOON_DAYS = 10  # a deadline this close (or closer) shows amber
PROPOSAL_PAGE_SIZE = 50  # patients of the proposal shown per page
PATIENT_MODEL = "patients.Patient"
CLAIM_MODEL = "claims.Claim"
STATUSES = ("open", "closed")


# -- the clock as read ------------------------------------------------------------------------
@dataclass(frozen=True)
class DeadlineShown:
    """One deadline as the page reads it: who is owed notice, by when, and its state in words
    and colour (`tone`: "bad" red, "warn" amber, "ok" green, "" plain)."""

    owed: str  # `OUTER` or the practice's name
    days: int
    due_on: date
    state: str  # words: "12 days left", "overdue by 3 days", "met on 2026-05-20", ...
    tone: str
    days_left: int | None  # None once met or when no notice is owed
    practice: Practice | None = None


def _shown(deadline: Deadline, owed: str, stopped: bool) -> DeadlineShown:
    if deadline.met_on is not None:
        late = (deadline.met_on - deadline.due_on).days
        if late > 0:
            state, tone = f"met {late} day{'s' if late != 1 else ''} late", "bad"
        else:
            state, tone = f"met on {deadline.met_on.isoformat()}", "ok"
        left: int | None = None
    elif stopped:
        state, tone, left = "no notice owed (not a breach)", "", None
    elif deadline.days_left < 0:
        over = -deadline.days_left
        state, tone, left = f"overdue by {over} day{'s' if over != 1 else ''}", "bad", None
    else:
        left = deadline.days_left
        state = "due today" if left == 0 else f"{left} day{'s' if left != 1 else ''} left"
        tone = "warn" if left <= SOON_DAYS else ""
    return DeadlineShown(
        owed=owed,
        days=deadline.days,
        due_on=deadline.due_on,
        state=state,
        tone=tone,
        days_left=left,
        practice=deadline.practice,
    )


@dataclass(frozen=True)
class ClockShown:
    discovered_on: date
    outer: DeadlineShown
    contracts: list[DeadlineShown]
    without_baa: list[Practice]  # affected practices (the actor's) with no client BAA then
    stopped: bool

    @property
    def all(self) -> list[DeadlineShown]:
        return [self.outer, *self.contracts]

    @property
    def next(self) -> DeadlineShown:
        """The deadline to act on first: the nearest one still running, else the 60 days."""
        running = [d for d in self.all if d.days_left is not None]
        return min(running, key=lambda d: (d.due_on, d.days)) if running else self.outer

    @property
    def tone(self) -> str:
        tones = {d.tone for d in self.all}
        return "bad" if "bad" in tones else "warn" if "warn" in tones else ""


# A business associate's notice goes to the covered entity (the client practice), which owes
# HHS and the individuals theirs: 164.410(b) sets the BA's outer limit at 60 calendar days.
OUTER = "Every affected client: the 60-day limit (164.410(b))"


def clock_shown(actor: Actor, incident: Incident, today: date) -> ClockShown:
    """The incident's clock on `today`, narrowed to the practices the actor may see."""
    clock: BreachClock = deadlines(incident, today)
    whole = sees_whole_program(actor)
    seen = practices_seen(actor)
    mine = [d for d in clock.contracts if whole or (d.practice and d.practice.pk in seen)]
    return ClockShown(
        discovered_on=clock.discovered_on,
        outer=_shown(clock.outer, OUTER, clock.stopped),
        contracts=[_shown(d, d.practice.name if d.practice else "", clock.stopped) for d in mine],
        without_baa=[p for p in clock.without_baa if whole or p.pk in seen],
        stopped=clock.stopped,
    )


def affected_shown(actor: Actor, incident: Incident) -> list[Practice]:
    """The affected practices the actor may learn about: all of them for the whole program's
    readers, a client's own otherwise (another client's name is that client's business)."""
    practices = list(incident.affected_practices.order_by("name", "pk"))
    if sees_whole_program(actor):
        return practices
    seen = practices_seen(actor)
    return [p for p in practices if p.pk in seen]


# -- the log ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class LogRow:
    incident: Incident
    clock: ClockShown
    practices: list[Practice]

    @property
    def status(self) -> str:
        i = self.incident
        if i.resolved_at is not None:
            return "resolved"
        if i.contained_at is not None:
            return "contained"
        return "open"


def decision_word(incident: Incident) -> str:
    return {
        BreachDecision.BREACH: "breach",
        BreachDecision.NOT_BREACH: "not a breach",
    }.get(BreachDecision(incident.decision), "undecided")


def incident_log(actor: Actor, today: date, status: str = "") -> list[LogRow]:
    """The incidents the actor may read (`status` "open" or "closed" narrows), open ones first
    by their nearest running deadline, then the rest newest first."""
    qs: QuerySet[Incident] = incidents_visible_to(actor).select_related(
        "discovered_by", "reported_by", "contained_by", "resolved_by", "decided_by"
    )
    if status == "open":
        qs = qs.filter(resolved_at__isnull=True)
    elif status == "closed":
        qs = qs.filter(resolved_at__isnull=False)
    rows = [
        LogRow(incident, clock_shown(actor, incident, today), affected_shown(actor, incident))
        for incident in qs.prefetch_related("affected_practices").order_by("-discovered_at", "-pk")
    ]

    def order(row: LogRow) -> tuple[Any, ...]:
        nxt = row.clock.next
        running = row.incident.is_open and nxt.days_left is not None
        return (
            not row.incident.is_open,
            not running,
            nxt.due_on.toordinal() if running else 0,
            -row.incident.discovered_at.timestamp(),
        )

    return sorted(rows, key=order)


# -- the window asked and the proposal ----------------------------------------------------------
@dataclass(frozen=True)
class Asked:
    start: datetime
    end: datetime
    user: User | None


def asked_window(incident: Incident) -> Asked | None:
    """The window (and person) the officer tied the incident to, if any."""
    asked = (incident.affected_evidence or {}).get(ASKED)
    if not asked:
        return None
    user = None
    if asked.get("user"):
        user = User.objects.filter(
            workspace_id=incident.workspace_id, public_id=asked["user"]
        ).first()
    return Asked(
        start=datetime.fromisoformat(asked["start"]),
        end=datetime.fromisoformat(asked["end"]),
        user=user,
    )


@dataclass
class ProposedRow:
    practice: Practice
    events: int
    patients: int
    claims: int
    confirmed: bool  # already among the incident's affected practices
    names_shown: bool  # the actor holds patients.view here: its patients are listed


@dataclass
class ProposalShown:
    asked: Asked
    proposal: AffectedProposal
    rows: list[ProposedRow]
    patients: Page[Any] | None  # the patients the actor may see, one page, audited
    hidden_patients: int  # patients of practices where the actor holds no patients.view
    confirmed_at: str = ""
    confirmed_by: str = ""


def _uuids(values: list[str]) -> list[UUID]:
    found = []
    for value in values:
        try:
            found.append(UUID(value))
        except ValueError:
            continue  # an id of another shape is no patient this page can name
    return found


def proposal_shown(actor: Actor, incident: Incident, page: int) -> ProposalShown | None:
    """The audit log's proposal for the incident's window, for the program's readers (never a
    client viewer: it names other clients' practices and people).

    The patients are named only where the actor holds `patients.view` (through the patients'
    own scope: practice and provider, masked without demographics), one page at a time, and
    that page is audited as a patient list read with the incident named; elsewhere the page
    shows counts only. A compliance officer without `patients.view` sees how many records of
    which practice were touched, enough to decide and notify, and no one's identity."""
    if not sees_whole_program(actor):
        return None
    asked = asked_window(incident)
    if asked is None:
        return None
    proposal = proposed_affected(actor.workspace, asked.start, asked.end, asked.user)
    confirmed = set(incident.affected_practices.values_list("pk", flat=True))
    rows, wanted, hidden = [], [], 0
    for proposed in proposal.practices:
        ids = proposed.records.get(PATIENT_MODEL, [])
        sees = actor.can(Capability.PATIENTS_VIEW, proposed.practice)
        if sees:
            wanted += ids
        else:
            hidden += len(ids)
        rows.append(
            ProposedRow(
                practice=proposed.practice,
                events=proposed.events,
                patients=len(ids),
                claims=len(proposed.records.get(CLAIM_MODEL, [])),
                confirmed=proposed.practice.pk in confirmed,
                names_shown=sees,
            )
        )
    patients = None
    if wanted:
        qs = (
            Patient.objects.visible_to(actor, Capability.PATIENTS_VIEW)
            .filter(public_id__in=_uuids(wanted))
            .order_by("practice__name", "account_number", "id")  # no hidden field orders it
        )
        patients = audited_page(
            qs,
            page=page,
            page_size=PROPOSAL_PAGE_SIZE,
            actor=actor,
            action=AuditAction.PATIENT_LISTED,
            model=PATIENT_MODEL,
            detail={"incident": str(incident.public_id), "proposal": True},
        ).shown_as(lambda p: present_patient(actor, p))
    evidence = incident.affected_evidence or {}
    return ProposalShown(
        asked=asked,
        proposal=proposal,
        rows=rows,
        patients=patients,
        hidden_patients=hidden,
        confirmed_at=str(evidence.get("confirmed_at", "")),
        confirmed_by=str(evidence.get("confirmed_by", "")),
    )


def evidence_rows(evidence: dict[str, Any]) -> list[dict[str, Any]]:
    """The confirmed evidence (as `evidence_visible_to` narrowed it) in counts per practice."""
    return [
        {
            "name": part.get("name", ""),
            "events": part.get("events", 0),
            "patients": len(part.get("records", {}).get(PATIENT_MODEL, [])),
            "claims": len(part.get("records", {}).get(CLAIM_MODEL, [])),
        }
        for part in evidence.get("practices", {}).values()
    ]
