"""The authorization matrix: every URL the project serves, for every seeded user.

The URL list is discovered from the resolver, never written down: a new URL fails
`test_every_url_is_classified` until it gets a line in CLASSIFICATION. Who may open what is
computed from the Grant rows in the database (not from `Actor`), so a bug in the actor or in a
view's scoping shows up as a status mismatch, and every response body is searched for
identifiers of practices, patients and users the person must not learn about.
"""

from __future__ import annotations

import ast
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.html import escape

from bureau.accounts.middleware import PRE_MFA_ATTR, PUBLIC_ATTR
from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.tests.matrix_workforce import RECORDS as WORKFORCE_RECORDS
from bureau.compliance.tests.matrix_workforce import workforce_records
from bureau.conftest import verified_client
from bureau.offboarding.catalog import bundle_carries
from bureau.patients.models import Patient
from bureau.tenancy import rls
from bureau.tenancy.models import Grant, Practice, PracticeStatus, Workspace
from bureau.tenancy.roles import ROLE_CAPABILITIES, Capability, Role
from bureau.tenancy.scoping import PracticeScoped
from bureau.web.access import CAPABILITY_ATTR, FILE_CARRIES_ATTR
from bureau.workqueues.functions import CAPABILITY as WORK_CAPABILITY

C = Capability
LOGIN_URL = "/accounts/login/"
MFA_VERIFY_URL = "/accounts/mfa/verify/"
MFA_ENROLL_URL = "/accounts/mfa/enroll/"


# -- classification -----------------------------------------------------------------------------
# The capabilities that work some function of the queue, in the order the views name them.
QUEUE_WORK: tuple[Capability, ...] = tuple(dict.fromkeys(WORK_CAPABILITY.values()))
# Who opens a practice's offboarding: its owner (setup.offboard) or an approver (compliance).
OFFBOARDING_WHO: tuple[Capability, ...] = (C.SETUP_OFFBOARD, C.COMPLIANCE_MANAGE)


@dataclass(frozen=True)
class Spec:
    """How to call a URL and who may.

    access: "public" (no login), "pre_mfa" (login, no second factor), "verified" (any verified
    user with a workspace), "capability" (verified, and `needs` on one practice) or "any"
    (verified, and one of `needs` on some practice: the work queue, each function under its
    own capability; the view's mark is the whole tuple), or "compliance" (the compliance
    program's pages: `needs` is compliance.view, read by the whole program's readers and by a
    practice's own readers, its client viewer included; or compliance.manage, on the whole
    workspace — worked out from the grants by `compliance_reach`).
    record: what the URL's argument is: None (no argument), "patient", "user", "grant", or
    "practice" (a POST field rather than a URL argument).
    """

    access: str
    method: str = "GET"
    needs: tuple[Capability, ...] = ()  # all held on the same practice; needs[0] is the mark
    record: str | None = None
    ok: int = 200  # status for a verified user who may
    post: dict[str, str] = field(default_factory=dict)
    # GET views that also take a form POST: an empty POST must answer exactly like the GET
    # (re-rendered form when allowed, 404 when not), and never write for a forbidden record.
    form_post: bool = False
    list_filter: bool = False  # accepts ?practice=<public_id>; a foreign one is a 404
    # A list the work queue replaced: people holding this capability anywhere are sent to the
    # queue (302, whatever the query: nothing about the practice asked for is looked at).
    workers_redirected: Capability | None = None


