from datetime import date

import pytest
from django import forms

from bureau.web.forms import DateField


class _Form(forms.Form):
    day = DateField()


@pytest.mark.parametrize(
    "typed",
    [
        "٢٠٢٦-٠٣-٠١",  # Arabic-Indic digits
        "２０２６-０３-０１",  # full-width digits
        "2026-03-0١",  # one stray digit
    ],
)
def test_non_ascii_digits_are_refused_with_words(typed):
    form = _Form({"day": typed})
    assert not form.is_valid()
    assert form.errors["day"] == ["Write the date with the digits 0-9, as 2026-03-01."]


def test_an_ordinary_date_reads():
    form = _Form({"day": "2026-03-01"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["day"] == date(2026, 3, 1)
