"""What the training pages read: the matrix of people × courses, one person's history, and the
records a URL names (a course, a completion, a person), each found in the actor's workspace
only, so another workspace's record answers exactly like a missing one.

Training records are control data of the billing company (no PHI): the pages read them
whole, with the program's reach (`compliance.view` on every practice)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any
from uuid import UUID

from django.http import Http404

from bureau.accounts.models import User
from bureau.compliance.models.training import Course, TrainingCompletion
from bureau.compliance.training import TrainingDue, TrainingStatus, workforce_status
from bureau.compliance.workforce import workforce_members
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Role


def _uuid(value: Any) -> UUID:
    try:
        return value if isinstance(value, UUID) else UUID(str(value)[:80])
    except ValueError as exc:
        raise Http404 from exc


def course_of(actor: Actor, public_id: Any) -> Course:
    found = Course.objects.filter(workspace=actor.workspace, public_id=_uuid(public_id)).first()
    if found is None:
        raise Http404
    return found


def person_of(actor: Actor, public_id: Any) -> User:
    """A login of the actor's workspace (any: a client viewer's page says they owe nothing)."""
    found = User.objects.filter(workspace=actor.workspace, public_id=_uuid(public_id)).first()
    if found is None:
        raise Http404
    return found


def completion_of(actor: Actor, public_id: Any) -> TrainingCompletion:
    found = (
        TrainingCompletion.objects.select_related("course", "user")
        .filter(course__workspace=actor.workspace, public_id=_uuid(public_id))
        .first()
    )
    if found is None:
        raise Http404
    return found


def courses(actor: Actor) -> list[Course]:
    """Every course of the workspace, the retired ones last."""
    return sorted(
        Course.objects.filter(workspace=actor.workspace),
        key=lambda c: (not c.active, c.title.lower()),
    )


def role_labels(course: Course) -> str:
    if not course.roles:
        return "Everyone in the workforce"
    return ", ".join(Role(r).label for r in course.roles)


@dataclass(frozen=True)
class Cell:
    """A person's standing on a course, in words: "overdue 12 days" (red), "due in 9 days",
    "done"; `css` colours it."""

    row: TrainingDue
    words: str
    css: str

    @property
    def status(self) -> TrainingStatus:
        return self.row.status


def describe(row: TrainingDue, today: date) -> Cell:
    if row.status == TrainingStatus.OVERDUE:
        days = row.days_overdue(today)
        return Cell(row, f"overdue {days} day{'s' if days != 1 else ''}", "tag tag-suspended")
    if row.status == TrainingStatus.DUE and row.due_on is not None:
        days = (row.due_on - today).days
        when = "today" if days == 0 else f"in {days} day{'s' if days != 1 else ''}"
        return Cell(row, f"due {when}", "tag tag-onboarding")
    return Cell(row, "done", "tag tag-active")


def described(rows: list[TrainingDue], today: date) -> list[Cell]:
    return [describe(r, today) for r in rows]


@dataclass
class PersonRow:
    """One person of the matrix: their standing on each course, by course id."""

    user: User
    cells: dict[int, Cell] = field(default_factory=dict)

    @property
    def overdue(self) -> int:
        return sum(c.status == TrainingStatus.OVERDUE for c in self.cells.values())

    @property
    def due(self) -> int:
        return sum(c.status == TrainingStatus.DUE for c in self.cells.values())

    def line(self, courses: list[Course]) -> list[Cell | None]:
        """The person's cells in the order of `courses` (None: the course is not theirs)."""
        return [self.cells.get(c.pk) for c in courses]


@dataclass
class TrainingMatrix:
    courses: list[Course]
    people: list[PersonRow]
    rows: list[Cell]  # every person × course that applies, overdue first

    def count(self, status: TrainingStatus) -> int:
        return sum(r.status == status for r in self.rows)

    @property
    def table(self) -> list[tuple[PersonRow, list[Cell | None]]]:
        """Each person with their cells in the order of the columns."""
        return [(p, p.line(self.courses)) for p in self.people]

    @property
    def overdue_people(self) -> int:
        return sum(1 for p in self.people if p.overdue)


def training_matrix(actor: Actor, today: date, *, status: str = "") -> TrainingMatrix:
    """The workforce × the active courses. `status` "overdue" (or "due") keeps the people with
    at least one course in that state, and those rows."""
    rows = workforce_status(actor.workspace, today)
    active = [c for c in courses(actor) if c.active]
    cells = described(rows, today)
    people: dict[int, PersonRow] = {}
    for cell in cells:
        people.setdefault(cell.row.user.pk, PersonRow(cell.row.user)).cells[cell.row.course.pk] = (
            cell
        )
    persons = sorted(people.values(), key=lambda p: (p.user.display_name.lower(), p.user.pk))
    if status:
        cells = [c for c in cells if c.status == status]
        keep = {c.row.user.pk for c in cells}
        persons = [p for p in persons if p.user.pk in keep]
    return TrainingMatrix(courses=active, people=persons, rows=cells)


def history_of(actor: Actor, user: User) -> list[TrainingCompletion]:
    """A person's completions, newest first (the certificate itself is not read)."""
    return list(
        TrainingCompletion.objects.filter(course__workspace=actor.workspace, user=user)
        .select_related("course", "recorded_by")
        .defer("certificate")
    )


def workforce_choices(actor: Actor, user: User | None = None) -> list[User]:
    """The people a completion may be recorded for (the workforce, or just `user` if one of
    it), by name."""
    return [m.user for m in workforce_members(actor.workspace, user=user)]
