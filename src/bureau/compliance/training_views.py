"""Workforce training pages: the matrix of people × courses (due, overdue, done), a person's
history, the officer's forms (courses, completions with their certificates), the certificate
download, and each person's own training.

Reading the program needs `compliance.view` on every practice; writing, `compliance.manage`
on every practice (the services check it again). Anyone else gets the 404 of a missing page.
The services decide every rule (due dates, what a completion needs, the certificate's kind);
a refusal comes back on the form, under the field it names.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_safe

from bureau.compliance import training_queries as q
from bureau.compliance.access import can_manage, sees_whole_program
from bureau.compliance.evidence_documents import MAX_CERTIFICATE_BYTES
from bureau.compliance.models.training import Course, CourseKind
from bureau.compliance.page_access import require_form_methods
from bureau.compliance.training import (
    DUE_SOON_DAYS,
    MAX_DAYS_ALLOWED,
    MAX_NOTE,
    MAX_RECURRENCE_MONTHS,
    MAX_TITLE,
    CourseTerms,
    TrainingError,
    TrainingStatus,
    certificate_download,
    course_create,
    course_update,
    due_for,
    training_completion_record,
)
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability, Role
from bureau.web.access import WorkspaceDownload, actor_of, requires, serves_workspace_file
from bureau.web.forms import DateField

C = Capability
STATUS_FILTERS = {"overdue": "Overdue only", "due": "Due soon only"}
WORKFORCE_ROLES = [(r.value, r.label) for r in Role if r != Role.CLIENT_VIEWER]
DATE_INPUT = forms.DateInput(attrs={"type": "date"})


def reader(request: HttpRequest) -> Actor:
    """The actor, if it reads the whole program; otherwise the 404 of a missing page."""
    actor = actor_of(request)
    if not sees_whole_program(actor):
        raise Http404
    return actor


def manager(request: HttpRequest) -> Actor:
    actor = actor_of(request)
    if not can_manage(actor):
        raise Http404
    return actor


def refusal_on(form: forms.Form, message: str, fields: dict[str, tuple[str, ...]]) -> None:
    """The service's refusal under the field its words name (the form's top otherwise)."""
    lowered = message.lower()
    for name, words in fields.items():
        if any(w in lowered for w in words):
            form.add_error(name, message)
            return
    form.add_error(None, message)


def uploaded(form: forms.Form, name: str, limit: int, what: str) -> tuple[bytes | None, str]:
    """The upload's bytes and name; an oversized one is refused before it is read whole."""
    upload = form.cleaned_data.get(name)
    if not upload:
        return None, ""
    if upload.size > limit:
        form.add_error(name, f"The {what} is {upload.size:,} bytes; at most {limit:,} are kept.")
        return None, ""
    return upload.read(), upload.name or ""


# -- the matrix ---------------------------------------------------------------------------------
@require_safe
@requires(C.COMPLIANCE_VIEW)
def training_view(request: HttpRequest) -> HttpResponse:
    actor = reader(request)
    today = timezone.localdate()
    status = request.GET.get("status", "")
    if status not in STATUS_FILTERS:
        status = ""
    matrix = q.training_matrix(actor, today, status=status)
    return render(
        request,
        "compliance/training_matrix.html",
        {
            "matrix": matrix,
            "courses": [(c, q.role_labels(c)) for c in q.courses(actor)],
            "due_soon_days": DUE_SOON_DAYS,
            "status": status,
            "filters": STATUS_FILTERS,
            "today": today,
            "can_manage": can_manage(actor),
            "overdue": matrix.count(TrainingStatus.OVERDUE),
        },
    )


@require_safe
@requires(C.COMPLIANCE_VIEW)
def training_person_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = reader(request)
    person = q.person_of(actor, public_id)
    today = timezone.localdate()
    return render(
        request,
        "compliance/training_person.html",
        {
            "person": person,
            "standing": q.described(due_for(person, today), today) if person.is_active else [],
            "history": q.history_of(actor, person),
            "workforce": bool(q.workforce_choices(actor, person)),
            "today": today,
            "can_manage": can_manage(actor),
        },
    )


# -- courses ------------------------------------------------------------------------------------
class CourseForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE)
    kind = forms.ChoiceField(choices=CourseKind.choices)
    roles = forms.MultipleChoiceField(
        choices=WORKFORCE_ROLES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Who must take it. None ticked: everyone in the workforce.",
    )
    recurrence_months = forms.IntegerField(
        min_value=0,
        max_value=MAX_RECURRENCE_MONTHS,
        initial=12,
        label="Recurrence (months)",
        help_text="12 for annual training; 0 for a course taken once.",
    )
    days_allowed = forms.IntegerField(
        min_value=0,
        max_value=MAX_DAYS_ALLOWED,
        initial=30,
        help_text="Days after hire (or after the role is granted) for the first completion.",
    )
    active = forms.BooleanField(required=False, initial=True, help_text="Untick to retire it.")

    def terms(self) -> CourseTerms:
        data = self.cleaned_data
        return CourseTerms(
            title=data["title"],
            kind=CourseKind(data["kind"]),
            roles=tuple(Role(r) for r in data["roles"]),
            recurrence_months=data["recurrence_months"],
            days_allowed=data["days_allowed"],
            active=data["active"],
        )


COURSE_FIELDS = {
    "title": ("title", "named"),
    "recurrence_months": ("recurrence",),
    "days_allowed": ("days allowed",),
    "roles": ("role", "client viewer"),
}