CLASSIFICATION: dict[str, Spec] = {
    "web:home": Spec("verified"),
    "web:switch_practice": Spec("verified", method="POST", record="practice", ok=302),
    "web:healthz": Spec("public"),
    # A verified user opening the login page is sent on to `next`.
    "accounts:login": Spec("public", ok=302),
    "accounts:logout": Spec("public", method="POST", ok=302),
    "accounts:mfa_verify": Spec("pre_mfa"),
    # Every seeded user has an authenticator: enrolment redirects to verification.
    "accounts:mfa_enroll": Spec("pre_mfa", ok=302),
    "accounts:user_list": Spec("capability", needs=(C.USERS_MANAGE,)),
    "accounts:user_create": Spec("capability", needs=(C.USERS_MANAGE,), form_post=True),
    "accounts:user_detail": Spec(
        "capability", needs=(C.USERS_MANAGE,), record="user", form_post=True
    ),
    # An empty action and an empty reason: the view answers with a message, changes nothing.
    "accounts:user_status": Spec(
        "capability",
        method="POST",
        needs=(C.USERS_MANAGE,),
        record="user",
        ok=302,
        post={"action": "", "reason": ""},
    ),
    "accounts:grant_revoke": Spec(
        "capability",
        method="POST",
        needs=(C.USERS_MANAGE,),
        record="grant",
        ok=302,
        post={"reason": ""},
    ),
    "accounts:grant_role": Spec(
        "capability",
        method="POST",
        needs=(C.USERS_MANAGE,),
        record="grant",
        ok=302,
        post={"role": "", "reason": ""},
    ),
    "patients:list": Spec("capability", needs=(C.PATIENTS_VIEW,), list_filter=True),
    "patients:create": Spec(
        "capability", needs=(C.PATIENTS_EDIT, C.PATIENTS_DEMOGRAPHICS), form_post=True
    ),
    "patients:detail": Spec("capability", needs=(C.PATIENTS_VIEW,), record="patient"),
    "patients:edit": Spec(
        "capability",
        needs=(C.PATIENTS_EDIT, C.PATIENTS_DEMOGRAPHICS),
        record="patient",
        form_post=True,
    ),
    # Coverage (issue 16): add, correct and end a policy; an empty form re-renders with its
    # errors. The subscriber is demographics: edit and demographics, like the patient form.
    "patients:coverage_new": Spec(
        "capability",
        needs=(C.PATIENTS_EDIT, C.PATIENTS_DEMOGRAPHICS),
        record="patient",
        form_post=True,
    ),
    **{
        f"patients:coverage_{name}": Spec(
            "capability",
            needs=(C.PATIENTS_EDIT, C.PATIENTS_DEMOGRAPHICS),
            record="coverage",
            form_post=True,
        )
        for name in ("edit", "end")
    },
    # The roster import (a CSV of new patients for one practice); an empty form re-renders.
    "patients:import": Spec(
        "capability", needs=(C.PATIENTS_EDIT, C.PATIENTS_DEMOGRAPHICS), form_post=True
    ),
    "audit:log": Spec("capability", needs=(C.AUDIT_VIEW,), list_filter=True),
    "claims:list": Spec("capability", needs=(C.CLAIMS_VIEW,), list_filter=True),
    "claims:detail": Spec("capability", needs=(C.CLAIMS_VIEW,), record="claim"),
    # Without a practice in context the page asks for one; an empty POST re-renders it.
    "claims:encounter_create": Spec("capability", needs=(C.CLAIMS_EDIT,), form_post=True),
    # Scrubs the seeded claim (or says it is past scrubbing), then back to the claim.
    "scrub:claim": Spec(
        "capability", method="POST", needs=(C.CLAIMS_EDIT,), record="claim", ok=302
    ),
    # The matrix posts no codes: refused with a message, nothing changes, back to the claim.
    "claims:diagnoses": Spec(
        "capability", method="POST", needs=(C.CLAIMS_EDIT,), record="claim", ok=302
    ),
    # Corrected claims: the seeded claim is replaced/voided, or refused with a message.
    "claims:replace": Spec(
        "capability", method="POST", needs=(C.CLAIMS_EDIT,), record="claim", ok=302
    ),
    "claims:void": Spec(
        "capability", method="POST", needs=(C.CLAIMS_EDIT,), record="claim", ok=302
    ),
    # Not a replacement: back to the claim's page with a message (its form: see
    # test_corrected_claims.py).
    "claims:replacement": Spec("capability", needs=(C.CLAIMS_EDIT,), record="claim", ok=302),
    "batches:list": Spec("capability", needs=(C.CLAIMS_VIEW,), list_filter=True),
    # Builds from the seed's ready claims, then redirects to the list.
    "batches:build": Spec("capability", method="POST", needs=(C.CLAIMS_SUBMIT,), ok=302),
    # Raw files carry demographics: see test_file_downloads.py.
    "batches:download": Spec(
        "capability", needs=(C.CLAIMS_VIEW, C.PATIENTS_DEMOGRAPHICS), record="batch"
    ),
    # An empty form POST re-renders the page with an error and changes nothing.
    "configuration:settings": Spec(
        "capability", needs=(C.SETUP_VIEW,), list_filter=True, form_post=True
    ),
    "directory:providers": Spec("capability", needs=(C.SETUP_VIEW,), list_filter=True),
    "directory:provider_create": Spec("capability", needs=(C.SETUP_MANAGE,), form_post=True),
    "directory:payers": Spec("capability", needs=(C.SETUP_VIEW,)),
    # Issue 16's setup pages: a provider's, a facility's and a payer's edit form (an empty
    # POST re-renders it with its errors) and their deactivate/reactivate (no reason: refused
    # with a message, nothing changes). A payer is the workspace's: another's is a 404.
    **{
        f"directory:{noun}_edit": Spec(
            "capability", needs=(C.SETUP_MANAGE,), record=noun, form_post=True
        )
        for noun in ("provider", "facility", "payer")
    },
    **{
        f"directory:{noun}_active": Spec(
            "capability",
            method="POST",
            needs=(C.SETUP_MANAGE,),
            record=noun,
            ok=302,
            post={"active": "no", "reason": ""},
        )
        for noun in ("provider", "facility", "payer")
    },
    "directory:facilities": Spec("capability", needs=(C.SETUP_VIEW,), list_filter=True),
    "directory:facility_create": Spec("capability", needs=(C.SETUP_MANAGE,), form_post=True),
    # Without a practice chosen the page asks for one; an empty POST asks again.
    "directory:enrollment_create": Spec("capability", needs=(C.SETUP_MANAGE,), form_post=True),
    # Client practices (issue 16): the list, add one (workspace-level setup.manage, as a
    # payer), its page with the onboarding checklist, its edit form, its status moves (an
    # empty move and reason: refused with a message, nothing changes).
    "directory:practices": Spec("capability", needs=(C.SETUP_VIEW,)),
    "directory:practice_create": Spec("capability", needs=(C.SETUP_MANAGE,), form_post=True),
    "directory:practice": Spec("capability", needs=(C.SETUP_VIEW,), record="practice_page"),
    "directory:practice_edit": Spec(
        "capability", needs=(C.SETUP_MANAGE,), record="practice_page", form_post=True
    ),
    "directory:practice_status": Spec(
        "capability",
        method="POST",
        needs=(C.SETUP_MANAGE,),
        record="practice_page",
        ok=302,
        post={"status": "", "reason": ""},
    ),
    # The practice's setup document (a file, GET alone), its import and copy from a sibling.
    "directory:practice_setup_export": Spec(
        "capability", needs=(C.SETUP_VIEW,), record="practice_page"
    ),
    "directory:practice_setup_import": Spec(
        "capability", needs=(C.SETUP_MANAGE,), record="practice_page", form_post=True
    ),
    "directory:practice_setup_copy": Spec(
        "capability", needs=(C.SETUP_MANAGE,), record="practice_page", form_post=True
    ),
    # Offboarding (issue 16): a practice's offboarding page is the owner's (setup.offboard) or
    # an approver's (compliance.manage there); an empty start form re-renders, the progress
    # fragment says "not being offboarded", and call-off, retry and approve of a practice with
    # no offboarding go back to the page with a message. The bundle carries everything of the
    # practice: setup.offboard and every capability it carries. Certificates of destruction
    # are workspace records (the practice is gone), read by whole-workspace owners and
    # compliance officers.
    "offboarding:practice": Spec(
        "any", needs=OFFBOARDING_WHO, record="practice_page", form_post=True
    ),
    "offboarding:progress": Spec("any", needs=OFFBOARDING_WHO, record="practice_page"),
    "offboarding:bundle": Spec(
        "capability",
        needs=(C.SETUP_OFFBOARD, *sorted(bundle_carries())),
        record="offboarding_bundle",
    ),
    **{
        f"offboarding:{name}": Spec(
            "any",
            method="POST",
            needs=OFFBOARDING_WHO,
            record="practice_page",
            ok=302,
            post={"reason": ""},
        )
        for name in ("cancel", "retry", "approve")
    },
    "offboarding:list": Spec("any", needs=OFFBOARDING_WHO),
    **{
        f"offboarding:{name}": Spec("any", needs=OFFBOARDING_WHO, record="offboarding")
        for name in ("certificate", "certificate_pdf", "certificate_json")
    },
    # Workspace-level: needs setup.manage on every practice (only all-practices grants have it).
    "directory:payer_create": Spec("capability", needs=(C.SETUP_MANAGE,), form_post=True),
    "directory:enrollments": Spec("capability", needs=(C.SETUP_VIEW,), list_filter=True),
    # A provider's enrollment with a payer (?payer=; no payer: the form asks for one).
    "directory:enrollment_edit": Spec(
        "capability", needs=(C.SETUP_MANAGE,), record="provider", form_post=True
    ),
    "directory:fees": Spec("capability", needs=(C.SETUP_VIEW,), list_filter=True),
    "directory:fees_upload": Spec("capability", needs=(C.SETUP_MANAGE,), form_post=True),
    "directory:contracts": Spec("capability", needs=(C.SETUP_VIEW,), list_filter=True),
    "directory:contracts_upload": Spec("capability", needs=(C.SETUP_MANAGE,), form_post=True),
    # No note: refused with a message, the claim stays as it is.
    "claims:reopen": Spec(
        "capability", method="POST", needs=(C.CLAIMS_EDIT,), record="claim", ok=302
    ),
    "eras:list": Spec("capability", needs=(C.PAYMENTS_VIEW,), list_filter=True),
    # No file: refused with a message, nothing queued, back to the list.
    "eras:upload": Spec("capability", method="POST", needs=(C.PAYMENTS_POST,), ok=302),
    "eras:detail": Spec("capability", needs=(C.PAYMENTS_VIEW,), record="era"),
    "eras:download": Spec(
        "capability", needs=(C.PAYMENTS_VIEW, C.PATIENTS_DEMOGRAPHICS), record="era"
    ),
    "eras:job": Spec("capability", needs=(C.PAYMENTS_VIEW,), record="job"),
    # The seeded jobs are queued, not failed: refused with a message, the job unchanged.
    "eras:job_retry": Spec(
        "capability", method="POST", needs=(C.PAYMENTS_POST,), record="job", ok=302
    ),
    "eras:exceptions": Spec(
        "capability", needs=(C.PAYMENTS_VIEW,), list_filter=True, workers_redirected=C.PAYMENTS_POST
    ),
    # No action and no note: refused with a message, the exception stays open.
    "eras:exception_resolve": Spec(
        "capability", method="POST", needs=(C.PAYMENTS_POST,), record="era_exception", ok=302
    ),
    # No claim number and no note: refused with a message, the exception stays open.
    "eras:exception_match": Spec(
        "capability", method="POST", needs=(C.PAYMENTS_POST,), record="era_exception", ok=302
    ),
    # No line chosen and no note: refused with a message, the exception stays open.
    "eras:exception_match_lines": Spec(
        "capability", method="POST", needs=(C.PAYMENTS_POST,), record="era_exception", ok=302
    ),
    "denials:list": Spec(
        "capability", needs=(C.DENIALS_VIEW,), list_filter=True, workers_redirected=C.DENIALS_WORK
    ),
    "denials:detail": Spec("capability", needs=(C.DENIALS_VIEW,), record="denial"),
    # The CARC category table and overrides; an empty POST re-renders with the error.
    "denials:categories": Spec("capability", needs=(C.SETUP_VIEW,), form_post=True),
    # No note: refused with a message, nothing changes.
    "denials:update": Spec(
        "capability", method="POST", needs=(C.DENIALS_WORK,), record="denial", ok=302
    ),
    # Appeals (issue 13): the seeded denials are past their deadline, so an empty create is
    # refused with a message; empty submit/decide forms are refused; an empty letter saves.
    "denials:appeal_create": Spec(
        "capability", method="POST", needs=(C.DENIALS_WORK,), record="denial", ok=302
    ),
    "denials:appeal_write": Spec(
        "capability", method="POST", needs=(C.DENIALS_WORK,), record="appeal", ok=302
    ),
    "denials:appeal_submit": Spec(
        "capability", method="POST", needs=(C.DENIALS_WORK,), record="appeal", ok=302
    ),
    "denials:appeal_decide": Spec(
        "capability", method="POST", needs=(C.DENIALS_WORK,), record="appeal", ok=302
    ),
    "denials:appeal_letter": Spec("capability", needs=(C.DENIALS_VIEW,), record="appeal"),
    # The letter's PDF names the patient: no masked form, demographics or 404.
    "denials:appeal_pdf": Spec(
        "capability", needs=(C.DENIALS_VIEW, C.PATIENTS_DEMOGRAPHICS), record="appeal"
    ),
    # Monthly client reports (issue 14): a practice's whole month, reports.view over the whole
    # practice; the PDF names no one (test_file_downloads.py: a file of figures).
    "reports:monthly_list": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:monthly_preview": Spec("capability", needs=(C.REPORTS_VIEW,), record="monthly_report"),
    "reports:monthly_pdf": Spec("capability", needs=(C.REPORTS_VIEW,), record="monthly_report"),
    # Write-offs (billing/): an empty request form re-renders with its error; an approval or
    # refusal of the probed request (the user's own: refused with a message) goes back to it.
    "billing:writeoffs": Spec("capability", needs=(C.WRITEOFFS_VIEW,), list_filter=True),
    "reports:definitions": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:index": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:kpis": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "billing:writeoff": Spec("capability", needs=(C.WRITEOFFS_VIEW,), record="writeoff"),
    "billing:writeoff_new": Spec(
        "capability", needs=(C.WRITEOFFS_REQUEST,), record="claim", form_post=True
    ),
    "billing:writeoff_approve": Spec(
        "capability", method="POST", needs=(C.WRITEOFFS_APPROVE,), record="writeoff", ok=302
    ),
    "billing:writeoff_refuse": Spec(
        "capability", method="POST", needs=(C.WRITEOFFS_APPROVE,), record="writeoff", ok=302
    ),
    # The work queue: a user works an item when they hold its function's capability on its
    # practice (over its provider); others get 404, like a missing item.
    # Its ?practice= (a foreign one is a 404) is probed in workqueues/tests/test_queue_views.py:
    # the queue does not use the shared list filter the list_filter tests expect.
    "workqueues:queue": Spec("any", needs=QUEUE_WORK),
    # Takes the top free item (to its page) or says there is none (back to the queue).
    "workqueues:take_next": Spec("any", method="POST", needs=QUEUE_WORK, ok=302),
    # Nothing ticked: refused with a message.
    "workqueues:bulk": Spec("any", method="POST", needs=QUEUE_WORK, ok=302),
    "workqueues:item": Spec("any", needs=QUEUE_WORK, record="workitem"),
    # Claims the probed item for the user (it is free).
    "workqueues:claim": Spec("any", method="POST", needs=QUEUE_WORK, record="workitem", ok=302),
    "workqueues:release": Spec("any", method="POST", needs=QUEUE_WORK, record="workitem", ok=302),
    # No date, no reason / no channel / no note: refused with a message, nothing changes.
    "workqueues:pend": Spec("any", method="POST", needs=QUEUE_WORK, record="workitem", ok=302),
    "workqueues:attempt": Spec("any", method="POST", needs=QUEUE_WORK, record="workitem", ok=302),
    "workqueues:done": Spec("any", method="POST", needs=QUEUE_WORK, record="workitem", ok=302),
    # No one named: a supervisor puts it back in the pool, anyone else is refused (message).
    "workqueues:assign": Spec("any", method="POST", needs=QUEUE_WORK, record="workitem", ok=302),
    # Questions to the practice: asked from an item (no question: refused with a message),
    # listed and answered (no answer: refused with a message) by the practice's client viewer.
    "workqueues:ask": Spec("any", method="POST", needs=QUEUE_WORK, record="workitem", ok=302),
    "workqueues:questions": Spec("capability", needs=(C.QUESTIONS_VIEW,), list_filter=True),
    "workqueues:question_answer": Spec(
        "capability", method="POST", needs=(C.QUESTIONS_ANSWER,), record="question", ok=302
    ),
    # A/R aging: the page lists practices (?practice=, a foreign one 404). Its drill-down rows
    # (an htmx fragment) and its exports are not pages: no list_filter here (the page checks
    # that take list_filter URLs look for a bar); their foreign-practice 404 is tested in
    # reports/tests/test_aging.py, their per-practice files in test_report_exports.py.
    "reports:aging": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:aging_rows": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:aging_csv": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:aging_pdf": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:aging_claims_csv": Spec("capability", needs=(C.REPORTS_VIEW, C.CLAIMS_VIEW)),
    "reports:aging_claims_pdf": Spec("capability", needs=(C.REPORTS_VIEW, C.CLAIMS_VIEW)),
    # Period reports (mix, posting, write-offs, underpayments): pages list practices; their
    # exports are files (foreign-practice 404s in reports/tests/test_period_views.py).
    "reports:mix": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:mix_csv": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:mix_pdf": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:posting": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:posting_csv": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:posting_pdf": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:writeoffs": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:writeoffs_csv": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:writeoffs_pdf": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:underpayments": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:underpayments_csv": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:underpayments_pdf": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:underpayments_claims_csv": Spec("capability", needs=(C.REPORTS_VIEW, C.CLAIMS_VIEW)),
    # Productivity and SLA: pages of figures over a period, their exports like aging's.
    "reports:productivity": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:productivity_csv": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:productivity_pdf": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:sla": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:sla_csv": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:sla_pdf": Spec("capability", needs=(C.REPORTS_VIEW,)),
    # Activity: one person's day from the audit log (no one asked for: the reader's own),
    # under the audit log's capability.
    "reports:activity": Spec("capability", needs=(C.AUDIT_VIEW,), list_filter=True),
    "reports:activity_csv": Spec("capability", needs=(C.AUDIT_VIEW,)),
    "reports:activity_pdf": Spec("capability", needs=(C.AUDIT_VIEW,)),
    # Denials analytics and payer performance: pages list practices; exports as aging's.
    "reports:denials": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:denials_csv": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:denials_pdf": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:payers": Spec("capability", needs=(C.REPORTS_VIEW,), list_filter=True),
    "reports:payers_csv": Spec("capability", needs=(C.REPORTS_VIEW,)),
    "reports:payers_pdf": Spec("capability", needs=(C.REPORTS_VIEW,)),
    # compliance: incidents. The log and an incident's page read (a client viewer: those of
    # her practice); recording and the officer's forms need compliance.manage on the whole
    # workspace. An empty form re-renders the incident's page with its errors, but for the
    # assessment (nothing rated yet: nothing changes) and the affected practices (none ticked:
    # none affected), saved and back to the page; confirming a proposal of an incident with no
    # window goes back to it with a message.
    "compliance:incident_list": Spec("compliance", needs=(C.COMPLIANCE_VIEW,)),
    "compliance:incident_new": Spec("compliance", needs=(C.COMPLIANCE_MANAGE,), form_post=True),
    "compliance:incident_detail": Spec("compliance", needs=(C.COMPLIANCE_VIEW,), record="incident"),
    **{
        f"compliance:incident_{name}": Spec(
            "compliance", method="POST", needs=(C.COMPLIANCE_MANAGE,), record="incident"
        )
        for name in ("moment", "facts", "decide", "window")
    },
    **{
        f"compliance:incident_{name}": Spec(
            "compliance", method="POST", needs=(C.COMPLIANCE_MANAGE,), record="incident", ok=302
        )
        for name in ("assess", "affected", "confirm")
    },
    # compliance: access reviews. A campaign is a workspace record: compliance.view over its
    # scope, or being one of its reviewers, opens it (`_access_reviews`); the writes answer
    # anyone who may open it with a message and a redirect (an empty form: nothing decided).
    "compliance:review_list": Spec("capability", needs=(C.COMPLIANCE_VIEW,)),
    "compliance:review_start": Spec("capability", needs=(C.COMPLIANCE_MANAGE,), form_post=True),
    "compliance:review_detail": Spec("verified", record="access_review"),
    "compliance:review_decide": Spec(
        "verified",
        method="POST",
        record="access_review",
        ok=302,
        post={"item": "", "decision": "", "comment": ""},
    ),
    "compliance:review_confirm_rest": Spec(
        "verified", method="POST", record="access_review", ok=302, post={"practice": ""}
    ),
    "compliance:review_lock": Spec("verified", method="POST", record="access_review", ok=302),
    "compliance:review_evidence": Spec(
        "capability", needs=(C.COMPLIANCE_VIEW,), record="access_review"
    ),
    # compliance: the dashboard and the BAA inventory (issue 15). The program is the whole
    # workspace's: reading needs compliance.view on every practice, writing compliance.manage
    # (an all-practices grant; no seeded user holds either on some practices only). A BAA is
    # workspace control data ("baa" records: a Summit client's, a Summit vendor's, Harbor's).
    # An empty POST re-renders the agreement's page with its form's errors.
    "compliance:dashboard": Spec("capability", needs=(C.COMPLIANCE_VIEW,)),
    "compliance:baa_list": Spec("capability", needs=(C.COMPLIANCE_VIEW,)),
    "compliance:baa_record": Spec("capability", needs=(C.COMPLIANCE_MANAGE,), form_post=True),
    "compliance:baa_detail": Spec("capability", needs=(C.COMPLIANCE_VIEW,), record="baa"),
    "compliance:baa_change": Spec(
        "capability", method="POST", needs=(C.COMPLIANCE_MANAGE,), record="baa"
    ),
    "compliance:baa_terminate": Spec(
        "capability", method="POST", needs=(C.COMPLIANCE_MANAGE,), record="baa"
    ),
    "compliance:baa_flow_down": Spec(
        "capability", method="POST", needs=(C.COMPLIANCE_MANAGE,), record="baa"
    ),
    "compliance:baa_upload": Spec(
        "capability", method="POST", needs=(C.COMPLIANCE_MANAGE,), record="baa"
    ),
    # The signed PDF: a workspace file (`serves_workspace_file`), naming no patient.
    # ... which a practice's client viewer takes too, of her practice's own client BAA.
    "compliance:baa_document": Spec("compliance", record="baa"),
    # A practice's own compliance records: whoever reads some practice's (compliance.view
    # there, or its client viewer: `compliance.access.practices_seen`); access "compliance".
    "compliance:my_practice": Spec("compliance"),
    # compliance: exclusion screening (issue 15). Workspace records, read by whole-program
    # readers (compliance.view on every practice) and changed by compliance.manage; the seeded
    # runs and hits are the demo's (compliance/demo_screening.py). An empty import form or an
    # empty resolution re-renders with its errors; "screen now" runs, or says no list is in.
    "compliance:screening": Spec("capability", needs=(C.COMPLIANCE_VIEW,)),
    "compliance:screening_import": Spec("capability", needs=(C.COMPLIANCE_MANAGE,), form_post=True),
    "compliance:screening_run_now": Spec(
        "capability", method="POST", needs=(C.COMPLIANCE_MANAGE,), ok=302
    ),
    "compliance:screening_run": Spec(
        "capability", needs=(C.COMPLIANCE_VIEW,), record="screening_run"
    ),
    "compliance:screening_run_csv": Spec(
        "capability", needs=(C.COMPLIANCE_VIEW,), record="screening_run"
    ),
    "compliance:screening_hit": Spec(
        "capability", needs=(C.COMPLIANCE_VIEW,), record="screening_hit"
    ),
    "compliance:screening_hit_resolve": Spec(
        "capability",
        method="POST",
        needs=(C.COMPLIANCE_MANAGE,),
        record="screening_hit",
        post={"outcome": "", "reason": ""},
    ),
    # compliance: training and policies. The workspace's own records: compliance.view on every
    # practice reads, compliance.manage on every practice writes (in the seed only all-practices
    # grants carry either). A person's own training and policies are any verified user's; an
    # empty form re-renders with its errors; an empty review or a purge of the current version
    # is refused with a message. Records: compliance/tests/matrix_workforce.py.
    "compliance:training": Spec("capability", needs=(C.COMPLIANCE_VIEW,)),
    "compliance:training_person": Spec("capability", needs=(C.COMPLIANCE_VIEW,), record="user"),
    "compliance:course_create": Spec("capability", needs=(C.COMPLIANCE_MANAGE,), form_post=True),
    "compliance:course_edit": Spec(
        "capability", needs=(C.COMPLIANCE_MANAGE,), record="course", form_post=True
    ),
    "compliance:completion_create": Spec(
        "capability", needs=(C.COMPLIANCE_MANAGE,), form_post=True
    ),
    "compliance:training_certificate": Spec(
        "capability", needs=(C.COMPLIANCE_VIEW,), record="completion"
    ),
    "compliance:my_training": Spec("verified"),
    "compliance:policy_list": Spec("capability", needs=(C.COMPLIANCE_VIEW,)),
    "compliance:policy_create": Spec("capability", needs=(C.COMPLIANCE_MANAGE,), form_post=True),
    "compliance:policy_detail": Spec("capability", needs=(C.COMPLIANCE_VIEW,), record="policy"),
    "compliance:policy_publish": Spec(
        "capability", needs=(C.COMPLIANCE_MANAGE,), record="policy", form_post=True
    ),
    "compliance:policy_review": Spec(
        "capability", method="POST", needs=(C.COMPLIANCE_MANAGE,), record="policy", ok=302
    ),
    "compliance:policy_purge": Spec(
        "capability",
        method="POST",
        needs=(C.COMPLIANCE_MANAGE,),
        record="policy_version",
        ok=302,
    ),
    # The workforce reads the documents it acknowledges (a client viewer does not).
    "compliance:policy_document": Spec("verified", record="policy_document"),
    "compliance:my_policies": Spec("verified"),
    # The user's own acknowledgement of the current version (a client viewer: refused, message).
    "compliance:policy_attest": Spec("verified", method="POST", record="policy_version", ok=302),
}
# The URL argument of each record kind (the rest take `public_id`).
RECORD_KWARG = {"job": "job_id"}

