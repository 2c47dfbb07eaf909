"""The practice page's setup document: export it, import one (upload, preview the plan, apply
with a reason), and copy a sibling practice's prices and rules (choose, preview, apply).

Thin: the document, its checks and the plan are `configuration.practice_setup`,
`setup_parse` and `setup_apply`. The uploaded document waits between preview and apply in a
file of its own (a large one would not fit a form field under DATA_UPLOAD_MAX_MEMORY_SIZE), its
name a random token the session holds with the document's hash, and it is checked again on
apply. A practice the actor may not manage as a whole answers 404 like a missing one.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from pathlib import Path
from typing import Any
from uuid import UUID

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from bureau.configuration.practice_setup import COPY_SECTIONS, setup_export
from bureau.configuration.setup_apply import Plan, setup_apply, setup_copy
from bureau.configuration.setup_parse import MAX_BYTES, SetupInvalid, setup_read
from bureau.directory import selectors
from bureau.directory.services import DirectoryError
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability
from bureau.web.access import (
    FileDownload,
    actor_of,
    record_in_context,
    requires,
    serves_file,
)

SESSION_KEY = "practice_setup_uploads"
STAGED_FOR = 60 * 60  # seconds a previewed document waits for its apply


def _practice(actor: Actor, public_id: UUID, capability: Capability) -> Practice:
    """The practice, when the actor holds `capability` on all of it (the document names every
    provider, so a grant limited to some providers does not reach it); else 404."""
    practice = actor.practice_by_public_id(public_id)
    if (
        practice is None
        or not actor.can(capability, practice)
        or actor.provider_limited(practice, capability)
    ):
        raise Http404
    return selectors.practice_as_now(actor=actor, practice=practice)


def _page(practice: Practice) -> str:
    return reverse("directory:practice", kwargs={"public_id": practice.public_id})


@requires(Capability.SETUP_VIEW)
@serves_file(carries=[Capability.SETUP_VIEW])
def practice_setup_export_view(request: HttpRequest, public_id: UUID) -> FileDownload:
    """The document names setup only (no patient): setup.view on the whole practice covers it.
    `serves_file` answers GET alone and narrows the actor to practices held over every
    provider, so a provider-limited grant finds a 404 here."""
    actor = actor_of(request)
    practice = _practice(actor, public_id, Capability.SETUP_VIEW)
    return FileDownload(
        content=setup_export(actor=actor, practice=practice),  # audited
        file_name=f"{practice.code}-setup.json",
        practice_id=practice.pk,
        content_type="application/json",
        extensions=(".json",),
    )


# -- import ---------------------------------------------------------------------------------
class UploadForm(forms.Form):
    file = forms.FileField(label="Setup document (JSON)")


class ApplyForm(forms.Form):
    token = forms.CharField(max_length=64, widget=forms.HiddenInput)
    reason = forms.CharField(max_length=500, help_text="Why: recorded in the audit log.")


def _staging() -> Path:
    folder = Path(settings.VAR_DIR) / "setup-imports"
    folder.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - STAGED_FOR
    for old in folder.glob("*.json"):  # previews never applied
        if old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return folder


def _stage(request: HttpRequest, practice: Practice, raw: bytes) -> str:
    token = secrets.token_hex(16)
    (_staging() / f"{token}.json").write_bytes(raw)
    staged = dict(request.session.get(SESSION_KEY) or {})
    staged[token] = {"practice": str(practice.public_id), "sha256": hashlib.sha256(raw).hexdigest()}
    # The latest few previews stay open (a person comparing two files); older ones lapse.
    request.session[SESSION_KEY] = dict(list(staged.items())[-5:])
    return token


def _staged(request: HttpRequest, practice: Practice, token: str) -> bytes | None:
    """The document this person previewed for this practice, unchanged since; else None."""
    entry = (request.session.get(SESSION_KEY) or {}).get(token)
    if not entry or entry.get("practice") != str(practice.public_id) or not token.isalnum():
        return None
    try:
        raw = (_staging() / f"{token}.json").read_bytes()
    except OSError:
        return None
    return raw if hashlib.sha256(raw).hexdigest() == entry.get("sha256") else None


def _unstage(request: HttpRequest, token: str) -> None:
    staged = dict(request.session.get(SESSION_KEY) or {})
    staged.pop(token, None)
    request.session[SESSION_KEY] = staged
    (_staging() / f"{token}.json").unlink(missing_ok=True)


def _render(request: HttpRequest, practice: Practice, **context: Any) -> HttpResponse:
    return render(request, "directory/practice_setup.html", {"practice": practice, **context})


def _done(request: HttpRequest, practice: Practice, plan: Plan, what: str) -> HttpResponse:
    messages.success(request, f"{practice.name}: {what}, {plan.summary()}.")
    return redirect(_page(practice))


@requires(Capability.SETUP_MANAGE)
def practice_setup_import_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    practice = _practice(actor, public_id, Capability.SETUP_MANAGE)
    record_in_context(request, practice.pk, noun="practice", back=_page(practice))
    upload = UploadForm()
    if request.method == "POST" and "token" in request.POST:
        return _import_apply(request, actor, practice)
    problems: list[str] = []
    if request.method == "POST":
        upload = UploadForm(request.POST, request.FILES)
        if upload.is_valid():
            file = upload.cleaned_data["file"]
            if file.size > MAX_BYTES:
                upload.add_error("file", f"The file is larger than {MAX_BYTES // 2**20} MB.")
            else:
                raw = file.read()
                try:
                    plan = setup_apply(
                        actor=actor,
                        practice=practice,
                        document=setup_read(raw),
                        reason="",
                        dry_run=True,
                    )
                except SetupInvalid as exc:
                    problems = exc.problems
                except CapabilityDenied as exc:
                    raise Http404 from exc
                else:
                    token = _stage(request, practice, raw)
                    return _render(
                        request,
                        practice,
                        mode="import",
                        plan=plan,
                        apply_form=ApplyForm(initial={"token": token}),
                    )
    return _render(request, practice, mode="import", upload=upload, problems=problems)


def _import_apply(request: HttpRequest, actor: Actor, practice: Practice) -> HttpResponse:
    form = ApplyForm(request.POST)
    token = str(request.POST.get("token", ""))
    raw = _staged(request, practice, token)
    if raw is None:
        messages.error(request, "That preview has expired or was applied: upload the file again.")
        return redirect(reverse("directory:practice_setup_import", args=[practice.public_id]))
    problems: list[str] = []
    if form.is_valid():
        try:
            applied = setup_apply(
                actor=actor,
                practice=practice,
                document=setup_read(raw),
                reason=form.cleaned_data["reason"],
            )
        except SetupInvalid as exc:  # the document no longer fits (a payer was removed)
            problems = exc.problems
        except DirectoryError as exc:
            form.add_error("reason", str(exc))
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            _unstage(request, token)
            return _done(request, practice, applied, "setup imported")
    plan: Plan | None = None
    if not problems:
        try:
            plan = setup_apply(
                actor=actor, practice=practice, document=setup_read(raw), reason="", dry_run=True
            )
        except SetupInvalid as exc:
            problems = exc.problems
    return _render(
        request,
        practice,
        mode="import",
        plan=plan,
        problems=problems,
        apply_form=form if plan else None,
        upload=None if plan else UploadForm(),
    )


# -- copy from a sibling --------------------------------------------------------------------
class CopyForm(forms.Form):
    source = forms.ChoiceField(label="Copy from")
    reason = forms.CharField(
        max_length=500, required=False, help_text="Why: recorded in the audit log."
    )

    def __init__(self, siblings: list[Practice], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [  # type: ignore[attr-defined]
            (str(p.public_id), p.name) for p in siblings
        ]


def _siblings(actor: Actor, practice: Practice) -> list[Practice]:
    return [
        p
        for p in actor.practices(Capability.SETUP_MANAGE)
        if p.pk != practice.pk and not actor.provider_limited(p, Capability.SETUP_MANAGE)
    ]


@requires(Capability.SETUP_MANAGE)
def practice_setup_copy_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    actor = actor_of(request)
    practice = _practice(actor, public_id, Capability.SETUP_MANAGE)
    record_in_context(request, practice.pk, noun="practice", back=_page(practice))
    siblings = _siblings(actor, practice)
    form = CopyForm(siblings, request.POST or None)
    plan = source = None
    if request.method == "POST" and form.is_valid():
        source = next(p for p in siblings if str(p.public_id) == form.cleaned_data["source"])
        applying = request.POST.get("confirm") == "apply"
        try:
            plan = setup_copy(
                actor=actor,
                source=source,
                practice=practice,
                reason=form.cleaned_data["reason"],
                dry_run=not applying,
            )
        except DirectoryError as exc:
            form.add_error("reason" if exc.field == "reason" else None, str(exc))
            plan = setup_copy(
                actor=actor, source=source, practice=practice, reason="", dry_run=True
            )
        except SetupInvalid as exc:
            form.add_error(None, str(exc))
        except CapabilityDenied as exc:
            raise Http404 from exc
        else:
            if applying:
                return _done(request, practice, plan, f"setup copied from {source.name}")
    return _render(
        request,
        practice,
        mode="copy",
        copy_form=form,
        plan=plan,
        source=source,
        sections=COPY_SECTIONS,
    )
