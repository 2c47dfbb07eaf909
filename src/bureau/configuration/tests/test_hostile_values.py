"""Values a person can type (or import) that once escaped as a 500: each is a SettingInvalid
naming the key and what is wrong, through the registry, the settings page and `config import`."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from bureau.configuration.models import SettingValue
from bureau.configuration.registry import SettingInvalid, spec_of

DEEP = "[" * 5000 + "]" * 5000


def rule(value: object) -> str:
    return json.dumps(
        [{"field": "units", "op": "in", "value": value, "severity": "error", "message": "m"}]
    )


HOSTILE = [
    # int(): isdigit() accepts superscripts and other scripts' digits, int() does not.
    ("claims.timely_filing_days", "²", "expected a whole number"),
    ("claims.timely_filing_days", "٣", "expected a whole number"),
    ("claims.timely_filing_days", "-²", "expected a whole number"),
    ("claims.timely_filing_days", "9" * 5000, "must be at most 3650"),
    ("claims.timely_filing_days", "1e30", "expected a whole number"),
    ("claims.timely_filing_days", "1\x00", "expected a whole number"),
    # Decimal: quantize() overflows past 28 digits; Decimal() reads "٣" as 3.
    ("era.autopost_tolerance", "1e30", "must be at most 100000"),
    ("era.autopost_tolerance", "-1e30", "must be at most 100000"),
    ("era.autopost_tolerance", "9" * 5000, "must be at most 100000"),
    ("era.autopost_tolerance", "1e999999999999999999", "must be at most 100000"),
    ("era.autopost_tolerance", "1e-999999999", "at most two decimals"),
    ("era.autopost_tolerance", "٣", "expected an amount"),
    ("era.autopost_tolerance", "²", "expected an amount"),
    ("era.autopost_tolerance", "x" * 10_000, "expected an amount"),
    # JSON: the parser recurses per bracket and int() refuses thousands of digits.
    ("scrub.custom_rules", DEEP, "nested too deeply"),
    ("scrub.custom_rules", "[" + "1" * 5000 + "]", "a number is too long"),
    ("scrub.custom_rules", rule([[1]]), "value must be text, a number"),
    ("scrub.custom_rules", rule({"a": 1}), "value must be text, a number"),
    ("scrub.custom_rules", "\x00", "not valid JSON"),
    ("scrub.rules_enabled", "x" * 10_000, "expected true or false"),
]


@pytest.mark.parametrize(("key", "raw", "fragment"), HOSTILE)
def test_hostile_value_is_refused_by_name(key, raw, fragment):
    with pytest.raises(SettingInvalid) as exc:
        spec_of(key).parse(raw)
    message = str(exc.value)
    assert message.startswith(f"{key}:") and fragment in message
    assert len(message) < 300  # a 10,000-character value is not echoed back


def test_a_decimal_inside_a_list_rule_value_is_kept_as_text():
    parsed = spec_of("scrub.custom_rules").parse(rule([1.5, "2", 3]))
    assert parsed[0]["value"] == ["1.5", "2", 3]
    json.dumps(parsed)  # storable as JSON: no Decimal left


@pytest.mark.django_db
@pytest.mark.parametrize(("key", "raw", "fragment"), HOSTILE)
def test_settings_page_answers_a_hostile_value_with_its_message(as_user, key, raw, fragment):
    client = as_user("olivia.owner")
    client.raise_request_exception = False
    response = client.post(
        reverse("configuration:settings"),
        {"practice": "all", "key": key, "value": raw, "reason": "hostile input"},
    )
    assert response.status_code == 200
    assert fragment in response.content.decode()
    assert not SettingValue.objects.exists()


@pytest.mark.django_db
def test_config_import_refuses_deep_or_long_json_with_a_message(summit, tmp_path, capsys):
    npi = summit[0].npi
    for text, fragment in [(DEEP, "nested too deeply"), ("1" * 5000, "a number is too long")]:
        path = tmp_path / "doc.json"
        path.write_text(text)
        with pytest.raises(SystemExit) as exc:
            call_command("config", "import", "--practice", npi, str(path), "--reason", "hostile")
        assert exc.value.code == 1
        assert fragment in capsys.readouterr().err
