"""The name a download is offered under: whatever an uploader called the file, the
Content-Disposition header has one shape, an ASCII `filename` and an RFC 6266 `filename*`,
with no quote, semicolon, line break, path or hidden extension in either."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import unquote

import pytest
from django.http import HttpResponse
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.claims.models import Batch
from bureau.conftest import verified_client
from bureau.remittance.models import Era
from bureau.tenancy import rls
from bureau.tenancy.models import Practice
from bureau.web.access import attachment_disposition, download_name

ERA_EXTENSIONS = (".835", ".x12", ".edi", ".txt")
SHAPE = re.compile(r"attachment; filename=\"([A-Za-z0-9._ ()+-]+)\"; filename\*=UTF-8''([^\s]+)")
# What RFC 5987 lets through unencoded, as urllib.parse.quote leaves it.
ENCODED = re.compile(r"(?:[A-Za-z0-9._~-]|%[0-9A-F]{2})+")

HOSTILE = [
    "evil\";filename*=UTF-8''evil.html",  # the reported one: served as evil.html
    'x.835"\r\nSet-Cookie: session=stolen',
    "x.835\nContent-Type: text/html",
    "../../etc/passwd",
    "..\\..\\Windows\\win.ini",
    "C:\\Users\\me\\era.835",
    "invoice\u202elmth.835",  # right-to-left override: shows as invoice538.html
    "\x00nul.835",
    "name;.835",
    "a=b,c.835",
    "%0d%0aheader.835",
    "'single'.835",
    "report.html",
    ".htaccess",
    "...",
    "",
    " ",
    "résumé 2024.835",
    "患者.835",
    "a" * 500 + ".835",
    "\u200b\u2028\ufeff.835",
]


def _parts(header: str) -> tuple[str, str]:
    match = SHAPE.fullmatch(header)
    assert match, f"unexpected shape: {header!r}"
    ascii_name, encoded = match.groups()
    assert ENCODED.fullmatch(encoded), encoded
    return ascii_name, unquote(encoded, errors="strict")


def _assert_safe(header: str, extensions: tuple[str, ...]) -> str:
    ascii_name, name = _parts(header)
    for offered in (ascii_name, name):
        assert offered.lower().endswith(extensions), offered
        assert not offered.startswith((".", " ")), offered
        assert len(offered) <= 130, offered
        assert not set(offered) & set("/\\\"';:,=%*?<>|`"), offered
        assert all(unicodedata.category(ch)[0] not in "CZ" or ch == " " for ch in offered)
    HttpResponse()["Content-Disposition"] = header  # Django accepts it: no line break
    return name


@pytest.mark.parametrize("name", HOSTILE)
def test_hostile_names_are_served_safely(name):
    _assert_safe(attachment_disposition(name, extensions=ERA_EXTENSIONS), ERA_EXTENSIONS)


def test_names_keep_what_is_harmless():
    assert download_name("remit 2024-05.835", extensions=ERA_EXTENSIONS) == "remit 2024-05.835"
    assert download_name("RBD-CLAIMS-000000042.x12", extensions=(".x12",)) == (
        "RBD-CLAIMS-000000042.x12"
    )
    header = attachment_disposition("résumé.835", extensions=ERA_EXTENSIONS)
    assert _parts(header) == ("resume.835", "résumé.835")
    # The injected parameter is gone, and the real extension is kept.
    evil = attachment_disposition("evil\";filename*=UTF-8''evil.html", extensions=(".835",))
    assert _parts(evil)[1] == "evil__filename__UTF-8__evil.html.835"
    assert download_name("../../etc/passwd", extensions=(".835",)) == "passwd.835"
    assert download_name("", extensions=(".835",)) == "download.835"


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=300))
def test_any_name_is_served_safely(name):
    _assert_safe(attachment_disposition(name, extensions=ERA_EXTENSIONS), ERA_EXTENSIONS)


# PostgreSQL text cannot hold NUL (and Django drops it from upload names): not storable.
STORED = [name for name in HOSTILE[:9] if "\x00" not in name]


@pytest.mark.django_db
@pytest.mark.parametrize("name", STORED)
def test_every_download_serves_a_stored_hostile_name_safely(name):
    """Through the views: an ERA stored under the uploader's name, and a batch (its name is
    built by Bureau, but it goes through the same door)."""
    from bureau.remittance.tests.test_views import ingest_scenario

    practice = Practice.objects.filter(workspace__slug="summit").order_by("id").first()
    era = ingest_scenario(practice).era
    ids = [practice.pk]
    Era.objects.for_system(ids, reason="test").filter(pk=era.pk).update(file_name=name)
    batch = Batch.objects.for_system(ids, reason="test").order_by("id").first()
    assert batch is not None, "the seed builds batches"
    Batch.objects.for_system(ids, reason="test").filter(pk=batch.pk).update(file_name=name)
    rls.activate([])
    client = verified_client("olivia.owner")
    for url, extensions in [
        (reverse("eras:download", kwargs={"public_id": era.public_id}), ERA_EXTENSIONS),
        (reverse("batches:download", kwargs={"public_id": batch.public_id}), (".x12", ".837")),
    ]:
        response = client.get(url)
        assert response.status_code == 200
        assert response["Cache-Control"] == "no-store"
        assert response["X-Content-Type-Options"] == "nosniff"
        _assert_safe(response["Content-Disposition"], extensions)
