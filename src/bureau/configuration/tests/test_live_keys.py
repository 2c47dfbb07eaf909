"""A setting is offered only when code reads it: the settings page, export and import know the
live keys; a key declared ahead of its code stays hidden until it is resolved somewhere."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from bureau.configuration import services
from bureau.configuration.models import SettingValue
from bureau.configuration.registry import DECLARED, REGISTRY, SettingInvalid, spec_of

SRC = Path(__file__).resolve().parents[2]  # src/bureau
HIDDEN = sorted(s.key for s in DECLARED if not s.live)


def _code_mentions() -> str:
    """Every Python source of the application, less the registry itself, tests and migrations."""
    texts = []
    for path in sorted(SRC.rglob("*.py")):
        parts = set(path.relative_to(SRC).parts)
        if "tests" in parts or "migrations" in parts or path.name == "conftest.py":
            continue
        if path == SRC / "configuration" / "registry.py":
            continue
        texts.append(path.read_text())
    return "\n".join(texts)


def _named(key: str, text: str) -> bool:
    return f'"{key}"' in text or f"'{key}'" in text


def test_every_live_key_is_resolved_by_some_code():
    code = _code_mentions()
    unread = [key for key in REGISTRY if not _named(key, code)]
    assert not unread, (
        f"settings offered that no code reads: {unread}; mark them live=False in "
        "configuration/registry.py until code resolves them"
    )


def test_no_code_reads_a_hidden_key():
    """Reading a hidden key raises at run time: the code that reads it must make it live."""
    code = _code_mentions()
    read = [key for key in HIDDEN if _named(key, code)]
    assert not read, f"code reads keys still marked live=False: {read}"


def test_the_settings_no_code_reads_yet_are_hidden():
    assert set(HIDDEN) >= {"statements.cycle_days"}
    for key in HIDDEN:
        with pytest.raises(SettingInvalid, match="unknown settings key"):
            spec_of(key)


@pytest.mark.django_db
def test_the_settings_page_neither_shows_nor_takes_a_hidden_key(as_user, summit):
    client = as_user("olivia.owner")
    url = reverse("configuration:settings")
    for practice in ("all", summit[0].public_id):
        body = client.get(url, {"practice": practice}).content.decode()
        assert "claims.timely_filing_days" in body
        for key in HIDDEN:
            assert key not in body
    response = client.post(
        url,
        {
            "practice": summit[0].public_id,
            "key": "statements.cycle_days",
            "value": "5",
            "reason": "try a hidden key",
        },
    )
    assert response.status_code == 200
    assert "Choose a setting to change." in response.content.decode()
    assert not SettingValue.objects.exists()


@pytest.mark.django_db
def test_export_leaves_out_and_import_refuses_hidden_keys(owner, summit):
    practice = summit[0]
    # A value stored before its key was hidden: neither exported nor removed by an import.
    SettingValue.objects.create(
        workspace_id=practice.workspace_id, practice=practice, key="statements.cycle_days", value=9
    )
    document = services.config_export(practice)
    assert set(document["effective"]) == set(REGISTRY)
    assert "statements.cycle_days" not in document["overrides"]
    services.config_import(actor=owner, practice=practice, document=document, reason="round trip")
    assert SettingValue.objects.filter(key="statements.cycle_days").count() == 1
    document["overrides"]["statements.cycle_days"] = 14
    with pytest.raises(services.ConfigurationError, match="statements.cycle_days: unknown"):
        services.config_import(actor=owner, practice=practice, document=document, reason="hidden")
