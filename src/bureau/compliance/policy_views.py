"""Policy pages: the list (owner, current version, review date, attestation progress,
retention), one policy's versions and who attested which when, the officer's forms (add a
policy, publish a version, mark reviewed, purge), document downloads, and each person's own
policies to acknowledge.

Reading the program needs `compliance.view` on every practice and writing `compliance.manage`
on every practice, except a person's own acknowledgement, which is theirs alone (the service
records it for the signed-in person only, once per version). The services decide every rule;
a refusal comes back on the form, or as a message on the page the button was on.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from bureau.compliance import policy_queries as q
from bureau.compliance.access import can_manage
from bureau.compliance.evidence_documents import MAX_POLICY_BYTES
from bureau.compliance.page_access import require_form_methods
from bureau.compliance.policies import (
    MAX_TEXT,
    MAX_TITLE,
    RETENTION_YEARS,
    PolicyError,
    policy_attest,
    policy_create,
    policy_document_download,
    policy_review_record,
    policy_version_publish,
    purge_version,
)
from bureau.compliance.training_views import DATE_INPUT, manager, reader, refusal_on, uploaded
from bureau.compliance.workforce import workforce_members
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.web.access import WorkspaceDownload, actor_of, requires, serves_workspace_file
from bureau.web.forms import DateField

C = Capability
DOCUMENT_HELP = f"The policy as a PDF, at most {MAX_POLICY_BYTES // (1024 * 1024)} MB."


# -- the list and one policy ----------------------------------------------------------------
@require_safe
@requires(C.COMPLIANCE_VIEW)
def policy_list_view(request: HttpRequest) -> HttpResponse:
    actor = reader(request)
    today = timezone.localdate()
    return render(
        request,
        "compliance/policy_list.html",
        {
            "rows": q.policy_rows(actor, today),
            "today": today,
            "can_manage": can_manage(actor),
            "retention_years": RETENTION_YEARS,
        },
    )


@require_safe
@requires(C.COMPLIANCE_VIEW)
def policy_detail_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = reader(request)
    today = timezone.localdate()
    policy = q.policy_of(actor, public_id)
    row = q.policy_row(actor, policy, today)
    by_version = q.attestations_of(policy)
    return render(
        request,
        "compliance/policy_detail.html",
        {
            "row": row,
            "attested": [
                (v.version.number, by_version[v.version.pk])
                for v in row.versions
                if by_version.get(v.version.pk)
            ],
            "reviews": q.reviews_of(policy),
            "today": today,
            "can_manage": can_manage(actor),
            "retention_years": RETENTION_YEARS,
        },
    )


# -- the officer's forms ------------------------------------------------------------------------
class PolicyForm(forms.Form):
    title = forms.CharField(max_length=MAX_TITLE)
    owner = forms.ChoiceField(help_text="Who keeps the policy up to date.")
    effective_on = DateField(widget=DATE_INPUT, label="Effective on")
    document = forms.FileField(help_text=DOCUMENT_HELP)
    summary = forms.CharField(
        required=False, max_length=MAX_TEXT, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, actor: Actor, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.owners = {str(m.user.public_id): m.user for m in workforce_members(actor.workspace)}
        self.fields["owner"].choices = [("", "—")] + [  # type: ignore[attr-defined]
            (k, u.display_name) for k, u in self.owners.items()
        ]


class VersionForm(forms.Form):
    effective_on = DateField(widget=DATE_INPUT, label="Effective on")
    document = forms.FileField(help_text=DOCUMENT_HELP)
    summary = forms.CharField(
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="What changed",
        help_text="Everyone acknowledges the new version afresh.",
    )


class ReviewForm(forms.Form):
    reviewed_on = DateField(widget=DATE_INPUT, label="Reviewed on")
    note = forms.CharField(required=False, max_length=MAX_TEXT)


POLICY_FIELDS = {
    "title": ("title", "named"),
    "owner": ("owner", "inactive"),
    "effective_on": ("take effect", "took effect", "year ahead"),
    "document": ("policy document",),
    "summary": ("what changed", "summary"),
}


@require_form_methods
@requires(C.COMPLIANCE_MANAGE)
def policy_create_view(request: HttpRequest) -> HttpResponse:
    actor = manager(request)
    today = timezone.localdate()
    form = PolicyForm(actor, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        content, name = uploaded(form, "document", MAX_POLICY_BYTES, "policy document")
        if content is not None:
            try:
                policy = policy_create(
                    actor=actor,
                    title=form.cleaned_data["title"],
                    owner=form.owners[form.cleaned_data["owner"]],
                    document=content,
                    filename=name,
                    effective_on=form.cleaned_data["effective_on"],
                    today=today,
                    summary=form.cleaned_data["summary"],
                )
            except PolicyError as exc:
                refusal_on(form, str(exc), POLICY_FIELDS)
            except CapabilityDenied as exc:
                raise Http404 from exc
            else:
                messages.success(request, f"Policy {policy.title!r} added, version 1.")
                return redirect("compliance:policy_detail", public_id=policy.public_id)
    return render(
        request,
        "compliance/policy_form.html",
        {
            "form": form,
            "title": "New policy",
            "upload": True,
            "back": reverse("compliance:policy_list"),
        },
    )


@require_form_methods
@requires(C.COMPLIANCE_MANAGE)
def policy_publish_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = manager(request)
    today = timezone.localdate()
    policy = q.policy_of(actor, public_id)
    form = VersionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        content, name = uploaded(form, "document", MAX_POLICY_BYTES, "policy document")
        if content is not None:
            try:
                version = policy_version_publish(
                    actor=actor,
                    policy=policy,
                    document=content,
                    filename=name,
                    effective_on=form.cleaned_data["effective_on"],
                    summary=form.cleaned_data["summary"],
                    today=today,
                )
            except PolicyError as exc:
                refusal_on(form, str(exc), POLICY_FIELDS)
            else:
                messages.success(
                    request,
                    f"Published version {version.number} of {policy.title!r}, effective "
                    f"{version.effective_on}. The workforce is asked to acknowledge it.",
                )
                return redirect("compliance:policy_detail", public_id=policy.public_id)
    current = policy.current_version
    return render(
        request,
        "compliance/policy_form.html",
        {
            "form": form,
            "title": f"Publish a new version of {policy.title}",
            "upload": True,
            "back": reverse("compliance:policy_detail", kwargs={"public_id": policy.public_id}),
            "lead": (
                f"Version {current.number} took effect on {current.effective_on}."
                if current
                else ""
            ),
        },
    )


@requires(C.COMPLIANCE_MANAGE)
@require_POST
def policy_review_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = manager(request)
    policy = q.policy_of(actor, public_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{form.fields[name].label or name}: {' '.join(str(e) for e in errors)}"
            for name, errors in form.errors.items()
        )
        messages.error(request, f"Review not recorded. {problems}")
    else:
        try:
            review = policy_review_record(
                actor=actor,
                policy=policy,
                reviewed_on=form.cleaned_data["reviewed_on"],
                today=timezone.localdate(),
                note=form.cleaned_data["note"],
            )
        except PolicyError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"Review of {policy.title!r} on {review.reviewed_on} recorded."
            )
    return redirect("compliance:policy_detail", public_id=policy.public_id)


@requires(C.COMPLIANCE_MANAGE)
@require_POST
def policy_purge_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = manager(request)
    version = q.version_of(actor, public_id)
    try:
        purged = purge_version(actor=actor, version=version, today=timezone.localdate())
    except PolicyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"Version {purged.number} of {purged.policy.title!r} purged: its document is gone; "
            f"its SHA-256, attestations and reviews are kept.",
        )
    return redirect("compliance:policy_detail", public_id=version.policy.public_id)


@serves_workspace_file()
def policy_document_view(request: HttpRequest, public_id: UUID) -> WorkspaceDownload:
    actor = actor_of(request)
    version = q.version_of(actor, public_id)
    name, content = policy_document_download(actor=actor, version=version)
    return WorkspaceDownload(content, name, "application/pdf", (".pdf",))


# -- one's own ----------------------------------------------------------------------------------
@require_safe
def my_policies_view(request: HttpRequest) -> HttpResponse:
    """Every signed-in person's policies: the ones to acknowledge first, each with its
    document; client viewers (the practice's people) have none."""
    actor = actor_of(request)
    workforce = bool(workforce_members(actor.workspace, user=actor.user))
    rows = q.my_policies(actor.user) if workforce else []
    return render(
        request,
        "compliance/policy_mine.html",
        {
            "rows": rows,
            "workforce": workforce,
            "pending": sum(r.acknowledged is None for r in rows),
        },
    )


@require_POST
def policy_attest_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    version = q.version_of(actor, public_id)
    try:
        policy_attest(actor=actor, version=version)
    except PolicyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"You acknowledged version {version.number} of {version.policy.title!r}.",
        )
    return redirect("compliance:my_policies")
