"""`bureau compliance leie-import` and `bureau compliance screen`: one line of counts; a bad
file exits non-zero with the reader's message, and nothing is written."""

from __future__ import annotations

import hashlib
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.models.screening import ExclusionEntry, ExclusionListImport, ScreeningRun
from bureau.compliance.tests.helpers import EXCLUSIONS, FULL, REINSTATEMENTS, leie_bytes, new_events

# The demo seed screens its workspace: these tests start from one that never took in a list.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("screening_from_scratch")]


def run(*args: str) -> str:
    out = StringIO()
    call_command("compliance", *args, stdout=out)
    return out.getvalue().strip()


def test_import_and_screen_print_one_line_of_counts() -> None:
    digest = hashlib.sha256(FULL.read_bytes()).hexdigest()
    assert run("leie-import", str(FULL), "--workspace", "summit") == (
        f"leie_synthetic.csv (full) sha256 {digest}: 9 rows read, 9 added, 0 retired, "
        "0 reinstated, 0 unmatched"
    )
    line = run("screen", "--workspace", "summit")
    screened = ScreeningRun.objects.get()
    assert line == (
        f"screened {screened.users_screened} users and {screened.providers_screened} providers "
        "against 9 entries: 6 new hits, 0 already open or resolved as false positives"
    )
    assert screened.ran_by is None and screened.ran_by_label == "system (bureau compliance screen)"
    assert run("leie-import", str(EXCLUSIONS), "--kind", "exclusions", "--workspace", "summit")
    assert "1 reinstated, 1 unmatched" in run(
        "leie-import", str(REINSTATEMENTS), "--kind", "reinstatements", "--workspace", "summit"
    )
    assert "1 new hits, 5 already open" in run("screen", "--workspace", "summit")
    actions = new_events().filter(
        action__in=[AuditAction.EXCLUSION_LIST_IMPORTED, AuditAction.SCREENING_RUN]
    )
    assert actions.count() == 5
    assert set(actions.values_list("actor_label", flat=True)) == {
        "system (exclusion list import)",
        "system (bureau compliance screen)",
    }


def test_a_bad_file_fails_with_the_line_and_column_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "UPDATED.csv"
    bad.write_bytes(leie_bytes({"LASTNAME": "FABLE", "FIRSTNAME": "ANN", "DOB": "19700230"}))
    events = AuditEvent.objects.count()
    with pytest.raises(CommandError) as caught:
        run("leie-import", str(bad), "--workspace", "summit")
    assert str(caught.value) == (
        "UPDATED.csv: line 2, column DOB: '19700230' is not a real date (nothing imported)"
    )
    assert not ExclusionListImport.objects.exists()
    assert not ExclusionEntry.objects.exists()
    assert AuditEvent.objects.count() == events


def test_a_missing_file_an_unknown_kind_and_no_list(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="No such file"):
        run("leie-import", str(tmp_path / "absent.csv"), "--workspace", "summit")
    with pytest.raises(CommandError, match="invalid choice"):
        run("leie-import", str(FULL), "--kind", "monthly", "--workspace", "summit")
    with pytest.raises(CommandError, match="no exclusion list imported yet"):
        run("screen", "--workspace", "summit")
    with pytest.raises(CommandError, match="several workspaces"):
        run("screen")
