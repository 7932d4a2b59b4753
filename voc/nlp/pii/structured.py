"""Personal data with a fixed shape: e-mail, URL, IP, card, IBAN, national ids, phone numbers.

Each finder yields (start, end, type) candidates that passed their checksum or format check;
`voc.nlp.pii.detect` settles overlaps. Patterns are deliberately loose and the checks strict,
so "06 12 34 56 78", "+62 812-3456-7890" and "(415) 555-0132" are found while prices
("Rp 2.499.000"), dates ("2024-03-15"), versions ("5.0.0.1") and model numbers are not."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from urllib.parse import urlsplit

from voc.nlp.pii import checksums

Found = tuple[int, int, str]

EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)*\.[^\W\d_]{2,}(?![\w-])")
URL = re.compile(r"(?:\bhttps?://|(?<![\w.@/])www\.)[^\s<>\"'()\[\]{}]+")
URL_TRAILING = ".,;:!?'\""
PERSONAL_HOSTS = re.compile(
    r"(?:^|\.)(?:facebook|fb|instagram|twitter|x|linkedin|tiktok|youtube|wa\.me|t\.me|threads|"
    r"github|pinterest|snapchat|vk|drive\.google|docs\.google|photos\.app\.goo|dropbox|"
    r"onedrive\.live|1drv|wetransfer)\.[a-z.]+$"
)
"""Social profiles and file shares: any path on them points at a person or their files
(link shorteners such as t.co are not: where they lead is unknown)."""
PERSONAL_PATH = re.compile(
    r"@|~|/(?:u|in|user|users|profile|profil|people|member|members|account|accounts|compte|"
    r"akun|akaun|utilisateur|pengguna|customer|client)(?:/|$)",
    re.IGNORECASE,
)
PERSONAL_QUERY = re.compile(
    r"(?:^|&)(?:e?mail|user|username|uid|user_?id|id|token|phone|tel|name|nom|nama)=",
    re.IGNORECASE,
)
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)")
IPV6 = re.compile(r"(?<![\w:])[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?![\w:])")
VERSION_CUE = re.compile(
    r"(?:\bv|version|versi|ver\.?|firmware|build|release|update|mise à jour|kemas kini|"
    r"pembaruan|patch)\s*$",
    re.IGNORECASE,
)
CARD = re.compile(r"(?<![\w+.,/-])\d(?:[ -]?\d){12,18}(?![\w-]|[.,]\d)")
CARD_LENGTHS = (
    (re.compile(r"4"), (13, 16, 19)),
    (re.compile(r"5[1-5]|2[2-7]|6"), (16,)),
    (re.compile(r"3[47]"), (15,)),
    (re.compile(r"35"), (16,)),
    (re.compile(r"3[068]"), (14,)),
)
"""Issuer prefixes and lengths (Visa, Mastercard, Discover, Amex, JCB, Diners)."""
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{1,4}){3,9}")
NIR = re.compile(
    r"(?<![\w.-])[12] ?\d{2} ?\d{2} ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3} ?\d{2}(?![\w-]|[.,]\d)"
)
MYKAD = re.compile(r"(?<![\w.-])\d{6}(-?)\d{2}\1\d{4}(?![\w-]|[.,]\d)")
NIK = re.compile(r"(?<![\w.-])\d{4}([ .]?)\d{4}\1\d{4}\1\d{4}(?![\w-]|[.,]\d)")
NIK_CUE = re.compile(r"\b(?:NIK|KTP|e-KTP|nomor induk)\b[^\d\n]{0,25}$", re.IGNORECASE)
PHONE = re.compile(r"(?<![\w+/.,-])(?:\+|\b|(?=\())[\d(][\d ().-]{6,22}\d(?![\w/]|[.,-]?\d)")
PHONE_BAD_SEPARATORS = re.compile(r"[ .-]{2}|\(\)|\d\(|\)\d{5}")
US_PHONE = re.compile(r"(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}")
MY_SHARED_COST = re.compile(r"1[ -]?[3789]00[ -]?\d{2}[ -]?\d{4}")
"""Malaysian 1-300 / 1-800 numbers."""
COUNTRY_CODES = {
    "1": (10, 10), "33": (9, 9), "44": (9, 10), "60": (8, 10), "62": (7, 12), "65": (8, 8),
    "61": (9, 9), "49": (6, 13), "31": (9, 9), "32": (8, 9), "34": (9, 9), "39": (6, 11),
    "41": (9, 9), "352": (6, 11), "66": (8, 9), "63": (8, 10), "84": (9, 10), "91": (10, 10),
    "86": (10, 11), "971": (8, 9), "966": (8, 9), "212": (9, 9), "213": (8, 9), "216": (8, 8),
}  # fmt: skip
"""Calling codes and national-number lengths, for numbers written with a 00 prefix."""


def digits_of(value: str) -> str:
    return "".join(c for c in value if c.isdigit())


def emails(text: str) -> Iterator[Found]:
    for m in EMAIL.finditer(text):
        yield m.start(), m.end(), "EMAIL"


def urls(text: str) -> Iterator[Found]:
    """URLs that point at a person: a social profile, a shared file, a user path or query."""
    for m in URL.finditer(text):
        end = m.end()
        while end > m.start() and text[end - 1] in URL_TRAILING:
            end -= 1
        url = text[m.start() : end]
        if is_personal_url(url):
            yield m.start(), end, "URL"


def is_personal_url(url: str) -> bool:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path.rstrip("/")
    if PERSONAL_HOSTS.search(host) and path:
        return True
    return bool(PERSONAL_PATH.search(path) or PERSONAL_QUERY.search(parts.query))


def ips(text: str) -> Iterator[Found]:
    for m in IPV4.finditer(text):
        if _valid_ip(m.group()) and not VERSION_CUE.search(
            text[max(0, m.start() - 20) : m.start()]
        ):
            yield m.start(), m.end(), "IP"
    for m in IPV6.finditer(text):
        if _valid_ip(m.group()):
            yield m.start(), m.end(), "IP"


def _valid_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def cards(text: str) -> Iterator[Found]:
    for m in CARD.finditer(text):
        raw = m.group()
        digits = digits_of(raw)
        if len({c for c in raw if not c.isdigit()}) > 1 or not checksums.luhn(digits):
            continue
        issued = any(p.match(digits) and len(digits) in lengths for p, lengths in CARD_LENGTHS)
        if issued and not (checksums.nik(digits) and NIK_CUE.search(text[: m.start()])):
            yield m.start(), m.end(), "CARD"


def ibans(text: str) -> Iterator[Found]:
    """The longest prefix of a candidate whose compact form has its country's IBAN length."""
    for m in IBAN.finditer(text):
        length = checksums.IBAN_LENGTHS.get(m.group()[:2])
        if length is None:
            continue
        count = 0
        for i, c in enumerate(m.group()):
            count += c != " "
            if count == length:
                end = m.start() + i + 1
                if checksums.iban(text[m.start() : end].replace(" ", "")):
                    yield m.start(), end, "IBAN"
                break


