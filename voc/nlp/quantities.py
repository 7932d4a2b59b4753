"""Numbers with units in feedback ("3 hari", "RM 25", "deux semaines", "seminggu", "9 days").

Units, number words and multipliers are data (the `numbers` section of
`voc/data/expectation_cues.json`). Two quantities of the same dimension can be subtracted:
the gap is given in the smaller of their two units, so "2 days vs 2 weeks" is 12 days.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from voc.nlp.cues import phrase_pattern
from voc.nlp.types import Segment

NUMBER = r"\d+(?:[.,]\d+)*"


@dataclass(frozen=True)
class Unit:
    name: str
    dimension: str
    factor: float
    """How many of the dimension's smallest unit one of this unit is."""


@dataclass(frozen=True)
class Quantity:
    value: float
    unit: Unit | None
    """None for a bare number ("arrived in 9"), which borrows the unit it is compared with."""
    span: Segment


@dataclass(frozen=True)
class QuantityGap:
    """`actual - expected`, in `unit` (positive: more than expected, e.g. later or dearer)."""

    value: float
    unit: str


def parse_number(raw: str) -> float:
    """ "1.500" and "1,500" are thousands (a 3-digit group); "2,5" and "2.5" are decimals."""
    groups = re.split(r"[.,]", raw)
    if len(groups) > 1 and all(len(g) == 3 for g in groups[1:]):
        return float("".join(groups))
    if len(groups) == 2:
        return float(f"{groups[0]}.{groups[1]}")
    return float(raw.replace(",", "").replace(".", ""))


class QuantityParser:
    def __init__(self, config: dict[str, Any]) -> None:
        self.units: dict[str, Unit] = {}
        surface: dict[str, Unit] = {}
        for name, spec in config["units"].items():
            unit = Unit(name, spec["dimension"], float(spec["factor"]))
            self.units[name] = unit
            for word in spec["words"]:
                surface[word.lower()] = unit
        self._surface = surface
        self._multipliers = {k.lower(): float(v) for k, v in config["multipliers"].items()}
        self._words = {
            w.lower(): float(v) for table in config["words"].values() for w, v in table.items()
        }
        prefixes = {p for values in config["one_prefix"].values() for p in values}
        unit_alt = _alternation(surface)
        mult_alt = _alternation(self._multipliers)
        word_alt = _alternation(self._words)
        before_alt = "|".join(
            re.escape(w.lower()) for w in sorted(config["currency_before"], key=len, reverse=True)
        )
        self._patterns = [
            re.compile(
                rf"(?<![\w.,])(?P<cur>{before_alt})\s?(?P<num>{NUMBER})"
                rf"(?:\s?(?P<mult>{mult_alt}))?(?!\w)",
                re.IGNORECASE,
            ),
            re.compile(
                rf"(?<![\w.,])(?P<num>{NUMBER})(?:\s?(?P<mult>{mult_alt}))?\s?(?P<unit>{unit_alt})",
                re.IGNORECASE,
            ),
            re.compile(rf"(?<!\w)(?P<word>{word_alt})\s+(?P<unit>{unit_alt})", re.IGNORECASE),
            re.compile(
                rf"(?<!\w)(?P<prefix>{'|'.join(map(re.escape, sorted(prefixes)))})"
                rf"(?P<unit>{unit_alt})",
                re.IGNORECASE,
            ),
        ]
        self._bare = re.compile(rf"(?<![\w.,])(?P<num>{NUMBER})(?![\w.,]?\d)")

    def find(self, text: str, start: int, end: int, *, bare: bool = False) -> list[Quantity]:
        """Quantities inside `text[start:end]`, in order; bare numbers too when `bare`."""
        found: list[Quantity] = []
        for pattern in self._patterns:
            for m in pattern.finditer(text, start, end):
                if any(q.span.start < m.end() and m.start() < q.span.end for q in found):
                    continue
                found.append(self._quantity(m))
        if bare:
            for m in self._bare.finditer(text, start, end):
                if not any(q.span.start < m.end() and m.start() < q.span.end for q in found):
                    found.append(
                        Quantity(parse_number(m["num"]), None, Segment(m.start(), m.end(), m[0]))
                    )
        return sorted(found, key=lambda q: q.span.start)

    def _quantity(self, m: re.Match[str]) -> Quantity:
        groups = m.groupdict()
        if groups.get("num"):
            value = parse_number(groups["num"])
        elif groups.get("word"):
            value = self._words[groups["word"].lower()]
        else:
            value = 1.0
        if groups.get("mult"):
            value *= self._multipliers[groups["mult"].lower()]
        unit_word = groups.get("unit") or groups.get("cur")
        unit = self._surface[_squash(unit_word)]
        return Quantity(value, unit, Segment(m.start(), m.end(), m[0]))


def quantity_gap(expected: Quantity, actual: Quantity) -> QuantityGap | None:
    """`actual - expected` when they measure the same thing (a bare number borrows the unit)."""
    e_unit = expected.unit or actual.unit
    a_unit = actual.unit or expected.unit
    if e_unit is None or a_unit is None or e_unit.dimension != a_unit.dimension:
        return None
    unit = min(e_unit, a_unit, key=lambda u: u.factor)
    value = (actual.value * a_unit.factor - expected.value * e_unit.factor) / unit.factor
    return QuantityGap(round(value, 4), unit.name)


def _alternation(words: dict[str, Any]) -> str:
    return "|".join(
        phrase_pattern(w).replace(r"(?<![\w])", "") for w in sorted(words, key=len)[::-1]
    )


def _squash(word: str) -> str:
    return re.sub(r"[\s\-]+", " ", word.lower())
