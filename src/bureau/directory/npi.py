"""NPI check digit: Luhn over the prefix 80840 plus the first nine digits."""

from __future__ import annotations


def _luhn_sum(digits: str) -> int:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:  # rightmost digit of the payload is doubled (check digit not included)
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total


def npi_check_digit(first_nine: str) -> int:
    if len(first_nine) != 9 or not first_nine.isdigit():
        raise ValueError("NPI check digit needs nine digits")
    return (10 - _luhn_sum("80840" + first_nine) % 10) % 10


def is_valid_npi(npi: str) -> bool:
    return (
        len(npi) == 10
        and npi.isascii()
        and npi.isdigit()
        and npi[0] in "12"
        and npi_check_digit(npi[:9]) == int(npi[9])
    )


def make_npi(first_nine: str) -> str:
    return first_nine + str(npi_check_digit(first_nine))
