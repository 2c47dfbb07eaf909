"""Does this person (a staff user or a provider) look like this LEIE entry? Pure functions.

Certain matches: the same NPI, or the same first and last name with the same date of birth.
Possible matches, scored for the compliance officer to resolve: the same name with no date of
birth to confirm it, one part of a hyphenated last name, a former (maiden) last name, a first
initial or a short form of the first name (Chris for Christopher) with the last name, a
business name. Names are compared folded: case, accents,
punctuation and spacing do not count ("O'Brien-Núñez" and "obrien nunez" are one name).
A known date of birth on both sides that differs rules a name out: OIG's own guidance is that
the date of birth is what tells two people with one name apart.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum


class MatchBasis(StrEnum):
    NPI = "npi"
    NAME_DOB = "name_dob"
    NAME_VARIANT = "name_variant"


# Scores (0-100): how sure the match is, so the officer works the likeliest first.
SCORE_CERTAIN = 100
SCORE_SAME_NAME = 85  # first and last name equal, no date of birth on one side
SCORE_FORMER_NAME = 80  # a former (maiden) last name with the first name
SCORE_NAME_PART = 75  # one part of a hyphenated last name with the first name
SCORE_BUSINESS_NAME = 70  # an organization's name equals the entry's business name
SCORE_INITIAL = 65  # an initial on one side, the first letter and the last name agree
SCORE_SHORT_FORM = 55  # one first name begins the other (Chris, Christopher), same last name
SCORE_DOB_BONUS = 15  # a variant whose date of birth agrees
SCORE_POSSIBLE_CAP = 95  # a variant never reads as certain

# Titles and credentials written around a provider's or user's name ("Dr. Ann Lee, MD").
HONORIFICS = frozenset({"dr", "mr", "mrs", "ms", "miss", "mx", "prof"})
SUFFIXES = frozenset(
    {"md", "do", "dds", "dmd", "np", "pa", "rn", "phd", "jr", "sr", "ii", "iii", "iv", "pac"}
)


def fold(text: str) -> str:
    """Letters and digits only, lower case, accents dropped: the form names are compared in."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(
        ch for ch in decomposed.casefold() if ch.isalnum() and not unicodedata.combining(ch)
    )


def last_name_keys(last_name: str) -> frozenset[str]:
    """The folded last name, and each part of a hyphenated one ("Smith-Jones": smithjones,
    smith, jones); one-letter parts are dropped, they would match too much."""
    whole = fold(last_name)
    keys = {whole} if whole else set()
    if "-" in last_name:
        keys.update(part for part in (fold(p) for p in last_name.split("-")) if len(part) > 1)
    return frozenset(keys)


def split_person_name(text: str) -> tuple[str, str]:
    """(first, last) from a display name such as "Dr. Mira Kilbride, MD": titles and
    credentials dropped, the first remaining word first and the last one last."""
    words = [w for w in text.replace(",", " ").split() if w]
    while words and fold(words[0]) in HONORIFICS:
        words.pop(0)
    while len(words) > 1 and fold(words[-1]) in SUFFIXES:
        words.pop()
    if not words:
        return "", ""
    if len(words) == 1:
        return "", words[0]
    return words[0], words[-1]


@dataclass(frozen=True)
class Subject:
    """A person or organization Bureau screens: a staff user or a provider."""

    kind: str  # "user" or "provider"
    pk: int
    label: str
    first_name: str
    last_name: str
    npi: str = ""
    dob: date | None = None
    former_last_names: tuple[str, ...] = ()
    business_name: str = ""  # organizations (NPI type 2) only

    @property
    def first_key(self) -> str:
        return fold(self.first_name)

    @property
    def last_key(self) -> str:
        return fold(self.last_name)

    def lookup_keys(self) -> frozenset[str]:
        """Every folded last name an entry could be listed under for this subject."""
        keys = set(last_name_keys(self.last_name))
        for former in self.former_last_names:
            keys |= last_name_keys(former)
        return frozenset(keys)


@dataclass(frozen=True)
class Listed:
    """What matching needs of one LEIE entry."""

    first_name: str
    last_name: str
    business_name: str = ""
    npi: str = ""
    dob: date | None = None


@dataclass(frozen=True)
class Match:
    basis: MatchBasis
    score: int
    why: str


def _first_names_agree(subject_first: str, listed_first: str) -> tuple[int, str] | None:
    """(score, how) when the first names agree fully or by initial; None otherwise."""
    if not subject_first or not listed_first:
        return None
    if subject_first == listed_first:
        return SCORE_SAME_NAME, "same first name"
    if subject_first[0] != listed_first[0]:
        return None
    if len(subject_first) == 1 or len(listed_first) == 1:
        return SCORE_INITIAL, "first initial"
    if subject_first.startswith(listed_first) or listed_first.startswith(subject_first):
        return SCORE_SHORT_FORM, "short form of the first name"
    return None  # two different first names (Mary, Mira) are two people


def _variant(subject: Subject, listed: Listed) -> Match | None:
    listed_last = fold(listed.last_name)
    if not listed_last:
        return None
    first = _first_names_agree(subject.first_key, fold(listed.first_name))
    if first is None:
        return None
    score, how = first
    if listed_last == subject.last_key:
        last = "same last name"
    elif any(listed_last == fold(f) for f in subject.former_last_names):
        score, last = min(score, SCORE_FORMER_NAME), "a former last name"
    elif listed_last in subject.lookup_keys() or subject.last_key in last_name_keys(
        listed.last_name
    ):
        score, last = min(score, SCORE_NAME_PART), "part of a hyphenated last name"
    else:
        return None
    why = f"{how}, {last}"
    if subject.dob is not None and subject.dob == listed.dob:
        score = min(score + SCORE_DOB_BONUS, SCORE_POSSIBLE_CAP)
        why += ", same date of birth"
    return Match(MatchBasis.NAME_VARIANT, score, why)


def match(subject: Subject, listed: Listed) -> Match | None:
    """The strongest reason to think `subject` is the entry `listed`, or None."""
    if subject.npi and subject.npi == listed.npi:
        return Match(MatchBasis.NPI, SCORE_CERTAIN, "same NPI")
    if subject.business_name:
        if listed.business_name and fold(listed.business_name) == fold(subject.business_name):
            return Match(MatchBasis.NAME_VARIANT, SCORE_BUSINESS_NAME, "same business name")
        return None
    if subject.dob is not None and listed.dob is not None and subject.dob != listed.dob:
        return None  # two people who share a name
    same_name = (
        subject.first_key != ""
        and subject.first_key == fold(listed.first_name)
        and subject.last_key != ""
        and subject.last_key == fold(listed.last_name)
    )
    if same_name and subject.dob is not None and subject.dob == listed.dob:
        return Match(MatchBasis.NAME_DOB, SCORE_CERTAIN, "same name and date of birth")
    return _variant(subject, listed)
