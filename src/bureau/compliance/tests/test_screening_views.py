"""Exclusion screening's pages on the seeded demo (last month's files and run, one open
possible match: compliance/demo_screening.py): who opens them, the upload with its errors,
"screen now", a run's page and its CSV, and a hit resolved with a reason (twice: two tabs)."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance import screening_views
from bureau.compliance.demo_screening import OPEN_SUBJECT
from bureau.compliance.models.screening import (
    ExclusionEntry,
    ExclusionListImport,
    HitStatus,
    ScreeningHit,
    ScreeningRun,
)
from bureau.compliance.tests.helpers import FULL, leie_bytes
from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db

SCREENING = reverse("compliance:screening")
IMPORT = reverse("compliance:screening_import")
RUN_NOW = reverse("compliance:screening_run_now")


def demo_run() -> ScreeningRun:
    return ScreeningRun.objects.get(workspace__slug="summit")


def open_hit() -> ScreeningHit:
    return ScreeningHit.objects.get(workspace__slug="summit", status=HitStatus.OPEN)


def run_url(run: ScreeningRun, name: str = "compliance:screening_run") -> str:
    return reverse(name, kwargs={"public_id": run.public_id})


def hit_url(hit: ScreeningHit, name: str = "compliance:screening_hit") -> str:
    return reverse(name, kwargs={"public_id": hit.public_id})


def written() -> tuple[int, int, int, int]:
    return (
        ExclusionListImport.objects.count(),
        ExclusionEntry.objects.count(),
        ScreeningRun.objects.count(),
        AuditEvent.objects.count(),
    )


def upload(client: Any, data: bytes, kind: str = "full", name: str = "UPDATED.csv") -> Any:
    return client.post(IMPORT, {"kind": kind, "file": SimpleUploadedFile(name, data)})


# -- who ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["carla.compliance", "olivia.owner", "sam.supervisor"])
def test_whole_program_readers_see_the_list_the_runs_and_the_work_list(username: str) -> None:
    page = verified_client(username).get(SCREENING)
    assert page.status_code == 200
    body = page.content.decode()
    run = demo_run()
    assert run_url(run) in body
    for listing in run.imports.all():
        assert listing.file_name in body and listing.sha256[:16] in body
    assert OPEN_SUBJECT in body and hit_url(open_hit()) in body
    # Only compliance.manage gets the forms that change anything.
    manages = username != "sam.supervisor"
    assert (RUN_NOW in body) == manages and ('action="' + IMPORT in body) == manages


@pytest.mark.parametrize("username", ["cliff.client", "bella.biller", "dan.denials"])
def test_nobody_else_finds_the_pages(username: str) -> None:
    client = verified_client(username)
    for url in (SCREENING, IMPORT, run_url(demo_run()), hit_url(open_hit())):
        assert client.get(url).status_code == 404, url


def test_another_workspace_s_run_and_hit_are_missing_records() -> None:
    """Hank owns Harbor: his own screening page opens (no list yet), Summit's records 404 with
    the missing record's page, and he cannot resolve a Summit hit."""
    client = verified_client("hank.harbor")
    page = client.get(SCREENING)
    assert page.status_code == 200 and 'data-testid="no-list"' in page.content.decode()
    assert OPEN_SUBJECT not in page.content.decode()
    missing = client.get(reverse("compliance:screening_run", kwargs={"public_id": uuid.uuid4()}))
    for url in (run_url(demo_run()), run_url(demo_run(), "compliance:screening_run_csv")):
        response = client.get(url)
        assert response.status_code == 404 and response.content == missing.content
    assert client.get(hit_url(open_hit())).status_code == 404
    before = written()
    response = client.post(
        hit_url(open_hit(), "compliance:screening_hit_resolve"),
        {"outcome": "false_positive", "reason": "not ours"},
    )
    assert response.status_code == 404
    assert open_hit().status == HitStatus.OPEN and written() == before