POST_ONLY = [name for name, spec in CLASSIFICATION.items() if spec.method == "POST"]

SUMMIT_USERS = [
    "olivia.owner",
    "sam.supervisor",
    "alex.manager",
    "bella.biller",
    "priya.poster",
    "dan.denials",
    "casey.contractor",
    "carla.compliance",
    "cliff.client",
]
USERS = [*SUMMIT_USERS, "hank.harbor"]
# Limited to some providers: per-practice expectations do not describe her, so her matrix (with
# per-provider expectations) is in test_provider_scope_matrix.py.
PROVIDER_LIMITED_USERS = ["lina.limited"]


# -- discovery ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Found:
    name: str | None
    route: str
    pattern: URLPattern


def discover(
    patterns: list[Any] | None = None, prefix: str = "", namespaces: tuple[str, ...] = ()
) -> Iterator[Found]:
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            spaces = namespaces + ((entry.namespace,) if entry.namespace else ())
            yield from discover(entry.url_patterns, prefix + str(entry.pattern), spaces)
        elif isinstance(entry, URLPattern):
            name = ":".join((*namespaces, entry.name)) if entry.name else None
            yield Found(name, prefix + str(entry.pattern), entry)


def _is_static(found: Found) -> bool:
    roots = [u.lstrip("/") for u in (settings.STATIC_URL, getattr(settings, "MEDIA_URL", "")) if u]
    callback = found.pattern.callback
    return (
        any(root and found.route.lstrip("^").startswith(root) for root in roots)
        or getattr(callback, "__module__", "") == "django.views.static"
    )


