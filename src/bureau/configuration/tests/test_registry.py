"""The registry: typed parsing, ranges, rule shapes, Decimals never floats."""

from decimal import Decimal

import pytest

from bureau.configuration.registry import (
    DECLARED,
    REGISTRY,
    SETTINGS,
    Kind,
    SettingInvalid,
    SettingSpec,
    spec_of,
)
from bureau.tenancy.roles import Role

LIVE = {
    "claims.timely_filing_days",
    "scrub.rules_enabled",
    "scrub.custom_rules",
    "era.autopost_enabled",
    "era.autopost_tolerance",
    "era.autopost_denials",
    # Read by the work queues (workqueues/sla.py).
    "rejections.sla_days",
    "denials.sla_days",
    "posting_review.sla_days",
    "era_exceptions.sla_days",
    "followup.sla_days",
    "credentialing.sla_days",
    "underpayments.sla_days",
    "setup_gaps.sla_days",
    "writeoff_approval.sla_days",
    # Read by questions to the practice (workqueues/questions.py).
    "practice_questions.sla_days",
    # Read by write-offs (billing/services.py).
    "writeoffs.auto_approve_limit",
    "writeoffs.approver_role",
    "followup.interval_days",
    "followup.no_ack_days",
    "claims.corrected_claim_days",
    "workqueue.claim_minutes",
    "workspace.holidays",
    # Read by access reviews (compliance/access_review_services.py).
    "compliance.access_review_every_months",
    # Read by offboarding (offboarding/services.py, offboarding/certificate.py).
    "offboarding.purge_wait_days",
    "offboarding.backup_retention_days",
}
# Declared for the statements to come; hidden until code reads them.
NOT_LIVE = {"statements.cycle_days"}


def declared(key: str) -> SettingSpec:
    return next(s for s in DECLARED if s.key == key)


def test_every_key_declared_once_with_a_valid_default():
    assert {s.key for s in DECLARED} == LIVE | NOT_LIVE and len(DECLARED) == len(LIVE | NOT_LIVE)
    assert set(REGISTRY) == LIVE and {s.key for s in SETTINGS} == LIVE
    for spec in DECLARED:
        assert spec.description
        assert spec.parse(spec.to_json(spec.default)) == spec.default


def test_payer_overridable_keys():
    assert {s.key for s in SETTINGS if s.payer_override} == {
        "claims.timely_filing_days",
        "scrub.custom_rules",
        "followup.interval_days",
        "claims.corrected_claim_days",
    }
    assert {s.key for s in SETTINGS if s.workspace_only} == {
        "workspace.holidays",
        "compliance.access_review_every_months",
        "offboarding.purge_wait_days",
        "offboarding.backup_retention_days",
    }


@pytest.mark.parametrize(
    ("key", "raw", "expected"),
    [
        ("claims.timely_filing_days", "90", 90),
        ("claims.timely_filing_days", 180, 180),
        ("scrub.rules_enabled", "off", False),
        ("scrub.rules_enabled", True, True),
        ("era.autopost_tolerance", "1.5", Decimal("1.50")),
        ("writeoffs.auto_approve_limit", 10, Decimal("10.00")),
        ("writeoffs.approver_role", "owner", Role.OWNER.value),
    ],
)
def test_parse(key, raw, expected):
    assert declared(key).parse(raw) == expected


@pytest.mark.parametrize(
    ("key", "raw", "fragment"),
    [
        ("claims.timely_filing_days", "0", "at least 1"),
        ("claims.timely_filing_days", "ninety", "whole number"),
        ("claims.timely_filing_days", True, "whole number"),
        ("scrub.rules_enabled", "maybe", "true or false"),
        ("era.autopost_tolerance", "-1", "at least 0"),
        ("era.autopost_tolerance", 1.5, "as text"),
        ("era.autopost_tolerance", "1.005", "two decimals"),
        ("era.autopost_tolerance", "NaN", "amount"),
        ("writeoffs.approver_role", "janitor", "one of"),
        ("scrub.custom_rules", "{", "not valid JSON"),
        ("scrub.custom_rules", {"field": "x"}, "list of rules"),
    ],
)
def test_invalid_values_name_the_key(key, raw, fragment):
    with pytest.raises(SettingInvalid) as exc:
        declared(key).parse(raw)
    assert str(exc.value).startswith(key + ":") and fragment in str(exc.value)


def test_unknown_key():
    with pytest.raises(SettingInvalid, match="nope.nope: unknown"):
        spec_of("nope.nope")


def test_decimal_is_stored_as_text():
    spec = spec_of("era.autopost_tolerance")
    assert spec.kind == Kind.DECIMAL and spec.to_json(spec.parse("2")) == "2.00"


def test_rules_shape():
    spec = spec_of("scrub.custom_rules")
    good = [
        {
            "field": "place_of_service",
            "op": "eq",
            "value": "11",
            "severity": "error",
            "message": "POS 11 needs a facility",
        },
        {"field": "referring_npi", "op": "empty", "severity": "warning", "message": "No ref"},
        {"field": "charge", "op": "gt", "value": 1000.5, "severity": "warning", "message": "Big"},
    ]
    parsed = spec.parse(good)
    assert parsed[2]["value"] == "1000.5"  # never a float
    assert spec.parse(
        '[{"field": "a", "op": "in", "value": ["1"], "severity": "error", "message": "m"}]'
    )[0]["value"] == ["1"]
    with pytest.raises(SettingInvalid) as exc:
        spec.parse(
            [
                {"field": "", "op": "eq", "value": 1, "severity": "error", "message": "m"},
                {"field": "a", "op": "like", "value": 1, "severity": "error", "message": "m"},
                {"field": "a", "op": "eq", "severity": "fatal", "message": ""},
                {
                    "field": "a",
                    "op": "in",
                    "value": "x",
                    "severity": "error",
                    "message": "m",
                    "extra": 1,
                },
                "rule",
            ]
        )
    text = str(exc.value)
    for fragment in [
        "rule 1 needs a field",
        "rule 2: op must be",
        "rule 3: op eq needs a value",
        "rule 3: severity",
        "rule 3 needs a message",
        "rule 4 has unknown fields",
        "rule 4: op in needs a list",
        "rule 5 is not an object",
    ]:
        assert fragment in text
