"""The incident log and the breach clock (fixtures: conftest.World)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.http import Http404
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.incident_queries import incident_get, incidents_visible_to
from bureau.compliance.incidents import (
    NO_SUCH_PRACTICE,
    NO_SUCH_USER,
    IncidentData,
    IncidentError,
    RiskAssessment,
    Timeline,
    deadlines,
    incident_change,
    incident_decide,
    incident_record,
    incident_set_affected,
    open_clocks,
)
from bureau.compliance.models.incidents import BreachDecision
from bureau.tenancy.actor import CapabilityDenied

pytestmark = pytest.mark.django_db
MODEL = "compliance.Incident"


def at(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


DISCOVERED = at(date(2026, 5, 1))


def _data(**timeline) -> IncidentData:
    return IncidentData(
        title="Laptop stolen from a car",
        description="A biller's laptop with cached 835 files was stolen.",
        systems_affected="laptop BW-114",
        timeline=Timeline(**{"discovered_at": DISCOVERED, **timeline}),
    )


@pytest.fixture
def incident(world):
    return incident_record(actor=world.actor("officer"), data=_data())


def test_recording_an_incident_is_audited(world, incident) -> None:
    assert incident.workspace == world.workspace and incident.is_open
    assert incident.created_by == world.users["officer"]
    (event,) = AuditEvent.objects.filter(
        action=AuditAction.INCIDENT_RECORDED, model=MODEL, workspace=world.workspace
    )
    assert event.record_ids == [str(incident.public_id)]
    assert event.detail["discovered_at"] == DISCOVERED.isoformat()


@pytest.mark.parametrize(
    ("timeline", "field", "words"),
    [
        (dict(reported_at=DISCOVERED - timedelta(minutes=1)), "reported_at", "before its disc"),
        (dict(contained_at=DISCOVERED - timedelta(days=1)), "contained_at", "before its disc"),
        (
            dict(contained_at=at(date(2026, 5, 3)), resolved_at=at(date(2026, 5, 2))),
            "resolved_at",
            "resolved before it was contained",
        ),
        (dict(discovered_at=at(date(2099, 1, 1))), "discovered_at", "in the future"),
        (dict(resolved_at=timezone.now() + timedelta(hours=1)), "resolved_at", "in the future"),
    ],
)
def test_the_timeline_is_in_order(world, timeline, field, words) -> None:
    with pytest.raises(IncidentError) as refused:
        incident_record(actor=world.actor("officer"), data=_data(**timeline))
    assert refused.value.field == field and words in str(refused.value)


def test_who_needs_a_when_and_a_person_of_the_workspace(world) -> None:
    officer = world.actor("officer")
    with pytest.raises(IncidentError, match="needs the time reported"):
        incident_record(actor=officer, data=_data(reported_by=world.users["officer"]))
    with pytest.raises(IncidentError) as refused:
        incident_record(
            actor=officer,
            data=_data(discovered_by=world.users["other_officer"]),
        )
    assert str(refused.value) == NO_SUCH_USER
    ok = incident_record(
        actor=officer,
        data=_data(
            discovered_by=world.users["biller_a"],
            reported_at=DISCOVERED,  # the same minute is in order
            reported_by=world.users["officer"],
            contained_at=at(date(2026, 5, 2)),
            resolved_at=at(date(2026, 5, 2)),
        ),
    )
    assert ok.discovered_by == world.users["biller_a"] and not ok.is_open


def test_a_change_names_the_moments_changed(world, incident) -> None:
    officer = world.actor("officer")
    incident_change(actor=officer, incident=incident, data=_data())  # nothing new: no event
    changes = AuditEvent.objects.filter(
        action=AuditAction.INCIDENT_CHANGED, workspace=world.workspace
    )  # the demo's own incidents are in Summit
    assert not changes.exists()
    contained = at(date(2026, 5, 2))
    incident_change(
        actor=officer,
        incident=incident,
        data=IncidentData(
            title="Laptop stolen from a car",
            description="A biller's laptop with cached 835 files was stolen.",
            systems_affected="laptop BW-114",
            timeline=Timeline(discovered_at=DISCOVERED, contained_at=contained),
            assessment=RiskAssessment(mitigation="remote wipe confirmed", mitigation_risk="low"),
        ),
    )
    (event,) = changes
    assert event.detail["changed"] == {
        "contained_at": [None, contained.isoformat()],
        "mitigation": "changed",
        "mitigation_risk": ["", "low"],
    }
    with pytest.raises(IncidentError, match="low, medium or high"):
        incident_change(
            actor=officer,
            incident=incident,
            data=IncidentData(
                title="t",
                description="d",
                timeline=Timeline(discovered_at=DISCOVERED),
                assessment=RiskAssessment(phi_nature_risk="severe"),
            ),
        )


@pytest.mark.parametrize("who", ["supervisor", "officer_a", "client_a"])
def test_only_a_workspace_wide_compliance_manager_writes_incidents(world, incident, who) -> None:
    actor = world.actor(who)
    with pytest.raises(CapabilityDenied):
        incident_record(actor=actor, data=_data())
    with pytest.raises(CapabilityDenied):
        incident_decide(actor=actor, incident=incident, decision="breach", reasoning="x")
    with pytest.raises(CapabilityDenied):
        incident_set_affected(actor=actor, incident=incident, practices=[world.a])


def test_a_decision_needs_reasoning_and_not_a_breach_needs_the_four_factors(
    world, incident
) -> None:
    officer = world.actor("officer")
    with pytest.raises(IncidentError, match="reasoning"):
        incident_decide(actor=officer, incident=incident, decision="breach", reasoning=" ")
    with pytest.raises(IncidentError, match="all four factors"):
        incident_decide(
            actor=officer, incident=incident, decision="not_breach", reasoning="encrypted"
        )
    assessed = RiskAssessment(
        phi_nature="835 files: names, claim numbers, amounts",
        phi_nature_risk="medium",
        unauthorized_person="unknown thief",
        unauthorized_person_risk="high",
        acquired_or_viewed="disk encrypted (FileVault), no login since",
        acquired_or_viewed_risk="low",
        mitigation="remote wipe confirmed",
        mitigation_risk="low",
    )
    incident_change(
        actor=officer,
        incident=incident,
        data=IncidentData(
            title=incident.title,
            description=incident.description,
            systems_affected=incident.systems_affected,
            timeline=Timeline(discovered_at=DISCOVERED),
            assessment=assessed,
        ),
    )
    incident_decide(
        actor=officer,
        incident=incident,
        decision="not_breach",
        reasoning="encrypted at rest; low probability of compromise",
    )
    incident.refresh_from_db()
    assert incident.decision == BreachDecision.NOT_BREACH
    assert incident.decided_by == world.users["officer"] and incident.decided_at is not None
    event = AuditEvent.objects.filter(action=AuditAction.INCIDENT_CHANGED).latest("id")
    assert event.detail == {"decision": ["undetermined", "not_breach"]}


def test_the_breach_clock_60_days_and_each_client_s_shorter_period(world, incident) -> None:
    officer = world.actor("officer")
    signed = date(2025, 1, 10)
    # Alder: two agreements in force at discovery, 10 and 30 days: the 10 binds.
    ten = world.client_baa(world.a, signed, signed, breach_notice_days=10)
    world.client_baa(world.a, signed, signed, breach_notice_days=30)
    # Birch: in force, silent on notice: the 60-day rule only. Cedar: signed after discovery.
    world.client_baa(world.b, signed, signed)
    world.client_baa(world.c, date(2026, 5, 10), date(2026, 5, 15), breach_notice_days=5)
    incident_set_affected(actor=officer, incident=incident, practices=[world.a, world.b, world.c])

    clock = deadlines(incident, date(2026, 6, 1))
    # Discovered 2026-05-01: + 60 days is 2026-06-30, 29 days after 2026-06-01.
    assert clock.discovered_on == date(2026, 5, 1)
    assert (clock.outer.days, clock.outer.due_on, clock.outer.days_left) == (
        60,
        date(2026, 6, 30),
        29,
    )
    assert not clock.outer.overdue
    # Alder's 10 days ran out on 2026-05-11: 21 days overdue on 2026-06-01.
    (alder,) = clock.contracts
    assert (alder.practice, alder.baa, alder.due_on, alder.days_left) == (
        world.a,
        ten,
        date(2026, 5, 11),
        -21,
    )
    assert alder.overdue and clock.next_due == alder
    assert clock.without_baa == [world.c] and not clock.stopped
    # The 60-day limit is overdue from 2026-07-01.
    assert deadlines(incident, date(2026, 7, 1)).outer.days_left == -1
    assert deadlines(incident, date(2026, 7, 1)).outer.overdue

    # Reported to the clients on 2026-05-08: every deadline met, none overdue.
    incident.reported_at = at(date(2026, 5, 8))
    met = deadlines(incident, date(2026, 7, 1))
    assert met.outer.met_on == date(2026, 5, 8) and not met.outer.overdue
    assert not met.contracts[0].overdue and not met.contracts[0].met_late
    # Reported on 2026-05-20 instead: met late for Alder, in time for the 60 days.
    incident.reported_at = at(date(2026, 5, 20))
    late = deadlines(incident, date(2026, 7, 1))
    assert late.contracts[0].met_late and not late.outer.met_late


def test_affected_practices_of_another_workspace_are_refused_like_missing(world, incident) -> None:
    with pytest.raises(IncidentError) as refused:
        incident_set_affected(actor=world.actor("officer"), incident=incident, practices=[world.x])
    assert str(refused.value) == NO_SUCH_PRACTICE
    incident_set_affected(actor=world.actor("officer"), incident=incident, practices=[world.a])
    event = AuditEvent.objects.filter(action=AuditAction.INCIDENT_CHANGED).latest("id")
    assert event.detail["affected_practices"] == {
        "added": [str(world.a.public_id)],
        "removed": [],
    }


def test_a_client_viewer_reads_the_incidents_that_affected_its_practice(world) -> None:
    officer = world.actor("officer")
    on_alder = incident_record(actor=officer, data=_data())
    on_birch = incident_record(actor=officer, data=_data())
    unassigned = incident_record(actor=officer, data=_data())
    incident_set_affected(actor=officer, incident=on_alder, practices=[world.a, world.b])
    incident_set_affected(actor=officer, incident=on_birch, practices=[world.b])
    everything = {on_alder, on_birch, unassigned}
    assert set(incidents_visible_to(officer)) == everything
    assert set(incidents_visible_to(world.actor("supervisor"))) == everything
    assert list(incidents_visible_to(world.actor("client_a"))) == [on_alder]
    assert set(incidents_visible_to(world.actor("biller_a"))) == set()
    assert set(incidents_visible_to(world.actor("other_officer"))) == set()
    client = world.actor("client_a")
    assert incident_get(actor=client, public_id=on_alder.public_id) == on_alder
    for hidden in (on_birch.public_id, unassigned.public_id, "x"):
        with pytest.raises(Http404):
            incident_get(actor=client, public_id=hidden)


def test_open_clocks_list_running_clocks_most_urgent_first(world) -> None:
    officer = world.actor("officer")
    signed = date(2025, 1, 10)
    world.client_baa(world.a, signed, signed, breach_notice_days=10)
    later = incident_record(actor=officer, data=_data())  # 60 days: due 2026-06-30
    urgent = incident_record(actor=officer, data=_data())  # Alder's 10 days: due 2026-05-11
    incident_set_affected(actor=officer, incident=urgent, practices=[world.a])
    reported = incident_record(actor=officer, data=_data(reported_at=at(date(2026, 5, 5))))
    resolved = incident_record(actor=officer, data=_data(resolved_at=at(date(2026, 5, 2))))
    clocks = open_clocks(incidents_visible_to(officer), date(2026, 6, 1))
    assert [(i, c.next_due.due_on) for i, c in clocks] == [
        (urgent, date(2026, 5, 11)),
        (later, date(2026, 6, 30)),
    ]
    assert reported not in dict(clocks) and resolved not in dict(clocks)
    # Alder's client viewer sees its incident's clock only.
    mine = open_clocks(incidents_visible_to(world.actor("client_a")), date(2026, 6, 1))
    assert [i for i, _ in mine] == [urgent]
