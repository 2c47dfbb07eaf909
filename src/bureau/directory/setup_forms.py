"""What every setup page shares, written once: the page context (practice shown, BAA banner,
who may manage), the reason field, input fields that refuse what a person did not mean
(non-ASCII digits, far dates, huge numbers), and the deactivate/reactivate POST.

A setup change always carries a reason (recorded in the audit event with the old and new
values, by the service). A record the actor may not manage is a 404, like a missing one.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone

from bureau.compliance.access import sees_whole_program
from bureau.compliance.baa_queries import practice_has_baa_in_force
from bureau.directory.services import DirectoryError
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice, PracticeStatus
from bureau.tenancy.roles import Capability
from bureau.web.forms import DateField

REASON_MAX = 500
DATE_INPUT = {"type": "date", "min": "1900-01-01", "max": "2199-12-31"}


def setup_context(actor: Actor, practice: Practice | None, **extra: Any) -> dict[str, Any]:
    """The context of a setup page: the practice it shows (None: all) and what the actor may."""
    return {
        "practice": practice,
        # compliance: a practice we hold PHI of with no BAA in force shows it here (one query).
        "baa_missing": practice is not None
        and practice.status != PracticeStatus.OFFBOARDED
        and not practice_has_baa_in_force(practice, timezone.localdate()),
        "baa_inventory": sees_whole_program(actor),
        "practices": actor.practices(Capability.SETUP_VIEW),
        "can_manage": actor.can(Capability.SETUP_MANAGE),
        "can_manage_workspace": actor.can_workspace(Capability.SETUP_MANAGE),
        **extra,
    }


def reason_field() -> forms.CharField:
    return forms.CharField(max_length=REASON_MAX, help_text="Why: recorded in the audit log.")


def apply_error(form: forms.Form, exc: DirectoryError) -> None:
    """Put a service's error on the field it names (the form's top when it has no such field)."""
    form.add_error(exc.field if exc.field in form.fields else None, str(exc))


T = TypeVar("T")


def attempt(form: forms.Form, service: Callable[[], T]) -> T | None:
    """Run a setup service for a valid form: its result, or None with its refusal put on the
    form's field. A record the actor may not change is a 404, like a missing one."""
    try:
        return service()
    except DirectoryError as exc:
        apply_error(form, exc)
        return None
    except CapabilityDenied as exc:
        raise Http404 from exc


class AsciiIntegerField(forms.IntegerField):
    """A whole number typed with the digits 0-9: Python's int() also reads "٣٦٥" (Arabic-Indic
    digits) and "３６５", which nobody means on a payer's filing limit."""

    def to_python(self, value: Any) -> int | None:
        if isinstance(value, str) and value.strip() and not value.strip().isascii():
            raise forms.ValidationError("Use the digits 0-9.", code="invalid")
        result: int | None = super().to_python(value)
        return result


class AsciiDateField(DateField):
    """The shared date field (digits 0-9 only, `web.forms.DateField`) with the setup pages'
    picker bounds; the services refuse a date outside 1900-2199 (a typo such as 20255)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", forms.DateInput(attrs=DATE_INPUT))
        super().__init__(**kwargs)


class ActiveForm(forms.Form):
    """Deactivate or reactivate one record: the button says which, a reason says why."""

    active = forms.ChoiceField(
        choices=[("no", "Deactivate"), ("yes", "Reactivate")], widget=forms.HiddenInput
    )
    reason = reason_field()

    @classmethod
    def for_record(cls, is_active: bool) -> ActiveForm:
        """The form a record's page shows: it offers the other state (its ids apart from the
        edit form's on the same page)."""
        return cls(initial={"active": "no" if is_active else "yes"}, auto_id="active_%s")


def set_active_post(
    request: HttpRequest,
    *,
    name: str,
    back: str,
    change: Callable[[bool, str], Any],
) -> HttpResponse:
    """The deactivate/reactivate POST of every setup record: `change(active, reason)` is the
    record's service. Refused (no reason, a rule) with a message; back to the record's page."""
    form = ActiveForm(request.POST)
    if not form.is_valid():
        problems = "; ".join(
            f"{key}: {' '.join(str(m) for m in errors)}" for key, errors in form.errors.items()
        )
        messages.error(request, f"{name}: nothing changed ({problems}).")
        return redirect(back)
    active = form.cleaned_data["active"] == "yes"
    try:
        change(active, form.cleaned_data["reason"])
    except DirectoryError as exc:
        messages.error(request, f"{name}: nothing changed ({exc}).")
    except CapabilityDenied as exc:
        raise Http404 from exc
    else:
        messages.success(request, f"{name} {'reactivated' if active else 'deactivated'}.")
    return redirect(back)


def active_choice(request: HttpRequest) -> bool | None:
    """?active= of a list: "inactive" → False, "all" → None, anything else → True (the
    list's default is what is in use)."""
    value = request.GET.get("active", "")
    if value == "inactive":
        return False
    if value == "all":
        return None
    return True
