"""Form fields shared by every page: what a person types is checked the same way everywhere."""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms


class DateField(forms.DateField):
    """A date written with the digits 0-9 (how far back or ahead is each service's rule).

    Django's parser reads any Unicode digit (`strptime` matches Arabic-Indic or full-width
    digits as `\\d`), so a pasted ٢٠٢٦-٠٣-٠١ would be stored as 2026-03-01 and shown back as
    something the person never typed; such input is refused with words instead.
    """

    def to_python(self, value: Any) -> date | None:
        if isinstance(value, str) and not value.isascii():
            raise forms.ValidationError(
                "Write the date with the digits 0-9, as 2026-03-01.", code="invalid"
            )
        return super().to_python(value)
