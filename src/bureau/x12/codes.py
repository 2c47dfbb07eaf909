"""Format checks for the code sets an 837P carries.

Format only: whether an ICD-10-CM code exists is the scrubber's question (it has the installed
code list); CPT content is licensed, so only its shape is checked here.
"""

from __future__ import annotations

import re

# ICD-10-CM: a letter, a digit, then 1-5 alphanumerics; the dot after the category is optional
# on input and never written (HI carries codes without it).
_ICD10_CM = re.compile(r"[A-Z][0-9][0-9A-Z](?:\.?[0-9A-Z]{1,4})?")
# CPT (five digits; Category II/III and PLA codes end in F, T or U) or HCPCS Level II (A-V + 4).
_PROCEDURE = re.compile(r"[0-9]{4}[0-9FTU]|[A-V][0-9]{4}")
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_PLACE_OF_SERVICE = re.compile(r"[0-9]{2}")
# Health Care Provider Taxonomy: ten characters, the last one X.
_TAXONOMY = re.compile(r"[0-9A-Z]{9}X")


def npi_check_digit(first_nine: str) -> int:
    """Luhn over the prefix 80840 and the first nine digits (the card-issuer prefix for health)."""
    total = 0
    for i, ch in enumerate(reversed("80840" + first_nine)):
        d = int(ch)
        if i % 2 == 0:  # the check digit is not in the payload, so the rightmost digit doubles
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return (10 - total % 10) % 10


def is_valid_npi(npi: str) -> bool:
    return (
        len(npi) == 10
        and npi.isascii()
        and npi.isdigit()
        and npi[0] in "12"
        and npi_check_digit(npi[:9]) == int(npi[9])
    )


def is_icd10_cm(code: str) -> bool:
    return _ICD10_CM.fullmatch(code) is not None


def icd10_without_dot(code: str) -> str:
    return code.replace(".", "")


def is_procedure_code(code: str) -> bool:
    return _PROCEDURE.fullmatch(code) is not None


def is_modifier(code: str) -> bool:
    return _MODIFIER.fullmatch(code) is not None


def is_place_of_service(code: str) -> bool:
    return _PLACE_OF_SERVICE.fullmatch(code) is not None and code != "00"


def is_taxonomy(code: str) -> bool:
    return _TAXONOMY.fullmatch(code) is not None


# SBR09, the kind of coverage (CI commercial, MB Medicare Part B, MC Medicaid, BL Blue Cross,
# HM HMO, CH TRICARE, VA veterans, WC workers' compensation, ZZ mutually defined, …).
CLAIM_FILING_INDICATORS = frozenset(
    "11 12 13 14 15 16 17 AM BL CH CI DS FI HM LM MA MB MC OF TV VA WC ZZ".split()
)
# SBR05, why Medicare is secondary (12 working aged, 13 ESRD, 14 no-fault, 15 workers' comp,
# 16 public health service, 41 black lung, 42 veterans, 43 disabled large group, 47 liability).
MEDICARE_SECONDARY_TYPES = frozenset("12 13 14 15 16 41 42 43 47".split())
