"""What a link of the audit hash chain is (DESIGN §5): the one definition of an event's hash,
used by the append (`chain`), the seal (`sealing`) and verification (`chain`).

Event n stores HMAC-SHA256(BUREAU_AUDIT_KEY, its content + the hash of event n-1); an unsealed
event stores the MAC of its own content (`written_by_bureau`). Rows from before the key carry an
unkeyed SHA-256 of the same content (`legacy_digest`, verification only).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

GENESIS = "0" * 64


class ChainedEvent(Protocol):
    """What a link covers: an AuditEvent, or its historical model in a migration."""

    workspace_id: int | None
    seq: int | None  # None until sealed
    occurred_at: datetime
    user_id: int | None
    actor_label: str
    practice_id: int | None
    action: str
    model: str
    record_ids: list[Any]
    ip: str | None
    user_agent: str
    request_id: str
    reason: str
    detail: dict[str, Any]
    prev_hash: str


def chain_name(workspace_id: int | None) -> str:
    return f"workspace:{workspace_id}" if workspace_id else "global"


def chain_workspace_id(chain: str) -> int | None:
    return int(chain.split(":", 1)[1]) if chain.startswith("workspace:") else None


def _key() -> bytes:
    key = getattr(settings, "BUREAU_AUDIT_KEY", "")
    if not key:
        raise ImproperlyConfigured("BUREAU_AUDIT_KEY is empty: the audit chain needs its key")
    return str(key).encode()


def _content(prev_hash: str, event: ChainedEvent) -> bytes:
    """The event as the hash sees it: every column but id and hash, in one canonical form."""
    payload = {
        "workspace": event.workspace_id,
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "user": event.user_id,
        "actor_label": event.actor_label,
        "practice": event.practice_id,
        "action": event.action,
        "model": event.model,
        "record_ids": [str(r) for r in event.record_ids],
        "ip": event.ip,
        "user_agent": event.user_agent,
        "request_id": event.request_id,
        "reason": event.reason,
        "detail": event.detail,
        "prev": prev_hash,
    }
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str).encode()


def link(prev_hash: str, event: ChainedEvent) -> str:
    """The hash of `event` following `prev_hash`: HMAC-SHA256 under BUREAU_AUDIT_KEY."""
    return hmac.new(_key(), _content(prev_hash, event), hashlib.sha256).hexdigest()


def legacy_digest(event: ChainedEvent) -> str:
    """The unkeyed SHA-256 of rows written before the chain was keyed (verification only)."""
    return hashlib.sha256(_content(event.prev_hash, event)).hexdigest()
