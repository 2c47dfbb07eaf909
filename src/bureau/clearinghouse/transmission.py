"""Transmission: built 837P batches → their route's outbox, once each.

The file goes out first and the Transmission row is written after: a crash in between leaves
the batch un-recorded and the next run submits it again, which the port makes harmless
(submitting the same name twice sends nothing new). A route that fails (host down, key refused)
marks its batches FAILED with the reason and the run carries on with the other routes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.models import Batch
from bureau.clearinghouse.models import Transmission, TransmissionStatus
from bureau.clearinghouse.ports import ClearinghouseError, ClearinghousePort, port_for
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

log = logging.getLogger(__name__)
REASON = "clearinghouse: transmit built batches"


@dataclass(frozen=True)
class _Outgoing:
    """What a transmission needs of a batch, read in a short PHI transaction."""

    public_id: str
    practice: Practice
    route: str
    file_name: str
    icn: int
    content: str
    claim_count: int


def _practice_ids(actor: Actor | None, workspace: Workspace) -> list[int]:
    if actor is None:
        return list(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    if actor.workspace.pk != workspace.pk:
        raise PermissionError("the actor works in another workspace")
    # A file carries every provider's claims: a provider-limited grant sends none.
    return sorted(actor.whole_practice_ids(Capability.CLAIMS_SUBMIT))


def _pending(
    actor: Actor | None, workspace: Workspace, batches: Iterable[Batch] | None
) -> list[_Outgoing]:
    practice_ids = _practice_ids(actor, workspace)
    if not practice_ids:
        return []
    # Only unsent batches are loaded (their content is large): a SENT transmission excludes
    # its batch in SQL; a FAILED one does not, so it is retried.
    sent = Transmission.objects.filter(workspace=workspace, status=TransmissionStatus.SENT).values(
        "batch_public_id"
    )
    with transaction.atomic():
        qs = (
            Batch.objects.for_system(practice_ids, reason=REASON)
            if actor is None
            else Batch.objects.visible_to(actor, Capability.CLAIMS_SUBMIT)
        )
        qs = qs.filter(workspace=workspace, practice_id__in=practice_ids).exclude(
            public_id__in=sent
        )
        if batches is not None:
            qs = qs.filter(pk__in=[b.pk for b in batches])
        rows = list(qs.select_related("practice").order_by("created_at", "id"))
    return [
        _Outgoing(
            public_id=str(b.public_id),
            practice=b.practice,
            route=b.route,
            file_name=b.file_name,
            icn=b.interchange_control_number,
            content=b.content,
            claim_count=b.claim_count,
        )
        for b in rows
    ]


def _record(
    actor: Actor | None, workspace: Workspace, out: _Outgoing, error: str = ""
) -> Transmission:
    now = clock.now()
    with transaction.atomic():
        row, _ = Transmission.objects.select_for_update().get_or_create(
            batch_public_id=out.public_id,
            defaults={
                "workspace": workspace,
                "practice": out.practice,
                "route": out.route,
                "file_name": out.file_name,
                "interchange_control_number": out.icn,
                "status": TransmissionStatus.FAILED,
            },
        )
        row.attempts += 1
        row.updated_at = now
        if error:
            row.status, row.error = TransmissionStatus.FAILED, error[:300]
        else:
            row.status, row.error, row.sent_at = TransmissionStatus.SENT, "", now
        row.save()
        if not error:
            audit_record(
                action=AuditAction.BATCH_TRANSMITTED,
                actor=actor,
                workspace=workspace if actor is None else None,
                practice=out.practice,
                model="claims.Batch",
                record_ids=[out.public_id],
                detail={
                    "route": out.route,
                    "file": out.file_name,
                    "icn": out.icn,
                    "claims": out.claim_count,
                },
                label="" if actor is not None else "system",
            )
    return row


def transmit_batches(
    *, actor: Actor | None, workspace: Workspace, batches: Iterable[Batch] | None = None
) -> list[Transmission]:
    """Send every built batch of the workspace (or just `batches`) not yet sent.

    Returns one Transmission per batch attempted, SENT or FAILED (with the error)."""
    pending = _pending(actor, workspace, batches)
    ports: dict[str, ClearinghousePort] = {}
    done: list[Transmission] = []
    for out in pending:
        try:
            port = ports.get(out.route) or port_for(out.route, workspace)
            ports[out.route] = port
            port.submit(out.file_name, out.content)
        except ClearinghouseError as exc:
            log.warning("transmission of %s failed: %s", out.file_name, exc)
            done.append(_record(actor, workspace, out, error=str(exc) or type(exc).__name__))
            continue
        done.append(_record(actor, workspace, out))
    return done
