"""The pure scrubber: every built-in rule hit and no-hit, custom rules, the tables' loaders."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from bureau.claims.scrubber import ClaimSnapshot, EnrollmentState, LineSnapshot, ScrubContext, scrub
from bureau.claims.scrubber.custom import condition_holds
from bureau.claims.scrubber.rules import icd_status
from bureau.claims.scrubber.tables import MUE_SAMPLE, NCCI_SAMPLE, load_mue_csv, load_ncci_csv
from bureau.directory.npi import make_npi

TODAY = date(2026, 6, 1)
DOS = date(2026, 5, 20)
NPI_A = make_npi("123456789")
NPI_B = make_npi("198765432")


def line(n: int = 1, code: str = "99213", **kw: object) -> LineSnapshot:
    base: dict = {"pointers": (1,), "units": Decimal(1), "charge": Decimal("100.00")}
    base.update(kw)
    return LineSnapshot(number=n, procedure_code=code, **base)


def snap(**kw: object) -> ClaimSnapshot:
    base: dict = {
        "claim_id": 1,
        "number": "T1",
        "practice_id": 1,
        "payer_id": 7,
        "payer_code": "87726",
        "timely_filing_days": 365,
        "date_of_service": DOS,
        "today": TODAY,
        "patient_id": 3,
        "patient_dob": date(1980, 2, 3),
        "patient_sex": "F",
        "member_id": "M123",
        "diagnosis_codes": ("E119", "I10"),
        "billing_npi": NPI_A,
        "rendering_npi": NPI_B,
        "rendering_provider_id": 5,
        "enrollment": EnrollmentState.ACTIVE,
        "lines": (line(),),
        "place_of_service": "11",
    }
    base.update(kw)
    return ClaimSnapshot(**base)


CTX = ScrubContext(ncci=load_ncci_csv(NCCI_SAMPLE).table, mue=load_mue_csv(MUE_SAMPLE).table)


def rules(s: ClaimSnapshot, ctx: ScrubContext = CTX) -> set[str]:
    return {h.rule for h in scrub(s, ctx)}


def test_clean_claim_has_no_hits() -> None:
    assert scrub(snap(), CTX) == []


@pytest.mark.parametrize(
    ("changes", "rule"),
    [
        ({"member_id": " "}, "required.member_id"),
        ({"patient_dob": None}, "required.dob"),
        ({"patient_address_complete": False}, "required.address"),
        ({"diagnosis_codes": ()}, "required.diagnosis"),
        ({"lines": ()}, "required.lines"),
        ({"billing_npi": "1234567890"}, "npi.billing"),
        ({"rendering_npi": ""}, "npi.rendering"),
        ({"diagnosis_codes": ("E119", "XYZ99")}, "icd10.invalid"),
        ({"diagnosis_codes": ("E11",)}, "icd10.nonbillable"),
        ({"diagnosis_codes": ("E119", "E119")}, "icd10.duplicate"),
        ({"lines": (line(pointers=()),)}, "icd10.pointer"),
        ({"lines": (line(pointers=(3,)),)}, "icd10.pointer"),
        ({"lines": (line(pointers=(1, 1)),)}, "icd10.pointer"),
        ({"lines": (line(code="9921"),)}, "cpt.format"),
        ({"lines": (line(code="Z9999"),)}, "cpt.format"),
        ({"lines": (line(units=Decimal(0)),)}, "line.units"),
        ({"lines": (line(charge=Decimal(-1)),)}, "line.charge"),
        ({"lines": (line(modifiers=("25", "25")),)}, "modifier.duplicate"),
        ({"lines": (line(modifiers=("25", "59", "GP", "KX", "LT")),)}, "modifier.count"),
        ({"lines": (line(modifiers=("2",)),)}, "modifier.format"),
        ({"lines": (line(modifiers=("Q9",)),)}, "modifier.unknown"),
        ({"date_of_service": TODAY + timedelta(days=1)}, "date.future"),
        ({"lines": (line(date_of_service=TODAY + timedelta(days=2)),)}, "date.future"),
        ({"patient_dob": DOS + timedelta(days=1)}, "date.before_birth"),
        ({"date_of_service": TODAY - timedelta(days=400)}, "timely.expired"),
        ({"timely_filing_days": 30}, "timely.near"),
        ({"enrollment": EnrollmentState.MISSING}, "credentialing"),
        ({"enrollment": EnrollmentState.PENDING}, "credentialing"),
        ({"enrollment": EnrollmentState.TERMINATED}, "credentialing"),
        ({"lines": (line(1, "99214"), line(2, "99213"))}, "ncci"),
        ({"lines": (line(1, "97140"), line(2, "97530"))}, "ncci"),
        ({"lines": (line(units=Decimal(2)),)}, "mue"),
        ({"lines": (line(1, "36415", units=Decimal(2)), line(2, "36415"))}, "mue"),
    ],
)
def test_rule_hits(changes: dict, rule: str) -> None:
    assert rule in rules(snap(**changes))


def test_severities_and_line_numbers() -> None:
    hits = scrub(snap(lines=(line(1), line(2, "97110", modifiers=("Q9",)))), CTX)
    (unknown,) = hits
    assert (unknown.rule, unknown.severity, unknown.line_number) == (
        "modifier.unknown",
        "warning",
        2,
    )
    near = scrub(snap(timely_filing_days=30), CTX)
    assert [h.severity for h in near] == ["warning"]
    (cred,) = scrub(snap(enrollment=EnrollmentState.PENDING), CTX)
    assert cred.is_credentialing and cred.is_error


@pytest.mark.parametrize(
    "changes",
    [
        {"diagnosis_codes": ("E11.9",)},  # with the dot
        {"lines": (line(code="0001F"), line(2, "J1815", units=Decimal(10)))},  # cat II, HCPCS
        {"lines": (line(modifiers=("25", "59", "GP", "KX")),)},  # four known
        {"timely_filing_days": 43},  # 31 days left: no warning
        {"date_of_service": TODAY, "lines": (line(date_of_service=TODAY),)},
        {"patient_dob": DOS},
        # NCCI indicator 1 with a bypass modifier; indicator 0 pair on different days.
        {"lines": (line(1, "97140"), line(2, "97530", modifiers=("59",)))},
        {"lines": (line(1, "97140"), line(2, "97530", modifiers=("XU",)))},
        {"lines": (line(1, "99214"), line(2, "99213", date_of_service=DOS - timedelta(days=1)))},
        # MUE counts per day.
        {
            "lines": (
                line(1, "36415", units=Decimal(2)),
                line(2, "36415", date_of_service=DOS - timedelta(days=1)),
            )
        },
    ],
)
def test_rule_no_hits(changes: dict) -> None:
    assert scrub(snap(**changes), CTX) == []


def test_ncci_indicator_zero_ignores_modifiers() -> None:
    hits = scrub(snap(lines=(line(1, "99214"), line(2, "99213", modifiers=("59",)))), CTX)
    assert [(h.rule, h.line_number) for h in hits] == [("ncci", 2)]
    assert hits[0].message == "NCCI: 99213 with 99214 is never billed on the same day."


def test_ncci_indicator_one_names_the_modifiers_that_allow_it() -> None:
    [hit] = scrub(snap(lines=(line(1, "97140"), line(2, "97530"))), CTX)
    assert (
        hit.message == "NCCI: 97530 with 97140 needs modifier 59, XE, XS, XP or XU on one of them."
    )


def test_duplicates_need_another_claim() -> None:
    key = (3, DOS, "99213", 7)
    assert rules(snap(), replace(CTX, existing_claims={key: frozenset({1})})) == set()
    assert rules(snap(), replace(CTX, existing_claims={key: frozenset({1, 2})})) == {"duplicate"}
    other_payer = {(3, DOS, "99213", 8): frozenset({2})}
    assert rules(snap(), replace(CTX, existing_claims=other_payer)) == set()


def test_rules_disabled_keeps_credentialing_and_custom_rules() -> None:
    off = replace(
        CTX,
        rules_enabled=False,
        custom_rules=(
            {
                "field": "procedure_code",
                "op": "eq",
                "value": "99213",
                "severity": "warning",
                "message": "E/M",
            },
        ),
    )
    bad = snap(member_id="", billing_npi="1", enrollment=EnrollmentState.PENDING)
    assert rules(bad, off) == {"credentialing", "custom.1"}


def custom(*rule: dict) -> ScrubContext:
    return replace(CTX, custom_rules=tuple(rule))


def r(field: str, op: str, value: object = None, severity: str = "error") -> dict:
    rule = {"field": field, "op": op, "severity": severity, "message": f"{field} {op}"}
    if value is not None:
        rule["value"] = value
    return rule


@pytest.mark.parametrize(
    ("rule", "fires"),
    [
        (r("place_of_service", "eq", "11"), True),
        (r("place_of_service", "in", ["02", "10"]), False),
        (r("payer_id", "eq", "87726"), True),
        (r("payer_id", "ne", "87726"), False),
        (r("member_id", "matches", r"^M\d+$"), True),
        (r("member_id", "empty"), False),
        (r("patient_sex", "not_empty"), True),
        (r("patient_age", "gte", 46), True),
        (r("patient_age", "lt", 18), False),
        (r("total_charge", "gt", "99.99"), True),
        (r("line_count", "gt", 1), False),
        (r("diagnosis", "eq", "i10"), True),
        (r("diagnosis", "not_in", ["E119"]), False),
        (r("diagnosis", "matches", "^Z"), False),
        (r("procedure_code", "in", ["99213", "99214"]), True),
        (r("modifier", "empty"), True),
        (r("modifier", "eq", "25"), False),
        (r("units", "gt", 1), False),
        (r("charge", "lte", "100.00"), True),
        (r("charge", "gt", "not a number"), False),
    ],
)
def test_custom_rule_fields(rule: dict, fires: bool) -> None:
    hits = scrub(snap(), custom(rule))
    assert bool(hits) is fires
    if fires:
        assert hits[0].rule == "custom.1" and hits[0].message == rule["message"]


def test_custom_rule_line_level_names_the_line_and_unknown_field_warns() -> None:
    s = snap(lines=(line(1), line(2, "97110", modifiers=("GP",))))
    hits = scrub(s, custom(r("modifier", "eq", "GP", "warning"), r("color", "eq", "red")))
    assert [(h.rule, h.severity, h.line_number) for h in hits] == [
        ("custom.1", "warning", 2),
        ("custom.2", "warning", None),
    ]
    assert "unknown field" in hits[1].message


def test_condition_list_semantics() -> None:
    assert condition_holds("ne", ["25", "59"], "GP")
    assert not condition_holds("ne", ["25", "59"], "25")
    assert condition_holds("matches", ["25"], "[") is False  # a bad pattern never fires


def test_icd_lookup_is_cached() -> None:
    icd_status.cache_clear()
    for _ in range(3):
        icd_status("E119")
    assert icd_status.cache_info().hits == 2


def test_sample_tables_load_cleanly() -> None:
    ncci, mue = load_ncci_csv(NCCI_SAMPLE), load_mue_csv(MUE_SAMPLE)
    assert ncci.errors == [] and mue.errors == []
    assert ncci.table[("99214", "99213")] == 0 and mue.table["99213"] == 1


def test_ncci_loader_reports_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "ncci.csv"
    path.write_text(
        "# comment\ncolumn1,column2,modifier_indicator\n99214,99213,0\n"
        "9921,99213,0\n99213,99213,1\n99215,99214,7\n99215,99214\n"
        "97140,97530,9\n"
    )
    result = load_ncci_csv(path)
    assert result.table == {("99214", "99213"): 0}
    assert result.errors == [
        "line 4: '9921' is not a procedure code",
        "line 5: a code cannot be paired with itself",
        "line 6: modifier indicator must be 0, 1 or 9",
        "line 7: expected column1,column2,modifier_indicator",
    ]


def test_mue_loader_reports_bad_rows(tmp_path: Path) -> None:
    path = tmp_path / "mue.csv"
    path.write_text("code,max_units\n99213,1\nABCDE,2\n99214,0\n99215,x\n99215\n")
    result = load_mue_csv(path)
    assert result.table == {"99213": 1}
    assert [e.split(":")[0] for e in result.errors] == ["line 3", "line 4", "line 5", "line 6"]
