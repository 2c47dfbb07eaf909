"""Who read what in a window: the audit log's proposal of affected practices and records, and the
officer's confirmation (fixtures: conftest.World).

The events are written through the audit service as the app writes them, in three moments:
before the window, inside it, after it. Inside: the biller lists two Alder claims and opens an
Alder patient, and opens a Birch claim; the supervisor opens a Cedar patient; a setting change
on Alder (not a read, no record) and another workspace's read are there too.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.audit.services import audit_record
from bureau.compliance.incident_queries import evidence_visible_to, proposed_affected
from bureau.compliance.incidents import (
    IncidentData,
    IncidentError,
    Timeline,
    incident_confirm_affected,
    incident_record,
)

pytestmark = pytest.mark.django_db


def _read(world, who, practice, action, model, ids, workspace=None) -> None:
    audit_record(
        action=action,
        user=world.users[who],
        workspace=workspace or world.workspace,
        practice=practice,
        model=model,
        record_ids=ids,
    )


def _tick() -> None:
    time.sleep(0.01)  # the window's edges fall strictly between events


@pytest.fixture
def window(world):
    _read(world, "biller_a", world.a, AuditAction.PATIENT_VIEWED, "patients.Patient", ["p-old"])
    _tick()
    start = timezone.now()
    _tick()
    _read(world, "biller_a", world.a, AuditAction.CLAIM_LISTED, "claims.Claim", ["c-2", "c-1"])
    _read(world, "biller_a", world.a, AuditAction.PATIENT_VIEWED, "patients.Patient", ["p-1"])
    _read(world, "biller_a", world.a, AuditAction.CLAIM_VIEWED, "claims.Claim", ["c-1"])
    _read(world, "biller_a", world.b, AuditAction.CLAIM_VIEWED, "claims.Claim", ["c-9"])
    _read(world, "supervisor", world.c, AuditAction.PATIENT_VIEWED, "patients.Patient", ["p-7"])
    _read(world, "biller_a", world.a, AuditAction.SETTING_CHANGED, "", [])
    _read(
        world,
        "other_officer",
        world.x,
        AuditAction.PATIENT_VIEWED,
        "patients.Patient",
        ["p-x"],
        workspace=world.elsewhere,
    )
    _tick()
    end = timezone.now()
    _tick()
    _read(world, "biller_a", world.d, AuditAction.PATIENT_VIEWED, "patients.Patient", ["p-late"])
    return start, end


def test_the_proposal_lists_what_the_person_touched_inside_the_window(world, window) -> None:
    start, end = window
    proposal = proposed_affected(world.workspace, start, end, user=world.users["biller_a"])
    found = {p.practice: (p.events, p.records) for p in proposal.practices}
    # Alder: 3 reads (the setting change is no read); claims c-1 (twice) and c-2; patient p-1.
    # Birch: one claim. Not Cedar (another person), not Dogwood (after), not p-old (before).
    assert found == {
        world.a: (3, {"claims.Claim": ["c-1", "c-2"], "patients.Patient": ["p-1"]}),
        world.b: (1, {"claims.Claim": ["c-9"]}),
    }
    assert [p.practice for p in proposal.practices] == [world.a, world.b]  # by name


def test_without_a_person_the_proposal_covers_everyone_in_the_window(world, window) -> None:
    start, end = window
    proposal = proposed_affected(world.workspace, start, end)
    assert [p.practice for p in proposal.practices] == [world.a, world.b, world.c]
    wider = proposed_affected(world.workspace, start - timedelta(hours=1), end + timedelta(hours=1))
    assert [p.practice for p in wider.practices] == [world.a, world.b, world.c, world.d]
    assert wider.practices[0].records["patients.Patient"] == ["p-1", "p-old"]
    with pytest.raises(ValueError, match="ends before it starts"):
        proposed_affected(world.workspace, end, start)


def test_confirming_sets_the_affected_practices_and_keeps_the_evidence(world, window) -> None:
    start, end = window
    officer = world.actor("officer")
    incident = incident_record(
        actor=officer,
        data=IncidentData(
            title="Biller's account used from an unknown device",
            description="Sign-ins from an unknown address during the window.",
            timeline=Timeline(discovered_at=end),
        ),
    )
    proposal = proposed_affected(world.workspace, start, end, user=world.users["biller_a"])
    with pytest.raises(IncidentError, match="from the proposal only"):
        incident_confirm_affected(
            actor=officer, incident=incident, proposal=proposal, practice_ids={world.c.pk}
        )
    incident_confirm_affected(actor=officer, incident=incident, proposal=proposal)
    incident.refresh_from_db()
    assert set(incident.affected_practices.all()) == {world.a, world.b}
    evidence = incident.affected_evidence
    assert evidence["window"] == {"start": start.isoformat(), "end": end.isoformat()}
    assert evidence["user"]["public_id"] == str(world.users["biller_a"].public_id)
    assert evidence["practices"][str(world.a.public_id)]["records"] == {
        "claims.Claim": ["c-1", "c-2"],
        "patients.Patient": ["p-1"],
    }
    assert evidence["confirmed_by"] == world.users["officer"].label
    event = AuditEvent.objects.filter(action=AuditAction.INCIDENT_CHANGED).latest("id")
    assert event.detail["confirmed_from_audit_log"] is True and event.detail["records"] == 4
    # Alder's client viewer sees Alder's part of the evidence, not Birch's records.
    seen = evidence_visible_to(world.actor("client_a"), incident)
    assert list(seen["practices"]) == [str(world.a.public_id)]
    # The officer narrows the list to Birch: Alder leaves the incident and its evidence.
    incident_confirm_affected(
        actor=officer, incident=incident, proposal=proposal, practice_ids={world.b.pk}
    )
    incident.refresh_from_db()
    assert list(incident.affected_practices.all()) == [world.b]
    assert list(incident.affected_evidence["practices"]) == [str(world.b.public_id)]
