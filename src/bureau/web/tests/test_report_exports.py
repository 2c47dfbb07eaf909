"""Exports of reports across the book, under minimum necessary (the class of `serves_report`).

test_file_downloads.py checks the files of one record; a report's export carries many
practices in one file, so the rule is applied per practice: the export covers exactly the
practices where the person holds every capability it carries over every provider
(`file_practice_ids`), names no other practice, shows patient names only where the person holds
`patients.demographics`, and is audited once per practice it covers. The URLs are discovered
(declared with `serves_report`, no record argument): a new report export is checked here the
day it is routed. Expectations come from the Grant rows, not from the Actor.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from typing import Any

import pytest
from django.urls import reverse

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Capability, Role
from bureau.web.tests.test_authorization_matrix import (
    CLASSIFICATION,
    expected_caps,
    served,
)
from bureau.web.tests.test_file_downloads import (
    Person,
    _make_person,
    _seeded_demographics,
    carries,
)

pytestmark = pytest.mark.django_db
C = Capability


def report_exports() -> dict[str, frozenset[Capability]]:
    found = served()
    return {
        name: declared
        for name, f in found.items()
        if (declared := carries(f)) is not None and CLASSIFICATION[name].record is None
    }


def text_of(response: Any) -> str:
    if response["Content-Type"].startswith("application/pdf"):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(response.content))
        return "\n".join(page.extract_text() for page in reader.pages)
    return response.content.decode()


def may_take(username: str, needed: frozenset[Capability]) -> set[int]:
    """Practices whose whole figures the person may take: every capability held there, from a
    grant limited to no provider (a limited grant is left out, whatever else it holds)."""

    user = User.objects.get(username=username)
    limited = set(
        Grant.objects.filter(user=user, revoked_at__isnull=True, providers__isnull=False)
        .values_list("practice_id", flat=True)
        .distinct()
    )
    return {
        pid for pid, caps in expected_caps(user).items() if needed <= caps and pid not in limited
    }


SEEDED = ["olivia.owner", "alex.manager", "carla.compliance", "cliff.client", "dan.denials"]
MADE = [
    # dan.denials with reports: claims and money, never demographics.
    Person(
        "denials and reports, no demographics",
        ((Role.DENIAL_SPECIALIST, None), (Role.COMPLIANCE_OFFICER, None)),
    ),
    # Demographics on one practice (a biller) and reports without them on another.
    Person(
        "reports beside a biller grant",
        (
            (Role.BILLER, 0),
            (Role.CLIENT_VIEWER, 0),
            (Role.COMPLIANCE_OFFICER, 1),
            (Role.DENIAL_SPECIALIST, 1),
        ),
    ),
]


def test_the_exports_are_found():
    assert {"reports:aging_csv", "reports:aging_claims_csv"} <= set(report_exports())


# A PDF's line naming the practices the actor sees but may not take whole (report_views
# `file_coverage`): naming them there is the point, not a leak; naming any other is.
LEFT_OUT = re.compile(r"Not in this file:\s(.*?)\s\(([^()]*)\)\.", re.DOTALL)


def _left_out(body: str) -> tuple[str, str]:
    """The body without its "Not in this file" lines, and those lines' text."""
    named = " ".join(m.group(1) for m in LEFT_OUT.finditer(body))
    return LEFT_OUT.sub(" ", body), re.sub(r"\s+", " ", named)


def _check(username: str) -> list[str]:
    client = verified_client(username)
    practices = list(Practice.objects.order_by("id"))
    failures = []
    checked = 0
    for name, needed in sorted(report_exports().items()):
        allowed = may_take(username, needed)
        demographics = may_take(username, frozenset({C.PATIENTS_DEMOGRAPHICS}))
        # Names the export may carry masked only (the demo reuses names across practices:
        # one shown unmasked where it may be is not a leak of its namesake).
        hidden = _seeded_demographics(allowed - demographics) - _seeded_demographics(
            allowed & demographics
        )
        before = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
        response = client.get(reverse(name), {"practice": "all"})
        where = f"{username} {name}"
        if not allowed:
            missing = client.get(reverse(name), {"practice": str(uuid.uuid4())})
            if response.status_code != 404 or response.content != missing.content:
                failures.append(f"{where}: {response.status_code}, not the missing 404")
            continue
        checked += 1
        if response.status_code != 200:
            failures.append(f"{where}: {response.status_code}")
            continue
        body, left_out = _left_out(text_of(response))
        seen = set(expected_caps(User.objects.get(username=username)))
        for p in practices:
            if p.name in left_out and (p.pk not in seen or p.pk in allowed):
                failures.append(f"{where}: says it leaves out {p.name}, which it may not name")
            if p.pk not in allowed and p.name in body:
                failures.append(f"{where}: names {p.name}, which it may not take")
        leaked = sorted(s for s in hidden if s in body)
        if leaked:
            failures.append(f"{where}: unmasked demographics {leaked[:3]}")
        events = AuditEvent.objects.filter(pk__gt=before, action=AuditAction.REPORT_EXPORTED)
        audited = {e.practice_id for e in events}
        if not audited or not audited <= allowed:
            failures.append(f"{where}: audited {sorted(audited)} of {sorted(allowed)}")
        shown = {p.pk for p in practices if p.name in body}
        if not shown <= audited:
            failures.append(f"{where}: showed {sorted(shown - audited)} unaudited")
    return failures