def test_a_reader_without_compliance_manage_changes_nothing() -> None:
    client = verified_client("sam.supervisor")
    before = written()
    assert upload(client, FULL.read_bytes()).status_code == 404
    assert client.post(RUN_NOW).status_code == 404
    response = client.post(
        hit_url(open_hit(), "compliance:screening_hit_resolve"),
        {"outcome": "false_positive", "reason": "looks fine"},
    )
    assert response.status_code == 404
    assert written() == before and open_hit().status == HitStatus.OPEN
    # The hit's page is his to read, without the form.
    page = client.get(hit_url(open_hit())).content.decode()
    assert OPEN_SUBJECT in page and 'data-testid="resolve-form"' not in page


def test_changes_answer_post_only() -> None:
    client = verified_client("carla.compliance")
    assert client.get(RUN_NOW).status_code == 405
    assert client.get(hit_url(open_hit(), "compliance:screening_hit_resolve")).status_code == 405


# -- the upload -----------------------------------------------------------------------------------
def test_the_officer_imports_a_file_through_the_form() -> None:
    client = verified_client("carla.compliance")
    data = leie_bytes({"LASTNAME": "FABLEWORTH", "FIRSTNAME": "TOBIAS", "NPI": "1999900024"})
    response = upload(client, data, kind="exclusions", name="2026-11 EXCLUSIONS.csv")
    assert response.status_code == 302 and response["Location"] == SCREENING
    listing = ExclusionListImport.objects.order_by("-id").first()
    assert listing is not None
    assert (listing.file_name, listing.kind, listing.rows_read) == (
        "2026-11 EXCLUSIONS.csv",
        "exclusions",
        1,
    )
    assert listing.imported_by is not None and listing.imported_by.username == "carla.compliance"
    page = client.get(SCREENING).content.decode()
    assert "Imported 2026-11 EXCLUSIONS.csv" in page and listing.sha256[:16] in page


@pytest.mark.parametrize(
    ("data", "says"),
    [
        # A bad date on the third line: the reader names the line and the column.
        (
            leie_bytes({"LASTNAME": "A", "FIRSTNAME": "B"}, {"LASTNAME": "C", "DOB": "19801340"}),
            "line 3, column DOB: &#x27;19801340&#x27; is not a real date",
        ),
        (b"LASTNAME,FIRSTNAME\r\nA,B\r\n", "line 1: header lacks column(s) MIDNAME"),
        (FULL.read_bytes().replace(b"GREYWOOD", b"GR\xe9YWOOD"), "line 2: byte 0xe9"),
        (FULL.read_bytes() + b'"' + b"x" * 200_000 + b'"\r\n', "unreadable CSV"),
        (b"\r\n\r\n", "the file is empty"),
        (leie_bytes(), "a full list with no rows"),
        (b"%PDF-1.7\n\x00\x01\x02", "line 1:"),
    ],
    ids=["bad-date", "bad-header", "not-utf8", "huge-line", "blank", "header-only", "a-pdf"],
)
def test_a_bad_file_shows_the_reader_s_error_and_writes_nothing(data: bytes, says: str) -> None:
    client = verified_client("carla.compliance")
    before = written()
    response = upload(client, data)
    body = response.content.decode()
    assert response.status_code == 200
    assert says in body and "Nothing was imported." in body
    assert written() == before


