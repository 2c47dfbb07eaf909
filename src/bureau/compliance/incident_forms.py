"""The incident pages' forms. Times are entered and shown in UTC: the breach clock counts
calendar days of UTC (`incidents.deadlines` takes the server's day), and a workspace has no
timezone of its own (its practices may sit in several), so one zone keeps the page and the
clock on the same day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from django import forms

from bureau.accounts.models import User
from bureau.compliance.incidents import MOMENTS, IncidentError
from bureau.compliance.models.incidents import BreachDecision, RiskLevel
from bureau.tenancy.models import Practice
from bureau.web.forms import DateField

DATE_INPUT = {"type": "date", "min": "2000-01-01", "max": "2199-12-31"}
TIME_INPUT = {"type": "time"}
EARLIEST = date(2000, 1, 1)  # an incident of the last century is a typing slip
TEXT_LIMIT = 20_000
SHORT_TEXT_LIMIT = 5_000
FACTOR_LABELS = {
    "phi_nature": "Nature and extent of the PHI",
    "unauthorized_person": "The unauthorized person",
    "acquired_or_viewed": "Actually acquired or viewed?",
    "mitigation": "Extent the risk was mitigated",
}
MOMENT_LABELS = {
    "discovered": "Discovered",
    "reported": "Reported to the affected clients",
    "contained": "Contained",
    "resolved": "Resolved",
}


def at_utc(day: date | None, moment: time | None) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day, moment or time(0), tzinfo=UTC)


def _date(label: str, *, required: bool = False) -> forms.DateField:
    return DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE_INPUT))


def _time(label: str) -> forms.TimeField:
    return forms.TimeField(
        label=label, required=False, widget=forms.TimeInput(attrs=TIME_INPUT, format="%H:%M")
    )


# The incident's own words reach each affected client's viewer (her incident page).
SHOWN_TO_CLIENTS = " Shown to the client viewer of each affected practice: name no other client."


class PeopleChoice(forms.ChoiceField):
    """A person of the workspace by public id (the choices are the workspace's users)."""

    def __init__(self, users: list[User], label: str, **kwargs: Any) -> None:
        choices = [("", "—")] + [(str(u.public_id), u.display_name) for u in users]
        super().__init__(choices=choices, required=False, label=label, **kwargs)


class _Dated(forms.Form):
    """Dates no earlier than 2000 (the service refuses the future)."""

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, value in list(cleaned.items()):
            if isinstance(value, date) and value < EARLIEST:
                self.add_error(name, "That date is too far in the past (2000 or later).")
        return cleaned

    def person(self, name: str) -> User | None:
        wanted = self.cleaned_data.get(name) or ""
        return self.users.get(wanted)

    users: dict[str, User]

    def refused(self, exc: IncidentError) -> None:
        """The service's refusal on the field it names (`discovered_at` is `discovered_on`)."""
        name = exc.field
        for moment in MOMENTS:
            if name == f"{moment}_at":
                name = f"{moment}_on"
        name = {"decision_reasoning": "reasoning", "affected_practices": "practices"}.get(
            name, name
        )
        name = {"window_start": "window_start_on", "window_end": "window_end_on"}.get(name, name)
        self.add_error(name if name in self.fields else None, str(exc))


class IncidentForm(_Dated):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What happened." + SHOWN_TO_CLIENTS,
    )
    systems_affected = forms.CharField(
        label="Systems involved",
        max_length=SHORT_TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    discovered_on = _date("Discovered on (UTC)", required=True)
    discovered_time = _time("at (UTC)")
    reported_on = _date("Reported to the clients on (UTC)")
    reported_time = _time("at (UTC)")
    concerns_user = forms.ChoiceField(required=False)
    window_start_on = _date("Window from (UTC)")
    window_start_time = _time("at (UTC)")
    window_end_on = _date("Window to (UTC)")
    window_end_time = _time("at (UTC)")

    def __init__(self, users: list[User], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {str(u.public_id): u for u in users}
        self.fields["discovered_by"] = PeopleChoice(users, "Discovered by")
        self.fields["reported_by"] = PeopleChoice(users, "Reported by")
        self.fields["concerns_user"] = PeopleChoice(
            users, "Concerns the person (optional)", help_text="For the audit log's proposal."
        )
        self.order_fields(
            [
                "title",
                "description",
                "systems_affected",
                "discovered_on",
                "discovered_time",
                "discovered_by",
                "reported_on",
                "reported_time",
                "reported_by",
                "concerns_user",
                "window_start_on",
                "window_start_time",
                "window_end_on",
                "window_end_time",
            ]
        )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        has_window = cleaned.get("window_start_on") or cleaned.get("window_end_on")
        if cleaned.get("concerns_user") and not has_window:
            self.add_error("window_start_on", "Give the window the person's access is looked at.")
        if has_window:
            for name in ("window_start_on", "window_end_on"):
                if not cleaned.get(name) and name not in self.errors:
                    self.add_error(name, "Give both ends of the window.")
        return cleaned

    def window(self) -> tuple[datetime, datetime] | None:
        start = at_utc(
            self.cleaned_data.get("window_start_on"), self.cleaned_data.get("window_start_time")
        )
        end = at_utc(
            self.cleaned_data.get("window_end_on"), self.cleaned_data.get("window_end_time")
        )
        return (start, end) if start is not None and end is not None else None


class WindowForm(_Dated):
    concerns_user = forms.ChoiceField(required=False)
    window_start_on = _date("From (UTC)", required=True)
    window_start_time = _time("at (UTC)")
    window_end_on = _date("To (UTC)", required=True)
    window_end_time = _time("at (UTC)")

    def __init__(self, users: list[User], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {str(u.public_id): u for u in users}
        self.fields["concerns_user"] = PeopleChoice(users, "Person (optional)")
        self.order_fields(["concerns_user"])

    def window(self) -> tuple[datetime, datetime]:
        start = at_utc(
            self.cleaned_data["window_start_on"], self.cleaned_data.get("window_start_time")
        )
        end = at_utc(self.cleaned_data["window_end_on"], self.cleaned_data.get("window_end_time"))
        assert start is not None and end is not None
        return start, end


class MomentForm(_Dated):
    """One step of the timeline: when, and who."""

    moment = forms.ChoiceField(choices=[(m, MOMENT_LABELS[m]) for m in MOMENTS])
    on = _date("On (UTC)", required=True)
    at = _time("at (UTC)")

    def __init__(self, users: list[User], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.users = {str(u.public_id): u for u in users}
        self.fields["by"] = PeopleChoice(users, "By")

    def refused(self, exc: IncidentError) -> None:
        # The form sets one moment: whatever the service names, it is about this one.
        field = "on" if exc.field.endswith("_at") else "by" if exc.field.endswith("_by") else None
        self.add_error(field, str(exc))


class FactsForm(_Dated):
    title = forms.CharField(max_length=200)
    description = forms.CharField(
        max_length=TEXT_LIMIT,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What happened." + SHOWN_TO_CLIENTS,
    )
    systems_affected = forms.CharField(
        label="Systems involved",
        max_length=SHORT_TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


RISK_CHOICES = [("", "— not rated —"), *RiskLevel.choices]


class AssessmentForm(_Dated):
    """The four factors of 164.402(2), each described and rated."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for factor, label in FACTOR_LABELS.items():
            self.fields[factor] = forms.CharField(
                label=label,
                max_length=SHORT_TEXT_LIMIT,
                required=False,
                widget=forms.Textarea(attrs={"rows": 2}),
            )
            self.fields[f"{factor}_risk"] = forms.ChoiceField(
                label="Risk", choices=RISK_CHOICES, required=False
            )


class DecisionForm(_Dated):
    decision = forms.ChoiceField(
        choices=BreachDecision.choices,
        help_text="“Not a breach” needs all four factors assessed and rated first.",
    )
    reasoning = forms.CharField(
        max_length=TEXT_LIMIT,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why: the factors weighed, who was consulted." + SHOWN_TO_CLIENTS,
    )


class PracticesForm(_Dated):
    """Practices ticked: the affected ones by hand, or those kept from the proposal."""

    def __init__(self, practices: list[Practice], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.by_id = {str(p.public_id): p for p in practices}
        self.fields["practices"] = forms.MultipleChoiceField(
            choices=[(str(p.public_id), p.name) for p in practices],
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="Practices",
        )

    def chosen(self) -> list[Practice]:
        return [self.by_id[v] for v in self.cleaned_data.get("practices", [])]
