"""The patient form reads only what a person could mean: digits 0-9 in the ZIP and birth date."""

import pytest

from bureau.patients.views import PatientForm
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db


def _form(**overrides):
    practice = Practice.objects.filter(workspace__slug="summit").order_by("id")[0]
    values = {
        "practice": str(practice.public_id),
        "account_number": "A-100",
        "last_name": "Rivera",
        "first_name": "Ana",
        "date_of_birth": "1980-02-03",
        "sex": "F",
        "postal_code": "62701",
    }
    values.update(overrides)
    return PatientForm([practice], values)


def test_a_good_form_reads():
    form = _form()
    assert form.is_valid(), form.errors


@pytest.mark.parametrize(
    ("field", "typed", "says"),
    [
        ("postal_code", "٦٢٧٠١", "ZIP is 5 or 9 digits."),
        ("postal_code", "６２７０１-１２３４", "ZIP is 5 or 9 digits."),
        ("date_of_birth", "١٩٨٠-٠٢-٠٣", "Write the date with the digits 0-9, as 2026-03-01."),
    ],
)
def test_non_ascii_digits_are_refused_by_name(field, typed, says):
    form = _form(**{field: typed})
    assert not form.is_valid()
    assert form.errors[field] == [says]
