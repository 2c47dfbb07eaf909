"""The rows of the busiest lists (claims, patients, the work queue, the home page's tables),
written in Python.

A page of 50 rows through the template engine resolved and escaped some thousand variables
one node at a time: half the CPU of rendering the claims and patients lists, more than half of
the queue's (issue 12). Each row here is one format string, escaped and localized as
`{{ value }}` would be (`conditional_escape(localize(value))`); test_list_rows.py checks the
HTML is the same as the template loops these replaced.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from typing import Any

from django import template
from django.conf import settings
from django.template.defaultfilters import floatformat
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

from bureau.reports.templatetags.reports_charts import cents, kpi_value

register = template.Library()


def _v(value: Any) -> str:
    """`{{ value }}`: localized (numbers, dates) and escaped; None prints "None" as there."""
    if type(value) is str:  # most cells: what localize and escape come to, without the calls
        return html.escape(value)
    if type(value) is int and not settings.USE_THOUSAND_SEPARATOR:  # counts: digits, as there
        return str(value)
    return str(conditional_escape(localize(value)))


def _join(rows: Iterable[str]) -> SafeString:
    return mark_safe("".join(rows))  # noqa: S308 - every value went through _v


@register.simple_tag
def claim_rows(rows: Iterable[Any]) -> SafeString:
    """The claims list's rows (`claims/_claim_table.html`)."""
    return _join(_claim_row(c) for c in rows)


def _claim_row(c: Any) -> str:
    name = _v(c.patient_name)
    if c.masked:
        name = f'<span class="masked" title="Demographics hidden for your role">{name}</span>'
    why = (
        f' <span class="why" title="Why it was rejected">{_v(c.rejection)}</span>'
        if c.rejection
        else ""
    )
    return (
        "\n  <tr>\n"
        f"    <td>{_v(c.practice_name)}</td>\n"
        f'    <td class="mono"><a href="{_v(c.href)}">{_v(c.number)}</a></td>\n'
        f'    <td><span class="mono">{_v(c.patient_account)}</span> {name}</td>\n'
        f"    <td>{_v(c.payer_name)}</td>\n"
        f'    <td class="mono">{_v(c.date_of_service.isoformat())}</td>\n'
        f'    <td class="mono num">{_v(c.total_charge)}</td>\n'
        f'    <td><span class="badge state-{_v(c.state)}">{_v(c.state_label)}</span>{why}</td>\n'
        "  </tr>\n  "
    )


@register.simple_tag
def patient_rows(rows: Iterable[Any], practice: Any) -> SafeString:
    """The patients list's rows (`patients/_table.html`); the practice column only when the
    list spans practices (`practice` is falsy)."""
    return _join(_patient_row(p, not practice) for p in rows)


def _patient_row(p: Any, with_practice: bool) -> str:
    href, name = _v(p.href), _v(p.name)
    if p.masked:
        name = f'<span class="masked" title="Demographics hidden for your role">{name}</span>'
    else:
        name = f'<a href="{href}">{name}</a>'
    practice = f"<td>{_v(p.practice_name)}</td>" if with_practice else ""
    return (
        "\n  <tr>\n"
        f"    {practice}\n"
        f'    <td class="mono"><a href="{href}">{_v(p.account_number)}</a></td>\n'
        f"    <td>{name}</td>\n"
        f'    <td class="mono">{_v(p.born)}</td>\n'
        f"    <td>{_v(p.sex)}</td>\n"
        f'    <td class="mono">{_v(p.phone)}</td>\n'
        "  </tr>\n  "
    )


@register.simple_tag
def queue_rows(rows: Iterable[Any], back: Any) -> SafeString:
    """The work queue's rows (`workqueues/queue.html`); `back` is appended to each item's link
    (the way back to this list)."""
    tail = _v(back)
    return _join(_queue_row(r, tail) for r in rows)


def _queue_row(r: Any, back: str) -> str:
    item = r.item
    href = _v(r.href) + back
    pended = (
        f' <span class="badge">pended to {_v(r.pended_to)}</span>'
        if r.pended_to is not None
        else ""
    )
    masked = ' class="masked"' if r.masked else ""
    return (
        "\n  "
        f'<tr data-href="{href}" data-claim="{_v(r.claim_href)}" class="{_v(r.css)}">\n'
        '    <td><input type="checkbox" name="item" '
        f'value="{_v(item.public_id)}" aria-label="Select"></td>\n'
        f"    <td>{_v(r.practice_name)}</td>\n"
        f"    <td>{_v(r.function_label)}{pended}</td>\n"
        f'    <td><a href="{href}">{_v(item.title)}</a></td>\n'
        f'    <td class="mono">{_v(r.claim_number)}</td>\n'
        f"    <td{masked}>{_v(r.patient)}</td>\n"
        f"    <td>{_v(r.payer_name)}</td>\n"
        f'    <td class="mono num">{_v(item.amount)}</td>\n'
        f'    <td class="{"bad" if r.overdue else ""}">{_v(r.deadline or "—")}</td>\n'
        f'    <td><span class="badge sla-{_v(r.sla)}">{_v(r.sla_text)}</span>'
        f' <small class="mono">{_v(r.sla_due)}</small></td>\n'
        f'    <td class="mono">{_v(r.opened)}</td>\n'
        f"    <td>{_v(r.held_by or '—')}</td>\n"
        f'    <td class="mono num">{_v(item.priority)}</td>\n'
        "  </tr>\n  "
    )


