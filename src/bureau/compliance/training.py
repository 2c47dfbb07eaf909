"""Workforce training: courses, completions, and each person's due dates.

Due dates are computed, never stored. A person owes a course that applies to them (no roles
named: everyone; otherwise one of their live grants' roles) `days_allowed` days after they
started (their login's creation; for a role-specific course, the day the role was first
granted), and never before the course itself existed; once completed, again
`recurrence_months` after the last completion (never again when 0). Computing them means a
new user has due dates the moment the login exists, whichever path created it (the users page,
`bureau createuser`, the demo seed, the book builder), and a role change or a new course
moves them at once, with no second copy to drift.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.compliance.evidence_documents import (
    MAX_CERTIFICATE_BYTES,
    DocumentError,
    DocumentKind,
    accept_document,
)
from bureau.compliance.models.training import Course, CourseKind, TrainingCompletion
from bureau.compliance.workforce import (
    WorkforceMember,
    local_date,
    months_after,
    workforce_members,
)
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability, Role

# A recurring course shows as due (not done) this many days before its next due date.
DUE_SOON_DAYS = 30
MAX_NOTE = 2_000
MAX_TITLE = 200
MAX_DAYS_ALLOWED = 365
MAX_RECURRENCE_MONTHS = 120
CERTIFICATE_KINDS = frozenset({DocumentKind.PDF, DocumentKind.PNG, DocumentKind.JPEG})


class TrainingError(ValueError):
    """A request refused, with a message for the person who made it."""


class TrainingStatus(StrEnum):
    OVERDUE = "overdue"
    DUE = "due"
    DONE = "done"


_ORDER = {TrainingStatus.OVERDUE: 0, TrainingStatus.DUE: 1, TrainingStatus.DONE: 2}


@dataclass(frozen=True)
class TrainingDue:
    """One person's standing on one course."""

    user: User
    course: Course
    # None: a course taken once, and taken.
    due_on: date | None
    last_completed_on: date | None
    status: TrainingStatus

    def days_overdue(self, today: date) -> int:
        if self.status != TrainingStatus.OVERDUE or self.due_on is None:
            return 0
        return (today - self.due_on).days

    @property
    def sort_key(self) -> tuple[int, date, str, str]:
        return (
            _ORDER[self.status],
            self.due_on or date.max,
            self.user.display_name.lower(),
            self.course.title.lower(),
        )


# -- due dates ----------------------------------------------------------------------------------
def course_applies(course: Course, member: WorkforceMember) -> bool:
    if not course.active:
        return False
    return not course.roles or bool(member.roles & {Role(r) for r in course.roles})


def _first_start(course: Course, member: WorkforceMember) -> date:
    """The day the first due date counts from."""
    if course.roles:
        held = [member.role_since[Role(r)] for r in course.roles if Role(r) in member.roles]
        start = min(held) if held else member.started_on
    else:
        start = member.started_on
    return max(start, local_date(course.created_at))


def standing(
    course: Course, member: WorkforceMember, last: date | None, today: date
) -> TrainingDue:
    """The person's due date and status on the course, given their last completion."""
    due: date | None
    if last is None:
        first_due = _first_start(course, member) + timedelta(days=course.days_allowed)
        due = first_due
        status = TrainingStatus.OVERDUE if today > first_due else TrainingStatus.DUE
    elif course.recurrence_months == 0:
        due, status = None, TrainingStatus.DONE
    else:
        due = months_after(last, course.recurrence_months)
        if today > due:
            status = TrainingStatus.OVERDUE
        elif (due - today).days <= DUE_SOON_DAYS:
            status = TrainingStatus.DUE
        else:
            status = TrainingStatus.DONE
    return TrainingDue(
        user=member.user, course=course, due_on=due, last_completed_on=last, status=status
    )


def _last_completions(workspace: Workspace, users: Iterable[User]) -> dict[tuple[int, int], date]:
    rows = (
        TrainingCompletion.objects.filter(
            course__workspace=workspace, user__in=[u.pk for u in users]
        )
        .values("user_id", "course_id")
        .annotate(last=Max("completed_on"))
    )
    return {(row["user_id"], row["course_id"]): row["last"] for row in rows}


def _standings(
    workspace: Workspace, members: list[WorkforceMember], today: date
) -> list[TrainingDue]:
    courses = list(Course.objects.filter(workspace=workspace, active=True))
    last = _last_completions(workspace, [m.user for m in members])
    rows = [
        standing(course, member, last.get((member.user.pk, course.pk)), today)
        for member in members
        for course in courses
        if course_applies(course, member)
    ]
    return sorted(rows, key=lambda row: row.sort_key)


