"""A hand-built billing company for the training and policy tests: its own workspace (the
demo's people stay out of the counts), one client practice, and people whose start dates and
grants are set by hand so every due date can be worked out in the test."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from django.utils import timezone

from bureau.accounts.models import User
from bureau.compliance.models.training import Course, CourseKind
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import Role

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def person(
    workspace: Workspace,
    username: str,
    joined: date,
    *grants: tuple[Role, Practice | None, date],
) -> User:
    user = User.objects.create(
        username=username,
        full_name=username.replace(".", " ").title(),
        workspace=workspace,
        date_joined=noon(joined),
    )
    for role, practice, granted_on in grants:
        give(user, role, practice, granted_on)
    return user


def give(user: User, role: Role, practice: Practice | None, granted_on: date) -> Grant:
    assert user.workspace is not None
    return Grant.objects.create(
        workspace=user.workspace,
        user=user,
        practice=practice,
        role=role.value,
        reason="test world",
        created_at=noon(granted_on),
    )


def actor_of(user: User) -> Actor:
    actor = resolve_actor(User.objects.get(pk=user.pk))
    assert actor is not None
    return actor


def course(
    workspace: Workspace,
    title: str,
    kind: CourseKind,
    *,
    roles: tuple[Role, ...] = (),
    recurrence_months: int = 12,
    days_allowed: int = 30,
    created_on: date = date(2025, 1, 1),
) -> Course:
    return Course.objects.create(
        workspace=workspace,
        title=title,
        kind=kind.value,
        roles=[r.value for r in roles],
        recurrence_months=recurrence_months,
        days_allowed=days_allowed,
        created_at=noon(created_on),
    )


@dataclass
class World:
    workspace: Workspace
    practice: Practice
    owner: User
    officer: User
    supervisor: User
    biller: User
    coder: User
    client: User
    hipaa: Course
    coding: Course
    onboarding: Course
    other_workspace_user: User


def build_world() -> World:
    workspace = Workspace.objects.create(name="Acme Billing", slug="acme-compliance-test")
    practice = Practice.objects.create(
        workspace=workspace, name="Harbor Clinic", code="HBR", npi="1999999984", tax_id="123456789"
    )
    other = Workspace.objects.create(name="Elsewhere", slug="elsewhere-compliance-test")
    return World(
        workspace=workspace,
        practice=practice,
        owner=person(
            workspace, "oscar.owner", date(2024, 1, 2), (Role.OWNER, None, date(2024, 1, 2))
        ),
        officer=person(
            workspace,
            "carl.officer",
            date(2024, 1, 2),
            (Role.COMPLIANCE_OFFICER, None, date(2024, 1, 2)),
        ),
        supervisor=person(
            workspace, "sue.supervisor", date(2024, 1, 2), (Role.SUPERVISOR, None, date(2024, 1, 2))
        ),
        # Joined 2 March 2026, biller on the practice from 10 March.
        biller=person(
            workspace, "bo.biller", date(2026, 3, 2), (Role.BILLER, practice, date(2026, 3, 10))
        ),
        # Joined and coder since 15 June 2025.
        coder=person(
            workspace, "cy.coder", date(2025, 6, 15), (Role.CODER, practice, date(2025, 6, 15))
        ),
        client=person(
            workspace,
            "cleo.client",
            date(2025, 2, 1),
            (Role.CLIENT_VIEWER, practice, date(2025, 2, 1)),
        ),
        hipaa=course(workspace, "HIPAA privacy and security", CourseKind.ANNUAL_HIPAA),
        coding=course(
            workspace,
            "Coding compliance",
            CourseKind.ROLE_SPECIFIC,
            roles=(Role.CODER,),
            days_allowed=60,
        ),
        onboarding=course(
            workspace, "Onboarding", CourseKind.ONBOARDING, recurrence_months=0, days_allowed=14
        ),
        other_workspace_user=person(other, "ozzy.outsider", date(2024, 1, 2)),
    )
