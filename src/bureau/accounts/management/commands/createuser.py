"""`bureau createuser`: a workspace user with a first grant, from the command line."""

from __future__ import annotations

import getpass
from typing import Any

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.tenancy.cli import workspace_named
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Role


class Command(BaseCommand):
    help = "Create a user in a workspace with one grant (all practices or one practice by NPI)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--workspace", required=True, help="workspace slug")
        parser.add_argument("--name", default="", help="full name")
        parser.add_argument("--email", default="")
        parser.add_argument("--role", required=True, choices=[r.value for r in Role])
        parser.add_argument("--practice-npi", default="", help="omit for all practices")
        parser.add_argument("--read-only", action="store_true")
        parser.add_argument("--password", default="", help="prompted when omitted")
        parser.add_argument("--reason", default="created from the command line")

    @transaction.atomic
    def handle(self, *args: Any, **opts: Any) -> None:
        workspace = workspace_named(opts["workspace"])
        practice = None
        if opts["practice_npi"]:
            practice = Practice.objects.filter(
                workspace=workspace, npi=opts["practice_npi"]
            ).first()
            if practice is None:
                raise CommandError(f"no practice with NPI {opts['practice_npi']} in {workspace}")
        username = opts["username"].strip().lower()
        if User.objects.filter(username=username).exists():
            raise CommandError(f"login name {username!r} is taken")
        password = opts["password"] or getpass.getpass("Password: ")
        user = User(
            username=username, full_name=opts["name"], email=opts["email"], workspace=workspace
        )
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        user.set_password(password)
        user.save()
        grant = Grant.objects.create(
            workspace=workspace,
            user=user,
            practice=practice,
            role=opts["role"],
            read_only=opts["read_only"],
            reason=opts["reason"],
        )
        audit_record(
            action=AuditAction.USER_CREATED,
            workspace=workspace,
            label="system (cli)",
            model="accounts.User",
            record_ids=[user.public_id],
            reason=opts["reason"],
        )
        audit_record(
            action=AuditAction.GRANT_CREATED,
            workspace=workspace,
            label="system (cli)",
            practice=practice,
            model="tenancy.Grant",
            record_ids=[grant.public_id],
            reason=opts["reason"],
            detail={"user": username, "role": opts["role"], "scope": grant.scope_label},
        )
        self.stdout.write(
            f"created {username} ({opts['role']} on {grant.scope_label}); "
            "they enrol TOTP at first login"
        )
