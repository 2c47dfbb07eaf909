"""The activity report: everything one person did on one day, from the audit log — what a
practice asks of the billing company it outsources to ("who touched our claims on Tuesday, and
what did they do?").

Who reads it is who reads the audit log (`audit.view`, `audit.selectors.audit_visible`): a
client viewer sees only the events on their own practice — the practice auditing its vendor —
and a billing-company owner, supervisor or compliance officer every practice they hold, with
the workspace's own events (sign-ins) when they hold audit.view on every practice.

The person is picked from a list: everyone in the workspace for a workspace auditor; for a
practice's auditor, the people who hold (or held) access to one of its practices — the people
it may ask about — so the vendor's whole staff list is not theirs to browse. A person not in
that list answers as an unknown one, the same 400 and the same words.

A record is a link only where the reader may open it: the record's page, read through the
record's own scoped manager under the page's capability (practice and provider grant), so a
link never leads to a 404.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from uuid import UUID

from django.db.models import Q, QuerySet
from django.utils import timezone

from bureau.accounts.models import User
from bureau.accounts.selectors import user_list
from bureau.audit.models import AuditAction
from bureau.audit.selectors import audit_visible
from bureau.claims.models import Claim
from bureau.denials.models import Denial
from bureau.patients.models import Patient
from bureau.remittance.models import Era
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Capability
from bureau.web.links import record_url

REPORT = "activity"
CAPABILITY = Capability.AUDIT_VIEW  # the audit log's
PAGE_EVENTS = 500  # a day's events a page shows (oldest first); the export takes more
EXPORT_EVENTS = 10_000
PDF_EVENTS = 500  # a PDF is read by a person and its renderer slows with every page
LINKS_PER_EVENT = 3  # record links shown per event; the rest are counted

# The records whose page a link may open: the page's route and the capability it requires.
LINKABLE: dict[str, tuple[Any, str, Capability]] = {
    "claims.Claim": (Claim, "claims:detail", Capability.CLAIMS_VIEW),
    "patients.Patient": (Patient, "patients:detail", Capability.PATIENTS_VIEW),
    "remittance.Era": (Era, "eras:detail", Capability.PAYMENTS_VIEW),
    "denials.Denial": (Denial, "denials:detail", Capability.DENIALS_VIEW),
}

A = AuditAction
# What each action means, in the words a practice manager uses.
WORDS: dict[str, str] = {
    A.LOGIN: "Signed in",
    A.LOGIN_FAILED: "Failed to sign in",
    A.LOCKED_OUT: "Was locked out",
    A.LOGOUT: "Signed out",
    A.IDLE_LOGOUT: "Was signed out for inactivity",
    A.MFA_ENROLLED: "Set up two-factor sign-in",
    A.MFA_VERIFIED: "Confirmed two-factor sign-in",
    A.MFA_FAILED: "Failed two-factor sign-in",
    A.MFA_RESET: "Reset two-factor sign-in",
    A.CONTEXT_SWITCHED: "Switched practice",
    A.USER_CREATED: "Created a user",
    A.USER_DEACTIVATED: "Deactivated a user",
    A.USER_REACTIVATED: "Reactivated a user",
    A.GRANT_CREATED: "Gave someone access",
    A.GRANT_REVOKED: "Took someone's access away",
    A.PATIENT_LISTED: "Looked at a list of patients",
    A.PATIENT_VIEWED: "Opened a patient",
    A.PATIENT_CREATED: "Added a patient",
    A.PATIENT_UPDATED: "Changed a patient's details",
    A.AUDIT_VIEWED: "Looked at the audit log",
    A.SETTING_CHANGED: "Changed a setting",
    A.SETTING_CLEARED: "Cleared a setting",
    A.PROVIDER_CREATED: "Added a provider",
    A.PROVIDER_UPDATED: "Changed a provider",
    A.PAYER_CREATED: "Added a payer",
    A.PAYER_UPDATED: "Changed a payer",
    A.ENROLLMENT_CREATED: "Added a payer enrollment",
    A.ENROLLMENT_UPDATED: "Changed a payer enrollment",
    A.FEE_SCHEDULE_IMPORTED: "Imported a fee schedule",
    A.CONTRACT_RATES_IMPORTED: "Imported contract rates",
    A.CLAIM_STATE_CHANGED: "Moved a claim on",
    A.ENCOUNTER_CREATED: "Entered a visit",
    A.ENCOUNTER_UPDATED: "Changed a visit",
    A.CLAIM_CREATED: "Created a claim",
    A.CLAIM_LISTED: "Looked at a list of claims",
    A.CLAIM_VIEWED: "Opened a claim",
    A.CLAIM_SCRUBBED: "Checked claims for errors",
    A.CLAIM_UPDATED: "Corrected a claim",
    A.COVERAGE_CREATED: "Added a patient's insurance",
    A.BATCH_BUILT: "Built a claim batch",
    A.BATCH_DOWNLOADED: "Downloaded a claim batch",
    A.BATCH_TRANSMITTED: "Sent a claim batch",
    A.ERA_UPLOADED: "Uploaded a remittance (835)",
    A.ERA_INGESTED: "Posted a remittance (835)",
    A.ERA_LISTED: "Looked at a list of remittances",
    A.ERA_VIEWED: "Opened a remittance",
    A.ERA_DOWNLOADED: "Downloaded a remittance file",
    A.ERA_EXCEPTION_LISTED: "Looked at posting exceptions",
    A.ERA_EXCEPTION_RESOLVED: "Resolved a posting exception",
    A.ERA_CLAIM_MATCHED: "Matched a payment to a claim",
    A.LEDGER_CHARGES_POSTED: "Posted charges",
    A.LEDGER_VIEWED: "Looked at a claim's ledger",
    A.DENIAL_LISTED: "Looked at a list of denials",
    A.DENIAL_VIEWED: "Opened a denial",
    A.DENIAL_UPDATED: "Worked a denial",
    A.WRITEOFF_REQUESTED: "Asked to write off a balance",
    A.WRITEOFF_APPROVED: "Approved a write-off",
    A.WRITEOFF_REFUSED: "Refused a write-off",
    A.WRITEOFF_TAKEN_BACK: "Took back a write-off",
    A.WRITEOFF_LISTED: "Looked at write-offs",
    A.WRITEOFF_VIEWED: "Opened a write-off",
    A.WORKITEM_LISTED: "Looked at the work queue",
    A.WORKITEM_VIEWED: "Opened a work item",
    A.WORKITEM_CLAIMED: "Took a work item",
    A.WORKITEM_ASSIGNED: "Assigned a work item",
    A.WORKITEM_RELEASED: "Released a work item",
    A.WORKITEM_PENDED: "Put a work item on hold",
    A.WORKITEM_ATTEMPT: "Logged a follow-up attempt",
    A.WORKITEM_DONE: "Finished a work item",
    A.QUESTION_ASKED: "Asked the practice a question",
    A.QUESTION_ANSWERED: "Answered a question",
    A.QUESTION_LISTED: "Looked at questions to the practice",
    A.KPIS_VIEWED: "Looked at KPIs",
    A.MONTHLY_REPORT_GENERATED: "Produced a monthly report",
    A.MONTHLY_REPORT_LISTED: "Looked at monthly reports",
    A.MONTHLY_REPORT_VIEWED: "Opened a monthly report",
    A.MONTHLY_REPORT_DOWNLOADED: "Downloaded a monthly report",
    A.REPORT_VIEWED: "Looked at a report",
    A.REPORT_EXPORTED: "Exported a report",
    A.COURSE_CHANGED: "Set up a training course",
    A.TRAINING_COMPLETED: "Recorded a training completion",
    A.POLICY_PUBLISHED: "Published a policy version",
    A.POLICY_REVIEWED: "Recorded a policy review",
    A.POLICY_ATTESTED: "Acknowledged a policy",
    A.POLICY_PURGED: "Purged a policy version past retention",
    A.BAA_RECORDED: "Recorded a business associate agreement",
    A.BAA_CHANGED: "Changed a business associate agreement",
    A.BAA_DOCUMENT_UPLOADED: "Uploaded a signed business associate agreement",
    A.BAA_DOCUMENT_DOWNLOADED: "Downloaded a signed business associate agreement",
    A.INCIDENT_RECORDED: "Recorded a security incident",
    A.INCIDENT_CHANGED: "Updated a security incident",
    A.EXCLUSION_LIST_IMPORTED: "Imported the OIG exclusion list",
    A.SCREENING_RUN: "Screened staff and providers against the exclusion list",
    A.SCREENING_HIT_RESOLVED: "Resolved a possible exclusion match",
}


def words_for(action: str) -> str:
    """The action in words; one not written above reads as its code made plain."""
    return WORDS.get(action) or action.replace(".", ": ").replace("_", " ").capitalize()


@dataclass(frozen=True)
class RecordLink:
    label: str
    href: str  # "" where the reader may not open the record


@dataclass
class ActivityEvent:
    occurred_at: datetime
    action: str
    words: str
    practice_id: int | None
    practice_name: str
    model: str
    record_ids: list[str]
    report: str = ""  # the report read, for a report event
    links: list[RecordLink] = field(default_factory=list)

    @property
    def record_type(self) -> str:
        return model_label(self.model)

    @property
    def more(self) -> int:
        return max(0, len(self.record_ids) - LINKS_PER_EVENT)


@dataclass(frozen=True)
class ActivityDay:
    person: User
    day: date
    practice: Practice | None
    events: list[ActivityEvent]
    total: int  # events that day under the filters (the page shows at most PAGE_EVENTS)

    @property
    def practice_ids(self) -> frozenset[int]:
        return frozenset(e.practice_id for e in self.events if e.practice_id is not None)


# -- the person ----------------------------------------------------------------------------------
def people_to_pick(actor: Actor) -> QuerySet[User]:
    """The people the actor may ask about (module doc)."""
    if actor.can_workspace(CAPABILITY):
        return user_list(actor=actor)
    held = Grant.objects.filter(workspace=actor.workspace).filter(
        Q(practice_id__in=sorted(actor.practice_ids(CAPABILITY))) | Q(practice_id__isnull=True)
    )
    return User.objects.filter(workspace=actor.workspace, pk__in=held.values("user_id")).order_by(
        "username"
    )


def person_asked(actor: Actor, raw: str) -> tuple[User | None, str]:
    """(the person, "") or (None, what is wrong); absent → (None, "")."""
    raw = raw.strip()
    if not raw:
        return None, ""
    try:
        public_id = UUID(raw[:40])
    except ValueError:
        return None, "The person asked for is not a person's id: pick one from the list."
    person = people_to_pick(actor).filter(public_id=public_id).first()
    if person is None:
        return None, "No person you may ask about has this id: pick one from the list."
    return person, ""


# -- the day -------------------------------------------------------------------------------------
def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def activity_day(
    *,
    actor: Actor,
    person: User,
    day: date,
    practice: Practice | None,
    limit: int = PAGE_EVENTS,
) -> ActivityDay:
    """The person's events on `day` the actor may read, oldest first (the caller audits)."""
    events = audit_visible(actor=actor).filter(
        user=person,
        occurred_at__gte=_day_start(day),
        occurred_at__lt=_day_start(day + timedelta(1)),
    )
    if practice is not None:
        events = events.filter(practice=practice)
    total = events.count()
    rows = list(
        events.order_by("occurred_at", "id").values(
            "occurred_at", "action", "practice_id", "model", "record_ids", "detail"
        )[:limit]
    )
    names = {p.pk: p.name for p in actor.practices(CAPABILITY)}
    shown = [
        ActivityEvent(
            occurred_at=r["occurred_at"],
            action=r["action"],
            words=words_for(r["action"]),
            practice_id=r["practice_id"],
            practice_name=names.get(r["practice_id"], "") if r["practice_id"] else "",
            model=r["model"],
            record_ids=[str(x) for x in (r["record_ids"] or [])],
            report=str((r["detail"] or {}).get("report", ""))
            if isinstance(r["detail"], dict)
            else "",
        )
        for r in rows
    ]
    _link(actor, shown)
    return ActivityDay(person, day, practice, shown, total)


