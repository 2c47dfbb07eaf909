"""No input makes a 500: a crawler over every URL the authorization matrix discovers.

For one seeded user of each role, every page that user may open is fetched; its forms are read
from the HTML. Then hostile values (other scripts' digits, huge numbers, 10,000 characters, deep
nesting, NUL, far dates, negatives) go into every query parameter (the page's GET forms, the
parameters the views read, the usual list parameters) and every field of every POST form found:
all fields hostile at once, and each field alone in an otherwise plausible form, so validation
of one field does not hide the next. Any 500 fails, named by request.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client
from django.urls import Resolver404, resolve, reverse

from bureau.accounts.models import User
from bureau.conftest import verified_client
from bureau.tenancy.models import Grant
from bureau.web.tests.test_authorization_matrix import (
    CLASSIFICATION,
    RECORD_KWARG,
    World,
    _records,
    build_world,
    money,
    served,
)

HOSTILE = [
    "²",  # str.isdigit() says yes, int() says no
    "٣",  # Arabic-Indic three: int() and Decimal() read it as 3
    "9" * 5000,  # past int()'s 4,300-digit limit and any column
    "1e30",  # overflows Decimal.quantize
    "-1",
    "x" * 10_000,
    "[" * 5000 + "]" * 5000,  # recursion in a JSON parser
    "a\x00b",  # PostgreSQL refuses NUL in text
    "9999-12-31",  # no next day
    "0001-01-01",  # no previous day
    "0000-05",  # a month of year 0: the pattern matches, no date exists
]
# Parameters every list may be sent, whatever its page shows.
COMMON_PARAMS = {
    "page",
    "sort",
    "q",
    "date_from",
    "date_to",
    "practice",
    "payer",
    "status",
    "state",
    "provider",
    "next",
}
SRC = Path(__file__).resolve().parents[2]
READS = re.compile(
    r"""(?:GET\.get(?:list)?\(\s*|GET\[\s*|chosen_value\(\s*request,\s*|"""
    r"""chosen_by_public_id\(\s*request,\s*)["'](\w+)["']"""
)
# Session-ending or session-changing URLs are crawled with a client of their own; logout is
# left out (it would only end the session the crawl uses).
SKIP = {"accounts:logout"}
# Hidden fields that differ from page to page without changing what the form does.
SAME = {"next", "csrfmiddlewaretoken"}


def params_views_read() -> set[str]:
    """Every query parameter name the application's code reads."""
    names: set[str] = set()
    for path in SRC.rglob("*.py"):
        if "tests" not in path.parts:
            names |= set(READS.findall(path.read_text()))
    return names


# -- forms from HTML ----------------------------------------------------------------------------
@dataclass
class Form:
    action: str
    method: str
    fields: dict[str, str] = field(default_factory=dict)  # name -> plausible value
    hidden: set[str] = field(default_factory=set)


class FormReader(HTMLParser):
    """The forms of a page: their action, method, and a plausible value for every field (its
    own value, the selected or first option, or a benign value for its type when empty)."""

    def __init__(self, page_url: str) -> None:
        super().__init__(convert_charrefs=True)
        self.page_url = page_url
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            action = urljoin(self.page_url, a.get("action") or self.page_url)
            self._form = Form(action, (a.get("method") or "get").lower())
            self.forms.append(self._form)
            return
        form, name = self._form, a.get("name")
        if form is not None and tag == "option" and self._select:
            current = form.fields.get(self._select, "")
            if "selected" in a or not current:
                form.fields[self._select] = a.get("value", "")
            return
        if form is None or not name:
            return
        kind = a.get("type", "text").lower()
        if tag == "input":
            if kind in ("checkbox", "radio") and "checked" not in a:
                form.fields.setdefault(name, "")
                return
            if kind == "hidden":
                form.hidden.add(name)
            form.fields.setdefault(name, a.get("value") or _benign(kind, name))
        elif tag == "button" and kind == "submit":
            form.fields.setdefault(name, a.get("value", ""))
        elif tag == "select":
            self._select = name
            form.fields.setdefault(name, "")
        elif tag == "textarea":
            self._textarea = name
            form.fields.setdefault(name, "")

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea and data.strip():
            self._form.fields[self._textarea] = data.strip()

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def _benign(kind: str, name: str) -> str:
    if kind == "date" or "date" in name:
        return date.today().isoformat()
    if kind == "number":
        return "1"
    return "crawler check"  # long enough for a reason, harmless as text


def forms_of(url: str, response: Any) -> list[Form]:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return []
    reader = FormReader(url)
    reader.feed(response.content.decode(errors="replace"))
    return reader.forms


# -- the crawl ----------------------------------------------------------------------------------
@dataclass
class Crawl:
    username: str
    sent: int = 0
    pages: int = 0
    posted_forms: int = 0
    failures: list[str] = field(default_factory=list)

    def check(self, label: str, response: Any) -> None:
        self.sent += 1
        if response.status_code >= 500:
            self.failures.append(f"{self.username} {label}: {response.status_code}")


def client_for(username: str) -> Client:
    client = verified_client(username)
    client.raise_request_exception = False  # a raised view becomes the 500 it would be
    return client


def _short(value: str) -> str:
    return repr(value if len(value) <= 12 else value[:10] + "…")


def _url_of(name: str, world: World) -> str | None:
    """The URL with a record this user may open; None when there is none."""
    spec = CLASSIFICATION[name]
    if spec.record in (None, "practice"):
        return reverse(name)
    allowed = [value for _, value, may in _records(spec, world) if may]
    if not allowed:
        return None
    return reverse(name, kwargs={RECORD_KWARG.get(spec.record, "public_id"): allowed[0]})


def _same_site_path(action: str) -> tuple[str, str] | None:
    """(path, URL name) of a form's action on this site, None elsewhere or for a SKIP name."""
    parts = urlsplit(action)
    if parts.netloc not in ("", "testserver"):
        return None
    try:
        name = resolve(parts.path).view_name
    except Resolver404:
        return None
    return None if name in SKIP else (parts.path, name)


@dataclass
class PostForms:
    """The POST forms found, by URL name (one exception's resolve form stands for the list's
    forty) and field names, and by hidden values for a few variants (the settings page's one
    form per key); fields that differ page to page (`next`) do not make a variant."""

    kept: dict[tuple[str, frozenset[str], frozenset[tuple[str, str]]], Form] = field(
        default_factory=dict
    )
    variants: dict[tuple[str, frozenset[str]], int] = field(default_factory=dict)

    def keep(self, form: Form, most: int = 6) -> None:
        target = _same_site_path(form.action)
        if target is None:
            return
        shape = (target[1], frozenset(form.fields))
        hidden = frozenset(
            (k, v) for k, v in form.fields.items() if k in form.hidden and k not in SAME
        )
        if (*shape, hidden) in self.kept or self.variants.get(shape, 0) >= most:
            return
        self.variants[shape] = self.variants.get(shape, 0) + 1
        form.action = target[0]
        self.kept[(*shape, hidden)] = form

    def names(self) -> set[str]:
        return {name for name, _, _ in self.kept}


def post_variants(form: Form) -> Iterator[tuple[str, dict[str, str]]]:
    """Every field hostile at once (each value), then each field alone in the plausible form."""
    for value in HOSTILE:
        yield f"all={_short(value)}", {name: value for name in form.fields}
    for n, name in enumerate(sorted(form.fields)):
        value = HOSTILE[n % len(HOSTILE)]
        yield f"{name}={_short(value)}", {**form.fields, name: value}


def crawl(username: str, world: World, query_params: set[str]) -> Crawl:
    result = Crawl(username)
    forms = PostForms()
    post_only: dict[str, Form] = {}
    for name in served():
        spec = CLASSIFICATION[name]
        if name in SKIP or (spec.access == "capability" and not world.holds_anywhere(spec.needs)):
            continue  # refused at the door with a 404, before any input is read
        url = _url_of(name, world)
        if url is None:
            continue
        client = client_for(username)
        if spec.method == "POST":
            # Posted below with the form a page carries; with the matrix's fields if none does.
            post_only[name] = Form(url, "post", {**spec.post, "practice": "", "next": "/"})
            continue
        page = client.get(url)
        result.check(f"GET {url}", page)
        result.pages += page.status_code == 200
        found = forms_of(url, page)
        chosen = {f.fields.get("practice", "") for f in found if f.method == "get"} - {"", "all"}
        if chosen:
            # The page for one practice: some forms (the encounter, payer overrides) need one.
            one = client.get(url, {"practice": sorted(chosen)[0]})
            result.check(f"GET {url} practice=<own>", one)
            found += forms_of(url, one)
        params = set(COMMON_PARAMS) | query_params
        for form in found:
            if form.method == "get":
                params |= set(form.fields)
            else:
                forms.keep(form)
        # `practice` alone: a refused practice is a 404 before any other parameter is read.
        odd = HOSTILE[result.pages % len(HOSTILE)]
        result.check(f"GET {url} practice={_short(odd)}", client.get(url, {"practice": odd}))
        for value in HOSTILE:
            rest = dict.fromkeys(params - {"practice"}, value)
            result.check(f"GET {url} all-but-practice={_short(value)}", client.get(url, rest))
    for name, form in post_only.items():
        if name not in forms.names():
            forms.kept[(name, frozenset(form.fields), frozenset())] = form
    for form in forms.kept.values():
        client = client_for(username)
        result.posted_forms += 1
        for label, data in post_variants(form):
            result.check(f"POST {form.action} {label}", client.post(form.action, data))
    return result


def representatives() -> list[str]:
    """One seeded Summit user per role held, the first by id (new demo users join by role)."""
    chosen: dict[str, str] = {}
    grants = Grant.objects.filter(user__workspace__slug="summit", revoked_at__isnull=True).order_by(
        "user_id", "id"
    )
    for role, username in grants.values_list("role", "user__username"):
        chosen.setdefault(role, username)
    return sorted(set(chosen.values()))


# One seeded Summit user per role (checked below), one test each so each runs in its own
# transaction and a slow role shows in the timings. casey.contractor is a biller like bella.
CRAWLED = [
    "alex.manager",
    "bella.biller",
    "carla.compliance",
    "cliff.client",
    "dan.denials",
    "olivia.owner",
    "priya.poster",
    "sam.supervisor",
]


@pytest.mark.django_db
def test_one_user_of_every_role_is_crawled():
    assert sorted(CRAWLED) == representatives(), "a role without a crawler, or a stale name"
    roles = set(Grant.objects.filter(user__username__in=CRAWLED).values_list("role", flat=True))
    assert roles == set(
        Grant.objects.filter(user__workspace__slug="summit").values_list("role", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("username", CRAWLED)
def test_no_input_makes_a_500(username):
    world = build_world(username)
    money(world)  # an ERA with an exception and a denial per practice, to open and post to
    result = crawl(username, world, params_views_read())
    assert not result.failures, "\n".join(result.failures[:40])
    # Not vacuous: pages opened, hostile requests sent, forms posted.
    assert result.pages >= 2 and result.sent > 50, result
    if username == "olivia.owner":
        assert result.posted_forms >= 20, result
    assert User.objects.get(username=username).is_active
