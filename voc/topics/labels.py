"""Theme labels a person can read: a short phrase taken from the theme's own clauses.

A label is a run of 2 to 6 consecutive words found in the topic's members, chosen for how much
of the topic's keyword weight it carries times the square root of how many members contain it
("parcel arrived late" rather than "parcel / late / arrived": the root lets a phrase that
says more beat a shorter, more frequent one). Words never run across what is cut out as a
unit first: personal data, redaction marks ("XXXX", "[NAME]"), @handles, URLs, discourse
fillers ("by the way", "du coup", "wkwk") and punctuation. A label neither starts nor ends with
a stop word. The same cut serves keywords (`for_keywords`), so no keyword is a handle or a mark.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

from voc.nlp.pii import detect
from voc.topics.stopwords import DATA_DIR, stop_words

MIN_WORDS, MAX_WORDS = 2, 6
MEMBERS_READ = 200
"""The most central members a label is read from (enough for support, bounded cost)."""

_UNITS = (
    r"https?://\S+|www\.\S+",  # URLs, personal or not
    r"(?<!\w)@\w+",  # handles
    r"\[[A-Z_]+\]|\{\$?[^}]*\}",  # masks and template marks: "[NAME]", "{$1,200.00}"
    r"\b[xX]{2,}(?:[/-][xX]{2,})*\b",  # CFPB redactions: "XXXX", "XX/XX/XXXX"
)
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
TOKEN = re.compile(r"\w+(?:['’-]\w+)*")
"""What a reader sees as one word: a token with a digit or an underscore ("mantap2", "2x") is
not a label word, and it breaks a run: "mantap2 tajam" never gives "Mantap tajam"."""


@cache
def _cut_pattern() -> re.Pattern[str]:
    lines = (DATA_DIR / "fillers.txt").read_text(encoding="utf-8").splitlines()
    fillers = sorted((w.strip() for w in lines if w.strip() and not w.startswith("#")), key=len)
    filler = r"\b(?:" + "|".join(re.escape(f) for f in reversed(fillers)) + r")\b"
    return re.compile("|".join([*_UNITS, filler]), re.IGNORECASE)


def segments(text: str) -> list[str]:
    """Runs of `text` between cut units (personal data, marks, handles, URLs, fillers) and
    punctuation: no label or keyword spans a gap."""
    cuts = [(s.start, s.end) for s in detect(text)]
    cuts += [m.span() for m in _cut_pattern().finditer(text)]
    out, position = [], 0
    for start, end in sorted(cuts):
        if start >= position:
            out.append(text[position:start])
        position = max(position, end)
    out.append(text[position:])
    return [part for piece in out for part in re.split(r"[^\w\s'’-]|_", piece) if part.strip()]


def for_keywords(text: str) -> str:
    """`text` with every cut unit and punctuation replaced by a line break."""
    return "\n".join(segments(text))


def _runs(text: str) -> Iterable[list[str]]:
    """The lower-case word runs of `text`: its segments, split again at tokens that are not
    words (numbers, "mantap2"), so a label is a run of words a reader sees side by side."""
    for segment in segments(text):
        run: list[str] = []
        for token in TOKEN.findall(segment):
            if WORD.fullmatch(token):
                run.append(token.lower())
            else:
                yield run
                run = []
        yield run


def _windows(text: str) -> Iterable[tuple[str, ...]]:
    """Every run of MIN_WORDS..MAX_WORDS words that starts and ends with a content word."""
    stops = stop_words()
    for words in _runs(text):
        for i, first in enumerate(words):
            if first in stops or len(first) < 2:
                continue
            for j in range(i + 1, min(i + MAX_WORDS, len(words))):
                if words[j] not in stops and len(words[j]) >= 2:
                    yield tuple(words[i : j + 1])


def holds_phrase(text: str, phrase: str) -> bool:
    """Whether `phrase` (a label) is a run of words of `text`, read as labels are read."""
    wanted = tuple(phrase.lower().split())
    lowered = text.lower()
    if not wanted or not all(word in lowered for word in wanted):
        return False  # cheap test first: reading runs detects personal data in the text
    return any(
        tuple(words[i : i + len(wanted)]) == wanted
        for words in _runs(text)
        for i in range(len(words) - len(wanted) + 1)
    )


def phrase_label(
    members: Sequence[str],
    keywords: Sequence[tuple[str, float]],
    taken: Iterable[str] = (),
) -> str:
    """The best phrase of `members` (most central first) for a topic with `keywords`; "" when
    no phrase holds a keyword. `taken` labels (of other topics, any case) are skipped; on a tie
    the shorter phrase, then the one of a more central member, wins."""
    taken = {t.lower() for t in taken}
    weight: dict[str, float] = {}
    for keyword, score in keywords:
        for word in keyword.split():
            weight[word] = max(weight.get(word, 0.0), score)
    if not weight:
        return ""
    support: Counter[tuple[str, ...]] = Counter()
    for text in members[:MEMBERS_READ]:
        support.update(list(dict.fromkeys(_windows(text))))  # once per member, in order
    stops = stop_words()
    best, best_key = "", (0.0, 0)
    for window, count in support.items():  # first seen first: the most central member's
        coverage = sum(weight.get(w, 0.0) for w in set(window) - stops)
        key = (round(coverage * math.sqrt(count), 9), -len(window))
        phrase = " ".join(window)
        if key[0] > 0 and key > best_key and phrase not in taken:
            best, best_key = phrase, key
    return best[:1].upper() + best[1:]
