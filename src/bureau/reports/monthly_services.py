"""Generating a practice's monthly report: figures, PDF and audit in one transaction.

The system generates reports (the scheduled run, `bureau reports monthly`): the
report is the practice's, of every provider, so it is read with `for_system` for that one
practice, never through a person's narrower scope.
"""

from __future__ import annotations

import hashlib

from django.db import transaction
from django.db.models import Max

from bureau import clock
from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.reports.monthly import REASON, Month, identity_holds, monthly_figures
from bureau.reports.monthly_models import MonthlyReport, Trigger
from bureau.reports.monthly_render import document_html
from bureau.tenancy import rls
from bureau.tenancy.models import Practice
from bureau.web.pdf import render_pdf


class MonthlyReportError(RuntimeError):
    """The figures do not add up: nothing is stored (a bug to report, never a report to send)."""


def monthly_report_generate(
    *, practice: Practice, month: Month, trigger: Trigger, user: User | None = None
) -> MonthlyReport:
    """Compute `month` for `practice`, render its PDF and store it as the next version (1 for
    a month not reported yet; the earlier versions stay). Audited in the same transaction."""
    report = _generate(practice=practice, month=month, trigger=trigger, user=user, again=True)
    assert report is not None  # again=True always makes one
    return report


def monthly_report_generate_once(
    *, practice: Practice, month: Month, trigger: Trigger
) -> MonthlyReport | None:
    """The scheduled run's generation: version 1 of `month`, or None when the month is reported
    already. The check is made under the practice's lock, so two overlapping runs (a retried
    cron line, a task queued twice) make one version: the second waits for the first to commit,
    then sees its report."""
    return _generate(practice=practice, month=month, trigger=trigger, user=None, again=False)


def _generate(
    *, practice: Practice, month: Month, trigger: Trigger, user: User | None, again: bool
) -> MonthlyReport | None:
    with transaction.atomic():
        rls.activate([practice.pk])
        # One generation of a practice at a time: two runs would both pick the same version,
        # and two scheduled runs would both find the month not reported yet.
        Practice.objects.select_for_update().filter(pk=practice.pk).first()
        reports = MonthlyReport.objects.for_system([practice.pk], reason=REASON)
        latest = reports.filter(practice_id=practice.pk, month=month.first).aggregate(
            v=Max("version")
        )["v"]
        if latest is not None and not again:
            return None
        figures = monthly_figures(practice, month)
        if not identity_holds(figures):
            raise MonthlyReportError(f"{practice.code} {month}: the roll-forward does not add up")
        version = (latest or 0) + 1
        generated_at = clock.now()
        by = user.username if user is not None else f"system ({Trigger(trigger).label})"
        pdf = render_pdf(
            document_html(figures, version=version, generated_at=generated_at, generated_by=by)
        )
        report = MonthlyReport.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            month=month.first,
            version=version,
            generated_at=generated_at,
            generated_by=user,
            trigger=trigger,
            figures=figures,
            pdf=pdf,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        )
        audit_record(
            action=AuditAction.MONTHLY_REPORT_GENERATED,
            user=user,
            workspace=practice.workspace,
            practice=practice,
            model="reports.MonthlyReport",
            record_ids=[report.public_id],
            detail={
                "month": str(month),
                "version": version,
                "trigger": str(trigger),
                "sha256": report.pdf_sha256,
                "ar_start": figures["rollforward"]["start"],
                "ar_end": figures["rollforward"]["end"],
            },
            label="" if user is not None else "system",
        )
        return report
