"""The hand-written personal-data test sets (tests/data/pii), parsed into text + exact offsets.

Each file holds one comment per line; `#` lines are comments. In the `personal_*` files every
personal-data span is written `{{TYPE:value}}`; parsing drops the markup and records
(start, end, type) in the plain text, so offsets are exact by construction. The `clean_*`
files hold comments with no personal data (products, prices, dates, model numbers); the
`heldout_*` files, written after the detector, measure it on text it was not tuned on; the
`heldout2_*` files (mostly names) were written before the name rules were reworked and are
measured once, never tuned on."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data" / "pii"
LANGUAGES = ("en", "fr", "id", "ms")
TYPES = (
    "EMAIL",
    "PHONE",
    "CARD",
    "IBAN",
    "NATIONAL_ID",
    "URL",
    "IP",
    "ADDRESS",
    "NAME",
    "ACCOUNT",
)
_MARK = re.compile(r"\{\{([A-Z_]+):(.+?)\}\}")


@dataclass(frozen=True)
class Sample:
    text: str
    language: str
    spans: tuple[tuple[int, int, str], ...]
    """(start, end, type) in `text`, in order."""


def parse(marked: str, language: str) -> Sample:
    """Drop the `{{TYPE:value}}` markup and record where each value lands in the plain text."""
    parts: list[str] = []
    spans: list[tuple[int, int, str]] = []
    position, length = 0, 0
    for match in _MARK.finditer(marked):
        before = marked[position : match.start()]
        parts.append(before)
        length += len(before)
        kind, value = match.group(1), match.group(2)
        if kind not in TYPES:
            raise ValueError(f"unknown type {kind!r} in {marked!r}")
        spans.append((length, length + len(value), kind))
        parts.append(value)
        length += len(value)
        position = match.end()
    parts.append(marked[position:])
    return Sample("".join(parts), language, tuple(spans))


def _read(prefix: str) -> list[Sample]:
    samples = []
    for language in LANGUAGES:
        for line in (DATA / f"{prefix}_{language}.txt").read_text(encoding="utf-8").splitlines():
            if line.strip() and not line.startswith("#"):
                samples.append(parse(line, language))
    return samples


def personal() -> list[Sample]:
    """Comments with personal data, every span marked."""
    return _read("personal")


def heldout() -> list[Sample]:
    """Comments written after the detector was tuned, measured once and never tuned on."""
    return _read("heldout")


def heldout2() -> list[Sample]:
    """The second held-out set (mostly names), written before the name rules were reworked."""
    return _read("heldout2")


def clean() -> list[Sample]:
    """Comments with no personal data at all."""
    return _read("clean")