def served() -> dict[str, Found]:
    return {f.name or f"<unnamed {f.route}>": f for f in discover() if not _is_static(f)}


def test_every_url_is_classified_and_every_classification_is_served():
    found = served()
    unclassified = sorted(
        f"{name} ({f.route})" for name, f in found.items() if name not in CLASSIFICATION
    )
    stale = sorted(set(CLASSIFICATION) - set(found))
    assert not unclassified, f"URLs missing from CLASSIFICATION: {unclassified}"
    assert not stale, f"CLASSIFICATION names URLs that no longer exist: {stale}"


def test_view_marks_agree_with_the_classification():
    """`public`/`pre_mfa`/`requires` on the view say what the classification says."""
    problems = []
    for name, found in served().items():
        spec = CLASSIFICATION.get(name)
        if spec is None:
            continue  # reported by the test above
        view = found.pattern.callback
        marks = {
            "public": bool(getattr(view, PUBLIC_ATTR, False)),
            "pre_mfa": bool(getattr(view, PRE_MFA_ATTR, False)),
        }
        for access, marked in marks.items():
            if marked != (spec.access == access):
                problems.append(f"{name}: marked {access}={marked}, classified {spec.access}")
        mark = getattr(view, CAPABILITY_ATTR, None)
        expected: Any = spec.needs[0] if spec.needs else None
        if spec.access == "any":
            expected = spec.needs  # `requires_any`: the whole tuple
        if mark != expected:
            problems.append(f"{name}: view requires {mark}, classified {expected}")
        if spec.access in ("capability", "any") and not spec.needs:
            problems.append(f"{name}: capability access needs a capability")
        # "compliance" names one where the whole program's capability opens it; without one, a
        # practice's own records (compliance.access.practices_seen: no capability of its own).
        if spec.access not in ("capability", "any", "compliance") and spec.needs:
            problems.append(f"{name}: {spec.access} access names no capability")
        args = set(found.pattern.pattern.converters)
        if bool(args) != (spec.record not in (None, "practice")):
            problems.append(f"{name}: URL arguments {args} do not fit record={spec.record}")
    assert not problems, "\n".join(problems)


# -- expectations, from the Grant table -------------------------------------------------------
@dataclass
class World:
    """What one user may see, computed from live Grant rows, and the records to probe with."""

    user: User
    caps: dict[int, frozenset[Capability]]  # practice id -> capabilities held there
    practices: list[Practice]  # every practice of the deployment
    patients: list[Patient]  # one per practice
    users: list[User]  # one per workspace
    grants: list[Grant]  # one per workspace
    foreign: list[str]  # strings that must appear in no response
    claims: list[Any] = field(default_factory=list)  # one per practice that has claims
    money: dict[str, list[Any]] | None = None  # ERAs, exceptions, denials, jobs (made lazily)
    items: list[Any] | None = None  # one live work item per practice (made lazily)
    incidents: list[Any] | None = None  # compliance: incidents, per practice (made lazily)

    def holds(self, needs: tuple[Capability, ...], practice_id: int) -> bool:
        return set(needs) <= self.caps.get(practice_id, frozenset())

    def allows(self, spec: Spec, practice_id: int | None = None) -> bool:
        """Whether `spec`'s capabilities are held on `practice_id` (None: on some practice):
        all of `needs`, or for "any" access one of them."""
        practices = list(self.caps) if practice_id is None else [practice_id]
        if spec.access == "compliance":
            if not spec.needs:  # a practice's own records (compliance: BAAs)
                return bool(compliance_practices(self.user))
            return compliance_allows(spec, self.user)
        if spec.access == "any":
            return any(self.holds((c,), p) for c in spec.needs for p in practices)
        return any(self.holds(spec.needs, p) for p in practices)

    def holds_anywhere(self, needs: tuple[Capability, ...]) -> bool:
        return any(self.holds(needs, pid) for pid in self.caps)


def expected_caps(user: User) -> dict[int, frozenset[Capability]]:
    """Capabilities per practice from the user's live grants, written out from the rules of
    DESIGN §2 rather than asked of the Actor: not revoked, not expired, in the user's workspace;
    NULL practice = every non-offboarded practice of the workspace; read-only keeps reads."""
    now = timezone.now()
    grants = Grant.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        user=user,
        workspace_id=user.workspace_id,
        revoked_at__isnull=True,
    )
    practices = Practice.objects.filter(workspace_id=user.workspace_id).exclude(
        status=PracticeStatus.OFFBOARDED
    )
    caps: dict[int, set[Capability]] = {}
    for grant in grants:
        conferred = {
            cap for cap in ROLE_CAPABILITIES[Role(grant.role)] if not grant.read_only or cap.is_read
        }
        targets = practices if grant.practice_id is None else practices.filter(pk=grant.practice_id)
        for practice in targets:
            caps.setdefault(practice.pk, set()).update(conferred)
    return {pid: frozenset(c) for pid, c in caps.items()}


def build_world(username: str) -> World:
    user = User.objects.select_related("workspace").get(username=username)
    caps = expected_caps(user)
    practices = list(Practice.objects.select_related("workspace").order_by("workspace_id", "id"))
    all_patients = list(
        Patient.objects.for_system([p.pk for p in practices], reason="test").order_by("id")
    )
    from bureau.claims.models import Claim

    all_claims = list(
        Claim.objects.for_system([p.pk for p in practices], reason="test").order_by("id")
    )
    rls.activate([])  # the requests below get no help from the test's own scope
    first: dict[int, Patient] = {}
    for patient in all_patients:
        first.setdefault(patient.practice_id, patient)
    others = {"summit": "cliff.client", "harbor": "hank.harbor"}
    users = [User.objects.get(username=name) for name in others.values()]
    grants = [Grant.objects.filter(user=u).order_by("id").first() for u in users]
    hidden = {p.pk for p in practices} - set(caps)
    foreign: list[str] = []
    for practice in practices:
        if practice.pk in hidden:
            foreign += [practice.name, escape(practice.name), str(practice.public_id)]
    for patient in all_patients:
        if patient.practice_id in hidden:
            foreign += [str(patient.public_id), patient.account_number]
    first_claim: dict[int, Any] = {}
    for claim in all_claims:
        first_claim.setdefault(claim.practice_id, claim)
        if claim.practice_id in hidden:
            foreign += [str(claim.public_id), claim.number]
    for other in User.objects.exclude(workspace_id=user.workspace_id).exclude(workspace=None):
        foreign += [other.username, str(other.public_id)]
        if other.workspace is not None:
            foreign.append(escape(other.workspace.name))
    return World(
        user,
        caps,
        practices,
        [first[p.pk] for p in practices],
        users,
        [g for g in grants if g is not None],
        foreign,
        list(first_claim.values()),
    )


