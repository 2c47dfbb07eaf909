"""The incident pages on the seeded demo (compliance/demo_incidents.py): who sees what, the
clock as read, the officer's forms and their errors, and the proposal's audited patient list.

Summit's people here: carla.compliance (compliance officer, all practices: manages the program,
holds no patients.view), olivia.owner (owner: manages, sees patients), sam.supervisor (reads
the whole program, changes nothing), cliff.client (Lakeside's client viewer), bella.biller (no
compliance reach)."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.baas import BaaTerms, baa_record
from bureau.compliance.demo_incidents import OFFICER
from bureau.compliance.incidents import IncidentData, Timeline, incident_record
from bureau.compliance.models.baa import BaaDirection, BusinessAssociateAgreement
from bureau.compliance.models.incidents import BreachDecision, Incident
from bureau.compliance.tests.helpers import actor_named, summit
from bureau.conftest import verified_client
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
LIST = reverse("compliance:incident_list")
NEW = reverse("compliance:incident_new")


def _incident(title: str) -> Incident:
    return Incident.objects.get(workspace=summit(), title=title)


MISDIRECTED = "835 files sent to the wrong client"
FAX = "Denial list faxed to a wrong number"
PHISHED = "Biller's password entered on a phishing page"


def detail(incident: Incident, name: str = "compliance:incident_detail") -> str:
    return reverse(name, kwargs={"public_id": incident.public_id})


def practices() -> list[Practice]:
    return list(Practice.objects.filter(workspace=summit()).order_by("id"))


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# -- the demo ---------------------------------------------------------------------------------
def test_the_demo_holds_a_breach_inside_its_clock_a_closed_one_and_one_to_confirm() -> None:
    today = timezone.localdate()
    misdirected, fax, phished = _incident(MISDIRECTED), _incident(FAX), _incident(PHISHED)
    assert misdirected.is_open and misdirected.decision == BreachDecision.BREACH
    assert timezone.localdate(misdirected.discovered_at) == today - timedelta(days=6)
    assert misdirected.reported_at is None and misdirected.contained_at is not None
    assert all(getattr(misdirected, f"{f}_risk") for f in ("phi_nature", "mitigation"))
    assert list(misdirected.affected_practices.order_by("id")) == practices()[:2]
    assert not fax.is_open and fax.decision == BreachDecision.NOT_BREACH
    assert fax.decision_reasoning
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    assert timezone.localdate(fax.resolved_at) < quarter  # closed last quarter
    assert phished.affected_evidence["asked"]["user"]
    assert not phished.affected_practices.exists()  # for the officer to confirm


# -- the log ----------------------------------------------------------------------------------
def test_the_officer_s_log_lists_open_incidents_first_with_their_clocks() -> None:
    response = verified_client(OFFICER).get(LIST)
    assert response.status_code == 200
    body = text(response)
    # Open first by nearest deadline: the breach (54 days left on the 60) before the phishing (60).
    assert body.index(MISDIRECTED) < body.index("phishing page") < body.index(FAX)
    assert "54 days left" in body and "60 days left" in body
    assert "Record an incident" in body
    closed = text(verified_client(OFFICER).get(LIST, {"status": "closed"}))
    assert FAX in closed and MISDIRECTED not in closed
    opened = text(verified_client(OFFICER).get(LIST, {"status": "open"}))
    assert FAX not in opened and MISDIRECTED in opened
    # An unknown filter is no filter.
    assert verified_client(OFFICER).get(LIST, {"status": "<x>"}).status_code == 200


def test_the_client_viewer_sees_the_incidents_of_her_practice_only() -> None:
    client = verified_client("cliff.client")
    body = text(client.get(LIST))
    lakeside, northgate = practices()[:2]
    assert MISDIRECTED in body and FAX not in body and "phishing" not in body
    assert lakeside.name in body and northgate.name not in body
    assert "Record an incident" not in body
    page = client.get(detail(_incident(MISDIRECTED)))
    assert page.status_code == 200
    shown = text(page)
    assert northgate.name not in shown and "from the audit log" not in shown
    # Read-only: none of the officer's forms.
    assert not any(f"/{part}/" in shown for part in ("timeline", "decision", "assessment"))
    missing = client.get(
        reverse("compliance:incident_detail", kwargs={"public_id": uuid.UUID(int=0)})
    )
    for other in (_incident(FAX), _incident(PHISHED)):
        refused = client.get(detail(other))
        assert refused.status_code == 404 and refused.content == missing.content


def test_people_without_compliance_reach_get_404() -> None:
    client = verified_client("bella.biller")
    assert client.get(LIST).status_code == 404
    assert client.get(detail(_incident(MISDIRECTED))).status_code == 404
    assert client.get(NEW).status_code == 404


def test_only_compliance_managers_write() -> None:
    incident = _incident(MISDIRECTED)
    sam = verified_client("sam.supervisor")
    assert sam.get(detail(incident)).status_code == 200
    assert "Record the step" not in text(sam.get(detail(incident)))
    before = AuditEvent.objects.count()
    for name in ("incident_moment", "incident_decide", "incident_assess", "incident_facts"):
        assert sam.post(detail(incident, f"compliance:{name}"), {}).status_code == 404
    assert sam.post(NEW, {"title": "x"}).status_code == 404
    assert sam.get(NEW).status_code == 404
    assert AuditEvent.objects.count() == before
    # GET on a write answers 405.
    officer = verified_client(OFFICER)
    assert officer.get(detail(incident, "compliance:incident_decide")).status_code == 405


# -- the clock as read ------------------------------------------------------------------------
def test_the_clock_reads_days_left_overdue_and_met_late_with_colours() -> None:
    """Discovered 55 days ago; Lakeside's BAA promises notice in 30 days, Northgate's in 50:
    the 60 days have 5 left (amber), Lakeside's period is 25 days overdue (red), Northgate's
    5 days overdue (red)."""
    officer = actor_named(OFFICER)
    today = timezone.localdate()
    lakeside, northgate = practices()[:2]
    # The demo's own client BAAs of these practices would set other periods: this test's alone.
    BusinessAssociateAgreement.objects.filter(practice__in=[lakeside, northgate]).delete()
    for practice, days in ((lakeside, 30), (northgate, 50)):
        baa_record(
            actor=officer,
            direction=BaaDirection.CLIENT,
            practice=practice,
            terms=BaaTerms(
                phi_scope="claims",
                signed_on=today - timedelta(days=400),
                effective_on=today - timedelta(days=400),
                breach_notice_days=days,
            ),
        )
    discovered = timezone.make_aware(datetime.combine(today - timedelta(days=55), time(9)))
    incident = incident_record(
        actor=officer,
        data=IncidentData(
            title="Clock test",
            description="Fixed dates.",
            timeline=Timeline(discovered_at=discovered),
        ),
    )
    incident.affected_practices.set([lakeside, northgate])
    body = text(verified_client(OFFICER).get(detail(incident)))
    due = (today + timedelta(days=5)).isoformat()
    assert re.search(
        rf'<td>{due}</td><td>\s*<span class="badge severity-warning">5 days left', body
    )
    assert 'severity-error">overdue by 25 days' in body
    assert 'severity-error">overdue by 5 days' in body
    # Met late: reported 40 days after discovery, Lakeside's 30 were passed.
    Incident.objects.filter(pk=incident.pk).update(reported_at=discovered + timedelta(days=40))
    body = text(verified_client(OFFICER).get(detail(incident)))
    assert 'severity-error">met 10 days late' in body
    assert f'state-ready">met on {(today - timedelta(days=15)).isoformat()}' in body
    # The client viewer reads the 60 days and her own practice's period, not Northgate's.
    cliff = text(verified_client("cliff.client").get(detail(incident)))
    assert "met 10 days late" in cliff and northgate.name not in cliff


# -- recording and the forms ------------------------------------------------------------------
def _new_form(**changes: str) -> dict[str, str]:
    yesterday = (timezone.localdate() - timedelta(days=1)).isoformat()
    return {
        "title": "Lost badge",
        "description": "A badge was lost.",
        "systems_affected": "",
        "discovered_on": yesterday,
        "discovered_time": "08:30",
        **changes,
    }


def test_the_officer_records_an_incident() -> None:
    client = verified_client(OFFICER)
    assert client.get(NEW).status_code == 200
    response = client.post(NEW, _new_form())
    incident = Incident.objects.get(title="Lost badge")
    assert response.status_code == 302 and response["Location"] == detail(incident)
    assert incident.discovered_at.hour == 8 and incident.discovered_at.minute == 30
    assert AuditEvent.objects.filter(
        action=AuditAction.INCIDENT_RECORDED, record_ids=[str(incident.public_id)]
    ).exists()


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        ({"title": ""}, "title", "This field is required"),
        ({"discovered_on": "2026-13-45"}, "discovered_on", "Enter a valid date"),
        ({"discovered_on": "9999-12-31"}, "discovered_on", "in the future"),
        ({"discovered_on": "1850-01-01"}, "discovered_on", "too far in the past"),
        ({"discovered_time": "25:99"}, "discovered_time", "Enter a valid time"),
        ({"description": "x" * 30_000}, "description", "at most 20000 characters"),
        ({"title": "t" * 500}, "title", "at most 200 characters"),
        (
            {"reported_on": "2001-01-01"},
            "reported_on",
            "before its discovery",
        ),
        (
            {"window_start_on": "2026-01-02", "window_end_on": "2026-01-01"},
            "window_end_on",
            "ends before it starts",
        ),
        ({"window_start_on": "2026-01-02"}, "window_end_on", "both ends"),
        ({"discovered_by": "not-a-person"}, "discovered_by", "Select a valid choice"),
    ],
)
def test_the_new_incident_form_names_what_is_wrong(changes, field, words) -> None:
    before = Incident.objects.count()
    response = verified_client(OFFICER).post(NEW, _new_form(**changes))
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors and words in " ".join(form.errors[field]), form.errors
    assert Incident.objects.count() == before  # a refused window takes the incident with it


def test_setting_contained_assessing_and_deciding() -> None:
    client = verified_client(OFFICER)
    client.post(NEW, _new_form())
    incident = Incident.objects.get(title="Lost badge")
    carla = actor_named(OFFICER).user
    today = timezone.localdate().isoformat()
    step = client.post(
        detail(incident, "compliance:incident_moment"),
        {"moment": "contained", "on": today, "at": "00:01", "by": str(carla.public_id)},
    )
    assert step.status_code == 302
    incident.refresh_from_db()
    assert incident.contained_by == carla and incident.contained_at is not None
    # Before discovery: the error is on the date, and nothing changes.
    early = client.post(
        detail(incident, "compliance:incident_moment"),
        {"moment": "resolved", "on": "2001-01-01"},
    )
    assert early.status_code == 200
    assert "before its discovery" in " ".join(early.context["moment_form"].errors["on"])
    # "Not a breach" needs the four factors first.
    refused = client.post(
        detail(incident, "compliance:incident_decide"),
        {"decision": "not_breach", "reasoning": "Badge had no PHI."},
    )
    assert refused.status_code == 200
    assert "Assess and rate all four" in text(refused)
    factors = {
        "phi_nature": "none",
        "phi_nature_risk": "low",
        "unauthorized_person": "unknown finder",
        "unauthorized_person_risk": "low",
        "acquired_or_viewed": "no",
        "acquired_or_viewed_risk": "low",
        "mitigation": "badge disabled",
        "mitigation_risk": "low",
    }
    assert client.post(detail(incident, "compliance:incident_assess"), factors).status_code == 302
    bad = client.post(
        detail(incident, "compliance:incident_assess"), {**factors, "mitigation_risk": "huge"}
    )
    assert bad.status_code == 200 and "mitigation_risk" in bad.context["assess_form"].errors
    no_reason = client.post(detail(incident, "compliance:incident_decide"), {"decision": "breach"})
    assert "reasoning" in no_reason.context["decision_form"].errors
    done = client.post(
        detail(incident, "compliance:incident_decide"),
        {"decision": "not_breach", "reasoning": "Badge had no PHI."},
    )
    assert done.status_code == 302
    incident.refresh_from_db()
    assert incident.decision == BreachDecision.NOT_BREACH and incident.decided_by == carla
    assert "no notice owed" in text(client.get(detail(incident)))


# -- the proposal -----------------------------------------------------------------------------
def test_the_officer_without_patients_view_sees_counts_and_confirms() -> None:
    incident = _incident(PHISHED)
    client = verified_client(OFFICER)
    listed = AuditEvent.objects.filter(action=AuditAction.PATIENT_LISTED)
    before = listed.count()
    body = text(client.get(detail(incident)))
    lakeside, northgate = practices()[:2]
    assert lakeside.name in body and northgate.name in body
    assert "5 patient records of practices where you do not hold patients.view" in body
    assert "Patients read in the window" not in body
    assert listed.count() == before  # no one was named, nothing to audit as read
    response = client.post(
        detail(incident, "compliance:incident_confirm"), {"practices": [str(lakeside.public_id)]}
    )
    assert response.status_code == 302
    assert list(incident.affected_practices.all()) == [lakeside]
    incident.refresh_from_db()
    assert incident.affected_evidence["asked"]  # the window asked stays beside the evidence
    assert list(incident.affected_evidence["practices"]) == [str(lakeside.public_id)]
    # Nothing ticked, or a practice not proposed: the form says so, nothing changes.
    for ticked in ([], [str(practices()[5].public_id)]):
        again = client.post(detail(incident, "compliance:incident_confirm"), {"practices": ticked})
        assert again.status_code == 200 and "practices" in again.context["confirm_form"].errors
    assert list(incident.affected_practices.all()) == [lakeside]
    # Lakeside's client viewer now sees the incident: her practice's counts, no proposal.
    cliff = verified_client("cliff.client").get(detail(incident))
    assert cliff.status_code == 200
    assert [(r["name"], r["patients"]) for r in cliff.context["evidence_rows"]] == [
        (lakeside.name, 3)
    ]
    assert cliff.context["proposal"] is None and northgate.name not in text(cliff)


def test_the_owner_sees_the_patients_and_the_read_is_audited() -> None:
    incident = _incident(PHISHED)
    listed = AuditEvent.objects.filter(
        action=AuditAction.PATIENT_LISTED, user__username="olivia.owner"
    )
    before = listed.count()
    body = text(verified_client("olivia.owner").get(detail(incident)))
    assert "Patients read in the window" in body and "5 you may see" in body
    events = list(listed.order_by("id")[before:])
    assert {e.practice_id for e in events} == {p.pk for p in practices()[:2]}
    assert all(e.detail["incident"] == str(incident.public_id) for e in events)
    assert sum(len(e.record_ids) for e in events) == 5


def test_the_window_form_names_its_errors() -> None:
    incident = _incident(MISDIRECTED)
    client = verified_client(OFFICER)
    url = detail(incident, "compliance:incident_window")
    bad = client.post(url, {"window_start_on": "2026-02-30", "window_end_on": ""})
    assert bad.status_code == 200
    errors = bad.context["window_form"].errors
    assert "window_start_on" in errors and "window_end_on" in errors
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    later = client.post(url, {"window_start_on": future, "window_end_on": "2199-01-01"})
    assert "in the future" in " ".join(later.context["window_form"].errors["window_start_on"])
    ok = client.post(url, {"window_start_on": "2026-01-01", "window_end_on": "2026-01-02"})
    assert ok.status_code == 302
