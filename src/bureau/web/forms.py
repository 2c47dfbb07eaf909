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


def _size(n: int) -> str:
    mib = 1024 * 1024
    return f"{n / mib:g} MB" if n >= mib else f"{n:,} bytes"


def uploaded_text(form: forms.Form, max_bytes: int, field: str = "file") -> str | None:
    """A cleaned upload read as UTF-8 text (a spreadsheet's byte-order mark dropped), or None
    with the reason put on the form's field: too large, or not UTF-8."""
    upload = form.cleaned_data[field]
    if upload.size > max_bytes:
        form.add_error(field, f"The file is larger than {_size(max_bytes)}: split it.")
        return None
    try:
        return str(upload.read().decode("utf-8-sig"))
    except UnicodeDecodeError:
        form.add_error(field, "The file is not UTF-8 text (save it as CSV UTF-8).")
        return None