def _initial(course: Course) -> dict[str, Any]:
    return {
        "title": course.title,
        "kind": course.kind,
        "roles": list(course.roles),
        "recurrence_months": course.recurrence_months,
        "days_allowed": course.days_allowed,
        "active": course.active,
    }


@require_form_methods
@requires(C.COMPLIANCE_MANAGE)
def course_create_view(request: HttpRequest) -> HttpResponse:
    actor = manager(request)
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            course = course_create(actor=actor, terms=form.terms())
        except TrainingError as exc:
            refusal_on(form, str(exc), COURSE_FIELDS)
        else:
            messages.success(request, f"Course {course.title!r} added.")
            return redirect("compliance:training")
    return render(request, "compliance/training_form.html", {"form": form, "title": "New course"})


@require_form_methods
@requires(C.COMPLIANCE_MANAGE)
def course_edit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = manager(request)
    course = q.course_of(actor, public_id)
    form = CourseForm(request.POST or None, initial=_initial(course))
    if request.method == "POST" and form.is_valid():
        try:
            course = course_update(actor=actor, course=course, terms=form.terms())
        except TrainingError as exc:
            refusal_on(form, str(exc), COURSE_FIELDS)
        else:
            messages.success(request, f"Course {course.title!r} saved.")
            return redirect("compliance:training")
    return render(
        request,
        "compliance/training_form.html",
        {"form": form, "title": f"Edit course: {course.title}"},
    )


# -- completions --------------------------------------------------------------------------------
class CompletionForm(forms.Form):
    person = forms.ChoiceField()
    course = forms.ChoiceField()
    completed_on = DateField(widget=DATE_INPUT)
    certificate = forms.FileField(
        required=False,
        help_text=f"PDF, PNG or JPEG, at most {MAX_CERTIFICATE_BYTES // (1024 * 1024)} MB.",
    )
    note = forms.CharField(
        required=False,
        max_length=MAX_NOTE,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="The evidence is a certificate, a note, or both.",
    )

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = {str(u.public_id): u for u in q.workforce_choices(actor)}
        self.course_list = {str(c.public_id): c for c in q.courses(actor) if c.active}
        self.fields["person"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (k, u.display_name) for k, u in self.people.items()
        ]
        self.fields["course"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (k, c.title) for k, c in self.course_list.items()
        ]


COMPLETION_FIELDS = {
    "completed_on": ("completion date", "login was created"),
    "certificate": ("certificate",),
    "note": ("note is too long",),
    "course": ("retired",),
    "person": ("workforce",),
}


@require_form_methods
@requires(C.COMPLIANCE_MANAGE)
def completion_create_view(request: HttpRequest) -> HttpResponse:
    actor = manager(request)
    today = timezone.localdate()
    initial = {
        "person": request.GET.get("person", "")[:40],
        "course": request.GET.get("course", "")[:40],
        "completed_on": today,
    }
    form = CompletionForm(actor, request.POST or None, request.FILES or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        content, name = uploaded(form, "certificate", MAX_CERTIFICATE_BYTES, "certificate")
        person = form.people[form.cleaned_data["person"]]
        if not form.errors:
            try:
                completion = training_completion_record(
                    actor=actor,
                    user=person,
                    course=form.course_list[form.cleaned_data["course"]],
                    completed_on=form.cleaned_data["completed_on"],
                    today=today,
                    note=form.cleaned_data["note"],
                    certificate=content,
                    certificate_filename=name,
                )
            except TrainingError as exc:
                refusal_on(form, str(exc), COMPLETION_FIELDS)
            except CapabilityDenied as exc:
                raise Http404 from exc
            else:
                messages.success(
                    request,
                    f"Recorded {person.display_name}'s completion of "
                    f"{completion.course.title!r} on {completion.completed_on}.",
                )
                return redirect("compliance:training_person", public_id=person.public_id)
    return render(
        request,
        "compliance/training_form.html",
        {"form": form, "title": "Record a completion", "upload": True},
    )


@requires(C.COMPLIANCE_VIEW)
@serves_workspace_file()
def certificate_view(request: HttpRequest, public_id: UUID) -> WorkspaceDownload:
    actor = actor_of(request)
    completion = q.completion_of(actor, public_id)
    name, content = certificate_download(actor=actor, completion=completion)
    kind = {b"%PDF": ("application/pdf", ".pdf"), b"\x89PNG": ("image/png", ".png")}.get(
        content[:4], ("image/jpeg", ".jpg")
    )
    extensions = (kind[1], ".jpeg") if kind[1] == ".jpg" else (kind[1],)
    return WorkspaceDownload(content, name, kind[0], extensions)


# -- one's own ----------------------------------------------------------------------------------
@require_safe
def my_training_view(request: HttpRequest) -> HttpResponse:
    """Every signed-in person's own courses, due dates and history. Completions are recorded
    by the compliance officer (the service takes them from `compliance.manage` only), so the
    page says whom to send a certificate to."""
    actor = actor_of(request)
    today = timezone.localdate()
    standing = q.described(due_for(actor.user, today), today)
    return render(
        request,
        "compliance/training_mine.html",
        {
            "standing": standing,
            "history": q.history_of(actor, actor.user),
            "workforce": bool(q.workforce_choices(actor, actor.user)),
            "today": today,
            "overdue": sum(r.status == TrainingStatus.OVERDUE for r in standing),
        },
    )
