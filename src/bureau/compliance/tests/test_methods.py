"""Every compliance URL answers only the methods it serves: a page GET and HEAD, a form page
GET, HEAD and POST, a change POST alone, a download GET alone. PUT, PATCH, DELETE and OPTIONS
are a 405 naming what is allowed, before any record is looked up, and write nothing."""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from bureau.audit.models import AuditEvent
from bureau.conftest import verified_client

pytestmark = pytest.mark.django_db
REFUSED = ("PUT", "PATCH", "DELETE", "OPTIONS")


def compliance_names() -> list[str]:
    resolver = get_resolver()
    found: list[str] = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver) and entry.namespace == "compliance":
            found += [p.name for p in entry.url_patterns if isinstance(p, URLPattern) and p.name]
    return sorted(found)


def url_of(name: str) -> str:
    try:
        return reverse(f"compliance:{name}")
    except Exception:  # a record's URL: any id, the method is refused before it is read
        return reverse(f"compliance:{name}", kwargs={"public_id": uuid.uuid4()})


def test_every_compliance_url_is_found() -> None:
    names = compliance_names()
    assert {"dashboard", "baa_record", "review_start", "review_evidence"} <= set(names)
    assert len(names) > 40


@pytest.mark.parametrize("name", compliance_names())
def test_other_methods_are_refused(name: str) -> None:
    client = verified_client("olivia.owner")
    url = url_of(name)
    before = AuditEvent.objects.count()
    for method in REFUSED:
        response = client.generic(method, url)
        assert response.status_code == 405, f"{method} {name}: {response.status_code}"
        allowed = {m.strip() for m in response["Allow"].split(",")}
        assert allowed <= {"GET", "HEAD", "POST"}, f"{name}: {allowed}"
    assert AuditEvent.objects.count() == before
