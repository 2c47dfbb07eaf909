"""A report PDF's heading names the practices the file covers, and the page's practices it
leaves out with why (issue 14): an export covers only the practices whose whole figures the
reader may take (`serves_report`), so "All practices" on paper that holds one was a lie."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.conftest import verified_client
from bureau.directory.models import Provider
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Role
from bureau.web.tests.test_report_exports import report_exports, text_of

pytestmark = pytest.mark.django_db

LIMITED_NOTE = (
    "Not in this file: Lakeside Family Medicine (your access there is limited to some providers)."
)


def _pdf_exports() -> list[str]:
    return sorted(n for n in report_exports() if n.endswith("_pdf"))


def _flat(response) -> str:
    assert response.status_code == 200, response.status_code
    return " ".join(text_of(response).split())


def whole_and_limited() -> str:
    """Client viewer of Cedar Ridge over every provider, and of Lakeside over one provider."""
    cedar = Practice.objects.get(workspace__slug="summit", name="Cedar Ridge Cardiology")
    lakeside = Practice.objects.get(workspace__slug="summit", name="Lakeside Family Medicine")
    user = User.objects.create(username=f"cov.{uuid.uuid4().hex[:6]}", workspace=cedar.workspace)
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    for practice in (cedar, lakeside):
        grant = Grant.objects.create(
            workspace=practice.workspace,
            user=user,
            practice=practice,
            role=Role.CLIENT_VIEWER.value,
            reason="test",
        )
        if practice == lakeside:
            grant.providers.set(Provider.objects.filter(practice=practice).order_by("id")[:1])
    return user.username


def test_every_report_pdf_is_found():
    assert {"reports:aging_pdf", "reports:payers_pdf", "reports:activity_pdf"} <= set(
        _pdf_exports()
    )


@pytest.mark.parametrize("name", _pdf_exports())
def test_a_pdf_of_all_practices_names_what_it_covers_and_what_it_leaves_out(name):
    client = verified_client(whole_and_limited())
    if name != "reports:activity_pdf":  # the page shows both practices
        page_name = name.removesuffix("_pdf").removesuffix("_claims")
        body = client.get(reverse(page_name), {"practice": "all"}).content.decode()
        assert "Lakeside Family Medicine" in body and "Cedar Ridge Cardiology" in body
    text = _flat(client.get(reverse(name), {"practice": "all"}))
    assert "— All practices" not in text
    assert "Cedar Ridge Cardiology" in text
    assert LIMITED_NOTE in text
    # Lakeside is named only where the file says it is left out.
    assert "Lakeside" not in text.replace(LIMITED_NOTE, "")


@pytest.mark.parametrize("name", _pdf_exports())
def test_a_client_viewers_pdf_names_her_practice(name):
    client = verified_client("cliff.client")
    text = _flat(client.get(reverse(name)))
    assert "— All practices" not in text
    assert re.search(r"— Lakeside Family Medicine\b", text), text[:300]
    assert "Not in this file" not in text


def test_a_pdf_of_several_practices_counts_and_names_them():
    client = verified_client("olivia.owner")
    text = _flat(client.get(reverse("reports:payers_pdf"), {"practice": "all"}))
    names = sorted(
        Practice.objects.filter(workspace__slug="summit").values_list("name", flat=True),
        key=str.lower,
    )
    assert f"Payer performance — {len(names)} practices: {', '.join(names)}" in text
    assert "Not in this file" not in text