def due_for(user: User, today: date) -> list[TrainingDue]:
    """The courses `user` owes, overdue first; none for a client viewer or an inactive login."""
    if user.workspace is None:
        return []
    return _standings(user.workspace, workforce_members(user.workspace, user=user), today)


def workforce_status(workspace: Workspace, today: date) -> list[TrainingDue]:
    """Every member of the workforce × every course that applies to them, overdue first (the
    longest overdue at the top), then due, then done. Four queries, whatever the head count."""
    return _standings(workspace, workforce_members(workspace), today)


@dataclass(frozen=True)
class TrainingSweep:
    workspace: Workspace
    overdue: list[TrainingDue]
    due: list[TrainingDue]


def training_sweep(today: date | None = None) -> list[TrainingSweep]:
    """For a scheduled task (nightly): each workspace's overdue and soon-due training. Reads
    only: due dates are computed, so there is nothing to refresh, and running it twice is
    harmless; the task decides whom to remind."""
    today = today or timezone.localdate()
    sweeps = []
    for workspace in Workspace.objects.order_by("pk"):
        rows = workforce_status(workspace, today)
        sweeps.append(
            TrainingSweep(
                workspace=workspace,
                overdue=[r for r in rows if r.status == TrainingStatus.OVERDUE],
                due=[r for r in rows if r.status == TrainingStatus.DUE],
            )
        )
    return sweeps


# -- writes -------------------------------------------------------------------------------------
def require_manage(actor: Actor) -> None:
    """Compliance records belong to the whole workspace: `compliance.manage` on all practices."""
    if not actor.can_workspace(Capability.COMPLIANCE_MANAGE):
        raise CapabilityDenied(Capability.COMPLIANCE_MANAGE)


@dataclass(frozen=True)
class CourseTerms:
    title: str
    kind: CourseKind
    roles: tuple[Role, ...] = ()
    recurrence_months: int = 12
    days_allowed: int = 30
    active: bool = True


def _checked(terms: CourseTerms) -> dict[str, Any]:
    title = " ".join(terms.title.split())
    if not title:
        raise TrainingError("A course needs a title.")
    if len(title) > MAX_TITLE:
        raise TrainingError(f"The title is too long ({MAX_TITLE} characters at most).")
    if not 0 <= terms.recurrence_months <= MAX_RECURRENCE_MONTHS:
        raise TrainingError(
            f"Recurrence is 0 (once) to {MAX_RECURRENCE_MONTHS} months; 12 for annual training."
        )
    if not 0 <= terms.days_allowed <= MAX_DAYS_ALLOWED:
        raise TrainingError(f"Days allowed is 0 to {MAX_DAYS_ALLOWED}.")
    if terms.kind == CourseKind.ROLE_SPECIFIC and not terms.roles:
        raise TrainingError("A role-specific course names the roles it applies to.")
    if Role.CLIENT_VIEWER in terms.roles:
        raise TrainingError("Client viewers are the practice's people, not the workforce.")
    return {
        "title": title,
        "kind": terms.kind.value,
        "roles": sorted({r.value for r in terms.roles}),
        "recurrence_months": terms.recurrence_months,
        "days_allowed": terms.days_allowed,
        "active": terms.active,
    }


def _title_taken(workspace: Workspace, title: str, but: Course | None = None) -> bool:
    others = Course.objects.filter(workspace=workspace, title__iexact=title)
    if but is not None:
        others = others.exclude(pk=but.pk)
    return others.exists()


@transaction.atomic
def course_create(*, actor: Actor, terms: CourseTerms) -> Course:
    require_manage(actor)
    values = _checked(terms)
    if _title_taken(actor.workspace, values["title"]):
        raise TrainingError(f"A course named {values['title']!r} exists already.")
    course = Course.objects.create(workspace=actor.workspace, **values)
    audit_record(
        action=AuditAction.COURSE_CHANGED,
        actor=actor,
        model="compliance.Course",
        record_ids=[course.public_id],
        detail={"created": True, **values},
    )
    return course


