"""The audit log page: who touched which records, filterable by user, practice, record, day."""

from __future__ import annotations

from datetime import date

from django import forms
from django.contrib import messages
from django.core.validators import MaxValueValidator, MinValueValidator
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

# Days a search may name. Beyond them a date is a typo, and the last day of year 9999 has no
# next day to end the range with (an OverflowError, once a 500).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2999, 12, 31)
_DAY_RANGE = f"a day from {FIRST_DAY:%Y-%m-%d} to {LAST_DAY:%Y-%m-%d}"


def _day_field(label: str) -> forms.DateField:
    return forms.DateField(
        required=False,
        label=label,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[
            MinValueValidator(FIRST_DAY, message=f"Enter {_DAY_RANGE}."),
            MaxValueValidator(LAST_DAY, message=f"Enter {_DAY_RANGE}."),
        ],
        error_messages={"invalid": f"Enter {_DAY_RANGE}, as YYYY-MM-DD."},
    )


class AuditFilterForm(forms.Form):
    user = forms.ChoiceField(required=False)
    record = forms.CharField(required=False, max_length=64, label="Record id")
    action = forms.ChoiceField(
        required=False, choices=[("", "Any action")] + [(a.value, a.value) for a in AuditAction]
    )
    date_from = _day_field("From")
    date_to = _day_field("To")

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
        # Say which filter was refused; the valid ones still apply.
        for name, errors in form.errors.items():
            label = form.fields[name].label or name if name in form.fields else "Filter"
            messages.error(request, f"{label}: {' '.join(str(e) for e in errors)}")
    cleaned = form.cleaned_data
    filters = AuditFilters(
        user_public_id=cleaned.get("user") or "",
        practice=practice,
        record=(cleaned.get("record") or "").strip(),
        action=cleaned.get("action") or "",
        date_from=cleaned.get("date_from"),
        date_to=cleaned.get("date_to"),
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
