"""Files and exports under minimum necessary.

A raw file cannot be masked: an 835 or an 837P names patients with birth dates, addresses and
member ids. So every URL that answers with a file (or any export) declares the data it carries
with `serves_file`, and the actor must hold all of it on the file's practice. These tests
discover the URLs themselves, like the authorization matrix: a new download that forgets the
declaration fails here, and so does one that hands demographics to someone without
`patients.demographics` (who must get the same 404 as for a missing record).
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.conftest import verified_client
from bureau.patients.models import Coverage, Patient
from bureau.tenancy import rls
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import ROLE_CAPABILITIES, Capability, Role
from bureau.web.access import CAPABILITY_ATTR, FILE_CARRIES_ATTR, WORKSPACE_FILE_ATTR
from bureau.web.tests.test_authorization_matrix import (
    CLASSIFICATION,
    RECORD_KWARG,
    SRC,
    Found,
    Spec,
    World,
    _records,
    build_world,
    served,
)

C = Capability
NO_DEMOGRAPHICS = [r for r in Role if C.PATIENTS_DEMOGRAPHICS not in ROLE_CAPABILITIES[r]]
RAW_X12 = ("eras:download", "batches:download")
# Files of the workspace's own records, which belong to no practice (`serves_workspace_file`)
# and name no patient: taken by those holding what they carry on every practice; tested with
# their pages.
TESTED_WITH_THEIR_PAGES = {
    # compliance: exclusion screening — compliance/tests/test_screening_views.py
    "compliance:screening_run_csv": "a screening run's evidence",
    # compliance: BAAs — compliance/tests/test_baa_pages.py
    "compliance:baa_document": "a BAA's signed PDF",
    # compliance: training and policies — compliance/tests/test_workforce_pages.py
    "compliance:training_certificate": "a training certificate",
    "compliance:policy_document": "a policy's document",
    # offboarding: certificates of destruction (no patient in them) —
    # offboarding/tests/test_purge.py
    "offboarding:certificate_pdf": "a certificate of destruction (PDF)",
    "offboarding:certificate_json": "a certificate of destruction (JSON)",
}


# -- which URLs serve files --------------------------------------------------------------------
def carries(found: Found) -> frozenset[Capability] | None:
    marked: frozenset[Capability] | None = getattr(found.pattern.callback, FILE_CARRIES_ATTR, None)
    return marked


def declared_file_urls() -> dict[str, Found]:
    return {name: f for name, f in served().items() if carries(f) is not None}


# compliance: training and policies — documents of the workspace's own records (a training
# certificate, a policy), no practice's and naming no patient: `serves_workspace_file`, whose
# service decides who may take them and audits each download
# (compliance/tests/test_workforce_pages.py). The demographics checks below leave them out.
def is_workspace_file(found: Found) -> bool:
    return bool(getattr(found.pattern.callback, WORKSPACE_FILE_ATTR, False))


def test_workspace_files_are_the_compliance_documents():
    names = {name for name, found in served().items() if is_workspace_file(found)}
    assert names == {
        *TESTED_WITH_THEIR_PAGES,
        "compliance:review_evidence",  # checked below, by the matrix's own answer
    }
    assert names <= set(declared_file_urls())


def is_file(response: Any) -> bool:
    """An attachment, or a successful answer that is not a page (CSV, PDF, X12, JSON...)."""
    if response.has_header("Content-Disposition"):
        return True
    kind = response.get("Content-Type", "").split(";")[0].strip()
    return response.status_code == 200 and kind != "text/html"


def _url(name: str, spec: Spec, value: Any) -> str:
    if spec.record in (None, "practice"):
        return reverse(name)
    return reverse(name, kwargs={RECORD_KWARG.get(spec.record or "", "public_id"): value})


def _request(client: Client, name: str, spec: Spec, value: Any) -> Any:
    if spec.record == "practice":
        return client.post(reverse(name), {"practice": str(value), "next": "/"})
    url = _url(name, spec, value)
    return client.post(url, spec.post) if spec.method == "POST" else client.get(url)


def crawl_for_files() -> dict[str, list[str]]:
    """Every URL as the owner (who may open everything) with the matrix's records: the URLs
    whose answer was a file, each with the content types it answered."""
    world = build_world("olivia.owner")
    client = verified_client("olivia.owner")
    files: dict[str, list[str]] = {}
    for name in served():
        spec = CLASSIFICATION[name]
        if spec.access in ("public", "pre_mfa"):
            continue  # reachable before any practice data is: carry none (healthz is text)
        values = [None] if spec.record is None else [v for _, v, ok in _records(spec, world) if ok]
        for value in values:
            response = _request(client, name, spec, value)
            if is_file(response):
                files.setdefault(name, []).append(response["Content-Type"])
    return files


_crawled: dict[str, list[str]] = {}


def file_url_names() -> list[str]:
    """Declared or found serving a file: the demographics check below does not trust the
    declaration to find the URLs it checks."""
    if not _crawled:
        _crawled.update(crawl_for_files())
    return sorted(set(_crawled) | set(declared_file_urls()))


@pytest.mark.django_db
def test_every_url_that_answers_with_a_file_declares_what_it_carries():
    serving = crawl_for_files()
    _crawled.update(serving)
    found = served()
    undeclared = sorted(
        f"{name} ({found[name].route}): {kinds[0]}"
        for name, kinds in serving.items()
        if carries(found[name]) is None
    )
    assert not undeclared, "files served without @serves_file:\n" + "\n".join(undeclared)
    assert set(declared_file_urls()) <= set(serving), "declared but never served a file"
    assert set(RAW_X12) <= set(serving)  # not vacuous: the crawl reached the raw files


def test_only_serves_file_builds_attachments():
    """What the crawl cannot reach (a branch, a parameter) is caught in the source: no module
    but access.py writes a Content-Disposition or builds a file response itself."""
    pattern = re.compile(
        r"Content-Disposition|FileResponse|StreamingHttpResponse|content_disposition_header"
        r"|as_attachment",
        re.IGNORECASE,
    )
    access = SRC / "web" / "access.py"
    hits = [
        f"{path.relative_to(SRC.parent)}:{n}: {line.strip()}"
        for path in SRC.rglob("*.py")
        if "tests" not in path.parts and path != access
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if pattern.search(line)
    ]
    assert not hits, "build downloads with @serves_file:\n" + "\n".join(hits)


def test_declarations_agree_with_the_matrix():
    """The matrix expects exactly the page's capability plus what the file carries, so it
    tests every declared file with the demographics rule; raw X12 carries demographics."""
    files = declared_file_urls()
    assert set(RAW_X12) <= set(files)
    problems = []
    for name, found in files.items():
        if is_workspace_file(found) and not carries(found):
            continue  # no practice's file, read by the whole workforce: its service decides
        declared = carries(found) or frozenset()
        mark = getattr(found.pattern.callback, CAPABILITY_ATTR, None)
        needs = set(CLASSIFICATION[name].needs)
        if needs != {mark} | declared:
            problems.append(f"{name}: classified {sorted(needs)}, declared {sorted(declared)}")
    assert not problems, "\n".join(problems)
    for name in RAW_X12:
        assert C.PATIENTS_DEMOGRAPHICS in (carries(files[name]) or ())


# -- nobody without patients.demographics gets a file -------------------------------------------
@dataclass(frozen=True)
class Person:
    label: str
    roles: tuple[tuple[Role, int | None], ...]  # (role, index into the summit practices | all)


PEOPLE = [
    *(Person(f"{r.value}, all practices", ((r, None),)) for r in NO_DEMOGRAPHICS),
    # Demographics on one practice but not on another: the file's own practice decides.
    *(
        Person(f"{r.value} beside a biller grant", ((Role.BILLER, 0), (r, 1)))
        for r in NO_DEMOGRAPHICS
    ),
]


def _make_person(person: Person) -> str:
    from django_otp.plugins.otp_totp.models import TOTPDevice

    workspace = Workspace.objects.get(slug="summit")
    practices = list(Practice.objects.filter(workspace=workspace).order_by("id"))
    username = f"nodemo.{uuid.uuid4().hex[:8]}"
    user = User.objects.create(username=username, workspace=workspace)
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    for role, index in person.roles:
        Grant.objects.create(
            workspace=workspace,
            user=user,
            practice=None if index is None else practices[index],
            role=role.value,
            reason="test",
        )
    return username


def _person_x12(content: str) -> set[str]:
    """Names, member ids and birth dates of people in an X12 file, as they appear in it."""
    found: set[str] = set()
    for raw in content.split("~"):
        parts = raw.strip().split("*")
        if parts[0] == "NM1" and len(parts) > 4 and parts[2] == "1" and parts[3]:
            found.add("*".join(parts[3:5]))
            if len(parts) > 9 and parts[9]:
                found.add(f"*{parts[8]}*{parts[9]}")
        if parts[0] == "DMG" and len(parts) > 2 and parts[2]:
            found.add(f"DMG*{parts[1]}*{parts[2]}")
    return found


def _seeded_demographics(practice_ids: set[int]) -> set[str]:
    """The seeded patients' unmasked names, birth dates and member ids, in the forms a page
    or an X12 file would show them."""
    if not practice_ids:
        return set()
    found: set[str] = set()
    patients = Patient.objects.for_system(practice_ids, reason="test")
    for p in patients:
        dob = p.date_of_birth
        found |= {
            f"{p.last_name}, {p.first_name}",
            f"{p.last_name.upper()}*{p.first_name.upper()}",
            dob.isoformat(),
            f"D8*{dob:%Y%m%d}",
        }
    coverages = Coverage.objects.for_system(practice_ids, reason="test")
    found |= {f"*MI*{member}" for member in coverages.values_list("member_id", flat=True)}
    rls.activate([])
    return found


@dataclass
class FileProbe:
    failures: list[str]
    served: int = 0  # files that name people, served
    figures: int = 0  # files of figures that name no one (the monthly report), served
    refused: int = 0
    people: int = 0  # names, ids and birth dates found in the probed files


def _new_events(since: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=since).order_by("id"))


def _last_event_id() -> int:
    return AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _files_of(name: str, spec: Spec, world: World) -> list[tuple[str, Any, int, str]]:
    """(label, value, practice id, stored content) for each record the matrix probes this
    URL with."""
    rows = []
    for label, value, may in _records(spec, world):
        if label == "missing":
            continue
        if spec.record in WORKSPACE_FILES:
            rows.append((label, value, WORKSPACE_FILES[spec.record] if may else 0, ""))
        else:
            rows.append((label, value, *_stored(spec, value, world)))
    return rows


# compliance: access reviews — files of workspace records, in no one practice: the matrix's
# own answer says who may take them (a "practice id" of -1: allowed, 0: refused, below).
WORKSPACE_FILES = {"access_review": -1}


def _stored(spec: Spec, value: Any, world: World) -> tuple[int, str]:
    """The practice and the raw content of the record the matrix built for `value`."""
    from bureau.claims.models import Batch
    from bureau.denials.models import Appeal
    from bureau.remittance.models import Era
    from bureau.reports.monthly_models import MonthlyReport

    models: dict[str, Any] = {
        "batch": Batch,
        "era": Era,
        "appeal": Appeal,
        "monthly_report": MonthlyReport,
    }
    if spec.record == "practice_page":  # a practice's setup document: built on request
        return Practice.objects.get(public_id=value).pk, ""
    if spec.record == "offboarding_bundle":  # the practice's export (its id): a zip on disk
        practice = Practice.objects.get(public_id=value)
        return practice.pk, ""
    model = models.get(spec.record or "")
    assert model is not None, f"teach _stored where a {spec.record}'s file is kept"
    ids = [p.pk for p in world.practices]
    record = model.objects.for_system(ids, reason="test").get(public_id=value)
    rls.activate([])
    # An appeal's file is its letter (a PDF rendered on request): the people it names are the
    # seeded ones `_seeded_demographics` already hides, so it adds no X12 text of its own.
    return record.practice_id, getattr(record, "content", "")


def check_files(username: str) -> FileProbe:
    world = build_world(username)
    masked = {p.pk for p in world.practices} - {
        pid for pid, caps in world.caps.items() if C.PATIENTS_DEMOGRAPHICS in caps
    }
    secret = _seeded_demographics(masked)
    client = verified_client(username)
    probe = FileProbe([])
    for name in file_url_names():
        spec = CLASSIFICATION[name]
        if spec.record is None:
            continue  # a report's export across the book (`serves_report`): test_report_exports
        if name in TESTED_WITH_THEIR_PAGES:
            continue  # no practice's file, no patient named
        absent = 2**31 - 1 if spec.record in RECORD_KWARG else uuid.uuid4()
        missing = _request(client, name, spec, absent if spec.record else None)
        assert missing.status_code == 404
        for label, value, practice_id, content in _files_of(name, spec, world):
            allowed = (
                practice_id == -1
                if spec.record in WORKSPACE_FILES
                else world.holds(spec.needs, practice_id)
            )
            people = _person_x12(content)
            probe.people += len(people)
            hidden = secret | (people if practice_id in masked else set())
            before = _last_event_id()
            response = _request(client, name, spec, value)
            events = [e for e in _new_events(before) if str(value) in (e.record_ids or [])]
            where = f"{username} {name} {label}"
            if allowed and C.PATIENTS_DEMOGRAPHICS not in spec.needs:
                # A file of figures (the monthly report): it names no one, so it is served
                # without demographics; the leak check below still reads it.
                probe.figures += 1
                if response.status_code != 200 or not events:
                    probe.failures.append(f"{where}: {response.status_code}, audited {events}")
            elif allowed:
                probe.served += 1
                assert practice_id not in masked
                if response.status_code != 200 or not events:
                    probe.failures.append(f"{where}: {response.status_code}, audited {events}")
            else:
                probe.refused += 1
                if response.status_code != 404 or response.content != missing.content:
                    probe.failures.append(f"{where}: not the missing record's 404")
                if events:
                    probe.failures.append(f"{where}: refused but audited as read")
            body = response.content.decode(errors="replace")
            leaked = sorted(s for s in hidden if s in body)
            if leaked:
                probe.failures.append(f"{where}: unmasked demographics {leaked[:3]}")
    assert probe.people, "the files probed name people: the leak check is not vacuous"
    return probe


@pytest.mark.django_db
@pytest.mark.parametrize("person", PEOPLE, ids=[p.label for p in PEOPLE])
def test_no_file_reaches_anyone_without_demographics_on_its_practice(person):
    probe = check_files(_make_person(person))
    assert not probe.failures, "\n".join(probe.failures)
    mixed = len(person.roles) > 1
    # Not vacuous: a mixed grant opens its own practice's files and no other.
    assert probe.refused > 0 and (probe.served > 0) == mixed, probe


@pytest.mark.django_db
def test_the_seeded_denial_specialist_gets_no_raw_file():
    """The case that was found: the denial specialist read every 835 and 837P."""
    probe = check_files("dan.denials")
    assert not probe.failures, "\n".join(probe.failures)
    assert probe.served == 0 and probe.refused >= 2 * len(RAW_X12), probe


@pytest.mark.django_db
def test_a_file_of_figures_reaches_a_reports_viewer_without_demographics():
    """The monthly report names no one: the compliance officer (reports.view, no demographics)
    downloads it, audited, and gets no file that names people."""
    probe = check_files("carla.compliance")
    assert not probe.failures, "\n".join(probe.failures)
    assert probe.figures > 0 and probe.served == 0, probe
