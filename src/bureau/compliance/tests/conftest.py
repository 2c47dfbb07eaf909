"""A hand-built workspace for the compliance program, apart from the demo's.

Northwind Billing has four practices: Alder (A), Birch (B), Cedar (C) and Dogwood (D,
offboarded). Its people:

* `officer`: compliance officer on every practice (compliance.manage, hence .view);
* `owner`: owner on every practice;
* `supervisor`: supervisor on every practice (compliance.view, no .manage);
* `officer_a`: compliance officer on Alder only (manage on one practice: not the program);
* `client_a`: client viewer of Alder;
* `biller_a`: biller on Alder (no compliance reach at all).

Elsewhere Billing, another workspace, has practice X and its own officer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from bureau.accounts.models import User
from bureau.accounts.tests.conftest import make_user
from bureau.compliance.baas import BaaTerms, baa_record
from bureau.compliance.models.baa import BaaDirection, BusinessAssociateAgreement, VendorService
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, PracticeStatus, Workspace
from bureau.tenancy.roles import Role


@dataclass
class World:
    workspace: Workspace
    a: Practice
    b: Practice
    c: Practice
    d: Practice
    elsewhere: Workspace
    x: Practice
    users: dict[str, User]

    def actor(self, key: str) -> Actor:
        actor = resolve_actor(self.users[key])
        assert actor is not None
        return actor

    def client_baa(
        self, practice: Practice, signed: date | None, effective: date | None, **terms: Any
    ) -> BusinessAssociateAgreement:
        return baa_record(
            actor=self.actor("officer"),
            direction=BaaDirection.CLIENT,
            practice=practice,
            terms=BaaTerms(
                phi_scope="claims and remittances",
                signed_on=signed,
                effective_on=effective,
                **terms,
            ),
        )

    def vendor_baa(
        self, name: str, signed: date | None, effective: date | None, **terms: Any
    ) -> BusinessAssociateAgreement:
        return baa_record(
            actor=self.actor("officer"),
            direction=BaaDirection.SUBCONTRACTOR,
            terms=BaaTerms(
                phi_scope="837 and 835 files",
                signed_on=signed,
                effective_on=effective,
                vendor_name=name,
                vendor_service=VendorService.CLEARINGHOUSE,
                **terms,
            ),
        )


def _practice(workspace: Workspace, name: str, code: str, npi: str, **extra: Any) -> Practice:
    return Practice.objects.create(
        workspace=workspace, name=name, code=code, npi=npi, tax_id="990000000", **extra
    )


@pytest.fixture
def world(db: Any) -> World:
    ws = Workspace.objects.create(name="Northwind Billing", slug="northwind")
    a = _practice(ws, "Alder Family Medicine", "ALD", "1000000001")
    b = _practice(ws, "Birch Pediatrics", "BIR", "1000000002")
    c = _practice(ws, "Cedar Orthopedics", "CED", "1000000003")
    d = _practice(ws, "Dogwood Clinic", "DOG", "1000000004", status=PracticeStatus.OFFBOARDED)
    elsewhere = Workspace.objects.create(name="Elsewhere Billing", slug="elsewhere-c15")
    x = _practice(elsewhere, "Xylem Health", "XYL", "1000000009")
    users = {
        "officer": make_user(ws, "nw.officer", (Role.COMPLIANCE_OFFICER, None)),
        "owner": make_user(ws, "nw.owner", (Role.OWNER, None)),
        "supervisor": make_user(ws, "nw.supervisor", (Role.SUPERVISOR, None)),
        "officer_a": make_user(ws, "nw.officer.a", (Role.COMPLIANCE_OFFICER, a)),
        "client_a": make_user(ws, "nw.client.a", (Role.CLIENT_VIEWER, a)),
        "biller_a": make_user(ws, "nw.biller.a", (Role.BILLER, a)),
        "other_officer": make_user(elsewhere, "ew.officer", (Role.COMPLIANCE_OFFICER, None)),
    }
    return World(ws, a, b, c, d, elsewhere, x, users)


@pytest.fixture
def screening_from_scratch(db: Any) -> None:
    """The demo seed imports last month's list and screens (demo_screening): the screening
    tests start from a workspace that never took in a list. Rolled back with the test."""
    from bureau.audit.models import AuditEvent
    from bureau.compliance.models.screening import (
        ExclusionEntry,
        ExclusionListImport,
        ScreeningHit,
        ScreeningProfile,
        ScreeningRun,
    )
    from bureau.compliance.tests import helpers

    # The seed's screening events stay (the log is append-only): tests read the ones after.
    helpers.EVENTS_BEFORE[0] = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    ScreeningHit.objects.all().delete()
    ScreeningRun.objects.all().delete()
    ExclusionEntry.objects.all().delete()
    ExclusionListImport.objects.all().delete()
    ScreeningProfile.objects.all().delete()