def national_ids(text: str) -> Iterator[Found]:
    """French NIR (mod-97 key), Malaysian MyKad (birth date, place code), Indonesian NIK."""
    for m in NIR.finditer(text):
        if checksums.nir(m.group().replace(" ", "")):
            yield m.start(), m.end(), "NATIONAL_ID"
    for m in MYKAD.finditer(text):
        if checksums.mykad(digits_of(m.group())):
            yield m.start(), m.end(), "NATIONAL_ID"
    for m in NIK.finditer(text):
        digits = digits_of(m.group())
        if checksums.nik(digits):
            card_like = checksums.luhn(digits) and digits[0] in "2456"
            if not card_like or NIK_CUE.search(text[: m.start()]):
                yield m.start(), m.end(), "NATIONAL_ID"


def phones(text: str) -> Iterator[Found]:
    for m in PHONE.finditer(text):
        if is_phone(m.group()):
            yield m.start(), m.end(), "PHONE"


def is_phone(raw: str) -> bool:
    """International (+ or 00 and a calling code), a national number with its trunk 0
    (FR, UK, MY, ID: 9 to 13 digits), a North American number, or a Malaysian 1-300."""
    if PHONE_BAD_SEPARATORS.search(raw) or raw.count("(") != raw.count(")"):
        return False
    digits = digits_of(raw.replace("(0)", ""))
    if raw.startswith("+"):
        return 8 <= len(digits) <= 15
    if raw.startswith("00"):
        national = digits[2:]
        return any(
            national.startswith(code) and low <= len(national) - len(code) <= high
            for code, (low, high) in COUNTRY_CODES.items()
        )
    if digits.startswith("0") or raw.startswith("(0"):
        return 9 <= len(digits) <= 13
    return bool(US_PHONE.fullmatch(raw) or MY_SHARED_COST.fullmatch(raw))
