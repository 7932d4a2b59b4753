"""Checksums and fixed formats that tell a real identifier from a number that merely looks like one.

A card number must pass Luhn, an IBAN ISO 13616 mod 97 with its country's length, a French NIR
its mod-97 key, a Malaysian MyKad a real birth date and place-of-birth code, an Indonesian NIK a
province code and a birth date (women add 40 to the day). Random digits pass these rarely, so
prices, dates and order numbers are not taken for identifiers."""

from __future__ import annotations

from datetime import date

IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "AE": 23,
    "SA": 24, "TR": 26,
}  # fmt: skip
"""Countries whose IBANs customers of en/fr/id/ms deployments quote; length includes the country."""
MYKAD_PLACES = {
    *range(1, 17), *range(21, 60), *range(60, 69), 71, 72, *range(74, 80), *range(82, 94), 98, 99,
}  # fmt: skip
"""Place-of-birth codes of the Malaysian National Registration Department (states and abroad)."""
NIK_PROVINCES = {
    11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
    61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96, 97,
}  # fmt: skip
"""Indonesian province codes (BPS), the first two digits of a NIK."""


def luhn(digits: str) -> bool:
    total = 0
    for i, c in enumerate(reversed(digits)):
        d = int(c) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban(compact: str) -> bool:
    """`compact`: upper case, no spaces."""
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact[2:4].isdigit():
        return False
    moved = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


def nir(compact: str) -> bool:
    """French social security number: 13 characters (Corsica: 2A/2B) then a 2-digit key."""
    if len(compact) != 15 or compact[0] not in "12" or not compact[13:].isdigit():
        return False
    body = compact[:13].replace("2A", "19").replace("2B", "18")
    return (
        body.isdigit() and 1 <= int(compact[3:5]) <= 12 and 97 - int(body) % 97 == int(compact[13:])
    )


def mykad(digits: str) -> bool:
    """YYMMDD, place of birth, 4-digit serial."""
    return (
        len(digits) == 12
        and _is_date(int(digits[4:6]), int(digits[2:4]), int(digits[:2]))
        and int(digits[6:8]) in MYKAD_PLACES
    )


def nik(digits: str) -> bool:
    """Province, regency, district, DDMMYY (day + 40 for women), serial."""
    if len(digits) != 16 or int(digits[:2]) not in NIK_PROVINCES or digits[12:] == "0000":
        return False
    day = int(digits[6:8])
    return _is_date(day - 40 if day > 40 else day, int(digits[8:10]), int(digits[10:12]))


def _is_date(day: int, month: int, year: int) -> bool:
    try:
        date(2000 + year, month, day)
    except ValueError:
        return False
    return True
