"""Theme labels a person can read: a short phrase taken from the theme's own clauses.

A label is a run of 2 to 6 consecutive words found in the topic's members, chosen for how much
of the topic's keyword weight it carries times the square root of how many members contain it
("parcel arrived late" rather than "parcel / late / arrived": the root lets a phrase that
says more beat a shorter, more frequent one). Words never run across what is cut out as a
unit first: personal data, redaction marks ("XXXX", "[NAME]"), @handles, URLs, discourse
fillers ("by the way", "du coup", "wkwk") and punctuation. A label neither starts nor ends with
a stop word. The same cut serves keywords (a fit counts words in each unit's `segments`), so no
keyword is a handle or a mark. A fit cuts each unit once and reads labels from those segments:
finding personal data is most of what cutting costs.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache

from voc.nlp.pii import PiiSpan, detect
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
_UNIT_STARTS = "hw@[{x"
"""The first character of every match of `_UNITS`."""
WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")
TOKEN = re.compile(r"\w+(?:['’-]\w+)*")
"""What a reader sees as one word: a token with a digit or an underscore ("mantap2", "2x") is
not a label word, and it breaks a run: "mantap2 tajam" never gives "Mantap tajam"."""
PUNCTUATION = re.compile(r"[^\w\s'’-]|_")


@cache
def _cut_pattern() -> re.Pattern[str]:
    lines = (DATA_DIR / "fillers.txt").read_text(encoding="utf-8").splitlines()
    fillers = sorted((w.strip() for w in lines if w.strip() and not w.startswith("#")), key=len)
    filler = r"\b(?:" + "|".join(re.escape(f) for f in reversed(fillers)) + r")\b"
    # Every match starts with one of these: checking that first halves the time of a search.
    starts = re.escape("".join(sorted(set(_UNIT_STARTS) | {f[0] for f in fillers})))
    return re.compile(f"(?=[{starts}])(?:{'|'.join([*_UNITS, filler])})", re.IGNORECASE)


def segments(text: str, spans: Iterable[PiiSpan] | None = None) -> list[str]:
    """Runs of `text` between cut units (personal data, marks, handles, URLs, fillers) and
    punctuation: no label or keyword spans a gap. `spans`: the personal data of `text` when the
    caller has found it already (`detect(text)` otherwise)."""
    cuts = [(s.start, s.end) for s in (detect(text) if spans is None else spans)]
    cuts += [m.span() for m in _cut_pattern().finditer(text)]
    out, position = [], 0
    for start, end in sorted(cuts):
        if start >= position:
            out.append(text[position:start])
        position = max(position, end)
    out.append(text[position:])
    return [part for piece in out for part in PUNCTUATION.split(piece) if part.strip()]


def _runs(parts: Sequence[str]) -> Iterable[list[str]]:
    """The lower-case word runs of a text's `segments`, split again at tokens that are not
    words (numbers, "mantap2"), so a label is a run of words a reader sees side by side."""
    for segment in parts:
        run: list[str] = []
        for token in TOKEN.findall(segment):
            if WORD.fullmatch(token):
                run.append(token.lower())
            else:
                yield run
                run = []
        yield run


def _windows(parts: Sequence[str]) -> Iterable[tuple[str, ...]]:
    """Every run of MIN_WORDS..MAX_WORDS words of a text's `segments` that starts and ends
    with a content word."""
    stops = stop_words()
    for words in _runs(parts):
        for i, first in enumerate(words):
            if first in stops or len(first) < 2:
                continue
            for j in range(i + 1, min(i + MAX_WORDS, len(words))):
                if words[j] not in stops and len(words[j]) >= 2:
                    yield tuple(words[i : j + 1])


def holds_phrase(text: str, phrase: str) -> bool:
    """Whether `phrase` (a label) is a run of words of `text`, read as labels are read."""
    # cheap test first: cutting the text detects its personal data
    return _mentions(text, phrase) and segments_hold(segments(text), phrase)


def segments_hold(parts: Sequence[str], phrase: str) -> bool:
    """`holds_phrase` for a text already cut into its `segments`."""
    wanted = tuple(phrase.lower().split())
    if not _mentions("\n".join(parts), phrase):
        return False
    return any(
        tuple(words[i : i + len(wanted)]) == wanted
        for words in _runs(parts)
        for i in range(len(words) - len(wanted) + 1)
    )


def _mentions(text: str, phrase: str) -> bool:
    """Whether every word of `phrase` occurs somewhere in `text` (any case): a cheap necessary
    condition for holding it."""
    lowered = text.lower()
    words = phrase.lower().split()
    return bool(words) and all(word in lowered for word in words)


def phrase_label(
    members: Sequence[Sequence[str]],
    keywords: Sequence[tuple[str, float]],
    taken: Iterable[str] = (),
) -> str:
    """The best phrase of `members` (each one's `segments`, most central first) for a topic
    with `keywords`; "" when no phrase holds a keyword. `taken` labels (of other topics, any
    case) are skipped; on a tie the shorter phrase, then the one of a more central member,
    wins."""
    taken = {t.lower() for t in taken}
    weight: dict[str, float] = {}
    for keyword, score in keywords:
        for word in keyword.split():
            weight[word] = max(weight.get(word, 0.0), score)
    if not weight:
        return ""
    support: Counter[tuple[str, ...]] = Counter()
    for parts in members[:MEMBERS_READ]:
        support.update(list(dict.fromkeys(_windows(parts))))  # once per member, in order
    stops = stop_words()
    best, best_key = "", (0.0, 0)
    for window, count in support.items():  # first seen first: the most central member's
        coverage = sum(weight.get(w, 0.0) for w in set(window) - stops)
        key = (round(coverage * math.sqrt(count), 9), -len(window))
        phrase = " ".join(window)
        if key[0] > 0 and key > best_key and phrase not in taken:
            best, best_key = phrase, key
    return best[:1].upper() + best[1:]
