"""A small book whose every KPI is worked out by hand (see test_kpis.py for the arithmetic).

One new practice of the demo's Summit workspace, two doctors (A and B), two payers (X, Y), seven
claims in March 2026 and one from November 2025. Claims, charges, acknowledgements and work
items are written the way the claim factories write them; payments, denials and the write-off
go through the real services (ERA ingest, write-off request), so the ledger holds what the
posting code writes, not what a test imagined.

    claim doctor payer DOS        charge submitted  then
    C1    A      X     2026-02-20 100.00 2026-03-01 835 03-10: paid 80, CO-45 20
    C2    A      X     2026-02-25 200.00 2026-03-03 scrubber error first; 835 03-12: CO-50
                                                    200 denied; appeal upheld 03-18;
                                                    written off 03-20
    C3    A      Y     2026-02-27  50.00 2026-03-05 277CA rejected, then accepted; unpaid
    C4    A      Y     2025-11-01 300.00 2026-01-05 accepted; unpaid
    C5    B      Y     2026-03-02  40.00 2026-03-04 835 03-20: paid 40 (+ a loop that
                                                    matches none of our claims, paid 40)
    C6    A      X     2026-03-01  60.00 2026-03-06 835 03-16: CO-50 60 denied; appeal
                                                    partially overturned 03-25, 30 back
    C7    A      X     2026-03-10  30.00 2026-03-20 submitted, no answer yet

Work items: the posting opens a denial item for C2 (03-12, SLA 10 business days: due 03-26;
closed 03-20 by the owner's write-off) and C6 (03-16, due 03-30, open) and an ERA-exception
item for the stranger loop (03-20, 4 days: due 03-26, open). Built by hand beside them:

    item                 due    closed      by
    denials C6 (hand)    03-20  03-24       una (after a phone attempt on 03-23)
    rejections C3        03-09  03-06       uli
    rejections C5        03-12  03-10       uli
    follow-up C4         03-15  open        (uwe made a phone attempt on 03-11)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from bureau import clock
from bureau.accounts.models import User
from bureau.accounts.tests.conftest import make_user
from bureau.billing.services import writeoff_request
from bureau.claims.models import (
    AckKind,
    Acknowledgement,
    ChargeLine,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimState,
    Encounter,
    ScrubHit,
    Severity,
)
from bureau.denials.models import Appeal, Denial
from bureau.directory.models import Payer, Provider
from bureau.directory.npi import make_npi
from bureau.ledger.services import post_charges
from bureau.patients.models import Coverage, Patient
from bureau.remittance.services import ingest_remittances
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Role
from bureau.workqueues.models import Attempt, ItemStatus, SubjectKind, WorkItem

D = Decimal
_n = itertools.count(1)


@dataclass
class Book:
    practice: Practice
    doctor_a: Provider
    doctor_b: Provider
    payer_x: Payer
    payer_y: Payer
    claims: dict[str, Claim]
    owner: Actor  # olivia.owner: every practice, every provider
    viewer: User  # client viewer of this practice only
    limited: User  # account manager of this practice, doctor A only
    workers: dict[str, User]


def _claim(
    practice: Practice,
    coverage: Coverage,
    doctor: Provider,
    *,
    dos: date,
    charge: str,
    state: str,
    user: User,
) -> Claim:
    encounter = Encounter.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        patient=coverage.patient,
        rendering_provider=doctor,
        billing_provider=doctor,
        date_of_service=dos,
        diagnosis_codes=["I10"],
        created_by=user,
    )
    claim = Claim.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        encounter=encounter,
        patient=coverage.patient,
        coverage=coverage,
        payer=coverage.payer,
        number=f"KPI{next(_n):06d}",
        state=state,
        total_charge=D(charge),
    )
    line = ChargeLine.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        encounter=encounter,
        line_number=1,
        procedure_code="99213",
        diagnosis_pointers=[1],
        charge=D(charge),
        date_of_service=dos,
    )
    ClaimLine.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        claim=claim,
        charge_line=line,
        line_number=1,
        procedure_code="99213",
        diagnosis_pointers=[1],
        charge=D(charge),
        date_of_service=dos,
    )
    return claim


def _tenancy(practice: Practice) -> dict[str, int]:
    return {"workspace_id": practice.workspace_id, "practice_id": practice.pk}


def _ingest(practice: Practice, payer: Payer, day: date, *loops: object) -> None:
    remittance = b.changed(b.remittance(practice, payer, list(loops)), payment_date=day)  # type: ignore[arg-type]
    # On its payment day, as the simulator replays one: the work items the posting opens
    # (a denial, an ERA exception) carry that day, not the day the test runs.
    with clock.business_day(day):
        ingest_remittances(
            actor=None,
            workspace=Workspace.objects.get(pk=practice.workspace_id),
            remittances=[remittance],
            file_name=f"kpi-{day}.835",
        )


def _at(day: date, hour: int = 12) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def build_book() -> Book:
    workspace = Workspace.objects.get(slug="summit")
    practice = Practice.objects.create(
        workspace=workspace,
        name="KPI Test Clinic",
        code="KPI",
        npi=make_npi("177700011"),
        tax_id="770001111",
    )
    doctor_a = Provider.objects.create(
        workspace=workspace, practice=practice, name="Dr. Alpha", npi=make_npi("177700022")
    )
    doctor_b = Provider.objects.create(
        workspace=workspace, practice=practice, name="Dr. Beta", npi=make_npi("177700033")
    )
    payers = list(Payer.objects.filter(workspace=workspace).order_by("id"))
    payer_x, payer_y = payers[2], payers[3]
    owner_user = User.objects.get(username="olivia.owner")
    b.autopost(practice)
    b.configure(practice, "writeoffs.auto_approve_limit", "1000.00")
    C = ClaimState
    with rls.practice_scope([practice.pk]):
        patient = Patient.objects.create(
            **_tenancy(practice),
            account_number="KPI1",
            first_name="Kay",
            last_name="Pitest",
            date_of_birth=date(1980, 1, 1),
        )
        cov_x = Coverage.objects.create(
            **_tenancy(practice),
            patient=patient,
            payer=payer_x,
            member_id="X1",
            effective_date=date(2024, 1, 1),
        )
        cov_y = Coverage.objects.create(
            **_tenancy(practice),
            patient=patient,
            payer=payer_y,
            member_id="Y1",
            effective_date=date(2024, 1, 1),
        )
        spec = {
            "C1": (cov_x, doctor_a, date(2026, 2, 20), "100.00", C.ACCEPTED, date(2026, 3, 1)),
            "C2": (cov_x, doctor_a, date(2026, 2, 25), "200.00", C.ACCEPTED, date(2026, 3, 3)),
            "C3": (cov_y, doctor_a, date(2026, 2, 27), "50.00", C.ACCEPTED, date(2026, 3, 5)),
            "C4": (cov_y, doctor_a, date(2025, 11, 1), "300.00", C.ACCEPTED, date(2026, 1, 5)),
            "C5": (cov_y, doctor_b, date(2026, 3, 2), "40.00", C.ACCEPTED, date(2026, 3, 4)),
            "C6": (cov_x, doctor_a, date(2026, 3, 1), "60.00", C.ACCEPTED, date(2026, 3, 6)),
            "C7": (cov_x, doctor_a, date(2026, 3, 10), "30.00", C.SUBMITTED, date(2026, 3, 20)),
        }
        claims = {
            name: _claim(practice, cov, doc, dos=dos, charge=charge, state=state, user=owner_user)
            for name, (cov, doc, dos, charge, state, _) in spec.items()
        }
        ScrubHit.objects.create(
            **_tenancy(practice),
            claim=claims["C2"],
            rule="npi",
            severity=Severity.ERROR,
            message="fixed before submission",
            is_current=False,
        )
        ClaimEvent.objects.create(
            **_tenancy(practice),
            claim=claims["C3"],
            occurred_at=_at(date(2026, 3, 6)),
            from_state=C.SUBMITTED,
            to_state=C.REJECTED,
            note="277CA A7:21",
        )
        Acknowledgement.objects.create(
            **_tenancy(practice),
            kind=AckKind.CLAIM,
            claim=claims["C3"],
            accepted=False,
            status_code="A7:21",
            file_name="kpi.277",
            received_at=_at(date(2026, 3, 6)),
        )
    for name, (*_, submitted) in spec.items():
        post_charges(claims=[claims[name]], effective_date=submitted)

    lines = {name: b.lines_of(claim)[0] for name, claim in claims.items()}
    _ingest(
        practice,
        payer_x,
        date(2026, 3, 10),
        b.paid_claim(claims["C1"], [b.svc(lines["C1"], "80.00", ("CO", "45", "20.00"))]),
    )
    _ingest(
        practice,
        payer_x,
        date(2026, 3, 12),
        b.paid_claim(
            claims["C2"], [b.svc(lines["C2"], "0.00", ("CO", "50", "200.00"))], status="4"
        ),
    )
    _ingest(
        practice,
        payer_x,
        date(2026, 3, 16),
        b.paid_claim(claims["C6"], [b.svc(lines["C6"], "0.00", ("CO", "50", "60.00"))], status="4"),
    )
    stranger = b.changed(
        b.paid_claim(claims["C5"], [b.svc(lines["C5"], "40.00")]),
        patient_control_number="NOSUCHCLAIM",
    )
    _ingest(
        practice,
        payer_y,
        date(2026, 3, 20),
        b.paid_claim(claims["C5"], [b.svc(lines["C5"], "40.00")]),
        stranger,
    )

    owner = resolve_actor(owner_user)
    assert owner is not None
    with rls.practice_scope([practice.pk]):
        denials = {
            d.claim_id: d
            for d in Denial.objects.for_system([practice.pk], reason="test").filter(
                practice=practice
            )
        }
        for name, outcome, decided, recovered in (
            ("C2", "upheld", date(2026, 3, 18), None),
            ("C6", "partial", date(2026, 3, 25), D("30.00")),
        ):
            Appeal.objects.create(
                **_tenancy(practice),
                denial=denials[claims[name].pk],
                level=1,
                kind="redetermination",
                deadline=date(2026, 7, 1),
                deadline_source="test",
                submitted_on=decided,
                outcome=outcome,
                decided_on=decided,
                amount_recovered=recovered,
                created_by=owner_user,
            )
    with clock.business_day(date(2026, 3, 20)):
        writeoff_request(
            actor=owner,
            claim=claims["C2"],
            amounts={str(lines["C2"].public_id): "200.00"},
            reason="medical_necessity",
            note="lost on appeal",
            root_cause="coding",
            denial=denials[claims["C2"].pk],
        )

    workers = {name: make_user(workspace, f"kpi.{name}") for name in ("una", "uli", "uwe")}
    with rls.practice_scope([practice.pk]):
        for function, claim, sla_due, resolved, who, amount in (
            ("denials", "C6", date(2026, 3, 20), date(2026, 3, 24), "una", "60.00"),
            ("rejections", "C3", date(2026, 3, 9), date(2026, 3, 6), "uli", "50.00"),
            ("rejections", "C5", date(2026, 3, 12), date(2026, 3, 10), "uli", "40.00"),
            ("followup", "C4", date(2026, 3, 15), None, None, "300.00"),
        ):
            item = WorkItem.objects.create(
                **_tenancy(practice),
                function=function,
                subject_kind=SubjectKind.CLAIM,
                subject_key=f"kpi:{claim}",
                claim=claims[claim],
                payer=claims[claim].payer,
                title=f"{function} {claim}",
                amount=D(amount),
                opened_on=date(2026, 3, 2),
                sla_due=sla_due,
                status=ItemStatus.DONE if resolved else ItemStatus.OPEN,
                resolved_at=_at(resolved) if resolved else None,
                resolved_by=workers[who] if who else None,
            )
            attempt_by = {"C6": ("una", date(2026, 3, 23)), "C4": ("uwe", date(2026, 3, 11))}
            if claim in attempt_by:
                user, day = attempt_by[claim]
                Attempt.objects.create(
                    **_tenancy(practice),
                    item=item,
                    user=workers[user],
                    occurred_at=_at(day),
                    channel="phone",
                    outcome="P1",
                    minutes=10,
                )
    viewer = make_user(workspace, "kpi.viewer", (Role.CLIENT_VIEWER, practice))
    limited = make_user(
        workspace,
        "kpi.limited",
        (Role.ACCOUNT_MANAGER, practice, {"providers": (doctor_a.pk,)}),
    )
    return Book(
        practice, doctor_a, doctor_b, payer_x, payer_y, claims, owner, viewer, limited, workers
    )
