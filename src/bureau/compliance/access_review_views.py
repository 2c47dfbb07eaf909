"""Access review pages: the campaigns, starting one, deciding each grant, locking, and the
evidence bundle.

Who sees what is the selectors' rule (`access_review_selectors`): a `compliance.view` holder
over a campaign's scope sees it whole; a reviewer sees it with the items of the practices they
review; anyone else finds no such campaign (404, as a missing one). Every change goes through
`access_review_services`, which checks again and audits. A refused or stale decision (another
tab decided first) comes back as a message on the campaign page, never an error page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bureau.accounts.models import User
from bureau.compliance import access_review_selectors as selectors
from bureau.compliance import access_review_services as services
from bureau.compliance.access import sees_whole_program
from bureau.compliance.models.access_review import (
    AccessReview,
    AccessReviewItem,
    AccessReviewStatus,
)
from bureau.compliance.page_access import require_form_methods
from bureau.configuration.resolver import workspace_settings
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability, Role
from bureau.web.access import WorkspaceDownload, actor_of, requires, serves_workspace_file
from bureau.web.forms import DateField

VIEW = Capability.COMPLIANCE_VIEW
MANAGE = Capability.COMPLIANCE_MANAGE
WHOLE = "workspace"
CHOSEN = "practices"
ALL_PRACTICES = "all"  # the reviewer of the all-practices grants
NOT_OFFERED = {"invalid_choice": "Choose among the options offered."}


# -- the list -----------------------------------------------------------------------------------
@require_safe
@requires(VIEW)
def review_list_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    today = timezone.localdate()
    reviews = selectors.visible_reviews(actor)
    reviewers = selectors.reviewer_lists(actor, reviews)
    rows = selectors.progress(reviews, today)
    return render(
        request,
        "compliance/review_list.html",
        {
            "rows": [(row, reviewers[row.review.pk]) for row in rows],
            "next_due": services.next_due(actor.workspace, today),
            "every_months": _interval(actor),
            "today": today,
            "may_start": actor.can(MANAGE),
            "whole": sees_whole_program(actor),  # the program's tabs
        },
    )


def _interval(actor: Actor) -> int:
    return int(workspace_settings(actor.workspace).get(services.INTERVAL_KEY) or 0)


# -- starting one -------------------------------------------------------------------------------
class StartForm(forms.Form):
    title = forms.CharField(label="Title", max_length=200)
    scope = forms.ChoiceField(
        label="Scope",
        choices=[(WHOLE, "The whole workspace"), (CHOSEN, "The practices chosen below")],
        widget=forms.RadioSelect,
        error_messages=NOT_OFFERED,
    )
    practices = forms.MultipleChoiceField(
        label="Practices",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages=NOT_OFFERED,
    )
    due_on = DateField(
        label="Due", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.actor = actor
        self.choosable = actor.practices(MANAGE)
        scopes = [(WHOLE, "The whole workspace"), (CHOSEN, "The practices chosen below")]
        if not actor.can_workspace(MANAGE):
            scopes = scopes[1:]  # a whole-workspace review needs compliance.manage everywhere
        self.fields["scope"].choices = scopes  # type: ignore[attr-defined]
        self.fields["practices"].choices = [  # type: ignore[attr-defined]
            (str(p.public_id), p.name) for p in self.choosable
        ]
        people = [("", "— nobody: the compliance officer decides —")] + [
            (str(u.public_id), f"{u.display_name} ({u.username})")
            for u in selectors.reviewer_choices(actor)
        ]
        self.reviewer_fields: list[tuple[str, Practice | None]] = []
        targets: list[Practice | None] = [None, *self.choosable]
        for practice in targets:
            name = f"reviewer_{practice.public_id if practice else ALL_PRACTICES}"
            self.fields[name] = forms.ChoiceField(
                label=f"Reviewer of {practice.name if practice else 'the all-practices grants'}",
                choices=people,
                required=False,
                error_messages=NOT_OFFERED,
            )
            self.reviewer_fields.append((name, practice))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == CHOSEN and not data.get("practices"):
            self.add_error("practices", "Choose at least one practice, or the whole workspace.")
        due = data.get("due_on")
        today = timezone.localdate()
        problem = services.due_date_problem(due, today) if isinstance(due, date) else None
        if problem:
            self.add_error("due_on", problem)
        return data

    def chosen_practices(self) -> list[Practice] | None:
        if self.cleaned_data["scope"] == WHOLE:
            return None
        wanted = set(self.cleaned_data["practices"])
        return [p for p in self.choosable if str(p.public_id) in wanted]

    def reviewers(self, practices: list[Practice] | None) -> dict[Practice | None, User]:
        """The reviewer chosen for each practice in the scope (and the all-practices grants)."""
        people = {str(u.public_id): u for u in selectors.reviewer_choices(self.actor)}
        in_scope = None if practices is None else {p.pk for p in practices}
        chosen: dict[Practice | None, User] = {}
        for name, practice in self.reviewer_fields:
            user = people.get(self.cleaned_data.get(name) or "")
            if user is None:
                continue
            if practice is not None and in_scope is not None and practice.pk not in in_scope:
                continue  # a reviewer of a practice left out of the scope: not asked for
            chosen[practice] = user
        return chosen


def _default_title(today: date) -> str:
    return f"Access review Q{(today.month - 1) // 3 + 1} {today.year}"


@require_form_methods
@requires(MANAGE)
def review_start_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    today = timezone.localdate()
    initial = {
        "title": _default_title(today),
        "scope": WHOLE if actor.can_workspace(MANAGE) else CHOSEN,
        "due_on": today + timedelta(days=services.SCHEDULED_DUE_DAYS),
    }
    form = StartForm(actor, request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        practices = form.chosen_practices()
        try:
            review = services.open_campaign(
                actor=actor,
                title=form.cleaned_data["title"],
                due_on=form.cleaned_data["due_on"],
                practices=practices,
                reviewers=form.reviewers(practices),
            )
        except services.AccessReviewError as exc:
            form.add_error(None, str(exc))
        except CapabilityDenied:
            form.add_error("scope", "You may not open a review over this scope.")
        else:
            messages.success(
                request, f"Opened {review.title}: {review.items.count()} grant(s) to decide."
            )
            return redirect("compliance:review_detail", public_id=review.public_id)
    return render(
        request,
        "compliance/review_start.html",
        {
            "form": form,
            "reviewer_fields": [form[name] for name, _ in form.reviewer_fields],
        },
    )


# -- one campaign -------------------------------------------------------------------------------
@dataclass
class PracticeGroup:
    """The items of one practice (or of the all-practices grants) on the campaign page."""

    label: str
    key: str  # the practice's public id, or "all"
    items: list[AccessReviewItem]
    reviewer: str
    decidable: int = 0  # items the actor may still decide, their own aside

    @property
    def decided(self) -> int:
        return sum(1 for i in self.items if i.decision)


def _role_label(value: str) -> str:
    try:
        return Role(value).label
    except ValueError:
        return value


def _campaign(actor: Actor, public_id: UUID) -> AccessReview:
    review = selectors.review_for(actor, public_id)
    if review is None:
        raise Http404
    return review


def _groups(actor: Actor, review: AccessReview) -> list[PracticeGroup]:
    reviewers = {
        (str(r.practice.public_id) if r.practice else ALL_PRACTICES): r.user.username
        for r in selectors.reviewers_of(actor, review)
    }
    groups: dict[str, PracticeGroup] = {}
    items = selectors.review_items(actor, review).select_related("review", "practice")
    for item in items.order_by("practice_name", "username", "role", "id"):
        key = str(item.practice.public_id) if item.practice else ALL_PRACTICES
        group = groups.get(key)
        if group is None:
            group = groups[key] = PracticeGroup(
                item.practice_name, key, [], reviewers.get(key) or "none named"
            )
        item.may_decide = selectors.decidable(actor, item)  # type: ignore[attr-defined]
        item.own = item.user_id == actor.user.pk  # type: ignore[attr-defined]
        item.role_label = _role_label(item.role)  # type: ignore[attr-defined]
        if item.may_decide and not item.own:  # type: ignore[attr-defined]
            group.decidable += 1
        group.items.append(item)
    return sorted(groups.values(), key=lambda g: (g.key != ALL_PRACTICES, g.label.lower()))


@require_safe
def review_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    review = _campaign(actor, public_id)
    today = timezone.localdate()
    groups = _groups(actor, review)
    whole = selectors.sees_whole(actor, review)
    counts = selectors.progress([review], today)[0]
    may_lock = review.status == AccessReviewStatus.COMPLETE and services.may_open(
        actor, None if review.whole_workspace else list(review.practices.all())
    )
    return render(
        request,
        "compliance/review_detail.html",
        {
            "review": review,
            "groups": groups,
            "reviewers": selectors.reviewers_of(actor, review),
            "whole": whole,
            "counts": counts,
            "shown": sum(len(g.items) for g in groups),
            "shown_decided": sum(g.decided for g in groups),
            "may_lock": may_lock,
            "may_download": review.is_locked and whole,
            "scope": "Whole workspace"
            if review.whole_workspace
            else ", ".join(p.name for p in review.practices.all()),
        },
    )


def _back(review: AccessReview, anchor: str = "") -> HttpResponse:
    response = redirect("compliance:review_detail", public_id=review.public_id)
    if anchor:
        response["Location"] += f"#{anchor}"
    return response


@require_POST
def review_decide_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    review = _campaign(actor, public_id)
    item = selectors.item_of(actor, review, request.POST.get("item", ""))
    if item is None:
        messages.error(request, "Choose a grant of this review to decide.")
        return _back(review)
    decision = request.POST.get("decision", "")
    try:
        services.decide(
            actor=actor, item=item, decision=decision, comment=request.POST.get("comment", "")
        )
    except services.AccessReviewError as exc:
        messages.error(request, f"{item.username} on {item.practice_name}: {exc}")
    except CapabilityDenied:
        messages.error(request, f"You do not review {item.practice_name}'s grants in this review.")
    else:
        verb = "Revoked" if decision == "revoked" else "Confirmed"
        messages.success(
            request, f"{verb} {item.username}'s {item.role} access on {item.practice_name}."
        )
    return _back(review, f"item-{item.public_id}")


@require_POST
def review_confirm_rest_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    review = _campaign(actor, public_id)
    key = request.POST.get("practice", "")
    groups = {g.key: g for g in _groups(actor, review)}
    group = groups.get(key)
    if group is None:
        messages.error(request, "Choose a practice of this review.")
        return _back(review)
    practice = next((i.practice for i in group.items if i.practice is not None), None)
    try:
        done = services.confirm_remaining(
            actor=actor,
            campaign=review,
            practice=practice,
            comment=request.POST.get("comment", ""),
        )
    except services.AccessReviewError as exc:
        messages.error(request, str(exc))
    except CapabilityDenied:
        messages.error(request, f"You do not review {group.label}'s grants in this review.")
    else:
        messages.success(request, f"Confirmed {done} remaining grant(s) on {group.label}.")
    return _back(review)


@require_POST
def review_lock_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    review = _campaign(actor, public_id)
    try:
        locked = services.lock(actor, review)
    except services.AccessReviewError as exc:
        messages.error(request, str(exc))
    except CapabilityDenied:
        messages.error(request, "Only a compliance officer over the review's scope locks it.")
    else:
        messages.success(
            request,
            f"Locked {locked.title}. Evidence bundle SHA-256 {locked.evidence_sha256}.",
        )
    return _back(review)


@requires(VIEW)
@serves_workspace_file(carries=[VIEW])
def review_evidence_view(request: HttpRequest, public_id: UUID) -> WorkspaceDownload | HttpResponse:
    actor = actor_of(request)
    review = _campaign(actor, public_id)
    try:
        content = services.evidence_export(actor, review)
    except CapabilityDenied as exc:  # a reviewer, not a compliance.view holder over the scope
        raise Http404 from exc
    except services.AccessReviewError as exc:
        messages.error(request, str(exc))
        return _back(review)
    return WorkspaceDownload(
        content=content,
        file_name=f"access-review-{review.created_at:%Y-%m-%d}-{str(review.public_id)[:8]}.zip",
        content_type="application/zip",
        extensions=(".zip",),
    )