# -- requests -----------------------------------------------------------------------------------
@dataclass
class Probe:
    failures: list[str] = field(default_factory=list)
    checks: int = 0  # assertions made: one on the status, one on the body, per request
    allowed: int = 0
    refused: int = 0

    def expect(self, label: str, response: Any, status: int, world: World) -> None:
        self.checks += 1
        if status == 404:
            self.refused += 1
        else:
            self.allowed += 1
        if response.status_code != status:
            self.failures.append(f"{label}: expected {status}, got {response.status_code}")
        body = response.content.decode(errors="replace")
        leaked = sorted({s for s in world.foreign if s in body})
        self.checks += 1
        if leaked:
            self.failures.append(f"{label}: response shows foreign identifiers {leaked[:5]}")


def coverages_of(world: World, spec: Spec) -> list[tuple[str, Any, bool]]:
    """A policy of each practice's first patient (patients: the coverage pages)."""
    from bureau.patients.models import Coverage

    codes = {p.pk: p.code for p in world.practices}
    first: dict[int, Any] = {}
    for coverage in Coverage.objects.for_system(codes, reason="test").order_by("id"):
        first.setdefault(coverage.practice_id, coverage)
    rls.activate([])
    return [
        (f"coverage of {codes[pid]}", c.public_id, world.holds(spec.needs, pid))
        for pid, c in first.items()
    ]


def writeoff_of(denial: Any, user: Any) -> Any:
    """A pending write-off request of the denial's claim, asked for by the user (so an approval
    the user tries is refused with a message: nothing is posted)."""
    from bureau.billing.models import WriteOffRequest

    return WriteOffRequest.objects.create(
        workspace_id=denial.workspace_id,
        practice_id=denial.practice_id,
        claim_id=denial.claim_id,
        amount="1.00",
        reason="administrative",
        note="test",
        requested_by=user,
    )


def appeal_of(denial: Any, user: Any) -> Any:
    from bureau.denials.appeal_models import Appeal

    return Appeal.objects.create(
        workspace_id=denial.workspace_id,
        practice_id=denial.practice_id,
        denial=denial,
        level=1,
        kind="appeal",
        deadline=denial.appeal_deadline,
        deadline_source="test",
        created_by=user,
    )


def _records(spec: Spec, world: World) -> list[tuple[str, Any, bool]]:
    """(label, value, allowed) for each record to try, including one that does not exist."""
    missing = ("missing", uuid.uuid4(), False)
    same_ws = world.user.workspace_id
    if spec.record == "patient":
        codes = {p.pk: p.code for p in world.practices}
        rows = [
            (
                f"patient of {codes[p.practice_id]}",
                p.public_id,
                world.holds(spec.needs, p.practice_id),
            )
            for p in world.patients
        ]
    elif spec.record == "coverage":
        rows = coverages_of(world, spec)
    elif spec.record == "claim":
        codes = {p.pk: p.code for p in world.practices}
        rows = [
            (
                f"claim of {codes[c.practice_id]}",
                c.public_id,
                world.holds(spec.needs, c.practice_id),
            )
            for c in world.claims
        ]
    elif spec.record == "practice":
        rows = [(f"practice {p.code}", p.public_id, p.pk in world.caps) for p in world.practices]
        rows.append(("all practices", "all", True))
    elif spec.record == "practice_page":  # a practice's own setup page (URL argument)
        rows = [
            (f"practice page {p.code}", p.public_id, world.allows(spec, p.pk))
            for p in world.practices
        ]
    elif spec.record == "offboarding_bundle":  # a practice with an export ready (its id)
        rows = [
            (f"export of {ob.practice.code}", ob.practice.public_id, world.holds(spec.needs, pid))
            for pid, ob in offboardings_of(world, "exported").items()
        ]
    elif spec.record == "offboarding":  # a purged practice's certificate (the offboarding's id)
        rows = [
            (
                f"certificate of {ob.practice.code}",
                ob.public_id,
                ob.workspace_id == same_ws
                and any(_workspace_holds(world.user, c) for c in spec.needs),
            )
            for ob in offboardings_of(world, "purged").values()
        ]
    elif spec.record in ("user", "grant"):
        objects = world.users if spec.record == "user" else world.grants
        rows = [
            (
                f"{spec.record} of {o.workspace.slug}",
                o.public_id,
                o.workspace_id == same_ws and world.holds_anywhere(spec.needs),
            )
            for o in objects
        ]
    elif spec.record == "batch":
        from bureau.claims.models import Batch

        batches = Batch.objects.for_system([p.pk for p in world.practices], reason="test")
        first_batch: dict[int, Any] = {}
        for batch in batches.order_by("id"):
            first_batch.setdefault(batch.practice_id, batch)
        rls.activate([])
        assert first_batch, "the seed builds batches"
        rows = [
            (f"batch of {b.practice.code}", b.public_id, world.holds(spec.needs, b.practice_id))
            for b in first_batch.values()
        ]
    elif spec.record in ("era", "era_exception", "denial", "appeal", "writeoff"):
        codes = {p.pk: p.code for p in world.practices}
        rows = [
            (
                f"{spec.record} of {codes[r.practice_id]}",
                r.public_id,
                world.holds(spec.needs, r.practice_id),
            )
            for r in money(world)[spec.record]
        ]
    elif spec.record == "provider":
        from bureau.directory.models import Provider

        codes = {p.pk: p.code for p in world.practices}
        first_provider: dict[int, Any] = {}
        for provider in Provider.objects.order_by("id"):  # control data: no PHI scope
            first_provider.setdefault(provider.practice_id, provider)
        rows = [
            (f"provider of {codes[pid]}", pr.public_id, world.holds(spec.needs, pid))
            for pid, pr in first_provider.items()
        ]
    elif spec.record == "facility":
        from bureau.directory.models import ServiceFacility

        codes = {p.pk: p.code for p in world.practices}
        first_facility: dict[int, Any] = {}
        for facility in ServiceFacility.objects.order_by("id"):  # control data: no PHI scope
            first_facility.setdefault(facility.practice_id, facility)
        assert first_facility, "the demo seed has an office per practice"
        rows = [
            (f"facility of {codes[pid]}", f.public_id, world.holds(spec.needs, pid))
            for pid, f in first_facility.items()
        ]
    elif spec.record == "payer":  # the workspace's control data, changed workspace-wide
        from bureau.directory.models import Payer

        first_payer: dict[int, Any] = {}
        for payer in Payer.objects.select_related("workspace").order_by("id"):
            first_payer.setdefault(payer.workspace_id, payer)
        rows = [
            (
                f"payer of {p.workspace.slug}",
                p.public_id,
                p.workspace_id == same_ws and world.holds_anywhere(spec.needs),
            )
            for p in first_payer.values()
        ]
    elif spec.record == "monthly_report":
        from bureau.reports.tests.monthly_helpers import stored_reports

        codes = {p.pk: p.code for p in world.practices}
        rows = [
            (
                f"monthly report of {codes[r.practice_id]}",
                r.public_id,
                world.holds(spec.needs, r.practice_id),
            )
            for r in stored_reports(world.practices)
        ]
    elif spec.record == "workitem":
        codes = {p.pk: p.code for p in world.practices}
        rows = [
            (
                f"{i.function} item of {codes[i.practice_id]}",
                i.public_id,
                world.holds((WORK_CAPABILITY[i.function],), i.practice_id),
            )
            for i in workitems(world)
        ]
    elif spec.record == "question":
        codes = {p.pk: p.code for p in world.practices}
        rows = [
            (
                f"question of {codes[q.practice_id]}",
                q.public_id,
                world.holds(spec.needs, q.practice_id),
            )
            for q in questions_of(world)
        ]
    elif spec.record == "baa":  # compliance: BAAs
        rows = baas_of(world, spec)
    elif spec.record in ("screening_run", "screening_hit"):
        # compliance: exclusion screening — the workspace's own records (the demo's run and
        # its hits), opened by its whole-program readers; another workspace's are a 404.
        from bureau.compliance.models.screening import ScreeningHit, ScreeningRun

        model: Any = ScreeningRun if spec.record == "screening_run" else ScreeningHit
        first_of: dict[int, Any] = {}
        for record in model.objects.select_related("workspace").order_by("id"):
            first_of.setdefault(record.workspace_id, record)
        assert first_of, "the demo seed screens its workspace"
        rows = [
            (
                f"{spec.record} of {r.workspace.slug}",
                r.public_id,
                r.workspace_id == same_ws and world.holds_anywhere(spec.needs),
            )
            for r in first_of.values()
        ]
    elif spec.record in WORKFORCE_RECORDS:  # compliance: training and policies
        rows = workforce_records(spec, world)
    elif spec.record == "job":
        needs = world.holds_anywhere(spec.needs)
        rows = [(label, job.pk, may and needs) for label, job, may in money(world)["job"]]
        missing = ("missing", 2**31 - 1, False)
    elif spec.record == "incident":
        rows = [
            (label, incident.public_id, compliance_allows(spec, world.user, incident))
            for label, incident in incidents_of(world)
        ]
    elif spec.record == "access_review":
        rows = _access_reviews(spec, world)
    else:
        raise AssertionError(spec.record)
    return [*rows, missing]


