"""Compile cue phrases (lexicons kept as data) into regular expressions with character offsets.

Shared by expectation gaps and churn signals. A cue matches case-insensitively on word
boundaries; a straight apostrophe also matches the typographic one; accented letters also
match their plain form ("prevu" for "prévu"); a trailing `*` matches any word ending, and
` ~ ` up to three words ("never ~ again" finds "never buying from them again").
Matching runs on the original text, so every match indexes it directly.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

WORD_EDGE_BEFORE = r"(?<![\w])"
WORD_EDGE_AFTER = r"(?![\w])"


@dataclass(frozen=True)
class CueMatch:
    """One cue found in a text: `category` is the lexicon list it came from."""

    category: str
    start: int
    end: int
    text: str


def _letter_class(char: str) -> str:
    if char in "'’":
        return "['’]"
    base = unicodedata.normalize("NFD", char)[0]
    if base != char:
        return f"[{re.escape(char)}{re.escape(base)}]"
    if char == " ":
        return r"[\s\-]+"
    if char == "-":
        return r"[\s\-]?"
    return re.escape(char)


CLAUSE_WORDS = (
    "because",
    "but",
    "and",
    "when",
    "car",
    "mais",
    "quand",
    "karena",
    "kerana",
    "tapi",
    "tetapi",
    "dan",
    "bila",
)
"""Words a ` ~ ` gap may not cross: "never got it because again" is two clauses."""
GAP = r"(?:\s+(?!(?:" + "|".join(CLAUSE_WORDS) + r")\b)[\w'’-]+){0,3}\s+"


def phrase_pattern(phrase: str) -> str:
    """The regex source for one cue phrase (see module docstring for the syntax)."""
    phrase = phrase.strip().lower()
    if " ~ " in phrase:
        return GAP.join(phrase_pattern(part) for part in phrase.split(" ~ "))
    wildcard = phrase.endswith("*")
    phrase = phrase.rstrip("*")
    body = "".join(_letter_class(c) for c in phrase)
    starts_with_word = phrase[:1].isalnum()
    ends_with_word = phrase[-1:].isalnum()
    return (
        (WORD_EDGE_BEFORE if starts_with_word else "")
        + body
        + (r"\w*" if wildcard else "")
        + (WORD_EDGE_AFTER if ends_with_word or wildcard else "")
    )


class CueSet:
    """Several categories of cue phrases, matched together; longest match wins at each place."""

    def __init__(self, categories: dict[str, Iterable[str]]) -> None:
        self._patterns: dict[str, re.Pattern[str]] = {}
        for category, phrases in categories.items():
            ordered = sorted({p.strip().lower() for p in phrases if p.strip()}, key=len)
            if ordered:
                self._patterns[category] = re.compile(
                    "|".join(f"(?:{phrase_pattern(p)})" for p in reversed(ordered)),
                    re.IGNORECASE,
                )

    def find(self, text: str) -> list[CueMatch]:
        """Non-overlapping matches over every category, in text order; longer beats shorter."""
        found = [
            CueMatch(category, m.start(), m.end(), m.group(0))
            for category, pattern in self._patterns.items()
            for m in pattern.finditer(text)
            if m.end() > m.start()
        ]
        kept: list[CueMatch] = []
        for cue in sorted(found, key=lambda c: (c.start - c.end, c.start)):
            if all(cue.end <= k.start or cue.start >= k.end for k in kept):
                kept.append(cue)
        return sorted(kept, key=lambda c: c.start)