def test_an_empty_or_oversized_upload_is_refused_by_the_form(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = verified_client("carla.compliance")
    before = written()
    assert "The submitted file is empty." in upload(client, b"").content.decode()
    monkeypatch.setattr(screening_views, "MAX_LEIE_BYTES", 100)
    body = upload(client, FULL.read_bytes()).content.decode()
    assert "an LEIE file is at most 0 MB" in body
    assert written() == before


# -- screen now, a run, its CSV -------------------------------------------------------------------
def test_screen_now_runs_and_opens_the_run() -> None:
    client = verified_client("carla.compliance")
    last_month = demo_run()
    response = client.post(RUN_NOW)
    run = ScreeningRun.objects.order_by("-id").first()
    assert run is not None and run != last_month
    assert response.status_code == 302 and response["Location"] == run_url(run)
    assert run.ran_by is not None and run.ran_by.username == "carla.compliance"
    # The demo's hits are open or resolved as false positives: raised again is only the one
    # confirmed (each run shows a confirmed exclusion while the listing stands).
    assert run.hits == 1 and run.hits_suppressed >= 5
    page = client.get(run_url(run)).content.decode()
    assert "Dr. Mira Greywood" in page and "Carla" in page


@pytest.mark.usefixtures("screening_from_scratch")
def test_screen_now_without_a_list_says_so() -> None:
    client = verified_client("carla.compliance")
    response = client.post(RUN_NOW, follow=True)
    assert "No exclusion list has been imported yet" in response.content.decode()
    assert not ScreeningRun.objects.exists()


def test_the_run_page_shows_its_files_hits_and_resolutions() -> None:
    run = demo_run()
    page = verified_client("carla.compliance").get(run_url(run)).content.decode()
    for listing in run.imports.all():
        assert listing.sha256 in page
    for hit in ScreeningHit.objects.filter(run=run):
        assert hit.subject_label in page
        if hit.resolution_reason:
            assert hit.resolution_reason[:40] in page


def test_the_run_s_csv_is_evidence_audited_and_not_cached() -> None:
    run = demo_run()
    client = verified_client("olivia.owner")
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[0]
    response = client.get(run_url(run, "compliance:screening_run_csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Disposition"].startswith('attachment; filename="screening-run-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert len(rows) == run.hits == ScreeningHit.objects.filter(run=run).count()
    assert {r["run_id"] for r in rows} == {str(run.public_id)}
    assert all(f.sha256 in rows[0]["list_files"] for f in run.imports.all())
    resolved = [r for r in rows if r["status"] == HitStatus.FALSE_POSITIVE]
    assert resolved and all(r["resolution_reason"] and r["resolved_by"] for r in resolved)
    events = AuditEvent.objects.filter(pk__gt=before, action=AuditAction.REPORT_EXPORTED)
    assert [e.record_ids for e in events] == [[str(run.public_id)]]
    assert client.head(run_url(run, "compliance:screening_run_csv")).status_code == 405


# -- a hit ----------------------------------------------------------------------------------------
def test_the_hit_page_puts_the_person_beside_the_entry() -> None:
    hit = open_hit()
    page = verified_client("carla.compliance").get(hit_url(hit)).content.decode()
    assert 'data-testid="compare"' in page and 'data-testid="resolve-form"' in page
    assert hit.subject_label in page and hit.entry.display_name in page
    assert "1971-04-12" in page  # the entry's date of birth
    assert "No date of birth on file for this person" in page


def test_the_officer_resolves_a_false_positive_once_and_a_second_tab_is_told() -> None:
    hit = open_hit()
    client = verified_client("carla.compliance")
    resolve = hit_url(hit, "compliance:screening_hit_resolve")
    empty = client.post(resolve, {"outcome": "false_positive", "reason": "  "})
    assert empty.status_code == 200 and "This field is required." in empty.content.decode()
    assert open_hit() == hit
    reason = "Credentialing file: born 1968, not 1971. Not him."
    response = client.post(resolve, {"outcome": "false_positive", "reason": reason}, follow=True)
    body = response.content.decode()
    assert "resolved as False positive" in body and "will not be raised again" in body
    hit.refresh_from_db()
    assert (hit.status, hit.resolution_reason) == (HitStatus.FALSE_POSITIVE, reason)
    assert hit.resolved_by is not None and hit.resolved_by.username == "carla.compliance"
    page = client.get(hit_url(hit)).content.decode()
    assert 'data-testid="not-again"' in page and reason in page
    # The other tab still shows the form: its answer is refused with a message, no 500.
    again = client.post(resolve, {"outcome": "confirmed", "reason": "sure"}, follow=True)
    assert again.status_code == 200
    assert "Not changed: this hit is already resolved (False positive)." in again.content.decode()
    hit.refresh_from_db()
    assert hit.status == HitStatus.FALSE_POSITIVE