# -- compliance: incidents ------------------------------------------------------------------
def compliance_reach(user: User) -> tuple[frozenset[Capability], frozenset[int]]:
    """From the live grants (compliance/access.py's rule written out): the capabilities held
    over the whole workspace (an all-practices grant), and the practices whose own compliance
    records the user reads (compliance.view there, or being the practice's client viewer)."""
    now = timezone.now()
    grants = Grant.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        user=user,
        workspace_id=user.workspace_id,
        revoked_at__isnull=True,
    )
    whole: set[Capability] = set()
    for grant in grants.filter(practice__isnull=True):
        whole |= {
            c for c in ROLE_CAPABILITIES[Role(grant.role)] if not grant.read_only or c.is_read
        }
    seen = {pid for pid, caps in expected_caps(user).items() if C.COMPLIANCE_VIEW in caps}
    live = Practice.objects.filter(workspace_id=user.workspace_id).exclude(
        status=PracticeStatus.OFFBOARDED
    )
    for grant in grants.filter(role=Role.CLIENT_VIEWER):
        targets = live if grant.practice_id is None else live.filter(pk=grant.practice_id)
        seen |= set(targets.values_list("pk", flat=True))
    return frozenset(whole), frozenset(seen)


def compliance_allows(spec: Spec, user: User, incident: Any = None) -> bool:
    """Whether `user` may open a compliance URL (with `incident`, that incident's)."""
    whole, seen = compliance_reach(user)
    if spec.needs[0] == C.COMPLIANCE_MANAGE:
        may = C.COMPLIANCE_MANAGE in whole
    else:
        may = C.COMPLIANCE_VIEW in whole or bool(seen)
    if incident is None or not may:
        return may
    if incident.workspace_id != user.workspace_id:
        return False
    if C.COMPLIANCE_VIEW in whole:
        return True
    return bool(set(incident.affected_practices.values_list("pk", flat=True)) & seen)


def incidents_of(world: World) -> list[tuple[str, Any]]:
    """An incident affecting each practice, and one per workspace affecting none yet (made
    directly: the log is control data). Those the user may not read must show nowhere."""
    from bureau.compliance.models.incidents import Incident

    if world.incidents is not None:
        return world.incidents
    made: list[tuple[str, Any]] = []
    discovered = timezone.now() - timedelta(days=3)
    for practice in world.practices:
        incident = Incident.objects.create(
            workspace_id=practice.workspace_id,
            title=f"Matrix incident {practice.code}",
            description="test",
            discovered_at=discovered,
        )
        incident.affected_practices.set([practice])
        made.append((f"incident of {practice.code}", incident))
    for workspace_id in sorted({p.workspace_id for p in world.practices}):
        incident = Incident.objects.create(
            workspace_id=workspace_id,
            title="Matrix incident, no practice yet",
            description="test",
            discovered_at=discovered,
        )
        made.append((f"incident of workspace {workspace_id}, no practice", incident))
    probe = Spec("compliance", needs=(C.COMPLIANCE_VIEW,))
    world.foreign += [
        str(i.public_id) for _, i in made if not compliance_allows(probe, world.user, i)
    ]
    world.incidents = made
    return made


def offboardings_of(world: World, status: str) -> dict[int, Any]:
    """Offboarding (issue 16): an export ready (`exported`, a small bundle on disk) or a purge
    certified (`purged`), in the second-to-last and last practice of each workspace, made
    directly: the matrix probes who may take them, offboarding/tests how they come about."""
    import tempfile
    import zipfile

    from bureau.offboarding.models import Offboarding, OffboardingStatus

    made: dict[int, Any] = {}
    for workspace_id in sorted({p.workspace_id for p in world.practices}):
        theirs = [p for p in world.practices if p.workspace_id == workspace_id]
        practice = theirs[-2] if status == "exported" else theirs[-1]
        found = Offboarding.objects.filter(practice=practice, status=status).first()
        if found is None:
            owner = Grant.objects.filter(workspace_id=workspace_id, role="owner").first()
            assert owner is not None
            bundle = Path(tempfile.mkdtemp(prefix="matrix-offboarding-")) / "bundle.zip"
            with zipfile.ZipFile(bundle, "w") as zf:
                zf.writestr("README.md", "matrix")
            found = Offboarding.objects.create(
                workspace_id=workspace_id,
                practice=practice,
                status=status,
                reason="matrix",
                requested_by_id=owner.user_id,
                approved_by_id=owner.user_id if status == "purged" else None,
                exported_at=timezone.now(),
                bundle_path=str(bundle) if status == "exported" else "",
                certificate={"title": "Certificate of destruction"} if status == "purged" else {},
                certificate_pdf=b"%PDF-1.4 matrix" if status == "purged" else None,
            )
            assert found.status in (OffboardingStatus.EXPORTED, OffboardingStatus.PURGED)
        made[practice.pk] = found
    return made


def _workspace_holds(user: User, capability: Capability) -> bool:
    """`capability` through a live all-practices grant (over the whole workspace)."""
    return capability in compliance_reach(user)[0]


def _access_reviews(spec: Spec, world: World) -> list[tuple[str, Any, bool]]:
    """compliance: access reviews. Every campaign of the deployment: opened by compliance.view
    over its scope (the whole workspace: an all-practices grant; else each practice), and for
    pages without a capability also by its reviewers."""
    from bureau.compliance.models.access_review import AccessReview

    rows = []
    for review in AccessReview.objects.select_related("workspace").order_by("id"):
        same = review.workspace_id == world.user.workspace_id
        if review.whole_workspace:
            views = _workspace_holds(world.user, C.COMPLIANCE_VIEW)
        else:
            views = all(world.holds((C.COMPLIANCE_VIEW,), p.pk) for p in review.practices.all())
        reviews = review.reviewers.filter(user=world.user).exists()
        may = same and (views or (not spec.needs and reviews))
        rows.append((f"access review of {review.workspace.slug}", review.public_id, may))
    return rows


def workspace_poster(user: User) -> bool:
    """Holds payments.post through a live, writable all-practices grant (sees every job)."""
    now = timezone.now()
    roles = [r.value for r in Role if C.PAYMENTS_POST in ROLE_CAPABILITIES[r]]
    return Grant.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        user=user,
        workspace_id=user.workspace_id,
        revoked_at__isnull=True,
        practice__isnull=True,
        read_only=False,
        role__in=roles,
    ).exists()


# -- compliance: BAAs --------------------------------------------------------------------------
def workspace_holds(user: User, needs: tuple[Capability, ...]) -> bool:
    """Holds every capability of `needs` through a live all-practices grant (the compliance
    program is the whole workspace's: `Actor.can_workspace`)."""
    now = timezone.now()
    grants = Grant.objects.filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=now),
        user=user,
        workspace_id=user.workspace_id,
        revoked_at__isnull=True,
        practice__isnull=True,
    )
    held: set[Capability] = set()
    for grant in grants:
        held |= {c for c in ROLE_CAPABILITIES[Role(grant.role)] if not grant.read_only or c.is_read}
    return set(needs) <= held


def compliance_practices(user: User) -> set[int]:
    """Practices whose own compliance records the user reads: compliance.view there, or a
    live client-viewer grant on it (rule: compliance.access.practices_seen)."""
    return set(compliance_reach(user)[1])


def baas_of(world: World, spec: Spec) -> list[tuple[str, Any, bool]]:
    """A Summit client practice's BAA and a Summit vendor's (seeded, each with its signed
    copy), and one of Harbor's, made here: readable and writable only in their own workspace,
    by the holders of the capability on the whole of it."""
    from bureau.compliance.demo_program import demo_pdf
    from bureau.compliance.models.baa import BaaDirection, BusinessAssociateAgreement

    summit = BusinessAssociateAgreement.objects.filter(workspace__slug="summit")
    clients = summit.filter(direction=BaaDirection.CLIENT).exclude(document_sha256="")
    client = clients.filter(practice__code="LFM").first()  # the client viewer's practice
    other_client = clients.exclude(practice__code="LFM").first()
    vendor = summit.filter(direction=BaaDirection.SUBCONTRACTOR).exclude(document_sha256="")
    harbor = BusinessAssociateAgreement.objects.filter(workspace__slug="harbor").first()
    if harbor is None:
        pdf = demo_pdf("Harbor BAA", ["test"])
        harbor = BusinessAssociateAgreement.objects.create(
            workspace=Workspace.objects.get(slug="harbor"),
            direction=BaaDirection.SUBCONTRACTOR,
            vendor_name="Harbor Cloud",
            vendor_service="cloud_host",
            phi_scope="test",
            document=pdf,
            document_sha256="0" * 64,
            document_filename="harbor.pdf",
            document_size=len(pdf),
        )
    assert client is not None and other_client is not None and vendor.exists(), (
        "the demo seeds BAAs with their documents"
    )
    # The signed copy (access "compliance"): a practice's client viewer takes her own client BAA.
    own = compliance_practices(world.user) if spec.access == "compliance" else set()
    needs = spec.needs or (C.COMPLIANCE_VIEW,)
    rows = []
    for label, baa in [
        ("client BAA of summit's LFM", client),
        ("client BAA of another summit practice", other_client),
        ("vendor BAA of summit", vendor.first()),
        ("vendor BAA of harbor", harbor),
    ]:
        mine = baa.workspace_id == world.user.workspace_id
        ours = baa.direction == BaaDirection.CLIENT and baa.practice_id in own
        rows.append((label, baa.public_id, mine and (workspace_holds(world.user, needs) or ours)))
        if not mine:
            world.foreign.append(str(baa.public_id))
    return rows


