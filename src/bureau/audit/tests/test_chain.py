"""The keyed audit chain (DESIGN §5, issue 9 item 4): verify catches a truncated tail and an
emptied workspace, a chain rebuilt without BUREAU_AUDIT_KEY, and (against an anchor kept
elsewhere) a rewound head; retention's purge is the one DELETE the database admits."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import timedelta
from importlib import import_module
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.apps import apps as django_apps
from django.conf import settings
from django.core.management import CommandError, call_command
from django.core.management.sql import emit_post_migrate_signal
from django.db import DatabaseError, connection, transaction
from django.test import override_settings
from django.utils import timezone

from bureau.audit.chain import GENESIS, Anchor, AnchorError, legacy_digest, link
from bureau.audit.migrations_sql import drop_sqlite_triggers
from bureau.audit.models import AuditAction, AuditChainHead, AuditEvent
from bureau.audit.services import RetentionRefused, _purge_permitted, audit_purge
from bureau.audit.tests.test_audit import (
    _execute,
    _new_workspace,
    _record,
    append_only_trigger_disabled,
)
from bureau.conftest import ON_POSTGRES, TEST_AUDIT_KEY
from bureau.tenancy.models import Workspace

pytestmark = pytest.mark.django_db


def _audit(*args: str) -> tuple[int, str, str]:
    """Run `bureau audit ...`; return (exit code, stdout, stderr)."""
    out, err = StringIO(), StringIO()
    try:
        call_command("audit", *args, stdout=out, stderr=err)
    except SystemExit as exc:
        return int(exc.code or 0), out.getvalue(), err.getvalue()
    return 0, out.getvalue(), err.getvalue()


def _chain(workspace: Workspace) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(workspace=workspace).order_by("seq"))


def _head(workspace: Workspace) -> AuditChainHead:
    return AuditChainHead.objects.get(chain=f"workspace:{workspace.pk}")


def _delete_events(*events: AuditEvent) -> None:
    with append_only_trigger_disabled():
        for event in events:
            _execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


def _rewind_head(workspace: Workspace, seq: int, digest: str) -> None:
    _execute(
        "UPDATE audit_auditchainhead SET seq = %s, hash = %s WHERE chain = %s",
        [seq, digest, f"workspace:{workspace.pk}"],
    )


def _rebuild(workspace: Workspace, digest: Callable[[str, AuditEvent], str]) -> None:
    """Recompute every link of the chain with `digest` and move the head to match: what a
    writer of the database does to hide a change."""
    prev = GENESIS
    with append_only_trigger_disabled():
        for event in _chain(workspace):
            event.prev_hash = prev
            event.hash = digest(prev, event)
            _execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [prev, event.hash, event.pk],
            )
            prev = event.hash
    _rewind_head(workspace, _chain(workspace)[-1].seq, prev)


def _unkeyed(prev: str, event: AuditEvent) -> str:
    return legacy_digest(event)  # event.prev_hash is already `prev`


def _guessed_key(prev: str, event: AuditEvent) -> str:
    with override_settings(BUREAU_AUDIT_KEY="a-guess"):
        return link(prev, event)


# -- the key ----------------------------------------------------------------------------------
def test_tests_run_with_the_fixed_key_and_events_are_hmac_under_it():
    assert settings.BUREAU_AUDIT_KEY == TEST_AUDIT_KEY == os.environ["BUREAU_AUDIT_KEY"]
    event = _record(_new_workspace("keyed"), 1)[0]
    assert event.hash == link(GENESIS, event)
    assert event.hash != legacy_digest(event)
    with override_settings(BUREAU_AUDIT_KEY="another"):
        assert link(GENESIS, event) != event.hash


def test_the_demo_key_is_generated_once_into_var_owner_only(tmp_path, monkeypatch):
    import bureau.settings as bureau_settings

    monkeypatch.setattr(bureau_settings, "VAR_DIR", tmp_path)
    monkeypatch.delenv("BUREAU_AUDIT_KEY")
    first = bureau_settings._audit_key()
    path = tmp_path / "audit_key"
    assert len(first) >= 40 and path.read_text().strip() == first
    assert path.stat().st_mode & 0o777 == 0o600
    assert bureau_settings._audit_key() == first  # read back, not regenerated
    assert [p.name for p in tmp_path.iterdir()] == ["audit_key"]  # no temporary file left
    monkeypatch.setenv("BUREAU_AUDIT_KEY", "from-the-environment")
    assert bureau_settings._audit_key() == "from-the-environment"


# -- the tail and the head --------------------------------------------------------------------
@pytest.mark.parametrize("newest", [1, 2])
def test_verify_fails_after_deleting_the_newest_events(newest):
    workspace = _new_workspace("tail")
    events = _record(workspace, 4)
    assert _audit("verify")[0] == 0
    _delete_events(*events[-newest:])
    code, out, err = _audit("verify")
    assert code == 1 and "intact" not in out
    assert f"workspace tail, seq 4: events after seq {4 - newest} are missing" in err, err


def test_verify_fails_after_deleting_all_of_a_workspaces_events():
    workspace = _new_workspace("emptied")
    _delete_events(*_record(workspace, 3))
    assert not AuditEvent.objects.filter(workspace=workspace).exists()
    code, _, err = _audit("verify")
    assert code == 1
    assert "workspace emptied, seq 3: every event up to the head (seq 3) is gone" in err, err


def test_verify_fails_when_the_head_names_another_hash():
    workspace = _new_workspace("head")
    events = _record(workspace, 2)
    _rewind_head(workspace, 2, events[0].hash)
    code, _, err = _audit("verify")
    assert code == 1 and f"event {events[1].pk} " in err and "chain's head" in err, err


def test_a_missing_head_row_is_reported():
    workspace = _new_workspace("headless")
    events = _record(workspace, 2)
    _execute("DELETE FROM audit_auditchainhead WHERE chain = %s", [f"workspace:{workspace.pk}"])
    code, _, err = _audit("verify")
    assert code == 1 and f"event {events[1].pk} " in err and "head record is missing" in err


# -- rebuilt without the key ------------------------------------------------------------------
def test_a_chain_rebuilt_with_the_key_verifies_so_the_attacks_below_fail_for_the_key_alone():
    workspace = _new_workspace("rebuilt")
    _record(workspace, 4)
    with append_only_trigger_disabled():
        _execute(
            "UPDATE audit_auditevent SET reason = 'rewritten' WHERE workspace_id = %s AND seq = 2",
            [workspace.pk],
        )
    assert _audit("verify")[0] == 1
    _rebuild(workspace, link)
    assert _audit("verify")[0] == 0


@pytest.mark.parametrize("digest", [_unkeyed, _guessed_key], ids=["sha256", "wrong-key"])
def test_verify_fails_after_rebuilding_the_chain_without_the_key(digest):
    workspace = _new_workspace("forged")
    _record(workspace, 4)
    with append_only_trigger_disabled():
        _execute(
            "UPDATE audit_auditevent SET reason = 'rewritten' WHERE workspace_id = %s AND seq = 2",
            [workspace.pk],
        )
    _rebuild(workspace, digest)
    code, _, err = _audit("verify")
    assert code == 1, err
    first = _chain(workspace)[0]
    if digest is _unkeyed:  # unkeyed rows are accepted only before a keyed head; none follows
        assert "no event is keyed" in err, err
    else:
        assert f"event {first.pk} " in err and "content does not match" in err, err


# -- chains hashed before the key (versioned scheme) ------------------------------------------
def _unkeyed_events(workspace: Workspace, n: int) -> list[AuditEvent]:
    """Events as the code before the key wrote them: SHA-256 links."""
    with mock.patch("bureau.audit.links.link", lambda prev, event: legacy_digest(event)):
        return _record(workspace, n)


def _close_unkeyed_chains() -> None:
    migration = import_module("bureau.audit.migrations.0009_keyed_chain")
    migration.close_unkeyed_chains(django_apps, None)


def test_an_existing_unkeyed_chain_verifies_once_the_migration_closes_it_with_a_keyed_event():
    workspace = _new_workspace("legacy")
    old = _unkeyed_events(workspace, 3)
    code, _, err = _audit("verify")
    assert code == 1 and "no event is keyed" in err  # open: it could be rebuilt without a key
    _close_unkeyed_chains()
    closing = _chain(workspace)[-1]
    assert closing.action == AuditAction.AUDIT_CHAIN_KEYED and closing.seq == 4
    assert closing.prev_hash == old[-1].hash and closing.hash == link(old[-1].hash, closing)
    assert closing.detail == {"unkeyed_through_seq": 3}
    _record(workspace, 1)  # and the chain goes on, keyed
    assert _audit("verify")[0] == 0, _audit("verify")[2]

    # The unkeyed prefix is now fixed by the keyed link: rebuilt, it no longer joins it.
    with append_only_trigger_disabled():
        _execute("UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s", [old[1].pk])
        prev = old[0].hash
        for event in _chain(workspace)[1:3]:
            event.prev_hash = prev
            prev = legacy_digest(event)
            _execute(
                "UPDATE audit_auditevent SET prev_hash = %s, hash = %s WHERE id = %s",
                [event.prev_hash, prev, event.pk],
            )
    code, _, err = _audit("verify")
    assert code == 1 and f"event {closing.pk} " in err and "predecessor" in err, err


def test_an_unkeyed_event_after_a_keyed_one_is_refused():
    workspace = _new_workspace("downgrade")
    _record(workspace, 2)
    late = _unkeyed_events(workspace, 1)[0]
    code, _, err = _audit("verify")
    assert code == 1 and f"event {late.pk} " in err and "content does not match" in err, err


# -- anchors ----------------------------------------------------------------------------------
def _anchor_file(tmp_path: Path) -> Path:
    code, out, err = _audit("anchor")
    assert code == 0, err
    path = tmp_path / "anchors.jsonl"
    path.write_text(out)
    return path


def test_anchor_prints_every_head_and_verify_anchor_holds_as_the_chains_grow(tmp_path):
    workspace = _new_workspace("anchored")
    events = _record(workspace, 3)
    path = _anchor_file(tmp_path)
    lines = [json.loads(line) for line in path.read_text().splitlines()]
    assert {"workspace", "seq", "hash", "time"} <= set(lines[0])
    mine = [line for line in lines if line["workspace"] == "anchored"]
    assert len(mine) == 1 and (mine[0]["seq"], mine[0]["hash"]) == (3, events[-1].hash)
    slugs = dict(Workspace.objects.values_list("pk", "slug"))
    every_head = {
        (None if h.chain == "global" else slugs[int(h.chain.split(":")[1])], h.seq, h.hash)
        for h in AuditChainHead.objects.filter(seq__gt=0)
    }
    assert {(line["workspace"], line["seq"], line["hash"]) for line in lines} == every_head
    assert len(every_head) > 2  # the seeded workspaces and this one

    _record(workspace, 2)
    code, out, err = _audit("verify", "--anchor", str(path))
    assert code == 0, err
    assert f"{len(lines)} anchored heads hold" in out


def test_verify_anchor_catches_a_truncated_tail_with_the_head_rewound(tmp_path):
    """Deleting the newest events and rewinding the head to the new last event uses only
    values already in the database: verify alone cannot see it, the anchor does."""
    workspace = _new_workspace("rewound")
    events = _record(workspace, 4)
    path = _anchor_file(tmp_path)
    _delete_events(events[-1])
    _rewind_head(workspace, 3, events[2].hash)
    assert _audit("verify")[0] == 0  # the documented limit of verify without an anchor
    code, _, err = _audit("verify", "--anchor", str(path))
    assert code == 1
    assert "workspace rewound, seq 4: the chain no longer reaches the anchored seq" in err, err


def test_verify_anchor_catches_a_change_rebuilt_even_with_the_key(tmp_path):
    """An anchor holds against whoever has the key too: the anchored hash is kept elsewhere."""
    workspace = _new_workspace("insider")
    events = _record(workspace, 3)
    path = _anchor_file(tmp_path)
    with append_only_trigger_disabled():
        _execute("UPDATE audit_auditevent SET reason = 'rewritten' WHERE id = %s", [events[0].pk])
    _rebuild(workspace, link)
    assert _audit("verify")[0] == 0
    code, _, err = _audit("verify", "--anchor", str(path))
    assert code == 1 and f"event {events[2].pk} " in err and "differs from the anchored" in err


def test_verify_anchor_catches_a_workspace_whose_chain_is_gone(tmp_path):
    workspace = _new_workspace("vanished")
    events = _record(workspace, 2)
    path = _anchor_file(tmp_path)
    _delete_events(*events)
    _execute("DELETE FROM audit_auditchainhead WHERE chain = %s", [f"workspace:{workspace.pk}"])
    assert _audit("verify")[0] == 0  # no events, no head: nothing left to check on its own
    code, _, err = _audit("verify", "--anchor", str(path))
    assert code == 1 and "workspace vanished, seq 2: the chain no longer reaches" in err, err
    Workspace.objects.filter(pk=workspace.pk).delete()
    code, _, err = _audit("verify", "--anchor", str(path))
    assert code == 1 and "workspace vanished, seq 2: the anchored workspace is gone" in err, err


def test_anchor_refuses_to_vouch_for_a_broken_chain():
    workspace = _new_workspace("unvouched")
    _delete_events(_record(workspace, 2)[-1])
    code, out, err = _audit("anchor")
    assert code == 1 and out == "" and "BROKEN" in err


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "holds no anchors"),
        ("not json\n", "line 1: not JSON"),
        ("[" * 5000 + "]" * 5000, "line 1: not JSON"),
        ('{"workspace": "x", "seq": 0, "hash": "' + "a" * 64 + '"}', "seq must be"),
        ('{"workspace": "x", "seq": 99999999999999999999, "hash": "' + "a" * 64 + '"}', "seq"),
        ('{"workspace": 5, "seq": 1, "hash": "' + "a" * 64 + '"}', "workspace must be"),
        ('{"workspace": "x", "seq": 1, "hash": "' + "z" * 64 + '"}', "hash must be"),
        ('{"workspace": "x", "seq": 1, "hash": "abc"}', "hash must be"),
    ],
)
def test_a_malformed_anchor_file_is_a_clear_error(tmp_path, text, message):
    path = tmp_path / "anchors.jsonl"
    path.write_text(text)
    with pytest.raises(CommandError, match=message):
        _audit("verify", "--anchor", str(path))
    with pytest.raises(CommandError, match="cannot read"):
        _audit("verify", "--anchor", str(tmp_path / "missing.jsonl"))


def test_anchor_lines_round_trip():
    anchor = Anchor("summit", 12, "ab" * 32, "2026-01-01T00:00:00+00:00")
    assert Anchor.parse(anchor.as_json()) == anchor
    assert Anchor.parse(Anchor(None, 1, GENESIS).as_json()).workspace is None
    with pytest.raises(AnchorError):
        Anchor.parse("null")


# -- retention through the guard --------------------------------------------------------------
def _old_and_new(workspace: Workspace) -> tuple[list[AuditEvent], list[AuditEvent]]:
    eight_years_ago = timezone.now() - timedelta(days=8 * 365)
    with mock.patch("django.utils.timezone.now", return_value=eight_years_ago):
        old = _record(workspace, 3)
    return old, _record(workspace, 2)


def _purge() -> int:
    return audit_purge(before=timezone.now() - timedelta(days=7 * 365 + 30))


def test_purge_records_a_checkpoint_verify_starts_from_and_anchors_still_hold(tmp_path):
    workspace = _new_workspace("checkpoint")
    old, new = _old_and_new(workspace)
    path = _anchor_file(tmp_path)  # anchored at seq 5, then seq 1-3 go
    assert _purge() == 3
    marker = _chain(workspace)[-1]
    assert marker.detail["through_seq"] == 3 and marker.detail["through_hash"] == old[-1].hash
    code, _, err = _audit("verify", "--anchor", str(path))
    assert code == 0, err

    # Deleting the first survivor is not retention: it no longer starts from the checkpoint.
    _delete_events(new[0])
    code, _, err = _audit("verify")
    assert code == 1 and f"event {new[1].pk} " in err and "events before it are missing" in err


def test_purge_covers_an_anchor_it_purged_past(tmp_path):
    workspace = _new_workspace("purged-anchor")
    eight_years_ago = timezone.now() - timedelta(days=8 * 365)
    with mock.patch("django.utils.timezone.now", return_value=eight_years_ago):
        _record(workspace, 2)
        path = _anchor_file(tmp_path)
        _record(workspace, 2)
    _record(workspace, 1)
    assert _purge() == 4
    code, _, err = _audit("verify", "--anchor", str(path))
    assert code == 0, err


def test_purge_takes_only_a_contiguous_prefix_of_old_events():
    """A clock that went back must not leave a hole in the chain: an old event after a young
    one stays until everything before it is old."""
    workspace = _new_workspace("prefix")
    eight_years_ago = timezone.now() - timedelta(days=8 * 365)
    with mock.patch("django.utils.timezone.now", return_value=eight_years_ago):
        _record(workspace, 2)
    _record(workspace, 1)
    with mock.patch("django.utils.timezone.now", return_value=eight_years_ago):
        _record(workspace, 1)
    assert _purge() == 2
    assert [e.seq for e in _chain(workspace)] == [3, 4, 5]
    assert _audit("verify")[0] == 0


def test_purge_refuses_a_chain_that_does_not_verify():
    workspace = _new_workspace("evidence")
    old, new = _old_and_new(workspace)
    _delete_events(new[-1])
    with pytest.raises(RetentionRefused, match="does not verify"):
        _purge()
    assert AuditEvent.objects.filter(pk=old[0].pk).exists()


# -- the guard on SQLite ----------------------------------------------------------------------
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's triggers (PostgreSQL: test_audit)")


@sqlite_only
def test_sqlite_refuses_old_rows_without_the_purge_permit_and_any_update_with_it():
    old, _ = _old_and_new(_new_workspace("permit"))
    with pytest.raises(DatabaseError, match="append-only: DELETE refused"):
        with transaction.atomic():
            _execute("DELETE FROM audit_auditevent WHERE id = %s", [old[0].pk])
    with pytest.raises(DatabaseError, match="append-only: UPDATE refused"):
        with transaction.atomic(), _purge_permitted():
            _execute("UPDATE audit_auditevent SET reason = 'x' WHERE id = %s", [old[0].pk])
    with transaction.atomic(), _purge_permitted():
        _execute("DELETE FROM audit_auditevent WHERE id = %s", [old[0].pk])
    assert not AuditEvent.objects.filter(pk=old[0].pk).exists()
    with connection.cursor() as cursor:  # the permit left with its transaction's end
        cursor.execute("SELECT count(*) FROM audit_purge_permit")
        assert cursor.fetchone()[0] == 0


@sqlite_only
def test_sqlite_triggers_come_back_after_every_migrate_and_flush():
    """SQLite drops triggers with their table, and Django rebuilds a table to alter it."""
    event = _record(_new_workspace("restored"), 1)[0]
    drop_sqlite_triggers(connection)
    _execute("UPDATE audit_auditevent SET reason = 'unguarded' WHERE id = %s", [event.pk])
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")  # as flush does
    with pytest.raises(DatabaseError, match="append-only"):
        with transaction.atomic():
            _execute("UPDATE audit_auditevent SET reason = 'again' WHERE id = %s", [event.pk])
