"""The audit log page: who touched which records, filterable by user, practice, record, day."""

from __future__ import annotations

from django import forms
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from bureau.accounts.selectors import user_list
from bureau.audit.models import AuditAction
from bureau.audit.selectors import AuditFilters, audit_search
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, page_number, query_without_page, requires


class AuditFilterForm(forms.Form):
    user = forms.ChoiceField(required=False)
    practice = forms.ChoiceField(required=False)
    record = forms.CharField(required=False, max_length=64, label="Record id")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action")] + [(a.value, a.value) for a in AuditAction]
    )
    date_from = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, actor: Actor, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        practices = actor.practices(Capability.AUDIT_VIEW)
        self.fields["practice"].choices = [("", "All my practices")] + [  # type: ignore[attr-defined]
            (str(p.public_id), p.name) for p in practices
        ]
        users = user_list(actor=actor) if actor.can_workspace(Capability.AUDIT_VIEW) else []
        self.fields["user"].choices = [("", "Anyone")] + [  # type: ignore[attr-defined]
            (str(u.public_id), u.label) for u in users
        ]
        if not actor.can_workspace(Capability.AUDIT_VIEW):
            # A client viewer filters by record and day; the staff list is not theirs to browse.
            self.fields["user"].widget = forms.HiddenInput()


@requires(Capability.AUDIT_VIEW)
def audit_log_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    data = request.GET.copy()
    context_practice = request.practice_context  # type: ignore[attr-defined]
    if (
        "practice" not in data
        and context_practice
        and actor.can(Capability.AUDIT_VIEW, context_practice)
    ):
        data["practice"] = str(context_practice.public_id)
    form = AuditFilterForm(actor, data)
    if not form.is_valid():
        if "practice" in form.errors:
            raise Http404
        filters = AuditFilters()
    else:
        cleaned = form.cleaned_data
        filters = AuditFilters(
            user_public_id=cleaned["user"],
            practice=actor.practice_by_public_id(cleaned["practice"])
            if cleaned["practice"]
            else None,
            record=cleaned["record"].strip(),
            action=cleaned["action"],
            date_from=cleaned["date_from"],
            date_to=cleaned["date_to"],
        )
    page = audit_search(actor=actor, filters=filters, page=page_number(request))
    return render(
        request,
        "audit/log.html",
        {"form": form, "page": page, "query": query_without_page(request)},
    )
