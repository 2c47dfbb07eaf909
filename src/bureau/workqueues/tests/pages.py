"""Reading the work queue's pages in tests: an item of a record, its page's address, the queue
row that names a text (the lists the queue replaced are tested through these), and a reader
who still gets those lists."""

from __future__ import annotations

import re
from typing import Any

from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.tenancy import rls
from bureau.tenancy.models import Grant, Practice, Workspace
from bureau.tenancy.roles import Role
from bureau.workqueues.models import WorkItem

ROW = re.compile(r"<tr\b[^>]*>.*?</tr>", re.S)


def item_of(practice: Practice, function: str, **subject: Any) -> WorkItem:
    """The one item of `function` on a record of `practice` (e.g. claim=..., era_exception=...)."""
    with rls.practice_scope([practice.pk]):
        return (
            WorkItem.objects.for_system([practice.pk], reason="test")
            .filter(practice=practice, function=function, **subject)
            .get()
        )


def item_url(item: WorkItem) -> str:
    return reverse("workqueues:item", kwargs={"public_id": item.public_id})


def queue_url(function: str, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in {"function": function, **params}.items())
    return f"{reverse('workqueues:queue')}?{query}"


def queue_rows(body: str) -> list[str]:
    """The rows of the queue table (one per item), as HTML."""
    start = body.index('id="queue-table"')
    table = body[start : body.index("</table>", start)]
    tbody = table[table.index("<tbody>") :]
    return [row for row in ROW.findall(tbody) if "data-href" in row]


def row_naming(body: str, text: str) -> str:
    """The one queue row that names `text` (a claim number, a CLP01)."""
    [row] = [r for r in queue_rows(body) if text in r]
    return row


# The lists whose workers the queue took: a list-page test opens them as a reader.
MOVED_LISTS = frozenset({"denials:list", "eras:exceptions"})
READER = "rhoda.reader"


def workspace_reader(workspace: Workspace) -> Client:
    """Someone who reads every practice and works none (a workspace-wide read-only grant):
    the lists the queue replaced are still theirs."""
    from bureau.conftest import verified_client

    user, made = User.objects.get_or_create(username=READER, workspace=workspace)
    if made:
        Grant.objects.create(
            workspace=workspace, user=user, role=Role.OWNER.value, reason="test", read_only=True
        )
        TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    return verified_client(READER)
