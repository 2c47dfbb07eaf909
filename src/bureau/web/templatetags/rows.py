"""The rows of the busiest lists (claims, patients, the work queue), written in Python.

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
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()


def _v(value: Any) -> str:
    """`{{ value }}`: localized (numbers, dates) and escaped; None prints "None" as there."""
    if type(value) is str:  # most cells: what localize and escape come to, without the calls
        return html.escape(value)
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
