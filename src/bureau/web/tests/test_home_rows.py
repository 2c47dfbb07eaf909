# ruff: noqa: E501 - the template loops are kept verbatim, long lines and all
"""The home page's busiest tables, written in Python (web/templatetags/rows.py: work_rows,
practice_summary_rows, book_practice_rows), print exactly what the template loops they replaced printed (issue 12):
the loops are kept here, and both render the same rows, the home page's own and made-up ones
with every branch and characters to escape."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.template import Context, Template

from bureau.conftest import verified_client

# The loops as they were in web/home.html.
OLD_WORK_LOOP = """{% for r in work.rows %}<tr>
    <td><a href="{{ r.function_link }}">{{ r.function_label }}</a></td>
    <td><a href="{{ r.link }}">{{ r.practice.name }}</a></td>
    <td class="num">{% if r.mine %}<a href="{{ r.link }}&amp;assignee=mine">{{ r.mine }}</a>{% else %}0{% endif %}</td>
    <td class="num">{{ r.free }}</td>
    <td class="num">{% if r.breached %}<a class="bad" href="{{ r.link }}&amp;sla=breached">{{ r.breached }}</a>{% else %}0{% endif %}</td>
    <td class="num mono">{{ r.dollars|floatformat:"2g" }}</td>
  </tr>{% endfor %}"""
OLD_SUMMARY_LOOP = """{% for s in summaries %}
    <tr>
      <td>{{ s.practice.name }}</td>
      <td>{{ s.practice.specialty }}</td>
      <td class="mono">{{ s.practice.npi }}</td>
      <td><span class="tag tag-{{ s.practice.status }}">{{ s.practice.get_status_display }}</span></td>
      <td>{{ s.roles }}{% if s.read_only %} <span class="tag">read-only</span>{% endif %}</td>
      <td class="num">{% if s.patients is None %}—{% else %}<a href="{{ list_urls.patients }}?practice={{ s.practice.public_id }}">{{ s.patients }}</a>{% endif %}</td>
      <td class="num">{% if s.rejected_claims is None %}—{% else %}<a href="{{ list_urls.claims }}?practice={{ s.practice.public_id }}&amp;state=rejected"{% if s.rejected_claims %} class="bad"{% endif %}>{{ s.rejected_claims }}</a>{% endif %}</td>
      <td class="num">{% if s.open_exceptions is None %}—{% else %}<a href="{{ list_urls.exceptions }}?practice={{ s.practice.public_id }}">{{ s.open_exceptions }}</a>{% endif %}</td>
      <td class="num">{% if s.policy_holds is None %}—{% else %}<a href="{{ list_urls.exceptions }}?tab=holds&amp;practice={{ s.practice.public_id }}">{{ s.policy_holds }}</a>{% endif %}</td>
      <td class="num">{% if s.open_denials is None %}—{% else %}<a href="{{ list_urls.denials }}?practice={{ s.practice.public_id }}&amp;status=open">{{ s.open_denials }}</a>{% endif %}</td>
      <td class="num mono">{% if s.paid_recently is None %}—{% else %}<a href="{{ list_urls.eras }}?practice={{ s.practice.public_id }}">{{ s.paid_recently|floatformat:"2g" }}</a>{% endif %}</td>
    </tr>
  {% endfor %}"""
OLD_BOOK_LOOP = """{% load reports_charts %}{% for r in book.practices %}<tr data-practice="{{ r.practice.public_id }}">
    <td><a href="{{ r.links.kpis }}">{{ r.practice.name }}</a></td>
    <td class="num mono"><a href="{{ r.links.aging }}">{{ r.ar|cents }}</a></td>
    <td class="num"><a href="{{ r.links.aging }}">{% kpi_value r.over_90 "percent" %}</a></td>
    {% for v in r.cells %}<td class="num"><a href="{{ r.links.kpis }}">{% kpi_value v.value v.unit %}</a></td>{% endfor %}
    <td class="num">{% if r.links.queue %}<a href="{{ r.links.queue }}"{% if r.breached %} class="bad"{% endif %}>{{ r.breached }}</a>{% else %}<span{% if r.breached %} class="bad"{% endif %}>{{ r.breached }}</span>{% endif %}</td>
  </tr>{% endfor %}"""
NEW_WORK = "{% load rows %}{% work_rows work.rows %}"
NEW_BOOK = "{% load rows %}{% book_practice_rows book.practices %}"
NEW_SUMMARY = "{% load rows %}{% practice_summary_rows summaries list_urls %}"

EVIL = '<b>O\'Brien & "Sons"</b>'
URLS = {
    "patients": "/patients/",
    "claims": "/claims/",
    "exceptions": "/eras/exceptions/",
    "denials": "/denials/",
    "eras": "/eras/?a=<1>&b",
}


def _both(old: str, new: str, **context: Any) -> tuple[str, str]:
    return Template(old).render(Context(context)), Template(new).render(Context(context))


def _work(**over: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict(
        function_link="/queue/?function=denials", function_label="Denials & <appeals>",
        link="/queue/?function=denials&practice=p<1>", practice=SimpleNamespace(name=EVIL),
        mine=3, free=12, breached=2, dollars=Decimal("12345.678"),
    )  # fmt: skip
    row.update(over)
    return row


class _Practice(SimpleNamespace):
    def get_status_display(self) -> str:
        return "Active <now>"


def _summary(**over: Any) -> Any:
    practice = _Practice(
        name=EVIL, specialty="Peds & more", npi="1234567893", status="active", public_id="p<1>"
    )
    row: dict[str, Any] = dict(
        practice=practice, roles="Biller, <Poster>", read_only=False, patients=60,
        rejected_claims=4, open_exceptions=0, policy_holds=1, open_denials=7,
        paid_recently=Decimal("98765.4"),
    )  # fmt: skip
    row.update(over)
    return SimpleNamespace(**row)


def test_made_up_work_rows_print_as_the_template_printed_them():
    rows = [
        _work(),
        _work(mine=0, breached=0, dollars=Decimal("0"), practice=None),
        _work(free=0, dollars=Decimal("-1.5"), function_label=""),
        _work(dollars=Decimal("1E+3")),
    ]
    before, after = _both(OLD_WORK_LOOP, NEW_WORK, work=SimpleNamespace(rows=rows))
    assert after == before


def test_made_up_practice_rows_print_as_the_template_printed_them():
    rows = [
        _summary(),
        _summary(read_only=True, rejected_claims=0, paid_recently=Decimal("0.005")),
        _summary(patients=None, rejected_claims=None, open_exceptions=None, policy_holds=None,
                 open_denials=None, paid_recently=None),
        _summary(patients=0, open_denials=0, roles=""),
    ]  # fmt: skip
    before, after = _both(OLD_SUMMARY_LOOP, NEW_SUMMARY, summaries=rows, list_urls=URLS)
    assert after == before


def _glance(**over: Any) -> Any:
    cells = [
        SimpleNamespace(value=Decimal("12.345"), unit="percent"),
        SimpleNamespace(value=None, unit="percent"),
        SimpleNamespace(value=Decimal("31.2"), unit="days"),
        SimpleNamespace(value=Decimal("1234.5"), unit="dollars"),
        SimpleNamespace(value=Decimal("7"), unit="<odd>"),
    ]
    row: dict[str, Any] = dict(
        practice=SimpleNamespace(public_id="p<1>", name=EVIL), ar=Decimal("123456.789"),
        over_90=Decimal("40.0"), cells=cells, breached=3,
        links=SimpleNamespace(aging="/reports/aging/?practice=p<1>&x", kpis="/reports/kpis/?a&b", queue="/queue/?sla=breached&p"),
    )  # fmt: skip
    row.update(over)
    return SimpleNamespace(**row)


def test_made_up_book_rows_print_as_the_template_printed_them():
    no_queue = SimpleNamespace(aging="/a/", kpis="/k/", queue="")
    rows = [
        _glance(),
        _glance(ar=Decimal("0"), over_90=None, breached=0),
        _glance(links=no_queue, breached=5, ar=Decimal("-12.5")),
        _glance(links=no_queue, breached=0, cells=[]),
    ]
    before, after = _both(OLD_BOOK_LOOP, NEW_BOOK, book=SimpleNamespace(practices=rows))
    assert after == before


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["olivia.owner", "sam.supervisor", "lina.limited"])
def test_the_home_pages_rows_print_as_the_template_printed_them(username):
    response = verified_client(username).get("/")
    assert response.status_code == 200
    page = response.content.decode()
    context = {key: response.context[key] for key in ("work", "summaries", "list_urls", "book")}
    assert context["summaries"]
    before, after = _both(OLD_SUMMARY_LOOP, NEW_SUMMARY, **context)
    assert after == before and after in page  # what the page itself printed
    if context["work"] is not None and context["work"].rows:
        before, after = _both(OLD_WORK_LOOP, NEW_WORK, **context)
        assert after == before and after in page
    if context["book"] is not None:
        assert context["book"].practices
        before, after = _both(OLD_BOOK_LOOP, NEW_BOOK, **context)
        assert after == before and after in page


@pytest.mark.parametrize("value", [0, 7, -3, 1234567, 10**30, True])
def test_a_count_prints_as_the_template_prints_it(value):
    from bureau.web.templatetags.rows import _v

    assert _v(value) == Template("{{ value }}").render(Context({"value": value}))