@transaction.atomic
def course_update(*, actor: Actor, course: Course, terms: CourseTerms) -> Course:
    require_manage(actor)
    locked = (
        Course.objects.select_for_update().filter(pk=course.pk, workspace=actor.workspace).first()
    )
    if locked is None:
        raise CapabilityDenied("course outside the workspace")
    values = _checked(terms)
    if _title_taken(actor.workspace, values["title"], but=locked):
        raise TrainingError(f"A course named {values['title']!r} exists already.")
    changes = {
        name: [getattr(locked, name), value]
        for name, value in values.items()
        if getattr(locked, name) != value
    }
    if not changes:
        raise TrainingError("Nothing changed.")
    for name, value in values.items():
        setattr(locked, name, value)
    locked.save(update_fields=list(changes))
    audit_record(
        action=AuditAction.COURSE_CHANGED,
        actor=actor,
        model="compliance.Course",
        record_ids=[locked.public_id],
        detail={"title": locked.title, "changes": changes},
    )
    return locked


@transaction.atomic
def training_completion_record(
    *,
    actor: Actor,
    user: User,
    course: Course,
    completed_on: date,
    today: date,
    note: str = "",
    certificate: bytes | None = None,
    certificate_filename: str = "",
) -> TrainingCompletion:
    """Record that `user` completed `course` on `completed_on`, with its evidence.

    Refused: a date after today; a date before the person's login existed (their due dates
    count from it, so an earlier date is most likely a typing slip, and a program bringing in
    older records first sets the person's start); a retired course; someone outside the
    workforce (a client viewer, an inactive login); the same course on the same day twice."""
    require_manage(actor)
    if user.workspace_id != actor.workspace.pk or course.workspace_id != actor.workspace.pk:
        raise CapabilityDenied("person or course outside the workspace")
    if completed_on > today:
        raise TrainingError(f"The completion date {completed_on} is in the future.")
    started = local_date(user.date_joined)
    if completed_on < started:
        raise TrainingError(
            f"{user.display_name}'s login was created on {started}: "
            f"a completion on {completed_on} is before it."
        )
    if not course.active:
        raise TrainingError(f"The course {course.title!r} is retired.")
    if not workforce_members(actor.workspace, user=user):
        raise TrainingError(f"{user.display_name} is not part of the workforce.")
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise TrainingError(f"The note is too long ({MAX_NOTE} characters at most).")
    document = None
    if certificate:
        try:
            document = accept_document(
                certificate,
                certificate_filename,
                allowed=CERTIFICATE_KINDS,
                max_bytes=MAX_CERTIFICATE_BYTES,
                what="certificate",
            )
        except DocumentError as exc:
            raise TrainingError(str(exc)) from exc
    if not note and document is None:
        raise TrainingError("Give the evidence: a note, a certificate, or both.")
    try:
        with transaction.atomic():
            completion = TrainingCompletion.objects.create(
                course=course,
                user=user,
                completed_on=completed_on,
                note=note,
                certificate=document.content if document else None,
                certificate_sha256=document.sha256 if document else "",
                certificate_filename=document.filename if document else "",
                recorded_by=actor.user,
            )
    except IntegrityError as exc:
        raise TrainingError(
            f"{user.display_name}'s completion of {course.title!r} on {completed_on} "
            "is recorded already."
        ) from exc
    audit_record(
        action=AuditAction.TRAINING_COMPLETED,
        actor=actor,
        model="compliance.TrainingCompletion",
        record_ids=[completion.public_id],
        detail={
            "user": user.username,
            "course": course.title,
            "completed_on": completed_on.isoformat(),
            "certificate_sha256": completion.certificate_sha256,
        },
    )
    return completion


# -- evidence handed out ------------------------------------------------------------------------
@transaction.atomic
def certificate_download(*, actor: Actor, completion: TrainingCompletion) -> tuple[str, bytes]:
    """(file name, content) of a completion's certificate, the download audited. Training
    records are the whole program's: `compliance.view` on every practice reads them; anyone
    else, another workspace's completion, or one without a certificate answers 404, alike."""
    if (
        not actor.can_workspace(Capability.COMPLIANCE_VIEW)
        or completion.course.workspace_id != actor.workspace.pk
        or not completion.certificate_sha256
        or completion.certificate is None
    ):
        raise Http404
    audit_record(
        action=AuditAction.CERTIFICATE_DOWNLOADED,
        actor=actor,
        model="compliance.TrainingCompletion",
        record_ids=[completion.public_id],
        detail={
            "user": completion.user.username,
            "course": completion.course.title,
            "filename": completion.certificate_filename,
            "sha256": completion.certificate_sha256,
        },
    )
    return completion.certificate_filename, bytes(completion.certificate)