def money(world: World) -> dict[str, list[Any]]:
    """One ERA (with an exception and a denial) per practice, ingested from a real 835 through
    the posting service, and ingest jobs: the user's own, a colleague's, another workspace's."""
    if world.money is not None:
        return world.money
    from bureau.denials.models import Denial
    from bureau.remittance.models import EraException, IngestJob
    from bureau.remittance.tests.test_views import ingest_scenario

    made: dict[str, list[Any]] = {
        "era": [],
        "era_exception": [],
        "denial": [],
        "appeal": [],
        "writeoff": [],
        "job": [],
    }
    hidden = {p.pk for p in world.practices} - set(world.caps)
    for practice in world.practices:
        scenario = ingest_scenario(practice)
        ids = [practice.pk]
        with rls.practice_scope(ids):
            made["era"].append(scenario.era)
            made["era_exception"].append(
                EraException.objects.for_system(ids, reason="test")
                .filter(era=scenario.era)
                .order_by("id")
                .first()
            )
            made["denial"].append(
                Denial.objects.for_system(ids, reason="test")
                .filter(era=scenario.era)
                .order_by("id")
                .first()
            )
            made["appeal"].append(appeal_of(made["denial"][-1], world.user))
            made["writeoff"].append(writeoff_of(made["denial"][-1], world.user))
        if practice.pk in hidden:
            world.foreign += [str(scenario.era.public_id), scenario.era.trace_number]
    assert all(made["era_exception"]) and all(made["denial"]), "each ERA makes both"
    rls.activate([])
    colleague = (
        User.objects.filter(workspace_id=world.user.workspace_id)
        .exclude(pk=world.user.pk)
        .order_by("id")
        .first()
    )
    stranger = (
        User.objects.exclude(workspace_id=world.user.workspace_id)
        .exclude(workspace=None)
        .order_by("id")
        .first()
    )
    may_view = world.holds_anywhere((C.PAYMENTS_VIEW,))
    for label, owner, may in [
        ("own job", world.user, may_view),
        ("colleague's job", colleague, may_view and workspace_poster(world.user)),
        ("job of another workspace", stranger, False),
    ]:
        if owner is None or owner.workspace_id is None:
            continue  # a workspace of one has no colleague
        job = IngestJob.objects.create(
            workspace_id=owner.workspace_id,
            file_name=f"{owner.username}.835",
            path="/none",
            created_by=owner,
        )
        made["job"].append((label, job, may))
    world.money = made
    return made


def workitems(world: World) -> list[Any]:
    """One live work item in each of four practices — two the user may open, two they may not
    (fewer when there are not so many) — its function turning from practice to practice
    (follow-up, denials, ERA exceptions), so each user meets items of a function they may not
    work in a practice they may open: made by the refresh from the ERAs `money` ingests and
    the seed's claims left three days without an acknowledgement. Four, not every practice:
    ten queue URLs × every practice × every user cost a minute of the suite per database."""
    if world.items is not None:
        return world.items
    from bureau.workqueues.functions import Function
    from bureau.workqueues.tests import helpers

    money(world)
    helpers.followup_items()
    turn = [Function.FOLLOWUP, Function.DENIALS, Function.ERA_EXCEPTIONS]
    hidden = {p.pk for p in world.practices} - set(world.caps)
    chosen = []
    opened = [p for p in world.practices if p.pk not in hidden][:2]
    probed = opened + [p for p in world.practices if p.pk in hidden][: 4 - len(opened)]
    for n, practice in enumerate(probed):
        live = helpers.live([practice.pk])
        order = turn[n % len(turn) :] + turn[: n % len(turn)]  # its turn first, then any
        item = next((i for f in order for i in live if i.function == f), None)
        assert item is not None, f"no work item in {practice.code}"
        chosen.append(item)
        if practice.pk in hidden:
            world.foreign.append(str(item.public_id))
    world.items = chosen
    return chosen


def questions_of(world: World) -> list[Any]:
    """An open question on each probed work item (asked by the user: made directly)."""
    from bureau.workqueues.models import PracticeQuestion

    made = []
    for item in workitems(world):
        with rls.practice_scope([item.practice_id]):
            found = (
                PracticeQuestion.objects.for_system([item.practice_id], reason="test")
                .filter(item=item, answered_at__isnull=True)
                .first()
            )
            made.append(
                found
                or PracticeQuestion.objects.create(
                    workspace_id=item.workspace_id,
                    practice_id=item.practice_id,
                    item=item,
                    question="test",
                    asked_by=world.user,
                    practice_due=timezone.now().date(),
                )
            )
    rls.activate([])
    return made


def _call(client: Client, method: str, url: str, data: dict[str, str]) -> Any:
    return client.post(url, data) if method == "POST" else client.get(url)


def check_url(name: str, spec: Spec, world: World, probe: Probe) -> None:
    # Session-changing URLs (logout, practice switch) get their own client.
    client = verified_client(world.user.username)
    if spec.record is None:
        allowed = spec.access not in ("capability", "any", "compliance") or world.allows(spec)
        redirected = spec.workers_redirected is not None and world.holds_anywhere(
            (spec.workers_redirected,)
        )
        url = reverse(name)
        probe.expect(
            f"{spec.method} {name}",
            _call(client, spec.method, url, spec.post),
            302 if redirected else spec.ok if allowed else 404,
            world,
        )
        if spec.form_post:
            probe.expect(
                f"POST {name} (empty form)", client.post(url, {}), 200 if allowed else 404, world
            )
        if spec.list_filter:
            filters = [(p.code, p.public_id, world.allows(spec, p.pk)) for p in world.practices]
            for code, value, may in [*filters, ("missing", uuid.uuid4(), False)]:
                probe.expect(
                    f"GET {name}?practice={code}",
                    client.get(url, {"practice": str(value)}),
                    302 if redirected else 200 if may else 404,
                    world,
                )
        return
    for label, value, allowed in _records(spec, world):
        if spec.record == "practice":
            response = client.post(reverse(name), {"practice": str(value), "next": "/"})
            probe.expect(f"POST {name} {label}", response, spec.ok if allowed else 404, world)
            continue
        url = reverse(name, kwargs={RECORD_KWARG.get(spec.record or "", "public_id"): value})
        probe.expect(
            f"{spec.method} {name} {label}",
            _call(client, spec.method, url, spec.post),
            spec.ok if allowed else 404,
            world,
        )
        if spec.form_post:
            probe.expect(
                f"POST {name} {label} (empty form)",
                client.post(url, {}),
                200 if allowed else 404,
                world,
            )


def run_matrix(username: str) -> Probe:
    world = build_world(username)
    probe = Probe()
    for name in served():
        spec = CLASSIFICATION.get(name)
        assert spec is not None, f"unclassified URL {name}"
        check_url(name, spec, world, probe)
    assert not probe.failures, f"{username}:\n" + "\n".join(probe.failures)
    return probe


@pytest.mark.django_db
@pytest.mark.parametrize("username", USERS)
def test_authorization_matrix(username):
    probe = run_matrix(username)
    # Not vacuous: every user is allowed some things and refused others.
    assert probe.allowed > 5 and probe.refused > 5, probe


def _expire_all(username: str) -> None:
    Grant.objects.filter(user__username=username).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )


def _revoke_first(username: str) -> None:
    grant = Grant.objects.filter(user__username=username).order_by("id").first()
    assert grant is not None and grant.practice_id is not None
    Grant.objects.filter(pk=grant.pk).update(revoked_at=timezone.now())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "change", "practices"),
    [
        ("casey.contractor", _expire_all, 0),  # a contractor's access ends by itself
        ("bella.biller", _revoke_first, 3),  # one practice revoked, three left
        ("dan.denials", _expire_all, 0),  # an all-practices grant expires too
    ],
    ids=["contractor-expired", "biller-one-revoked", "all-practices-expired"],
)
def test_authorization_matrix_after_grants_change(username, change, practices):
    """Dead grants take effect at the next request: the matrix again, after the change."""
    change(username)
    assert len(expected_caps(User.objects.get(username=username))) == practices
    probe = run_matrix(username)
    assert probe.refused > 10, probe


@pytest.mark.django_db
def test_expectations_match_the_seed():
    """Anchor the hand-written expectations on facts of the demo seed (DESIGN §1), and make a
    new demo user fail here until it joins the matrix."""
    seeded = set(User.objects.exclude(title="").values_list("username", flat=True))
    assert seeded == set(USERS) | set(PROVIDER_LIMITED_USERS)
    counts = {
        u: len(expected_caps(User.objects.get(username=u)))
        for u in [*USERS, *PROVIDER_LIMITED_USERS]
    }
    assert counts == {
        "olivia.owner": 8,
        "sam.supervisor": 8,
        "alex.manager": 8,
        "bella.biller": 4,
        "priya.poster": 2,
        "dan.denials": 8,
        "casey.contractor": 3,
        "carla.compliance": 8,
        "cliff.client": 1,
        "hank.harbor": 2,
        "lina.limited": 1,
    }
    dan = expected_caps(User.objects.get(username="dan.denials"))
    assert all(C.PATIENTS_DEMOGRAPHICS not in caps for caps in dan.values())
    alex = expected_caps(User.objects.get(username="alex.manager"))
    assert sum(C.PATIENTS_EDIT in caps for caps in alex.values()) == 2