@pytest.mark.parametrize("username", SEEDED)
def test_seeded_people_export_only_what_they_may_take(username):
    failures = _check(username)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("person", MADE, ids=[p.label for p in MADE])
def test_people_without_demographics_get_masked_names(person):
    username = _make_person(person)
    failures = _check(username)
    assert not failures, "\n".join(failures)


def test_cliff_exports_his_practice_alone_read_back_by_the_csv_module():
    """The client viewer's CSV: his practice only, numbers as numbers, dates as dates."""
    client = verified_client("cliff.client")
    [mine] = may_take("cliff.client", frozenset({C.REPORTS_VIEW}))
    name = Practice.objects.get(pk=mine).name
    rows = list(
        csv.DictReader(io.StringIO(client.get("/reports/aging/export.csv").content.decode()))
    )
    assert rows and {r["practice"] for r in rows} == {name, ""}
    assert rows[-1]["level"] == "book"
    from datetime import date
    from decimal import Decimal

    for row in rows:
        float(row["insurance total"])  # numeric
        Decimal(row["patient 120+"])
        int(row["claims"])
        date.fromisoformat(row["as of"])
    claims = list(
        csv.DictReader(io.StringIO(client.get("/reports/aging/claims.csv").content.decode()))
    )
    assert claims and {r["practice"] for r in claims} == {name}
    assert all(int(r["days"]) >= 0 and float(r["insurance balance"]) is not None for r in claims)


def test_without_demographics_claim_rows_carry_initials_on_the_page_and_in_the_csv():
    """Not vacuous: the masked person gets claim rows, each naming its patient by initials."""
    import re

    username = _make_person(MADE[0])
    client = verified_client(username)
    rows = list(
        csv.DictReader(io.StringIO(client.get("/reports/aging/claims.csv").content.decode()))
    )
    assert rows and all(re.fullmatch(r".\. .\.", r["patient"]) for r in rows)
    first = rows[0]
    practice = Practice.objects.get(workspace__slug="summit", name=first["practice"])
    from bureau.directory.models import Payer

    payer = Payer.objects.get(workspace=practice.workspace, name=first["payer"])
    page = client.get(
        f"/reports/aging/?practice=all&open={practice.public_id}&open_payer={payer.public_id}"
    ).content.decode()
    assert first["claim"] in page and 'class="masked">' + first["patient"] in page


def test_a_pdf_names_the_practice_it_leaves_out_and_nothing_beyond_reach():
    """Reports on two practices, one through a grant limited to a provider: the files cover the
    other alone, and the PDF says which one it left out (the check above allows that line for a
    practice the person sees, and only for one)."""
    from bureau.directory.models import Provider

    username = _make_person(
        Person("reports, one practice limited", ((Role.COMPLIANCE_OFFICER, 0),))
    )
    user = User.objects.get(username=username)
    practices = list(Practice.objects.filter(workspace=user.workspace).order_by("id"))
    limited = Grant.objects.create(
        workspace=user.workspace,
        user=user,
        practice=practices[1],
        role=Role.COMPLIANCE_OFFICER.value,
        reason="test",
    )
    limited.providers.add(Provider.objects.filter(practice=practices[1]).order_by("id").first())
    assert not _check(username)
    response = verified_client(username).get(reverse("reports:aging_pdf"), {"practice": "all"})
    body, left_out = _left_out(text_of(response))
    assert practices[1].name in left_out and practices[1].name not in body
    assert practices[0].name in body
