"""Shared steps of the offboarding tests: the demo's Summit practices, its owner (olivia) who
starts, its compliance officer (carla) who approves, the export run as the worker would."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

from bureau.accounts.models import User
from bureau.offboarding import services
from bureau.offboarding.models import Offboarding
from bureau.offboarding.tasks import offboarding_export_run
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice


def actor(username: str) -> Actor:
    found = resolve_actor(User.objects.get(username=username))
    assert found is not None
    return found


def summit() -> list[Practice]:
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def started(practice: Practice, username: str = "olivia.owner") -> Offboarding:
    ob = services.offboarding_start(
        actor=actor(username), practice=practice, reason="the client gave notice"
    )
    return ob


def exported(practice: Practice, *, waited: bool = True) -> Offboarding:
    """Offboarding started by olivia, its export built; past the waiting period if `waited`."""
    ob = started(practice)
    assert offboarding_export_run.call(ob.pk) == "done"
    ob.refresh_from_db()
    if waited:
        ob.exported_at = ob.exported_at - timedelta(days=31)
        ob.requested_at = ob.requested_at - timedelta(days=31)
        ob.save(update_fields=["exported_at", "requested_at"])
    return ob


def bundle_members(content: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(content)) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


def json_lines(content: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in content.decode().splitlines() if line]
