"""The export job the database worker runs (`bureau db_worker`): builds the bundle and writes
progress to the offboarding row. On PostgreSQL the progress goes through a second connection,
committed at once, since the bundle's rows are read in one long transaction; SQLite allows
one writer, so there the bar moves when the read is done."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.db import connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.utils import timezone
from django_tasks import task

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.offboarding.bundle import build_bundle
from bureau.offboarding.models import JobState, Offboarding, OffboardingStatus

MIN_INTERVAL = 0.25  # seconds between progress writes


class Progress:
    """The `progress(done, total, stage)` callback: writes the offboarding row, throttled."""

    def __init__(self, offboarding_id: int) -> None:
        self.pk = offboarding_id
        self.last = 0.0
        self.side: BaseDatabaseWrapper | None = None

    def __call__(self, done: int, total: int, stage: str) -> None:
        now = time.monotonic()
        if now - self.last < MIN_INTERVAL and done < total:
            return
        self.last = now
        self.write(done=min(done, total), total=total, stage=stage[:120])

    def write(self, **values: Any) -> None:
        if connection.in_atomic_block and connection.vendor == "postgresql":
            if self.side is None:
                self.side = connections.create_connection(connection.alias)
            names = ", ".join(f"{name} = %s" for name in values)
            with self.side.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {Offboarding._meta.db_table} SET {names} WHERE id = %s",  # noqa: S608 (names are ours)
                    [*values.values(), self.pk],
                )
        else:
            Offboarding.objects.filter(pk=self.pk).update(**values)

    def close(self) -> None:
        if self.side is not None:
            self.side.close()
            self.side = None


def _claim(offboarding_id: int) -> Offboarding | None:
    taken = Offboarding.objects.filter(
        pk=offboarding_id, status=OffboardingStatus.EXPORTING, job_state=JobState.QUEUED
    ).update(job_state=JobState.RUNNING, stage="Starting")
    if not taken:
        return None
    return Offboarding.objects.select_related("practice__workspace", "requested_by").get(
        pk=offboarding_id
    )


@task()
def offboarding_export_run(offboarding_id: int) -> str:
    """Build one offboarding's export bundle, to exported or failed."""
    ob = _claim(offboarding_id)
    if ob is None:  # called off, or already run by another worker
        return "skipped"
    progress = Progress(ob.pk)
    try:
        built = build_bundle(ob.practice, ob.public_id, progress)
    except Exception as exc:
        progress.close()
        Offboarding.objects.filter(pk=ob.pk, status=OffboardingStatus.EXPORTING).update(
            status=OffboardingStatus.EXPORT_FAILED,
            job_state=JobState.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:500],
        )
        return "failed"
    progress.close()
    with transaction.atomic():
        current = Offboarding.objects.select_for_update().get(pk=ob.pk)
        if current.status != OffboardingStatus.EXPORTING:  # called off while it ran
            transaction.on_commit(lambda: Path(built.path).unlink(missing_ok=True))
            return "cancelled"
        current.status = OffboardingStatus.EXPORTED
        current.job_state = JobState.DONE
        current.bundle_path = str(built.path)
        current.bundle_sha256 = built.sha256
        current.bundle_bytes = built.size
        current.manifest = built.manifest
        current.exported_at = timezone.now()
        current.stage = "Done"
        current.save()
        files = built.manifest["files"]
        audit_record(
            action=AuditAction.OFFBOARDING_EXPORTED,
            user=current.requested_by,
            workspace=current.practice.workspace,
            practice=current.practice,
            model="offboarding.Offboarding",
            record_ids=[current.public_id],
            detail={
                "sha256": built.sha256,
                "bytes": built.size,
                "files": len(files),
                "rows": sum(int(f["rows"] or 0) for f in files.values()),
            },
        )
    return "done"
