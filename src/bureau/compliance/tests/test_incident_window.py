"""The window (and person) an incident concerns, kept for the audit log's proposal, and an
incident's data as a form starts from it (fixtures: conftest.World)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.incident_log import asked_window
from bureau.compliance.incident_queries import proposed_affected
from bureau.compliance.incidents import (
    ASKED,
    NO_SUCH_USER,
    IncidentData,
    IncidentError,
    RiskAssessment,
    Timeline,
    incident_change,
    incident_confirm_affected,
    incident_data,
    incident_record,
    incident_set_window,
)
from bureau.tenancy.actor import CapabilityDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident(world):
    return incident_record(
        actor=world.actor("officer"),
        data=IncidentData(
            title="Phished",
            description="A biller entered her password on a phishing page.",
            timeline=Timeline(discovered_at=timezone.now() - timedelta(hours=1)),
            assessment=RiskAssessment(mitigation="reset", mitigation_risk="low"),
        ),
    )


def test_the_window_is_kept_audited_and_read_back(world, incident) -> None:
    officer, biller = world.actor("officer"), world.users["biller_a"]
    start, end = timezone.now() - timedelta(hours=3), timezone.now() - timedelta(hours=1)
    incident_set_window(actor=officer, incident=incident, start=start, end=end, user=biller)
    incident.refresh_from_db()
    asked = asked_window(incident)
    assert asked is not None and (asked.start, asked.end, asked.user) == (start, end, biller)
    events = AuditEvent.objects.filter(
        action=AuditAction.INCIDENT_CHANGED, record_ids=[str(incident.public_id)]
    )
    (event,) = events
    assert event.detail["asked"]["user"] == biller.username
    # The same window again: nothing changes, nothing is audited.
    incident_set_window(actor=officer, incident=incident, start=start, end=end, user=biller)
    assert events.count() == 1
    # Confirming a proposal keeps the window asked beside the evidence.
    proposal = proposed_affected(world.workspace, start, end, biller)
    incident_confirm_affected(actor=officer, incident=incident, proposal=proposal)
    incident.refresh_from_db()
    assert incident.affected_evidence[ASKED]["user"] == str(biller.public_id)
    assert "confirmed_at" in incident.affected_evidence


def test_a_window_is_refused_when_wrong(world, incident) -> None:
    officer, now = world.actor("officer"), timezone.now()
    cases = [
        (now - timedelta(hours=1), now - timedelta(hours=2), None, "window_end", "ends before"),
        (now + timedelta(hours=1), now + timedelta(hours=2), None, "window_start", "future"),
        (
            now - timedelta(hours=2),
            now,
            world.users["other_officer"],
            "concerns_user",
            NO_SUCH_USER,
        ),
    ]
    for start, end, user, field, words in cases:
        with pytest.raises(IncidentError) as refused:
            incident_set_window(actor=officer, incident=incident, start=start, end=end, user=user)
        assert refused.value.field == field and words in str(refused.value)
    with pytest.raises(CapabilityDenied):
        incident_set_window(
            actor=world.actor("supervisor"),
            incident=incident,
            start=now - timedelta(hours=2),
            end=now,
            user=None,
        )


def test_incident_data_round_trips(world, incident) -> None:
    """A form changing one part starts from `incident_data`: the rest stays as it was."""
    data = incident_data(incident)
    assert data.assessment.mitigation == "reset" and data.timeline.discovered_at
    contained = timezone.now() - timedelta(minutes=5)
    step = dataclasses.replace(data.timeline, contained_at=contained)
    incident_change(
        actor=world.actor("officer"),
        incident=incident,
        data=dataclasses.replace(data, timeline=step),
    )
    incident.refresh_from_db()
    assert incident.contained_at == contained and incident.mitigation_risk == "low"
    assert incident.title == "Phished"
