"""Patient reads: scope, masking, search and the audit event of every read."""

import pytest

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.patients import selectors
from bureau.patients.models import Patient
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db


def actor(username):
    return resolve_actor(User.objects.get(username=username))


def test_all_practices_list_spans_every_visible_practice():
    a = actor("bella.biller")
    page = selectors.patient_list(actor=a, page_size=500)
    assert {r.practice_name for r in page.rows} == {p.name for p in a.practices()}
    assert page.count == Patient.objects.for_system(a.practice_ids(), reason="test").count()


def test_masked_rows_carry_no_demographics():
    a = actor("dan.denials")
    page = selectors.patient_list(actor=a, page_size=500)
    real = {p.public_id.hex: p for p in Patient.objects.for_system(a.practice_ids(), reason="t")}
    for row in page.rows:
        patient = real[row.public_id.replace("-", "")]
        assert row.masked and row.date_of_birth is None
        assert patient.last_name not in row.name and patient.phone != row.phone
        assert row.name == f"{patient.first_name[0]}. {patient.last_name[0]}."


def test_masked_actor_cannot_search_by_name_but_can_by_account():
    a = actor("dan.denials")
    some = Patient.objects.for_system(a.practice_ids(), reason="t").order_by("id").first()
    assert selectors.patient_list(actor=a, search=some.last_name).count == 0
    found = selectors.patient_list(actor=a, search=some.account_number)
    assert [r.public_id for r in found.rows] == [str(some.public_id)]
    # And sorting by name silently falls back to account number (no order leak).
    rows = selectors.patient_list(actor=a, sort="name").rows
    assert [r.account_number for r in rows] == sorted(r.account_number for r in rows)


def test_name_search_last_comma_first():
    a = actor("olivia.owner")
    some = Patient.objects.for_system(a.practice_ids(), reason="t").order_by("id").first()
    page = selectors.patient_list(
        actor=a, search=f"{some.last_name}, {some.first_name}", page_size=500
    )
    assert str(some.public_id) in {r.public_id for r in page.rows}
    assert all(r.name.startswith(some.last_name) for r in page.rows)


def test_list_read_is_audited_per_practice_with_the_ids_shown():
    a = actor("bella.biller")
    before = AuditEvent.objects.count()
    page = selectors.patient_list(actor=a)
    events = list(AuditEvent.objects.order_by("id")[before:])
    assert {e.action for e in events} == {"patient.listed"}
    shown = [r.public_id for r in page.rows]
    assert sorted(sum((e.record_ids for e in events), [])) == sorted(shown)
    for e in events:
        practice = Practice.objects.get(pk=e.practice_id)
        names = {r.practice_name for r in page.rows if r.public_id in e.record_ids}
        assert names == {practice.name}
