"""The audit events a test wrote, apart from the seeded demo's.

The demo seed writes administration events of its own (last quarter's access review revoked a
temporary grant; the owner deactivated that login), so a test that counts "the grant.revoked
events of this actor" counts only those written after it began (`conftest.mark_audit`)."""

from __future__ import annotations

from django.db.models import QuerySet

from bureau.audit.models import AuditEvent

_first_new = 0


def mark() -> None:
    """From here on, `new_events` is what the test writes."""
    global _first_new
    _first_new = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0


def new_events() -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(pk__gt=_first_new)