# -- before login, before the second factor, wrong method ------------------------------------
def _any_url(name: str, spec: Spec) -> str:
    if spec.record in (None, "practice"):
        return reverse(name)
    if spec.record in RECORD_KWARG:
        return reverse(name, kwargs={RECORD_KWARG[spec.record]: 2**31 - 1})
    return reverse(name, kwargs={"public_id": uuid.uuid4()})


@pytest.mark.django_db
def test_signed_out_requests_go_to_login():
    client = Client()
    problems = []
    for name in served():
        spec = CLASSIFICATION[name]
        url = _any_url(name, spec)
        if spec.access == "public":
            expected = 405 if spec.method == "POST" else 200
            status = client.get(url).status_code
            if status != expected:
                problems.append(f"GET {name}: expected {expected}, got {status}")
            continue
        for method in ("GET", "POST"):
            response = _call(client, method, url, {})
            location = response.get("Location", "")
            if response.status_code != 302 or not location.startswith(LOGIN_URL + "?next="):
                problems.append(f"{method} {name}: {response.status_code} to {location!r}")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("username", "mfa_page"),
    [
        ("olivia.owner", MFA_VERIFY_URL),  # has an authenticator: verify it
        ("new.hire", MFA_ENROLL_URL),  # none yet: enrol one
    ],
)
def test_signed_in_without_second_factor_goes_to_mfa(username, mfa_page):
    if username == "new.hire":
        User.objects.create(
            username=username, workspace=User.objects.get(username="olivia.owner").workspace
        )
    client = Client()
    client.force_login(User.objects.get(username=username))
    patient = Patient.objects.for_system(
        Practice.objects.filter(workspace__slug="summit").values_list("pk", flat=True),
        reason="test",
    ).first()
    problems = []
    for name in served():
        spec = CLASSIFICATION[name]
        url = (
            reverse(name, kwargs={"public_id": patient.public_id})
            if spec.record == "patient"
            else _any_url(name, spec)
        )
        if spec.access in ("public", "pre_mfa"):
            continue
        for method in ("GET", "POST"):
            response = _call(client, method, url, {})
            location = response.get("Location", "")
            if response.status_code != 302 or not location.startswith(mfa_page + "?next="):
                problems.append(f"{method} {name}: {response.status_code} to {location!r}")
    verify = client.get(MFA_VERIFY_URL)
    enroll = client.get(MFA_ENROLL_URL)
    if mfa_page == MFA_VERIFY_URL:
        assert verify.status_code == 200 and enroll["Location"].startswith(MFA_VERIFY_URL)
    else:
        assert enroll.status_code == 200 and verify["Location"].startswith(MFA_ENROLL_URL)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
@pytest.mark.parametrize("username", ["olivia.owner", "hank.harbor"])
@pytest.mark.parametrize("name", POST_ONLY)
def test_post_only_actions_refuse_get(username, name):
    world = build_world(username)
    spec = CLASSIFICATION[name]
    if spec.record in ("user", "grant"):
        own = [
            o
            for o in (world.users if spec.record == "user" else world.grants)
            if o.workspace_id == world.user.workspace_id
        ]
        url = reverse(name, kwargs={"public_id": own[0].public_id})
    elif spec.record not in (None, "practice"):  # refused before the record is looked up
        url = _any_url(name, spec)
    else:
        url = reverse(name)
    client = verified_client(username)
    assert client.get(url).status_code == 405
    assert client.get("/").status_code == 200  # still signed in: GET did not act


# Pages that only read answer GET and HEAD; a file (an export) answers GET alone, since a HEAD
# delivers no file and must not be audited as one. Every report URL, and the home page, is held
# to it: discovered from the resolver, so a new report view cannot forget its method rule.
READ_ONLY_NAMESPACES = ("reports",)
READ_ONLY_PAGES = ("web:home",)
REFUSED_METHODS = ("POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def read_only_names() -> list[str]:
    return sorted(
        name
        for name in served()
        if name in READ_ONLY_PAGES or name.split(":")[0] in READ_ONLY_NAMESPACES
    )


def test_read_only_views_are_found():
    names = read_only_names()
    assert {"web:home", "reports:kpis", "reports:payers_csv", "reports:monthly_pdf"} <= set(names)
    assert all(CLASSIFICATION[n].method == "GET" and not CLASSIFICATION[n].form_post for n in names)


@pytest.mark.django_db
@pytest.mark.parametrize("name", read_only_names())
def test_read_only_views_refuse_other_methods(name):
    """POST, PUT, PATCH, DELETE and OPTIONS (CSRF is not checked by the test client, as with
    a token) answer 405 naming what is allowed, and nothing is audited as read or exported."""
    spec = CLASSIFICATION[name]
    url = _any_url(name, spec)
    client = verified_client("olivia.owner")
    is_file = bool(getattr(served()[name].pattern.callback, FILE_CARRIES_ATTR, None))
    refused = (*REFUSED_METHODS, "HEAD") if is_file else REFUSED_METHODS
    before = AuditEvent.objects.count()
    for method in refused:
        response = client.generic(method, url)
        assert response.status_code == 405, f"{method} {name}: {response.status_code}"
        allowed = {m.strip() for m in response["Allow"].split(",")}
        assert allowed == ({"GET"} if is_file else {"GET", "HEAD"}), f"{name}: {allowed}"
    assert AuditEvent.objects.count() == before, f"{name}: a refused request was audited"
    if not is_file:
        assert client.head(url).status_code in (200, 404), f"HEAD {name}"


@pytest.mark.django_db
def test_an_export_is_audited_on_get_only():
    client = verified_client("olivia.owner")
    url = reverse("reports:payers_csv")
    exported = AuditEvent.objects.filter(action=AuditAction.REPORT_EXPORTED)
    before = exported.count()
    assert client.head(url).status_code == 405
    assert client.options(url).status_code == 405
    assert exported.count() == before
    assert client.get(url).status_code == 200
    assert exported.count() > before


@pytest.mark.django_db
def test_logout_ends_the_session():
    client = verified_client("bella.biller")
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == LOGIN_URL
    assert client.get("/")["Location"].startswith(LOGIN_URL)


@pytest.mark.django_db
def test_refused_writes_change_nothing():
    """The matrix's POSTs on forbidden records answered 404; and allowed ones, with empty
    reasons, changed nothing either."""
    probe = Probe()
    # The seed's own (the demo's access review revoked a temp's grant and she left): kept.
    revoked = set(Grant.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True))
    inactive = set(User.objects.filter(is_active=False).values_list("pk", flat=True))
    for username in ("olivia.owner", "hank.harbor", "bella.biller"):
        world = build_world(username)
        for name in ("accounts:grant_revoke", "accounts:grant_role", "accounts:user_status"):
            check_url(name, CLASSIFICATION[name], world, probe)
    assert not probe.failures, probe.failures
    assert set(Grant.objects.filter(revoked_at__isnull=False).values_list("pk", flat=True)) == (
        revoked
    )
    assert set(User.objects.filter(is_active=False).values_list("pk", flat=True)) == inactive


# -- direct ORM use of PHI models where it does not belong -----------------------------------
SRC = Path(__file__).resolve().parents[2]
BYPASS_ATTRS = {"objects", "_default_manager", "_base_manager"}


def phi_model_names() -> set[str]:
    return {m.__name__ for m in apps.get_models() if issubclass(m, PracticeScoped)}


def forbidden_uses(source: str, phi: set[str], *, managers: bool) -> list[tuple[int, str]]:
    """(line, what) for `.for_system(` calls and, with `managers`, `<PHI model>.objects` use
    (also through `import Patient as P`)."""
    tree = ast.parse(source)
    phi = phi | {
        alias.asname
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        for alias in node.names
        if alias.name in phi and alias.asname
    }
    hits = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute):
            continue
        if node.attr == "for_system":
            hits.append((node.lineno, ".for_system("))
        owner = node.value
        owner_name = owner.id if isinstance(owner, ast.Name) else getattr(owner, "attr", None)
        if managers and node.attr in BYPASS_ATTRS and owner_name in phi:
            hits.append((node.lineno, f"{owner_name}.{node.attr}"))
    return hits


def test_scanner_finds_what_it_looks_for():
    source = (
        "from x import models\n"
        "def v(request):\n"
        "    # Patient.objects in a comment is fine\n"
        "    a = Patient.objects.filter(x=1)\n"
        "    b = models.Patient._base_manager.all()\n"
        "    c = Patient.objects.for_system([1], reason='r')\n"
        "    d = Practice.objects.all()\n"
        "from bureau.patients.models import Patient as P\n"
        "e = P.objects.first()\n"
    )
    assert sorted(forbidden_uses(source, {"Patient"}, managers=True)) == [
        (4, "Patient.objects"),
        (5, "Patient._base_manager"),
        (6, ".for_system("),
        (6, "Patient.objects"),
        (9, "P.objects"),
    ]
    assert forbidden_uses(source, {"Patient"}, managers=False) == [(6, ".for_system(")]


def test_views_api_and_selectors_do_not_bypass_the_phi_scope():
    phi = phi_model_names()
    assert "Patient" in phi
    ui = sorted(
        path
        for path in {*SRC.rglob("views.py"), *SRC.rglob("*_views.py"), *SRC.rglob("api.py")}
        if "tests" not in path.parts  # tests may query PHI models to set up their data
    )
    selectors = sorted(SRC.rglob("selectors.py"))
    assert ui and selectors
    problems = []
    for path, managers in [*((p, True) for p in ui), *((p, False) for p in selectors)]:
        for line, what in forbidden_uses(path.read_text(), phi, managers=managers):
            problems.append(f"{path.relative_to(SRC.parent)}:{line}: {what}")
    assert not problems, "PHI reached around the scope:\n" + "\n".join(problems)
