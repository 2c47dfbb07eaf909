"""The audit log page: who touched which records, filterable by user, practice, record, day."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from bureau.accounts.selectors import user_list
from bureau.audit.models import AuditAction
from bureau.audit.selectors import AuditFilters, audit_search
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    actor_of,
    chosen_practice,
    page_number,
    query_without_page,
    requires,
)


class AuditFilterForm(forms.Form):
    user = forms.ChoiceField(required=False)
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
    # The practice filter is every list's (web/_practice_select.html): it follows the bar,
    # `all` asks for every practice of the actor's, and a foreign practice is a 404.
    practice = chosen_practice(request, actor, Capability.AUDIT_VIEW)
    form = AuditFilterForm(actor, request.GET)
    if not form.is_valid():
        filters = AuditFilters(practice=practice)
    else:
        cleaned = form.cleaned_data
        filters = AuditFilters(
            user_public_id=cleaned["user"],
            practice=practice,
            record=cleaned["record"].strip(),
            action=cleaned["action"],
            date_from=cleaned["date_from"],
            date_to=cleaned["date_to"],
        )
    page = audit_search(actor=actor, filters=filters, page=page_number(request))
    return render(
        request,
        "audit/log.html",
        {
            "form": form,
            "page": page,
            "query": query_without_page(request),
            "practice": practice,
            "practices": actor.practices(Capability.AUDIT_VIEW),
        },
    )
