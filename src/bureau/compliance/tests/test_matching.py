"""Matching one subject against one listing: certain by NPI or name + DOB, scored variants,
folding, and what rules a match out."""

from __future__ import annotations

from datetime import date

import pytest

from bureau.compliance.matching import (
    SCORE_CERTAIN,
    SCORE_FORMER_NAME,
    SCORE_INITIAL,
    SCORE_NAME_PART,
    SCORE_SAME_NAME,
    SCORE_SHORT_FORM,
    Listed,
    MatchBasis,
    Subject,
    fold,
    last_name_keys,
    match,
    split_person_name,
)

BORN = date(1971, 4, 12)


def person(first: str, last: str, **extra: object) -> Subject:
    return Subject(
        kind="provider", pk=1, label=f"{first} {last}", first_name=first, last_name=last, **extra
    )  # type: ignore[arg-type]


def test_fold_drops_case_accents_punctuation_and_spaces() -> None:
    assert fold("O'Brien-Núñez") == "obriennunez"
    assert fold("  van der MEER ") == "vandermeer"
    assert fold("Zoë") == fold("ZOE") == "zoe"


def test_last_name_keys_split_hyphens_only() -> None:
    assert last_name_keys("Smith-Jones") == {"smithjones", "smith", "jones"}
    assert last_name_keys("de la Cruz") == {"delacruz"}
    assert last_name_keys("A-Lee") == {"alee", "lee"}  # a one-letter part would match too much


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dr. Mira Kilbride", ("Mira", "Kilbride")),
        ("Mira Q. Kilbride, MD", ("Mira", "Kilbride")),
        ("Dr Ann Lee Jr.", ("Ann", "Lee")),
        ("Cher", ("", "Cher")),
        ("", ("", "")),
    ],
)
def test_split_person_name(text: str, expected: tuple[str, str]) -> None:
    assert split_person_name(text) == expected


def test_same_npi_is_certain_whatever_the_name() -> None:
    found = match(person("Mira", "Greywood", npi="1534385756"), Listed("X", "Y", npi="1534385756"))
    assert found is not None
    assert (found.basis, found.score) == (MatchBasis.NPI, SCORE_CERTAIN)


def test_same_name_and_dob_is_certain() -> None:
    found = match(person("Leif", "Kilbride", dob=BORN), Listed("LEIF", "KILBRIDE", dob=BORN))
    assert found is not None
    assert (found.basis, found.score) == (MatchBasis.NAME_DOB, SCORE_CERTAIN)


def test_same_name_without_a_dob_is_only_possible() -> None:
    found = match(person("Leif", "Kilbride"), Listed("LEIF", "KILBRIDE", dob=BORN))
    assert found is not None
    assert (found.basis, found.score) == (MatchBasis.NAME_VARIANT, SCORE_SAME_NAME)
    assert found.why == "same first name, same last name"


def test_a_different_dob_rules_the_name_out_but_not_the_npi() -> None:
    other = date(1980, 1, 1)
    assert (
        match(person("Leif", "Kilbride", dob=BORN), Listed("LEIF", "KILBRIDE", dob=other)) is None
    )
    subject = person("Leif", "Kilbride", dob=BORN, npi="1999900016")
    found = match(subject, Listed("LEIF", "KILBRIDE", dob=other, npi="1999900016"))
    assert found is not None and found.basis == MatchBasis.NPI


def test_accents_case_and_punctuation_are_folded() -> None:
    found = match(person("Zoë", "O'Brien", dob=BORN), Listed("ZOE", "OBRIEN", dob=BORN))
    assert found is not None and found.basis == MatchBasis.NAME_DOB


def test_hyphenated_last_names_match_by_part_either_way() -> None:
    listed_hyphen = match(person("Wade", "Holloway"), Listed("WADE", "HOLLOWAY-QUINN"))
    subject_hyphen = match(person("Bella", "Sutherland-Byrne"), Listed("BELLA", "BYRNE"))
    for found in (listed_hyphen, subject_hyphen):
        assert found is not None
        assert (found.basis, found.score) == (MatchBasis.NAME_VARIANT, SCORE_NAME_PART)
        assert "hyphenated" in found.why


def test_a_former_last_name_matches() -> None:
    subject = person("Alex", "Marsh", former_last_names=("Hale",))
    found = match(subject, Listed("ALEX", "HALE"))
    assert found is not None
    assert (found.score, found.why) == (SCORE_FORMER_NAME, "same first name, a former last name")


def test_initials_score_lower_than_names() -> None:
    initial = match(person("Opal", "Ellsworth"), Listed("O", "ELLSWORTH"))
    assert initial is not None and initial.score == SCORE_INITIAL
    short = match(person("Christopher", "Ellsworth"), Listed("CHRIS", "ELLSWORTH"))
    assert short is not None and short.score == SCORE_SHORT_FORM
    assert short.why == "short form of the first name, same last name"
    longer = match(person("Chris", "Ellsworth"), Listed("CHRISTOPHER", "ELLSWORTH"))
    assert longer is not None and longer.score == SCORE_SHORT_FORM
    assert SCORE_SHORT_FORM < SCORE_INITIAL < SCORE_NAME_PART < SCORE_SAME_NAME < SCORE_CERTAIN


def test_a_matching_dob_raises_a_variant_but_never_to_certain() -> None:
    found = match(person("Opal", "Ellsworth", dob=BORN), Listed("O", "ELLSWORTH", dob=BORN))
    assert found is not None
    assert found.basis == MatchBasis.NAME_VARIANT
    assert found.score == SCORE_INITIAL + 15
    assert found.why.endswith("same date of birth")


@pytest.mark.parametrize(
    "listed",
    [
        Listed("KIRA", "KILBRIDE"),  # another first letter
        Listed("LARS", "KILBRIDE"),  # another first name with the same letter
        Listed("LEIF", "KILBRIDGE"),  # another last name
        Listed("", "KILBRIDE"),  # no first name to compare
        Listed("LEIF", ""),
        Listed("", "", business_name="KILBRIDE LEIF LLC"),
    ],
)
def test_no_match(listed: Listed) -> None:
    assert match(person("Leif", "Kilbride"), listed) is None


def test_organizations_match_by_npi_or_business_name_only() -> None:
    clinic = Subject(
        kind="provider",
        pk=2,
        label="Fiction Supply, LLC",
        first_name="",
        last_name="",
        npi="2999900030",
        business_name="Fiction Supply, LLC",
    )
    by_name = match(clinic, Listed("", "", business_name="FICTION SUPPLY LLC"))
    assert by_name is not None and by_name.basis == MatchBasis.NAME_VARIANT
    by_npi = match(clinic, Listed("", "", business_name="OTHER", npi="2999900030"))
    assert by_npi is not None and by_npi.basis == MatchBasis.NPI
    assert match(clinic, Listed("FICTION", "SUPPLY")) is None
