"""Hostile setup documents: each refused with a problem named by its JSON path, never an
exception, and nothing written (no row, no audit event)."""

import copy

import pytest

from bureau.audit.models import AuditEvent
from bureau.configuration.models import SettingValue
from bureau.configuration.practice_setup import setup_document
from bureau.configuration.setup_apply import setup_apply
from bureau.configuration.setup_parse import MAX_BYTES, SetupInvalid, setup_read
from bureau.configuration.tests.test_practice_setup import hand_built, new_practice
from bureau.directory.models import ContractRate, Enrollment, Provider, ServiceFacility

pytestmark = pytest.mark.django_db


def _set(path, value):
    def change(doc):
        target = doc
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def _dup_fee(doc):
    doc["fee_schedule"].append(dict(doc["fee_schedule"][0]))


def _nested(depth):
    value = "deep"
    for _ in range(depth):
        value = [value]
    return value


# (what, change to a good document, a fragment the problem list must hold)
HOSTILE = [
    ("unknown top-level key", _set(["surprise"], 1), "$.surprise: unknown key"),
    ("wrong format", _set(["format"], "bureau.config/1"), "$.format: expected"),
    ("section of the wrong type", _set(["providers"], {"a": 1}), "$.providers: expected a list"),
    ("bad NPI", _set(["providers", 0, "npi"], "1234567890"), "$.providers[0].npi: NPI"),
    (
        "non-ASCII digits in an NPI",
        _set(["providers", 0, "npi"], "١٢٣٤٥٦٧٨٩٣"),
        "$.providers[0].npi",
    ),
    (
        "unknown key in a row",
        _set(["providers", 0, "shoe_size"], 9),
        "$.providers[0].shoe_size: unknown key",
    ),
    (
        "missing key in a row",
        lambda d: d["providers"][0].pop("kind"),
        "$.providers[0].kind: missing",
    ),
    (
        "long string",
        _set(["providers", 0, "name"], "A" * 10_000),
        "$.providers[0].name: at most 200 characters",
    ),
    (
        "number where text belongs",
        _set(["providers", 0, "name"], 12),
        "$.providers[0].name: expected text",
    ),
    (
        "five-digit ZIP",
        _set(["facilities", 1, "postal_code"], "62701"),
        "$.facilities[1].postal_code: ZIP",
    ),
    (
        "ZIP padded past its column",
        _set(["facilities", 1, "postal_code"], "6 2 7 0 1 1 2 3 4"),
        "$.facilities[1].postal_code: at most 10",
    ),
    (
        "text for a yes/no",
        _set(["facilities", 0, "is_active"], "yes"),
        "$.facilities[0].is_active: expected true or false",
    ),
    (
        "huge amount",
        _set(["fee_schedule", 0, "amount"], "1e400"),
        "$.fee_schedule[0].amount: The amount is too large",
    ),
    (
        "huge integer amount",
        _set(["fee_schedule", 0, "amount"], 10**40),
        "$.fee_schedule[0].amount",
    ),
    (
        "three decimals",
        _set(["fee_schedule", 0, "amount"], "1.005"),
        "$.fee_schedule[0].amount: At most 2 decimal places",
    ),
    (
        "non-ASCII digits in an amount",
        _set(["fee_schedule", 0, "amount"], "١٢٣"),
        "$.fee_schedule[0].amount: not an amount",
    ),
    (
        "true as an amount",
        _set(["fee_schedule", 0, "amount"], True),
        "$.fee_schedule[0].amount: expected an amount",
    ),
    (
        "negative rate",
        _set(["contract_rates", 0, "allowed_amount"], "-5.00"),
        "$.contract_rates[0].allowed_amount: The amount cannot be negative",
    ),
    ("not a CPT code", _set(["fee_schedule", 0, "code"], "ABCDE"), "$.fee_schedule[0].code"),
    ("duplicate price line", _dup_fee, "$.fee_schedule[3]: a second line"),
    (
        "far date",
        _set(["enrollments", 0, "effective_date"], "9999-01-01"),
        "$.enrollments[0].effective_date: The effective date must be between",
    ),
    (
        "impossible date",
        _set(["enrollments", 0, "end_date"], "2026-02-30"),
        "$.enrollments[0].end_date: expected a date",
    ),
    (
        "enrollment of an unknown provider",
        _set(["enrollments", 0, "provider_npi"], "1000000004"),
        "$.enrollments[0].provider_npi: no provider",
    ),
    (
        "unknown setting",
        _set(["settings", "nope.nope"], 1),
        "$.settings.nope.nope: unknown settings key",
    ),
    (
        "workspace-only setting",
        _set(["settings", "workspace.holidays"], []),
        "$.settings.workspace.holidays: applies to the whole workspace",
    ),
    (
        "huge number in a setting",
        _set(["settings", "claims.timely_filing_days"], 10**30),
        "$.settings.claims.timely_filing_days: must be at most",
    ),
    (
        "deep nesting in a rule",
        _set(
            ["settings", "scrub.custom_rules"],
            [
                {
                    "field": "x",
                    "op": "in",
                    "value": _nested(500),
                    "severity": "error",
                    "message": "m",
                }
            ],
        ),
        "$.settings.scrub.custom_rules: rule 1",
    ),
    (
        "deep nesting in a row",
        _set(["providers", 0], _nested(500)),
        "$.providers[0]: expected an object",
    ),
    (
        "unknown route",
        lambda d: d["payers"][next(iter(d["payers"]))].update(route="fax"),
        ".route: expected one of",
    ),
    (
        "a payer listed without a name",
        lambda d: d["payers"][next(iter(d["payers"]))].update(name="  "),
        ".name: A payer name is required",
    ),
    (
        "a rate for an unknown payer",
        _set(["contract_rates", 0, "payer_id"], "NOPE"),
        "$.contract_rates[0].payer_id: no payer 'NOPE'",
    ),
]


