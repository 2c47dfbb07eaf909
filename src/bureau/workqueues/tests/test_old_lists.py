"""The lists the queue replaced (rejected claims, ERA exceptions and policy holds, denials):
whoever holds the function's work capability is sent to the queue filtered to that function,
with the practice, payer and category filters carried; a reader keeps the read-only list."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.conftest import verified_client
from bureau.denials.models import DenialCategory
from bureau.directory.models import Payer
from bureau.remittance.tests import builders as b
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Grant
from bureau.tenancy.roles import Capability, Role
from bureau.workqueues.functions import CAPABILITY, Function

pytestmark = pytest.mark.django_db

# (old list, its query, who works it there, the function, the list's table on the page)
OLD_LISTS = [
    ("denials:list", {}, "dan.denials", Function.DENIALS, "denial-table"),
    ("eras:exceptions", {}, "priya.poster", Function.ERA_EXCEPTIONS, "exception-table"),
    (
        "eras:exceptions",
        {"tab": "holds"},
        "priya.poster",
        Function.POSTING_REVIEW,
        "exception-table",
    ),
    ("claims:list", {"state": "rejected"}, "bella.biller", Function.REJECTIONS, "claim-table"),
]


def read_only_owner() -> Client:
    """Someone with every read capability on one practice and no work (a read-only grant)."""
    practice = b.summit()[0]
    user = User.objects.create(username="rhoda.reader", workspace=practice.workspace)
    Grant.objects.create(
        workspace=practice.workspace,
        user=user,
        practice=practice,
        role=Role.OWNER.value,
        reason="test",
        read_only=True,
    )
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    return verified_client(user.username)


@pytest.mark.parametrize(("name", "query", "worker", "function", "table"), OLD_LISTS)
def test_a_worker_is_sent_to_the_queue_with_the_filters_carried(
    name: str, query: dict[str, str], worker: str, function: str, table: str
) -> None:
    actor = resolve_actor(User.objects.get(username=worker))
    assert actor is not None
    practice = actor.practices(CAPABILITY[function])[0]
    payer = Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id").first()
    assert payer is not None
    client = verified_client(worker)
    plain = client.get(reverse(name), query)
    assert plain.status_code == 302
    assert plain["Location"] == f"{reverse('workqueues:queue')}?function={function}"
    carried = {
        "practice": str(practice.public_id),
        "payer": str(payer.public_id),
        "category": DenialCategory.MEDICAL_NECESSITY,
    }
    # The list's own filters (status, page, reason) mean nothing on the queue: not carried.
    response = client.get(reverse(name), {**query, **carried, "status": "open", "page": "2"})
    assert response.status_code == 302
    assert response["Location"] == (
        f"{reverse('workqueues:queue')}?{urlencode({'function': function, **carried})}"
    )
    queue = client.get(response["Location"])
    assert queue.status_code == 200
    body = queue.content.decode()
    assert 'id="queue-table"' in body and f'id="{table}"' not in body
    assert f'<option value="{function}" selected>' in body
    assert f'<option value="{payer.public_id}" selected>' in body
    assert f'<option value="{DenialCategory.MEDICAL_NECESSITY}" selected>' in body
    assert practice.name in body.split("</h1>", 1)[0]  # the queue is the chosen practice's


@pytest.mark.parametrize(("name", "query", "worker", "function", "table"), OLD_LISTS)
@pytest.mark.parametrize("reader", ["cliff.client", "read-only grant"])
def test_a_reader_keeps_the_read_only_list(
    name: str, query: dict[str, str], worker: str, function: str, table: str, reader: str
) -> None:
    client = read_only_owner() if reader == "read-only grant" else verified_client(reader)
    practice = b.summit()[0]
    response = client.get(reverse(name), {**query, "practice": str(practice.public_id)})
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="{table}"' in body and 'id="queue-table"' not in body
    assert practice.name in body


def test_the_claim_list_itself_is_not_moved():
    """Only the rejected claims became the queue: the claim list, other states and its htmx
    fragment stay where they were, for workers too."""
    client = verified_client("bella.biller")
    assert client.get(reverse("claims:list")).status_code == 200
    assert client.get(reverse("claims:list"), {"state": "submitted"}).status_code == 200
    fragment = client.get(reverse("claims:list"), {"state": "rejected"}, HTTP_HX_REQUEST="true")
    assert fragment.status_code == 200 and b"claim-table" in fragment.content


def test_the_capability_decides_not_the_role():
    """A denial specialist works denials but not rejections or postings: she is sent to the
    queue for denials and keeps the rejected and exception lists as a reader."""
    dan = resolve_actor(User.objects.get(username="dan.denials"))
    assert dan is not None
    assert dan.can(Capability.DENIALS_WORK) and dan.can(Capability.PAYMENTS_VIEW)
    assert not dan.can(Capability.CLAIMS_EDIT) and not dan.can(Capability.PAYMENTS_POST)
    client = verified_client("dan.denials")
    assert client.get(reverse("denials:list")).status_code == 302
    assert client.get(reverse("eras:exceptions")).status_code == 200
    assert client.get(reverse("claims:list"), {"state": "rejected"}).status_code == 200