def _link(actor: Actor, events: list[ActivityEvent]) -> None:
    """Each event's first records, a link where the actor may open the record's page."""
    wanted: dict[str, set[str]] = {}
    for e in events:
        if e.model in LINKABLE and e.practice_id is not None:
            wanted.setdefault(e.model, set()).update(_uuids(e.record_ids[:LINKS_PER_EVENT]))
    openable: dict[str, set[str]] = {}
    for model_name, ids in wanted.items():
        model, _, capability = LINKABLE[model_name]
        found = (
            model.objects.visible_to(actor, capability)
            .filter(public_id__in=sorted(ids))
            .values_list("public_id", flat=True)
        )
        openable[model_name] = {str(x) for x in found}
    for e in events:
        route = LINKABLE[e.model][1] if e.model in LINKABLE else ""
        for rid in e.record_ids[:LINKS_PER_EVENT]:
            may = route and rid in openable.get(e.model, set())
            e.links.append(RecordLink(rid[:8], record_url(rid, route) if may else ""))


def _uuids(values: list[str]) -> set[str]:
    out = set()
    for v in values:
        try:
            out.add(str(UUID(v)))
        except ValueError:
            continue
    return out


MODEL_WORDS = {
    "claims.Claim": "claim",
    "patients.Patient": "patient",
    "remittance.Era": "ERA",
    "remittance.EraException": "posting exception",
    "denials.Denial": "denial",
    "denials.Appeal": "appeal",
    "workqueues.WorkItem": "work item",
    "billing.WriteOffRequest": "write-off",
    "reports.MonthlyReport": "monthly report",
}


def model_label(model: str) -> str:
    """`claims.Claim` → "claim": what kind of record an event names."""
    return MODEL_WORDS.get(model) or model.rsplit(".", 1)[-1].lower()
