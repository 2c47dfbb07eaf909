"""The BAA inventory's forms: each field named as `BaaTerms` names it, so a service error
(`BaaError.field`) lands on the field it is about."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator

from bureau.compliance.baas import MAX_NOTICE_DAYS, MAX_RENEWAL_MONTHS, BaaTerms
from bureau.compliance.models.baa import BaaDirection, BusinessAssociateAgreement, VendorService
from bureau.tenancy.models import Practice
from bureau.web.forms import DateField

EARLIEST, LATEST = date(1900, 1, 1), date(2199, 12, 31)
DATE_INPUT = {"type": "date", "min": EARLIEST.isoformat(), "max": LATEST.isoformat()}
TEXT_AREA = {"rows": 2}
# The browser's date picker holds to these bounds; the server too, since a request need not
# come from the picker (a BAA "ending" in 9999 is never alerted on, and a termination date
# cannot be corrected once recorded).
DATE_BOUNDS = [
    MinValueValidator(EARLIEST, "That date is too far in the past (1900 or later)."),
    MaxValueValidator(LATEST, "That date is too far in the future (2199 or earlier)."),
]


def _date(label: str, help_text: str = "") -> forms.DateField:
    return DateField(
        label=label,
        required=False,
        help_text=help_text,
        widget=forms.DateInput(attrs=DATE_INPUT),
        validators=DATE_BOUNDS,
    )


class TermsForm(forms.Form):
    """The terms of one agreement: what the officer types in from the signed document."""

    phi_scope = forms.CharField(
        label="PHI scope",
        max_length=5_000,
        widget=forms.Textarea(attrs=TEXT_AREA),
        help_text="What PHI the agreement covers (claims, remittances, scanned records…).",
    )
    signed_on = _date("Signed on", "Empty: a draft, not yet signed.")
    effective_on = _date("Effective on")
    expires_on = _date("Expires on", "Last day of the term; empty: until terminated.")
    auto_renews = forms.BooleanField(label="Renews automatically", required=False)
    renewal_term_months = forms.IntegerField(
        label="Renewal term (months)", required=False, min_value=1, max_value=MAX_RENEWAL_MONTHS
    )
    renewal_terms = forms.CharField(
        label="Renewal terms", required=False, max_length=5_000, widget=forms.Textarea(TEXT_AREA)
    )
    breach_notice_days = forms.IntegerField(
        label="Breach notice (days)",
        required=False,
        min_value=1,
        max_value=MAX_NOTICE_DAYS,
        help_text="Days to notify of a breach; empty: the contract is silent (60-day rule).",
    )
    return_destroy_terms = forms.CharField(
        label="Return / destroy terms",
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs=TEXT_AREA),
    )

    def terms(self, **party: str) -> BaaTerms:
        data = self.cleaned_data
        return BaaTerms(
            phi_scope=data["phi_scope"],
            signed_on=data["signed_on"],
            effective_on=data["effective_on"],
            expires_on=data["expires_on"],
            auto_renews=data["auto_renews"],
            renewal_term_months=data["renewal_term_months"],
            renewal_terms=data["renewal_terms"],
            breach_notice_days=data["breach_notice_days"],
            return_destroy_terms=data["return_destroy_terms"],
            **party,
        )


class VendorFields(forms.Form):
    vendor_name = forms.CharField(label="Vendor", required=False, max_length=200)
    vendor_service = forms.ChoiceField(
        label="Vendor's service",
        required=False,
        choices=[("", "—"), *VendorService.choices],
    )


class RecordForm(VendorFields, TermsForm):
    """A new agreement: its direction and party first, then its terms."""

    direction = forms.ChoiceField(choices=BaaDirection.choices, widget=forms.RadioSelect)
    practice = forms.ChoiceField(
        label="Client practice", required=False, help_text="Client BAAs only."
    )
    field_order = ["direction", "practice", "vendor_name", "vendor_service"]

    def __init__(self, practices: list[Practice], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["practice"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((str(p.public_id), p.name) for p in practices),
        ]
        self.fields["vendor_name"].help_text = "Subcontractor BAAs only."


class ChangeForm(TermsForm):
    """New terms for a client agreement (the party never changes)."""

    @classmethod
    def initial_of(cls, baa: BusinessAssociateAgreement) -> dict[str, Any]:
        names = [*TermsForm.base_fields, *VendorFields.base_fields]
        return {name: getattr(baa, name) for name in names}


class VendorChangeForm(VendorFields, ChangeForm):
    """New terms for a subcontractor agreement: the vendor's name and service may be corrected."""

    field_order = ["vendor_name", "vendor_service"]


def change_form(baa: BusinessAssociateAgreement, data: Any = None) -> ChangeForm:
    form_class = ChangeForm if baa.is_client else VendorChangeForm
    return form_class(data, initial=ChangeForm.initial_of(baa), prefix="terms")


class TerminateForm(forms.Form):
    terminated_on = DateField(
        label="Terminated on", widget=forms.DateInput(attrs=DATE_INPUT), validators=DATE_BOUNDS
    )
    reason = forms.CharField(
        max_length=2_000,
        widget=forms.Textarea(attrs=TEXT_AREA),
        help_text="Why the BAA ends: recorded in the audit log.",
    )


class FlowDownForm(forms.Form):
    """The subcontractor BAAs a client BAA relies on (the whole list, replacing the old)."""

    # Present in every submission of the form: an empty POST is not "rely on none".
    flow_down = forms.CharField(widget=forms.HiddenInput, initial="1")
    relies_on = forms.MultipleChoiceField(
        label="Relies on", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(
        self, subcontractors: list[BusinessAssociateAgreement], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.subcontractors = {str(s.public_id): s for s in subcontractors}
        self.fields["relies_on"].choices = [  # type: ignore[attr-defined]
            (key, s.vendor_name) for key, s in self.subcontractors.items()
        ]

    def chosen(self) -> list[BusinessAssociateAgreement]:
        return [self.subcontractors[key] for key in self.cleaned_data["relies_on"]]


class UploadForm(forms.Form):
    document = forms.FileField(label="Signed BAA (PDF)")
