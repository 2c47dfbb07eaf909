# ruff: noqa: E501 - the template loops are kept verbatim, long lines and all
"""The list rows written in Python (web/templatetags/rows.py) print exactly what the template
loops they replaced printed (issue 12): the loops are kept here, and both render the same rows,
real ones from the pages and made-up ones with every branch and characters to escape."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import Context, Template

from bureau.conftest import verified_client
from bureau.workqueues.tests import helpers as h
from bureau.workqueues.tests.test_queue_views import denied_claims

# The loops as they were in claims/_claim_table.html, patients/_table.html and
# workqueues/queue.html.
OLD_CLAIM_LOOP = """{% for c in page.rows %}
  <tr>
    <td>{{ c.practice_name }}</td>
    <td class="mono"><a href="{{ c.href }}">{{ c.number }}</a></td>
    <td><span class="mono">{{ c.patient_account }}</span> {% if c.masked %}<span class="masked" title="Demographics hidden for your role">{{ c.patient_name }}</span>{% else %}{{ c.patient_name }}{% endif %}</td>
    <td>{{ c.payer_name }}</td>
    <td class="mono">{{ c.date_of_service.isoformat }}</td>
    <td class="mono num">{{ c.total_charge }}</td>
    <td><span class="badge state-{{ c.state }}">{{ c.state_label }}</span>{% if c.rejection %} <span class="why" title="Why it was rejected">{{ c.rejection }}</span>{% endif %}</td>
  </tr>
  {% empty %}
  <tr><td colspan="7">No claims match.</td></tr>
  {% endfor %}"""
OLD_PATIENT_LOOP = """{% for p in page.rows %}
  <tr>
    {% if not practice %}<td>{{ p.practice_name }}</td>{% endif %}
    <td class="mono"><a href="{{ p.href }}">{{ p.account_number }}</a></td>
    <td>{% if p.masked %}<span class="masked" title="Demographics hidden for your role">{{ p.name }}</span>{% else %}<a href="{{ p.href }}">{{ p.name }}</a>{% endif %}</td>
    <td class="mono">{{ p.born }}</td>
    <td>{{ p.sex }}</td>
    <td class="mono">{{ p.phone }}</td>
  </tr>
  {% empty %}
  <tr><td colspan="6">No patients match.</td></tr>
  {% endfor %}"""
OLD_QUEUE_LOOP = """{% for r in page.rows %}
  <tr data-href="{{ r.href }}{{ back }}" data-claim="{{ r.claim_href }}" class="{{ r.css }}">
    <td><input type="checkbox" name="item" value="{{ r.item.public_id }}" aria-label="Select"></td>
    <td>{{ r.practice_name }}</td>
    <td>{{ r.function_label }}{% if r.pended_to is not None %} <span class="badge">pended to {{ r.pended_to }}</span>{% endif %}</td>
    <td><a href="{{ r.href }}{{ back }}">{{ r.item.title }}</a></td>
    <td class="mono">{{ r.claim_number }}</td>
    <td{% if r.masked %} class="masked"{% endif %}>{{ r.patient }}</td>
    <td>{{ r.payer_name }}</td>
    <td class="mono num">{{ r.item.amount }}</td>
    <td class="{% if r.overdue %}bad{% endif %}">{{ r.deadline|default:"—" }}</td>
    <td><span class="badge sla-{{ r.sla }}">{{ r.sla_text }}</span> <small class="mono">{{ r.sla_due }}</small></td>
    <td class="mono">{{ r.opened }}</td>
    <td>{{ r.held_by|default:"—" }}</td>
    <td class="mono num">{{ r.item.priority }}</td>
  </tr>
  {% empty %}
  <tr><td colspan="13">Nothing to work here.</td></tr>
  {% endfor %}"""

NEW_CLAIM = "{% load rows %}  {% claim_rows page.rows %}"
NEW_PATIENT = "{% load rows %}  {% patient_rows page.rows practice %}"
NEW_QUEUE = "{% load rows %}  {% queue_rows page.rows back %}"

EVIL = '<b>O\'Brien & "Sons"</b>'


def _both(old: str, new: str, **context: Any) -> tuple[str, str]:
    assert context["page"].rows
    before = Template(old).render(Context(context))
    after = Template(new).render(Context(context))
    # The loop's own leading indent aside, byte for byte.
    return before.strip(), after.strip()


def _page(rows: list[Any]) -> Any:
    return SimpleNamespace(rows=rows)


def _claim(**over: Any) -> Any:
    row = dict(
        practice_name=EVIL, href="/claims/x/?a=1&b=2", number="C-1<", patient_account="A&1",
        patient_name=EVIL, masked=False, payer_name=EVIL, date_of_service=date(2026, 1, 2),
        total_charge=Decimal("1234.50"), state="rejected", state_label="Rejected <x>",
        rejection="",
    )  # fmt: skip
    row.update(over)
    return SimpleNamespace(**row)


def _patient(**over: Any) -> Any:
    row = dict(
        practice_name=EVIL, href="/patients/x/", account_number="A<1", name=EVIL,
        masked=False, born="1980-01-02", sex="F", phone="555 & 1",
    )  # fmt: skip
    row.update(over)
    return SimpleNamespace(**row)


def _queue(**over: Any) -> Any:
    item = SimpleNamespace(
        public_id="3f8e", title=EVIL, amount=Decimal("10.00"), priority=Decimal("12.5")
    )
    row = dict(
        item=item, href="/queue/items/1/", claim_href="/queue/items/1/claim", css="breached urgent",
        practice_name=EVIL, function_label="Denials", pended_to=None, claim_number="C-9",
        masked=False, patient=EVIL, payer_name="—", overdue=False, deadline="", sla="breached",
        sla_text="breached", sla_due="01-02", opened="2026-01-01", held_by="",
    )  # fmt: skip
    row.update(over)
    return SimpleNamespace(**row)


def test_made_up_claim_rows_print_as_the_template_printed_them():
    rows = [
        _claim(),
        _claim(masked=True, rejection="Payer said <no> & more"),
        _claim(total_charge=Decimal("1E+2"), state_label="", patient_account=""),
        _claim(total_charge=Decimal("-0.01"), number=None),
    ]
    before, after = _both(OLD_CLAIM_LOOP, NEW_CLAIM, page=_page(rows))
    assert after == before


@pytest.mark.parametrize("practice", [None, SimpleNamespace(public_id="p1")])
def test_made_up_patient_rows_print_as_the_template_printed_them(practice):
    rows = [_patient(), _patient(masked=True, name="J. D."), _patient(phone="", born="")]
    before, after = _both(OLD_PATIENT_LOOP, NEW_PATIENT, page=_page(rows), practice=practice)
    assert after == before


@pytest.mark.parametrize("back", ["", "?q=function%3Ddenials&x=<y>"])
def test_made_up_queue_rows_print_as_the_template_printed_them(back):
    rows = [
        _queue(),
        _queue(pended_to="02-03", masked=True, overdue=True, deadline="Appeal: overdue by 2 days",
               held_by="Dan <Denials>", css="", claim_number="", payer_name=EVIL),
        _queue(pended_to="", sla="on_track", sla_text="ontrack", sla_due=""),
    ]  # fmt: skip
    before, after = _both(OLD_QUEUE_LOOP, NEW_QUEUE, page=_page(rows), back=back)
    assert after == before


OLD_PEOPLE = (
    '{% for value, label in people %}<option value="{{ value }}" {% if filters.assignee == value %}'
    "selected{% endif %}>{{ label }}</option>{% endfor %}|"
    '{% for value, label in people %}<option value="{{ value }}">{{ label }}</option>{% endfor %}'
)
NEW_PEOPLE = "{% load rows %}{% options people filters.assignee %}|{% options people %}"


@pytest.mark.parametrize("assignee", ["", "me", "b", None, "<b>"])
def test_the_queue_menus_of_people_print_as_the_template_printed_them(assignee):
    people = [("me", "Me"), ("a", EVIL), ("b", "Bea <B>"), ("<b>", "tags & all")]
    context = {"people": people, "filters": SimpleNamespace(assignee=assignee)}
    before = Template(OLD_PEOPLE).render(Context(context))
    assert Template(NEW_PEOPLE).render(Context(context)) == before


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["sam.supervisor", "dan.denials"])
def test_the_pages_rows_print_as_the_template_printed_them(username):
    h.followup_items()
    for practice in h.summit()[:2]:
        denied_claims(practice, count=2)
    client = verified_client(username)
    checked = 0
    for url, old, new in (
        ("/claims/?practice=all", OLD_CLAIM_LOOP, NEW_CLAIM),
        ("/patients/?practice=all", OLD_PATIENT_LOOP, NEW_PATIENT),
        ("/queue/?practice=all", OLD_QUEUE_LOOP, NEW_QUEUE),
        ("/queue/?practice=all&function=denials", OLD_QUEUE_LOOP, NEW_QUEUE),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        if not response.context["page"].rows:
            continue
        keys = ("page", "practice", "back")
        context = {key: response.context[key] for key in keys if key in response.context}
        before, after = _both(old, new, **context)
        assert after == before, url
        assert after in response.content.decode()  # what the page itself printed
        checked += 1
    assert checked >= 3