@register.simple_tag
def options(choices: Iterable[tuple[Any, Any]], *selected: Any) -> SafeString:
    """`<option>`s of (value, label) pairs, as the loop
    `<option value="{{ value }}" {% if chosen == value %}selected{% endif %}>{{ label }}</option>`
    printed them; without `selected`, plain `<option value="{{ value }}">`. The queue lists
    every person of the workspace in two menus."""
    if not selected:
        return _join(f'<option value="{_v(v)}">{_v(label)}</option>' for v, label in choices)
    chosen = selected[0]
    return _join(
        f'<option value="{_v(v)}" {"selected" if chosen == v else ""}>{_v(label)}</option>'
        for v, label in choices
    )


def _amount(value: Any) -> str:
    """`{{ value|floatformat:"2g" }}`: two places, grouped."""
    return _v(floatformat(value, "2g"))


def _count_link(value: Any, href: str, css: str = "") -> str:
    """A count linking to its list, or "0" when there is nothing to open."""
    if not value:
        return "0"
    return f'<a{css} href="{href}">{_v(value)}</a>'


@register.simple_tag
def work_rows(rows: Iterable[dict[str, Any]]) -> SafeString:
    """The home page's work summary rows (`web/home.html`): function × practice."""
    return _join(_work_row(r) for r in rows)


BAD = ' class="bad"'


def _work_row(r: dict[str, Any]) -> str:
    link = _v(r["link"])
    practice = r["practice"]
    breached = _count_link(r["breached"], f"{link}&amp;sla=breached", BAD)
    return (
        "<tr>\n"
        f'    <td><a href="{_v(r["function_link"])}">{_v(r["function_label"])}</a></td>\n'
        f'    <td><a href="{link}">{_v(practice.name if practice else "")}</a></td>\n'
        f'    <td class="num">{_count_link(r["mine"], f"{link}&amp;assignee=mine")}</td>\n'
        f'    <td class="num">{_v(r["free"])}</td>\n'
        f'    <td class="num">{breached}</td>\n'
        f'    <td class="num mono">{_amount(r["dollars"])}</td>\n'
        "  </tr>"
    )


@register.simple_tag
def practice_summary_rows(summaries: Iterable[Any], urls: dict[str, str]) -> SafeString:
    """The home page's "Your practices" rows (`web/home.html`); `urls` are the lists the counts
    open (patients, claims, exceptions, denials, eras)."""
    return _join(_practice_summary_row(s, urls) for s in summaries)


def _or_dash(value: Any, link: str, css: str = "", shown: str | None = None) -> str:
    """A figure the actor may not see prints "—"; otherwise it links to its list."""
    if value is None:
        return "—"
    return f'<a href="{link}"{css}>{shown if shown is not None else _v(value)}</a>'


def _practice_summary_row(s: Any, urls: dict[str, str]) -> str:
    p = s.practice
    pid = _v(p.public_id)
    read_only = ' <span class="tag">read-only</span>' if s.read_only else ""
    rejected_css = BAD if s.rejected_claims else ""
    paid = None if s.paid_recently is None else _amount(s.paid_recently)
    patients_link = f"{_v(urls['patients'])}?practice={pid}"
    claims_link = f"{_v(urls['claims'])}?practice={pid}&amp;state=rejected"
    exceptions = _v(urls["exceptions"])
    denials_link = f"{_v(urls['denials'])}?practice={pid}&amp;status=open"
    eras_link = f"{_v(urls['eras'])}?practice={pid}"
    return (
        "\n    <tr>\n"
        f"      <td>{_v(p.name)}</td>\n"
        f"      <td>{_v(p.specialty)}</td>\n"
        f'      <td class="mono">{_v(p.npi)}</td>\n'
        f'      <td><span class="tag tag-{_v(p.status)}">{_v(p.get_status_display())}</span></td>\n'
        f"      <td>{_v(s.roles)}{read_only}</td>\n"
        f'      <td class="num">{_or_dash(s.patients, patients_link)}</td>\n'
        f'      <td class="num">{_or_dash(s.rejected_claims, claims_link, rejected_css)}</td>\n'
        '      <td class="num">'
        f"{_or_dash(s.open_exceptions, f'{exceptions}?practice={pid}')}</td>\n"
        '      <td class="num">'
        f"{_or_dash(s.policy_holds, f'{exceptions}?tab=holds&amp;practice={pid}')}</td>\n"
        f'      <td class="num">{_or_dash(s.open_denials, denials_link)}</td>\n'
        '      <td class="num mono">'
        f"{_or_dash(s.paid_recently, eras_link, shown=paid)}</td>\n"
        "    </tr>\n  "
    )


@register.simple_tag
def book_practice_rows(rows: Iterable[Any]) -> SafeString:
    """The book at a glance's practice rows (`web/_home_book.html`): A/R, KPIs, SLA breaches."""
    return _join(_book_practice_row(r) for r in rows)


def _book_practice_row(r: Any) -> str:
    links = r.links
    kpis, aging = _v(links.kpis), _v(links.aging)
    cells = "".join(
        f'<td class="num"><a href="{kpis}">{kpi_value(v.value, v.unit)}</a></td>' for v in r.cells
    )
    bad = BAD if r.breached else ""
    if links.queue:
        breached = f'<a href="{_v(links.queue)}"{bad}>{_v(r.breached)}</a>'
    else:
        breached = f"<span{bad}>{_v(r.breached)}</span>"
    return (
        f'<tr data-practice="{_v(r.practice.public_id)}">\n'
        f'    <td><a href="{kpis}">{_v(r.practice.name)}</a></td>\n'
        f'    <td class="num mono"><a href="{aging}">{_v(cents(r.ar))}</a></td>\n'
        f'    <td class="num"><a href="{aging}">{kpi_value(r.over_90, "percent")}</a></td>\n'
        f"    {cells}\n"
        f'    <td class="num">{breached}</td>\n'
        "  </tr>"
    )
