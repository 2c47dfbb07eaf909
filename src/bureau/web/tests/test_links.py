"""Links resolved once per process (bureau.web.links) are the text `reverse()` gives."""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse, set_script_prefix

from bureau.web.links import SHELL_ROUTES, record_url, shell_urls


def _record_routes() -> list[str]:
    """Every named route whose only argument is a UUID `public_id` (a record's page)."""
    found = []

    def walk(patterns, namespace: str) -> None:
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, f"{namespace}{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern) and p.name:
                converters = p.pattern.converters
                if list(converters) == ["public_id"]:
                    found.append(f"{namespace}{p.name}")

    walk(get_resolver().url_patterns, "")
    return found


ROUTES = _record_routes()


def test_there_are_record_routes_to_check():
    assert {"claims:detail", "patients:detail", "workqueues:item", "workqueues:claim"} <= set(
        ROUTES
    )


@pytest.mark.parametrize("name", ROUTES)
def test_record_url_is_reverse(name):
    public_id = uuid.uuid4()
    expected = reverse(name, kwargs={"public_id": public_id})
    assert record_url(public_id, name) == expected
    assert record_url(str(public_id), name) == expected
    assert record_url(str(public_id).upper(), name) == expected


def test_record_url_takes_nothing_but_a_uuid():
    with pytest.raises(ValueError):
        record_url("../../admin", "claims:detail")


def test_record_url_follows_the_script_prefix():
    public_id = uuid.uuid4()
    try:
        set_script_prefix("/bureau/")
        assert record_url(public_id, "claims:detail") == f"/bureau/claims/{public_id}/"
        assert shell_urls()["home"] == "/bureau/"
    finally:
        set_script_prefix("/")
    assert record_url(public_id, "claims:detail") == f"/claims/{public_id}/"


def test_shell_urls_are_reverse():
    assert shell_urls() == {name: reverse(route) for name, route in SHELL_ROUTES.items()}