@pytest.fixture
def setup(owner, payers):
    source, owner = hand_built(owner, payers)
    target, owner = new_practice(owner, 8)
    return owner, setup_document(source), target


def _written(target):
    return (
        Provider.objects.filter(practice=target).count(),
        ServiceFacility.objects.filter(practice=target).count(),
        Enrollment.objects.filter(practice=target).count(),
        ContractRate.objects.filter(practice=target).count(),
        SettingValue.objects.filter(practice=target).count(),
        AuditEvent.objects.count(),
    )


@pytest.mark.parametrize(("what", "change", "fragment"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_hostile_document_is_refused_by_path(setup, what, change, fragment):
    owner, good, target = setup
    document = copy.deepcopy(good)
    change(document)
    before = _written(target)
    with pytest.raises(SetupInvalid) as exc:
        setup_apply(actor=owner, practice=target, document=document, reason="import it")
    assert any(fragment in p for p in exc.value.problems), exc.value.problems
    assert all(p.startswith("$") for p in exc.value.problems)
    assert _written(target) == before


def test_every_problem_is_listed_at_once(setup):
    owner, good, target = setup
    document = copy.deepcopy(good)
    document["providers"][1]["npi"] = "1"  # the group: no enrollment names it
    document["facilities"][0]["state"] = "XX"
    document["fee_schedule"][1]["amount"] = "lots"
    with pytest.raises(SetupInvalid) as exc:
        setup_apply(actor=owner, practice=target, document=document, reason="import it")
    paths = sorted(p.split(":")[0] for p in exc.value.problems)
    assert paths == ["$.facilities[0].state", "$.fee_schedule[1].amount", "$.providers[1].npi"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[" * 100_000 + "]" * 100_000, "$: not valid JSON (nested too deeply)"),
        ('{"format": ' + "9" * 5000 + "}", "$: not valid JSON (a number is too long)"),
        ("{nope", "$: not valid JSON"),
        ("[1, 2]", "$: expected an object, got a list"),
        (b"\xff\xfe{}", "$: the file is not UTF-8 text"),
        ("{}" + " " * MAX_BYTES, "$: the document is larger than"),
    ],
    ids=["deep nesting", "huge integer", "bad JSON", "a list", "not UTF-8", "too large"],
)
def test_text_that_is_no_document_is_refused(text, fragment):
    with pytest.raises(SetupInvalid) as exc:
        setup_read(text)
    assert any(p.startswith(fragment) for p in exc.value.problems), exc.value.problems


def test_problems_are_capped(setup):
    owner, good, target = setup
    document = copy.deepcopy(good)
    document["fee_schedule"] = [{"code": "X", "modifier": "", "amount": "1"}] * 500
    with pytest.raises(SetupInvalid) as exc:
        setup_apply(actor=owner, practice=target, document=document, reason="import it")
    assert len(exc.value.problems) == 201
    assert exc.value.problems[-1].startswith("… and 300 more")
