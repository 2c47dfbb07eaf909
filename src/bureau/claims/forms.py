"""The encounter entry form: one screen, keyboard first, parsed into `EncounterData`."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django import forms

from bureau.claims.services import EncounterData, EncounterError, LineData
from bureau.directory.models import Provider, ServiceFacility

FORM_LINES = 6
FORM_DIAGNOSES = 12
SPLIT = re.compile(r"[\s,;]+")


class EncounterForm(forms.Form):
    practice = forms.CharField(widget=forms.HiddenInput)
    patient_account = forms.CharField(
        max_length=20,
        label="Patient account #",
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    rendering_provider = forms.TypedChoiceField(coerce=int, label="Rendering provider")
    billing_provider = forms.TypedChoiceField(coerce=int, label="Billing provider")
    # Only the practice's active facilities are offered (837P loop 2310C names the one chosen).
    facility = forms.TypedChoiceField(
        coerce=int, required=False, empty_value=None, label="Service facility"
    )
    date_of_service = forms.DateField(
        label="Date of service", widget=forms.DateInput(attrs={"type": "date"})
    )
    place_of_service = forms.RegexField(
        regex=r"^\d{2}$",
        initial="11",
        label="POS",
        max_length=2,
        error_messages={"invalid": "Two digits."},
        widget=forms.TextInput(attrs={"size": 2, "inputmode": "numeric"}),
    )

    def __init__(
        self,
        providers: list[Provider],
        *args: Any,
        facilities: list[ServiceFacility] | tuple[()] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].choices = [  # type: ignore[attr-defined]
            ("", "— the billing address —"),
            *((f.pk, f"{f.name}, {f.city}") for f in facilities),
        ]
        if len(facilities) == 1:  # one clinic: it is where the patient was seen
            self.fields["facility"].initial = facilities[0].pk
        choices = [(p.pk, f"{p.name} ({p.npi})") for p in providers]
        self.fields["rendering_provider"].choices = choices  # type: ignore[attr-defined]
        self.fields["billing_provider"].choices = choices  # type: ignore[attr-defined]
        for i in range(1, FORM_DIAGNOSES + 1):
            self.fields[f"dx{i}"] = forms.CharField(
                max_length=8,
                required=i == 1,
                label=f"Dx {i}",
                widget=forms.TextInput(attrs={"size": 7, "autocomplete": "off"}),
            )
        for n in range(1, FORM_LINES + 1):
            first = n == 1
            self.fields[f"line{n}_code"] = forms.CharField(
                max_length=5,
                required=first,
                label=f"Line {n} code",
                widget=forms.TextInput(attrs={"size": 5, "autocomplete": "off"}),
            )
            self.fields[f"line{n}_modifiers"] = forms.CharField(
                max_length=20,
                required=False,
                label=f"Line {n} modifiers",
                widget=forms.TextInput(attrs={"size": 10, "placeholder": "25 59"}),
            )
            self.fields[f"line{n}_pointers"] = forms.CharField(
                max_length=20,
                required=False,
                initial="1" if first else "",
                label=f"Line {n} pointers",
                widget=forms.TextInput(attrs={"size": 7, "placeholder": "1 2"}),
            )
            self.fields[f"line{n}_units"] = forms.DecimalField(
                required=False,
                min_value=Decimal("0.001"),
                max_digits=7,
                decimal_places=3,
                initial=1 if first else None,
                label=f"Line {n} units",
                widget=forms.NumberInput(attrs={"size": 4, "step": "any"}),
            )
            self.fields[f"line{n}_charge"] = forms.DecimalField(
                required=False,
                min_value=Decimal("0"),
                max_digits=12,
                decimal_places=2,
                label=f"Line {n} charge",
                widget=forms.NumberInput(attrs={"size": 8, "step": "0.01"}),
            )

    def diagnosis_fields(self) -> list[forms.BoundField]:
        return [self[f"dx{i}"] for i in range(1, FORM_DIAGNOSES + 1)]

    def line_rows(self) -> list[dict[str, Any]]:
        return [
            {
                "n": n,
                **{
                    part: self[f"line{n}_{part}"]
                    for part in ("code", "modifiers", "pointers", "units", "charge")
                },
            }
            for n in range(1, FORM_LINES + 1)
        ]

    def lines(self) -> list[LineData]:
        data = self.cleaned_data
        lines = []
        for n in range(1, FORM_LINES + 1):
            code = (data.get(f"line{n}_code") or "").strip()
            if not code:
                continue
            pointer_text = (data.get(f"line{n}_pointers") or "1").strip() or "1"
            tokens = [t for t in SPLIT.split(pointer_text) if t]
            # ASCII digits only: str.isdigit() accepts "²", which int() then refuses.
            if not all(t.isascii() and t.isdigit() for t in tokens):
                raise EncounterError(
                    f"lines.{n}.pointers", f"Line {n}: pointers are numbers such as 1 2."
                )
            lines.append(
                LineData(
                    procedure_code=code,
                    modifiers=[m for m in SPLIT.split(data.get(f"line{n}_modifiers") or "") if m],
                    pointers=[int(t) for t in tokens],
                    units=data.get(f"line{n}_units") or Decimal("1"),
                    charge=data.get(f"line{n}_charge"),
                )
            )
        return lines

    def data_obj(self, patient_public_id: Any) -> EncounterData:
        data = self.cleaned_data
        return EncounterData(
            patient=patient_public_id,
            rendering_provider_id=data["rendering_provider"],
            billing_provider_id=data["billing_provider"],
            facility_id=data.get("facility"),
            date_of_service=data["date_of_service"],
            place_of_service=data["place_of_service"],
            diagnosis_codes=[data.get(f"dx{i}") or "" for i in range(1, FORM_DIAGNOSES + 1)],
            lines=self.lines(),
        )

    def apply_error(self, exc: EncounterError) -> None:
        """Put a service error on the field it names (lines.2.modifiers -> line2_modifiers)."""
        name = exc.field
        match = re.match(r"^lines\.(\d+)\.(\w+)$", name)
        if match:
            name = f"line{match.group(1)}_{match.group(2)}"
            if name.endswith("procedure_code"):
                name = name.replace("procedure_code", "code")
        elif name == "diagnosis_codes":
            name = "dx1"
        elif name == "patient":
            name = "patient_account"
        self.add_error(name if name in self.fields else None, str(exc))
