"""Training due dates, worked out by hand from the world's start dates (tests/world.py).

Courses exist from 1 Jan 2025: HIPAA (everyone, annual, 30 days), Coding compliance (coders,
annual, 60 days), Onboarding (everyone, once, 14 days)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone

from bureau.accounts.models import User
from bureau.accounts.services import grant_revoke, user_create
from bureau.compliance.models.training import Course, CourseKind, TrainingCompletion
from bureau.compliance.tests.world import (
    World,
    actor_of,
    build_world,
    course,
    give,
    noon,
    person,
)
from bureau.compliance.training import (
    TrainingStatus,
    due_for,
    standing,
    training_sweep,
    workforce_status,
)
from bureau.compliance.workforce import WorkforceMember, months_after, workforce_members
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db

OVERDUE, DUE, DONE = TrainingStatus.OVERDUE, TrainingStatus.DUE, TrainingStatus.DONE


@pytest.fixture
def world() -> World:
    return build_world()


def _done(world: World, user, course, on: date) -> None:  # type: ignore[no-untyped-def]
    TrainingCompletion.objects.create(
        user=user, course=course, completed_on=on, note="attended", recorded_by=world.officer
    )


def _table(rows) -> list[tuple[str, str, date | None, str]]:  # type: ignore[no-untyped-def]
    return [(r.user.username, r.course.title, r.due_on, r.status.value) for r in rows]


def test_months_after_clamps_to_the_end_of_the_month() -> None:
    assert months_after(date(2024, 2, 29), 12) == date(2025, 2, 28)
    assert months_after(date(2025, 1, 31), 1) == date(2025, 2, 28)
    assert months_after(date(2025, 11, 30), 3) == date(2026, 2, 28)
    assert months_after(date(2025, 7, 1), 12) == date(2026, 7, 1)


def test_a_new_user_has_due_dates_from_the_moment_the_login_exists(world: World) -> None:
    """Created through the users service, no grant yet: a new hire, who owes HIPAA in 30 days
    and onboarding in 14 from today (the login's creation); the coders' course is not theirs."""
    new = user_create(
        actor=actor_of(world.owner),
        username="nina.new",
        full_name="Nina New",
        email="nina@example.test",
        password="Harbor-clinic-2026!x",
        reason="new hire",
    )
    today = timezone.localdate()
    assert _table(due_for(new, today)) == [
        ("nina.new", "Onboarding", today + timedelta(days=14), "due"),
        ("nina.new", "HIPAA privacy and security", today + timedelta(days=30), "due"),
    ]
    assert ("nina.new", "Onboarding") in {
        (r.user.username, r.course.title) for r in workforce_status(world.workspace, today)
    }


def test_first_due_dates_and_overdue_order_for_the_whole_workforce(world: World) -> None:
    """On 20 March 2026, nobody having trained: the three 2024 joiners owe onboarding since
    15 Jan 2025 and HIPAA since 31 Jan 2025 (the courses began 1 Jan 2025, not their start);
    the coder (15 Jun 2025) owes onboarding 29 Jun, HIPAA 15 Jul, coding 14 Aug 2025; the
    biller (2 Mar 2026) owes onboarding 16 Mar (overdue) and HIPAA 1 Apr (due). The client
    viewer owes nothing."""
    rows = workforce_status(world.workspace, date(2026, 3, 20))
    assert _table(rows) == [
        ("carl.officer", "Onboarding", date(2025, 1, 15), "overdue"),
        ("oscar.owner", "Onboarding", date(2025, 1, 15), "overdue"),
        ("sue.supervisor", "Onboarding", date(2025, 1, 15), "overdue"),
        ("carl.officer", "HIPAA privacy and security", date(2025, 1, 31), "overdue"),
        ("oscar.owner", "HIPAA privacy and security", date(2025, 1, 31), "overdue"),
        ("sue.supervisor", "HIPAA privacy and security", date(2025, 1, 31), "overdue"),
        ("cy.coder", "Onboarding", date(2025, 6, 29), "overdue"),
        ("cy.coder", "HIPAA privacy and security", date(2025, 7, 15), "overdue"),
        ("cy.coder", "Coding compliance", date(2025, 8, 14), "overdue"),
        ("bo.biller", "Onboarding", date(2026, 3, 16), "overdue"),
        ("bo.biller", "HIPAA privacy and security", date(2026, 4, 1), "due"),
    ]
    assert rows[0].days_overdue(date(2026, 3, 20)) == (date(2026, 3, 20) - date(2025, 1, 15)).days


def test_due_on_the_day_is_not_yet_overdue(world: World) -> None:
    by_course = {r.course.title: r for r in due_for(world.biller, date(2026, 4, 1))}
    assert by_course["HIPAA privacy and security"].status == DUE
    by_course = {r.course.title: r for r in due_for(world.biller, date(2026, 4, 2))}
    assert by_course["HIPAA privacy and security"].status == OVERDUE


def test_annual_recurrence_runs_from_the_last_completion(world: World) -> None:
    """HIPAA completed 1 Jul 2025 (an earlier completion, 20 Jun 2025, counts no more): next due
    1 Jul 2026; done until 30 days before, due within them, overdue from 2 Jul 2026."""
    _done(world, world.coder, world.hipaa, date(2025, 6, 20))
    _done(world, world.coder, world.hipaa, date(2025, 7, 1))

    def hipaa(today: date):  # type: ignore[no-untyped-def]
        return next(r for r in due_for(world.coder, today) if r.course == world.hipaa)

    assert (hipaa(date(2026, 5, 31)).due_on, hipaa(date(2026, 5, 31)).status) == (
        date(2026, 7, 1),
        DONE,
    )
    assert hipaa(date(2026, 6, 1)).status == DUE  # 30 days before
    assert hipaa(date(2026, 7, 1)).status == DUE
    assert hipaa(date(2026, 7, 2)).status == OVERDUE
    assert hipaa(date(2026, 7, 2)).last_completed_on == date(2025, 7, 1)


def test_a_course_taken_once_stays_done(world: World) -> None:
    _done(world, world.coder, world.onboarding, date(2025, 6, 20))
    row = next(r for r in due_for(world.coder, date(2031, 1, 1)) if r.course == world.onboarding)
    assert (row.due_on, row.status, row.last_completed_on) == (None, DONE, date(2025, 6, 20))


def test_role_specific_course_follows_the_live_grants(world: World) -> None:
    """The biller owes no coding course; granted coder on 1 May 2026 she owes it 60 days on
    (30 Jun 2026); once the grant is revoked she owes it no more."""
    titles = {r.course.title for r in due_for(world.biller, date(2026, 5, 10))}
    assert "Coding compliance" not in titles
    grant = give(world.biller, Role.CODER, world.practice, date(2026, 5, 1))
    row = next(r for r in due_for(world.biller, date(2026, 5, 10)) if r.course == world.coding)
    assert (row.due_on, row.status) == (date(2026, 6, 30), DUE)
    grant_revoke(actor=actor_of(world.owner), grant=grant, reason="back to billing")
    titles = {r.course.title for r in due_for(world.biller, date(2026, 5, 10))}
    assert "Coding compliance" not in titles


def test_a_course_added_later_counts_from_its_own_creation(world: World) -> None:
    """A course made on 1 Sep 2026 is owed by the 2024 joiners 45 days on (16 Oct 2026), not
    from their start in 2024."""
    late = course(world.workspace, "Phishing", CourseKind.ROLE_SPECIFIC, roles=(Role.OWNER,),
                  days_allowed=45, created_on=date(2026, 9, 1))  # fmt: skip
    row = next(r for r in due_for(world.owner, date(2026, 10, 1)) if r.course == late)
    assert (row.due_on, row.status) == (date(2026, 10, 16), DUE)
    assert late not in {r.course for r in due_for(world.officer, date(2026, 10, 1))}


def test_client_viewers_and_inactive_logins_are_not_the_workforce(world: World) -> None:
    assert due_for(world.client, date(2026, 3, 20)) == []
    world.coder.is_active = False
    world.coder.save(update_fields=["is_active"])
    usernames = {r.user.username for r in workforce_status(world.workspace, date(2026, 3, 20))}
    assert usernames == {"carl.officer", "oscar.owner", "sue.supervisor", "bo.biller"}
    members = {m.user.username for m in workforce_members(world.workspace)}
    assert "cleo.client" not in members and "ozzy.outsider" not in members


def test_a_retired_course_is_owed_by_nobody(world: World) -> None:
    world.onboarding.active = False
    world.onboarding.save(update_fields=["active"])
    assert world.onboarding not in {r.course for r in due_for(world.biller, date(2026, 3, 20))}


def test_standing_is_a_rule_of_dates_alone() -> None:
    """Unsaved rows: never trained, due start + days allowed; taken, due a recurrence after."""
    person = User(username="pat", date_joined=noon(date(2026, 1, 10)))
    member = WorkforceMember(user=person, roles=frozenset({Role.BILLER}), role_since={})
    annual = Course(title="HIPAA", recurrence_months=12, days_allowed=30,
                    created_at=noon(date(2025, 1, 1)))  # fmt: skip
    first = standing(annual, member, None, date(2026, 2, 9))
    assert (first.due_on, first.status) == (date(2026, 2, 9), DUE)
    assert standing(annual, member, None, date(2026, 2, 10)).status == OVERDUE
    again = standing(annual, member, date(2026, 2, 1), date(2026, 2, 10))
    assert (again.due_on, again.status) == (date(2027, 2, 1), DONE)


def test_training_sweep_reports_each_workspace(world: World) -> None:
    sweeps = {s.workspace.pk: s for s in training_sweep(date(2026, 3, 20))}
    ours = sweeps[world.workspace.pk]
    assert len(ours.overdue) == 10 and len(ours.due) == 1
    assert ours.due[0].user == world.biller


def test_workforce_status_costs_four_queries_whatever_the_head_count(
    world: World,
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    """Users, their grants, the courses, the last completions: one query each."""
    for n in range(5):
        give(
            person(world.workspace, f"extra.{n}", date(2025, 1, 1)),
            Role.BILLER,
            world.practice,
            date(2025, 1, 1),
        )
        _done(world, world.biller, world.hipaa, date(2026, 3, 10 + n))
    with django_assert_num_queries(4):
        rows = workforce_status(world.workspace, date(2026, 3, 20))
    assert len(rows) == 11 + 5 * 2
