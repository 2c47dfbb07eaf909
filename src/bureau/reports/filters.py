"""A report's filters, read once from the query string into a typed object.

Every report takes the same filters — practice, payer, an as-of date or a period, the aging
basis — so they are parsed here, once, and nothing below a view reads `request.GET`. A filter
that cannot be read is an error the page names (a bad or far date, digits that are not ASCII,
an unknown payer, an unknown basis): the page answers 400 with the form and the messages, never
a 500 and never a guess. A practice follows the project's rule instead: one the actor may not
see answers the same 404 as one that does not exist (`chosen_practice`), words included.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from urllib.parse import urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from django.http import HttpRequest
from django.utils import timezone

from bureau.directory.models import Payer
from bureau.directory.selectors import payer_by_public_id
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import chosen_practice

# The earliest date a report reads: before it no ledger exists, and a typo (0206 for 2026)
# would otherwise read as a valid year and age every claim by eighteen centuries.
EARLIEST = date(2000, 1, 1)
# `[0-9]`, not `\d`: `\d` matches every script's digits ("２０２６"), which `date` would read.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_LONGEST = 80  # no filter value is longer; more is someone's paste, quoted back cut


class AgingBasis(StrEnum):
    SERVICE = "service"
    SUBMISSION = "submission"

    @property
    def label(self) -> str:
        return "date of service" if self is AgingBasis.SERVICE else "first submission"


@dataclass(frozen=True)
class PracticePayer:
    """The practice and payer every report is narrowed by. `practice` None: every practice the
    actor may report on; `payer` None: every payer. The reports' filters extend it with their
    own span of time (an as-of date, a period, a window of months)."""

    practice: Practice | None
    payer: Payer | None

    @property
    def practice_id(self) -> int | None:
        return self.practice.pk if self.practice is not None else None

    @property
    def payer_id(self) -> int | None:
        return self.payer.pk if self.payer is not None else None

    @property
    def payer_key(self) -> str:
        """The payer as an audit event records it ("" for every payer)."""
        return str(self.payer.public_id) if self.payer is not None else ""

    def params(self, span: Mapping[str, str], extra: Mapping[str, str]) -> dict[str, str]:
        """The filters as query parameters, explicit about the practice (`all` rather than
        nothing), so an export or a drill link means what the page showed whatever the bar
        says when it is followed. `span` is the report's own time parameters; `extra` values
        that are empty are left out."""
        params = {"practice": str(self.practice.public_id) if self.practice else "all", **span}
        if self.payer is not None:
            params["payer"] = str(self.payer.public_id)
        params.update({k: v for k, v in extra.items() if v})
        return params


@dataclass(frozen=True)
class ReportFilters(PracticePayer):
    """What an as-of report (A/R aging) is asked for: the practice and payer, a day, a basis."""

    as_of: date
    basis: AgingBasis
    errors: tuple[str, ...] = field(default=())

    def query(self, **extra: str) -> str:
        span = {"as_of": self.as_of.isoformat(), "basis": self.basis.value}
        return urlencode(self.params(span, extra))


def file_scope(practice: Practice | None, practice_ids: Collection[int]) -> str:
    """What a report file's name says it covers: the practice asked for; with none asked, the
    one practice the file covers when it covers one (a client viewer's whole view is her
    practice, not "the book"); else the book."""
    if practice is not None:
        return practice.name
    if len(practice_ids) == 1:
        (only,) = practice_ids
        return Practice.objects.values_list("name", flat=True).get(pk=only)
    return "book"


def chart_scope(practice: Practice | None, practice_ids: Collection[int]) -> str:
    """What a chart's title says it covers: the practice asked for, or the one practice the
    report read, or how many it read. Never "all practices": an export leaves out practices
    the reader may not take whole, and its chart must not claim them."""
    if practice is not None or len(practice_ids) == 1:
        return file_scope(practice, practice_ids)
    return f"{len(practice_ids)} practices"


def _quoted(value: str) -> str:
    shown = "".join(c for c in value[:_LONGEST] if c.isprintable())
    return f"“{shown}”" + ("…" if len(value) > _LONGEST else "")


ISO_MONTH = re.compile(r"[0-9]{4}-[0-9]{2}", re.ASCII)


def parse_month_first(value: str, *, today: date) -> tuple[date | None, str]:
    """(the first day of the month `value` names, "") or (None, a message naming what is
    wrong): YYYY-MM in ASCII digits, a month of the calendar, from EARLIEST's year, not after
    `today`'s month. The month-window reports' filter and `bureau reports monthly --month` both
    read a month here, so the command takes no month the pages would refuse."""
    value = value.strip()
    if not ISO_MONTH.fullmatch(value):
        return None, f"Month {_quoted(value)} is not a month: write it as YYYY-MM."
    if not 1 <= int(value[5:]) <= 12:
        return None, f"Month {_quoted(value)} is not a month of the calendar."
    if int(value[:4]) < EARLIEST.year:  # by year: 0000 is no date to compare at all
        return None, f"Month {value} is before {EARLIEST:%Y-%m}."
    first = date(int(value[:4]), int(value[5:]), 1)
    if first > today.replace(day=1):
        return None, f"Month {value} is in the future (this month is {today:%Y-%m})."
    return first, ""


def parse_date(value: str, *, name: str, today: date) -> tuple[date | None, str]:
    """(the date, "") or (None, a message naming what is wrong with `value`)."""
    value = value.strip()
    if not ISO_DATE.fullmatch(value):
        return None, f"{name} {_quoted(value)} is not a date: write it as YYYY-MM-DD."
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None, f"{name} {_quoted(value)} is not a day of the calendar."
    if day < EARLIEST:
        return None, f"{name} {day.isoformat()} is before {EARLIEST.isoformat()}."
    if day > today:
        return None, f"{name} {day.isoformat()} is in the future (today is {today.isoformat()})."
    return day, ""


def _payer(actor: Actor, value: str) -> tuple[Payer | None, str]:
    if not value:
        return None, ""
    try:
        public_id = UUID(value[:_LONGEST])
    except ValueError:
        return None, f"Payer {_quoted(value)} is not a payer id."
    payer = payer_by_public_id(actor=actor, public_id=public_id)
    if payer is None:
        return None, "No payer has this id."
    return payer, ""


def report_today(actor: Actor, practice: Practice | None) -> date:
    """The day a report calls today: the server's date (the calendar the ledger and the claim
    history are dated by, so today's postings are always in an as-of-today report) or, when it
    is later, the day the practice has reached — across the book, any of the actor's practices.
    A practice ahead of the server (Guam, Manila) may then ask for its own today without being
    told the date "is in the future"."""
    now = timezone.now()
    practices = [practice] if practice is not None else [a.practice for a in actor.access.values()]
    zones = {p.timezone for p in practices}
    return max([timezone.localdate(now), *(now.astimezone(ZoneInfo(z)).date() for z in zones)])


def parse_practice_payer(
    request: HttpRequest, actor: Actor, capability: Capability, *, use_context: bool = True
) -> tuple[PracticePayer, list[str]]:
    """The practice and payer of this request: a foreign or unknown practice raises Http404
    (see the module doc), an unreadable payer is a message."""
    practice = chosen_practice(request, actor, capability, use_context=use_context)
    payer, problem = _payer(actor, request.GET.get("payer", "").strip())
    return PracticePayer(practice, payer), [problem] if problem else []


def parse_report_filters(
    request: HttpRequest,
    actor: Actor,
    capability: Capability,
    *,
    use_context: bool = True,
    today: date | None = None,
) -> ReportFilters:
    """The report filters of this request. A foreign or unknown practice raises Http404 (see
    the module doc); every other unreadable value becomes a message in `errors`."""
    get = request.GET
    base, errors = parse_practice_payer(request, actor, capability, use_context=use_context)
    today = today or report_today(actor, base.practice)
    as_of = today
    if get.get("as_of", "").strip():
        parsed, problem = parse_date(get["as_of"], name="As-of date", today=today)
        as_of = parsed or today
        errors += [problem] if problem else []
    basis = AgingBasis.SERVICE
    raw_basis = get.get("basis", "").strip()
    if raw_basis:
        try:
            basis = AgingBasis(raw_basis)
        except ValueError:
            choices = " or ".join(f"“{b.value}”" for b in AgingBasis)
            errors.append(f"Aging basis {_quoted(raw_basis)} is not one of {choices}.")
    return ReportFilters(base.practice, base.payer, as_of, basis, tuple(errors))


def bucket_edges(as_of: date) -> list[date]:
    """The first day of each aging bucket counting back from `as_of`: a claim whose start
    date is on or after edges[0] is 0–30 days old, on or after edges[1] 31–60, … Days are
    whole calendar days (`as_of` − start), so day 30 is still 0–30 and day 31 is 31–60."""
    return [as_of - timedelta(days=days) for days in (30, 60, 90, 120)]
