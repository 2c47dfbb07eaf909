"""The demo's incident log, dated from today (the demo is seeded on any day):

* a breach inside its clock: 835 files sent to the wrong client, discovered 6 days ago,
  contained the next day, assessed, decided a breach, the clients not yet told — the 60 days
  run (40 left) beside each affected client's contract period (from its client BAA, if the
  BAA part of the demo seeded one in force then);
* one closed last quarter: a fax to a wrong number, assessed low on all four factors, decided
  not a breach with the reasoning, resolved;
* one discovered today and tied to a person and a window: the biller's password was entered on
  a phishing page; the audit log shows what her account read in the hour before (the demo
  writes those reads, as the app does, just before), so the proposal names practices and
  patients for the officer to confirm.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.models import Claim
from bureau.compliance.incidents import (
    IncidentData,
    RiskAssessment,
    Timeline,
    incident_decide,
    incident_record,
    incident_set_affected,
    incident_set_window,
)
from bureau.compliance.models.incidents import BreachDecision, Incident
from bureau.patients.models import Patient
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice, Workspace

OFFICER = "carla.compliance"
PHISHED = "bella.biller"  # biller on the first four practices


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _quarter_start(day: date) -> date:
    return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def _phishing_reads(workspace: Workspace, user: User, practices: list[Practice]) -> None:
    """What the biller's account read in the window: patients and claims of two practices."""
    ids = [p.pk for p in practices]
    with rls.practice_scope(ids):
        for practice, count in zip(practices, (3, 2), strict=False):
            patients = Patient.objects.for_system([practice.pk], reason="demo incident")
            for patient in patients.filter(practice=practice).order_by("id")[:count]:
                audit_record(
                    action=AuditAction.PATIENT_VIEWED,
                    user=user,
                    workspace=workspace,
                    practice=practice,
                    model="patients.Patient",
                    record_ids=[patient.public_id],
                )
            claims = Claim.objects.for_system([practice.pk], reason="demo incident")
            shown = [c.public_id for c in claims.filter(practice=practice).order_by("id")[:4]]
            if shown:
                audit_record(
                    action=AuditAction.CLAIM_LISTED,
                    user=user,
                    workspace=workspace,
                    practice=practice,
                    model="claims.Claim",
                    record_ids=shown,
                )


@transaction.atomic
def seed_incidents(workspace: Workspace, say: Callable[[str], None] | None = None) -> None:
    if Incident.objects.filter(workspace=workspace).exists():
        return
    officer_user = User.objects.get(workspace=workspace, username=OFFICER)
    officer = resolve_actor(officer_user)
    assert officer is not None
    practices = list(Practice.objects.filter(workspace=workspace).order_by("id"))
    today = timezone.localdate()

    found = today - timedelta(days=6)  # inside every client BAA's notice period (10 days the least)
    misdirected = incident_record(
        actor=officer,
        data=IncidentData(
            title="835 files sent to the wrong client",
            description=(
                "A posting batch's remittance files (835) for two clients were uploaded to a "
                "third client's portal folder. The third client's office manager called to say "
                "so; the files were removed the next morning."
            ),
            systems_affected="Client portal (file drop); ERA export job",
            timeline=Timeline(
                discovered_at=_at(found, 15),
                discovered_by=officer_user,
                contained_at=_at(found + timedelta(days=1), 10),
                contained_by=officer_user,
            ),
            assessment=RiskAssessment(
                phi_nature="Names, member ids, dates of service and paid amounts of about 140 "
                "patients; no diagnosis codes beyond CARC remarks.",
                phi_nature_risk="medium",
                unauthorized_person="Another covered entity's staff, bound by HIPAA themselves.",
                unauthorized_person_risk="low",
                acquired_or_viewed="The portal log shows both files downloaded once.",
                acquired_or_viewed_risk="high",
                mitigation="Files removed; the recipient attested deletion, not yet in writing.",
                mitigation_risk="medium",
            ),
        ),
    )
    incident_set_affected(actor=officer, incident=misdirected, practices=practices[:2])
    incident_decide(
        actor=officer,
        incident=misdirected,
        decision=BreachDecision.BREACH,
        reasoning="The files were downloaded and the written attestation is missing: the low "
        "probability of compromise is not shown. Notify both clients.",
    )

    quarter = _quarter_start(today)
    last = _quarter_start(quarter - timedelta(days=1))
    faxed_on = last + timedelta(days=15)
    fax = incident_record(
        actor=officer,
        data=IncidentData(
            title="Denial list faxed to a wrong number",
            description="A one-page denial work list was faxed to a number one digit off the "
            "client's; the recipient, a pharmacy, called back and shredded it.",
            systems_affected="Fax server",
            timeline=Timeline(
                discovered_at=_at(faxed_on, 11),
                discovered_by=officer_user,
                contained_at=_at(faxed_on, 14),
                contained_by=officer_user,
                resolved_at=_at(faxed_on + timedelta(days=12), 16),
                resolved_by=officer_user,
            ),
            assessment=RiskAssessment(
                phi_nature="Six patients' account numbers and claim amounts; no names.",
                phi_nature_risk="low",
                unauthorized_person="A pharmacy, itself a covered entity.",
                unauthorized_person_risk="low",
                acquired_or_viewed="Read only to find the sender; not copied.",
                acquired_or_viewed_risk="low",
                mitigation="Shredded the same day; written attestation on file.",
                mitigation_risk="low",
            ),
        ),
    )
    incident_set_affected(actor=officer, incident=fax, practices=practices[2:3])
    incident_decide(
        actor=officer,
        incident=fax,
        decision=BreachDecision.NOT_BREACH,
        reasoning="All four factors low: no names, a covered-entity recipient, shredded with "
        "a written attestation. Low probability that the PHI was compromised.",
    )

    bella = User.objects.get(workspace=workspace, username=PHISHED)
    start = timezone.now() - timedelta(hours=1)
    _phishing_reads(workspace, bella, practices[:2])
    end = timezone.now() + timedelta(seconds=1)
    phished = incident_record(
        actor=officer,
        data=IncidentData(
            title="Biller's password entered on a phishing page",
            description="Bella reported an email asking her to re-enter her Bureau password; "
            "she did. Her password was reset and her sessions ended; what her account read "
            "in the hour before is in the audit log.",
            systems_affected="Bureau sign-in; email",
            timeline=Timeline(discovered_at=timezone.now(), discovered_by=bella),
        ),
    )
    incident_set_window(actor=officer, incident=phished, start=start, end=end, user=bella)
    if say is not None:
        say("compliance: 3 incidents (a breach inside its clock, one closed, one to confirm)")
