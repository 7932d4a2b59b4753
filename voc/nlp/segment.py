"""Sentence and clause segmentation with character offsets into the original text.

Sentences come from spaCy's rule-based `sentencizer` on a blank pipeline per language, plus
rules for informal feedback: a line break always ends a sentence, "..." ends one before a
capital letter, "!"/"?" end one even without a following space, and an emoji-only piece
joins the sentence it comments on instead of standing alone. Inside a sentence, contrastive
conjunctions (but / mais / tapi / tetapi / namun ...) open a new clause, so "fast delivery
but the screen arrived cracked" yields two clauses, each with its own sentiment; so do "and"
/ "et" / "dan" and commas between two statements, so that two complaints in one sentence
give two clauses, each with its own root cause.

Every span is trimmed of whitespace and edge punctuation and indexes the original text,
so `text[span.start:span.end] == span.text` always holds.
"""

from __future__ import annotations

import re
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING

from voc.nlp.types import Segment, Sentence

if TYPE_CHECKING:
    from collections.abc import Iterator

    from spacy.language import Language
    from spacy.tokens import Doc

# fmt: off
CONTRASTIVE: dict[str, tuple[str, ...]] = {
    "en": (
        "but", "however", "although", "though", "even though", "yet", "and yet", "except",
        "whereas", "nevertheless", "nonetheless", "unfortunately",
    ),
    "fr": (
        "mais", "cependant", "pourtant", "et pourtant", "toutefois", "néanmoins", "sauf",
        "par contre", "en revanche", "bien que", "quoique", "même si", "malgré",
        "malheureusement",
    ),
    "id": (
        "tapi", "tetapi", "tpi", "tp", "namun", "padahal", "sayangnya", "cuma", "cuman",
        "hanya saja", "meskipun", "meski", "walaupun", "walau", "biarpun", "sedangkan", "kecuali",
    ),
    "ms": (
        "tapi", "tetapi", "tpi", "tp", "namun", "cuma", "walaupun", "walau", "walau bagaimanapun",
        "meskipun", "biarpun", "sayangnya", "malangnya", "sedangkan", "kecuali",
    ),
}
"""Words that open a contrasting clause, per language ("sauf" also covers "sauf que")."""

CONCESSIVE: dict[str, tuple[str, ...]] = {
    "en": ("although", "though", "even though"),
    "fr": ("bien que", "quoique", "même si", "malgré"),
    "id": ("meskipun", "meski", "walaupun", "walau", "biarpun"),
    "ms": ("walaupun", "walau", "meskipun", "biarpun"),
}
"""Conjunctions whose clause ends at the next comma: "Although X, Y" contrasts X with Y."""

WEAK: dict[str, tuple[str, ...]] = {
    "id": ("cuma", "cuman"),
    "ms": ("cuma",),
}
"""Also mean "only" ("harganya cuma 50 ribu"): they split only after a comma, or after two
words when no number follows."""

NOT_CONTRASTIVE: dict[str, tuple[str, ...]] = {
    "en": (
        "not yet", "as yet", "never yet", "haven't yet", "hasn't yet", "didn't yet", "don't yet",
        "doesn't yet", "isn't yet", "aren't yet", "wasn't yet", "yet another", "yet again",
        "nothing but", "anything but", "all but", "but also", "last but not least", "as though",
    ),
    "fr": (
        "mais aussi", "mais également", "mais oui", "mais non", "malgré tout", "malgré moi",
        "sain et sauf",
    ),
    "id": (
        "tapi juga", "tetapi juga", "bukan cuma", "tidak cuma", "tak cuma", "gak cuma",
        "nggak cuma", "ga cuma",
    ),
    "ms": ("tapi juga", "tetapi juga", "bukan cuma", "tak cuma"),
}
"""Phrases in which a listed conjunction does not contrast ("not yet", "mais aussi")."""

ADDITIVE: dict[str, tuple[str, ...]] = {
    "en": ("and",),
    "fr": ("et",),
    "id": ("dan", "serta"),
    "ms": ("dan", "serta"),
}
"""Conjunctions that join two statements ("the room was dirty and the staff were rude"; a
comma does too): a new clause only when both sides are long enough to be statements
(`ADDITIVE_MIN_WORDS`), so "fast and friendly", "the food and the service were bad" or
"fast delivery, good price" stay whole. Two complaints in one sentence ("barang rosak dan
duit belum dipulangkan") are then two clauses, each with its own root cause."""

ADDITIVE_MIN_WORDS: dict[str, int] = {"en": 3, "fr": 3, "id": 2, "ms": 2}
"""Words each side of an additive conjunction needs; English and French spend one on an
article ("the food"), Indonesian and Malay have none ("makanan sejuk")."""

COMMA_MIN_WORDS = 3
"""Words each side of a bare comma needs, in every language: lists of two-word items ("ikan
bakar, nasi goreng") are common, two-word statements joined by a comma less so."""

CODE_SWITCHING: dict[str, tuple[str, ...]] = {
    "en": ("id", "ms"),
    "id": ("ms", "en"),
    "ms": ("id", "en"),
}
"""Languages whose conjunctions also count: Indonesian and Malay reviews mix in English
("barang ok but delivery lambat"), and language id often swaps Indonesian and Malay.
French borrows none: "but" is a French noun (goal)."""
# fmt: on

SPACY_LANGUAGES = frozenset({"en", "fr", "id", "ms"})
FALLBACK_PIPELINE = "xx"
ANY_LANGUAGE = "*"

EDGE_PUNCTUATION = frozenset(".,;:!?…-–—•*·~。！？，、")
LINE = re.compile(r"[^\r\n\u2028\u2029]+")
LINE_BREAK = re.compile(r"[\r\n\u2028\u2029]")
LIST_MARKER = re.compile(r"[ \t]*\d{1,2}[.)][ \t]+")
EXTRA_BREAK = re.compile(r"(?:\.{2,}|…)[.…]*\s*|[!?]+|(?<=[^\W\d_]{2})\.")
"""Ellipses, and "!", "?" or "." glued to the next word: a break when a capital follows."""
ALNUM = re.compile(r"[^\W_]")
CLAUSE_COMMA = re.compile(r"[,;]")
WORD = re.compile(r"[^\W_][\w'’-]*")
JOINING_PUNCTUATION = r"[,;](?=\s)"
"""A comma or semicolon between two statements joins them like "and" does."""


@dataclass(frozen=True)
class _ClauseRules:
    conjunctions: re.Pattern[str]
    exceptions: re.Pattern[str]
    concessive: frozenset[str]
    weak: frozenset[str]
    additive: re.Pattern[str]
    additive_min_words: int


class Segmenter:
    """Splits feedback into sentences and clauses; safe to share between threads.

    One blank spaCy pipeline per language, created on first use.
    """

    def __init__(self) -> None:
        self._pipelines: dict[str, Language] = {}
        self._lock = threading.Lock()

    def segment(self, text: str, language: str) -> tuple[Sentence, ...]:
        """Sentences of one text, each with its clauses; `()` for a blank text."""
        if not text.strip():
            return ()
        doc = self._pipeline(_pipeline_name(language))(text)
        return _sentences(text, doc, _base_language(language))

    def segment_batch(self, texts: list[str], languages: list[str]) -> list[tuple[Sentence, ...]]:
        """`segment` for many texts, in input order; one `nlp.pipe` per language for speed."""
        results: list[tuple[Sentence, ...]] = [()] * len(texts)
        groups: dict[str, list[int]] = {}
        for i, (text, language) in enumerate(zip(texts, languages, strict=True)):
            if text.strip():
                groups.setdefault(_pipeline_name(language), []).append(i)
        for name, indices in groups.items():
            docs = self._pipeline(name).pipe(texts[i] for i in indices)
            for i, doc in zip(indices, docs, strict=True):
                results[i] = _sentences(texts[i], doc, _base_language(languages[i]))
        return results

    def _pipeline(self, name: str) -> Language:
        nlp = self._pipelines.get(name)
        if nlp is None:
            with self._lock:
                nlp = self._pipelines.get(name)
                if nlp is None:
                    nlp = _blank_pipeline(name)
                    self._pipelines[name] = nlp
        return nlp


def contrast_groups(clauses: Sequence[Segment]) -> list[list[int]]:
    """The clauses' indices grouped by contrast unit: a `joined` clause (opened by "and" or a
    comma) belongs to the unit before it. Contrastive conjunctions separate units ("great food
    but slow service"): the `mixed` rule compares units, not both sides of every "and"
    (`voc.nlp.sentiment.document_sentiment`), and topics read one unit as one comment unit."""
    groups: list[list[int]] = []
    for i, clause in enumerate(clauses):
        if clause.joined and groups:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


def _blank_pipeline(name: str) -> Language:
    """Tokenizer + sentencizer only: rule-based, so it needs no trained model."""
    import spacy

    nlp = spacy.blank(name)
    nlp.add_pipe("sentencizer")
    return nlp


def _base_language(language: str) -> str:
    """Primary subtag, so "fr-CA" and "EN_us" find the "fr" and "en" rules."""
    return language.strip().lower().replace("_", "-").split("-")[0]


def _pipeline_name(language: str) -> str:
    base = _base_language(language)
    return base if base in SPACY_LANGUAGES else FALLBACK_PIPELINE


# Sentences


def _sentences(text: str, doc: Doc, language: str) -> tuple[Sentence, ...]:
    rules = _clause_rules(language if language in CONTRASTIVE else ANY_LANGUAGE)
    return tuple(
        Sentence(start, end, text[start:end], _clauses(text, start, end, rules))
        for start, end in _sentence_spans(text, _pieces(text, _breaks(text, doc)))
    )


def _breaks(text: str, doc: Doc) -> list[int]:
    """Sentence starts from spaCy plus the informal-text rules, sorted."""
    starts = {sent.start_char for sent in doc.sents}
    for match in EXTRA_BREAK.finditer(text):
        end = match.end()
        if end < len(text) and text[end].isupper():
            starts.add(end)
    return sorted(starts)


def _pieces(text: str, breaks: list[int]) -> Iterator[tuple[int, int]]:
    """Ranges between sentence breaks, never crossing a line break or a list number."""
    for line in LINE.finditer(text):
        start, end = line.span()
        marker = LIST_MARKER.match(text, start, end)
        if marker:
            start = marker.end()
        inner = breaks[bisect_right(breaks, start) : bisect_left(breaks, end)]
        yield from pairwise([start, *inner, end])


def _sentence_spans(text: str, pieces: Iterator[tuple[int, int]]) -> list[tuple[int, int]]:
    """Trimmed pieces with content; an emoji-only piece joins the sentence before it (or the
    first sentence when it comes first), since it comments on that sentence."""
    spans: list[tuple[int, int]] = []
    orphan: tuple[int, int] | None = None  # emoji seen before any sentence
    for piece in pieces:
        start, end = _trim(text, *piece)
        first_alnum = ALNUM.search(text, start, end)
        if first_alnum is None:
            if not _has_symbol(text, start, end):
                continue
            if spans:
                spans[-1] = (spans[-1][0], end)
            else:
                orphan = (orphan[0] if orphan else start, end)
            continue
        if spans and first_alnum.start() > start and _on_same_line(text, spans[-1][1], start):
            spans[-1], start = _move_leading_symbols(text, spans[-1], start, first_alnum.start())
        spans.append((orphan[0] if orphan else start, end))
        orphan = None
    if orphan:  # the text is emoji only
        spans.append(orphan)
    return spans


def _move_leading_symbols(
    text: str, previous: tuple[int, int], start: int, first_alnum: int
) -> tuple[tuple[int, int], int]:
    """In "Great! 😍 Fast delivery" the emoji after "!" belongs to "Great"."""
    if not _has_symbol(text, start, first_alnum):
        return previous, start
    symbols_end = _trim(text, start, first_alnum)[1]
    return (previous[0], symbols_end), _trim(text, symbols_end, first_alnum)[0]


def _on_same_line(text: str, start: int, end: int) -> bool:
    return LINE_BREAK.search(text, start, end) is None


# Clauses


@cache
def _clause_rules(language: str) -> _ClauseRules:
    """Compiled once per language; unknown languages (`ANY_LANGUAGE`) use every list."""
    languages = (language, *CODE_SWITCHING.get(language, ()))
    if language == ANY_LANGUAGE:
        languages = tuple(CONTRASTIVE)

    def gather(table: dict[str, tuple[str, ...]]) -> set[str]:
        return {phrase for lang in languages for phrase in table.get(lang, ())}

    return _ClauseRules(
        conjunctions=_phrase_pattern(gather(CONTRASTIVE)),
        exceptions=_phrase_pattern(gather(NOT_CONTRASTIVE)),
        concessive=frozenset(gather(CONCESSIVE)),
        weak=frozenset(gather(WEAK)),
        additive=re.compile(
            rf"{_phrase_pattern(set(ADDITIVE.get(language, ()))).pattern}|{JOINING_PUNCTUATION}",
            re.IGNORECASE,
        ),
        additive_min_words=ADDITIVE_MIN_WORDS.get(language, 3),
    )


def _phrase_pattern(phrases: set[str]) -> re.Pattern[str]:
    """Whole-word, case-insensitive, longest phrase first; any spacing, either apostrophe."""
    if not phrases:
        return re.compile(r"(?!)")
    body = "|".join(
        re.escape(phrase).replace(r"\ ", r"\s+").replace("'", "['’]")
        for phrase in sorted(phrases, key=len, reverse=True)
    )
    return re.compile(rf"(?<![\w'’-])(?:{body})(?![\w'’-])", re.IGNORECASE)


def _clauses(text: str, start: int, end: int, rules: _ClauseRules) -> tuple[Segment, ...]:
    """The sentence cut before each contrastive conjunction (and after a concessive clause),
    and at each additive join (those clauses are `joined`)."""
    contrastive = _contrastive_cuts(text, start, end, rules)
    cuts = _additive_cuts(text, start, end, contrastive, rules)
    joined = set(cuts) - set(contrastive)
    spans = [(_trim(text, a, b), a in joined) for a, b in pairwise([start, *cuts, end])]
    return tuple(Segment(a, b, text[a:b], is_joined) for (a, b), is_joined in spans if a < b)


def _contrastive_cuts(text: str, start: int, end: int, rules: _ClauseRules) -> list[int]:
    matches = list(rules.conjunctions.finditer(text, start, end))
    if not matches:
        return []
    excluded = [m.span() for m in rules.exceptions.finditer(text, start, end)]
    kept = [m for m in matches if not any(a <= m.start() and m.end() <= b for a, b in excluded)]
    cuts, floor = [], start
    for match in kept:
        if _opens_clause(text, match, floor, end, rules):
            cuts.append(match.start())
        floor = match.end()
    openers = {m.start(): m for m in kept if _key(m) in rules.concessive}
    for clause_start, clause_end in pairwise([start, *cuts, end]):
        if clause_start in openers:
            comma = _concession_end(text, openers[clause_start].end(), clause_end)
            if comma is not None:
                cuts.append(comma)
    return sorted(cuts)


def _additive_cuts(
    text: str, start: int, end: int, cuts: list[int], rules: _ClauseRules
) -> list[int]:
    """`cuts` plus a cut at each additive conjunction or comma with a statement on both sides:
    the words between it and its neighbouring joins or cuts, not counting a conjunction that
    opens a side, reach `additive_min_words` (`COMMA_MIN_WORDS` at a bare comma), so a list
    ("ikan bakar, nasi goreng, es teh") stays whole."""
    joins = _joins(text, start, end, cuts, rules)
    result = list(cuts)
    for n, (a, b, conjunction) in enumerate(joins):
        left = max([c for c in [start, *cuts] if c <= a] + [j[1] for j in joins[:n]])
        right = min([c for c in [*cuts, end] if c >= b] + [j[0] for j in joins[n + 1 :]])
        needed = rules.additive_min_words if conjunction else COMMA_MIN_WORDS
        words = _statement_words(text, left, a, rules), _statement_words(text, b, right, rules)
        if min(words) >= needed:
            result.append(a)
    return sorted(result)


def _joins(
    text: str, start: int, end: int, cuts: list[int], rules: _ClauseRules
) -> list[tuple[int, int, bool]]:
    """(start, end, holds a conjunction) of each join not already a cut; a comma and the
    conjunction right after it (", and") are one join."""
    joins: list[tuple[int, int, bool]] = []
    for match in rules.additive.finditer(text, start, end):
        if {*match.span()} & {*cuts}:
            continue
        conjunction = match.group() not in ",;"
        if joins and not ALNUM.search(text, joins[-1][1], match.start()):
            joins[-1] = (joins[-1][0], match.end(), joins[-1][2] or conjunction)
        else:
            joins.append((match.start(), match.end(), conjunction))
    return joins


def _statement_words(text: str, start: int, end: int, rules: _ClauseRules) -> int:
    """Words of a span but those of the conjunction opening it ("but", "walau bagaimanapun")."""
    start = _trim(text, start, end)[0]
    opener = rules.conjunctions.match(text, start, end) or rules.additive.match(text, start, end)
    return len(WORD.findall(text, opener.end() if opener else start, end))


def _opens_clause(
    text: str, match: re.Match[str], floor: int, end: int, rules: _ClauseRules
) -> bool:
    """Split only with content on both sides; `floor` is the end of the previous conjunction,
    so "tapi sayangnya ..." stays one clause."""
    if not (_has_content(text, floor, match.start()) and _has_content(text, match.end(), end)):
        return False
    if _key(match) not in rules.weak:
        return True
    left = text[floor : match.start()].rstrip()
    if left.endswith((",", ";")):
        return True
    following = text[match.end() : end].lstrip()
    return len(left.split()) >= 2 and not following[:1].isdigit()


def _concession_end(text: str, start: int, end: int) -> int | None:
    """Just after the comma closing "Although X," when X and what follows both have content."""
    comma = CLAUSE_COMMA.search(text, start, end)
    if comma is None or not _has_content(text, start, comma.start()):
        return None
    return comma.end() if _has_content(text, comma.end(), end) else None


def _key(match: re.Match[str]) -> str:
    return " ".join(match.group().lower().split())


# Characters


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Without surrounding whitespace and edge punctuation (brackets and quotes stay)."""
    while start < end and (text[start].isspace() or text[start] in EDGE_PUNCTUATION):
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] in EDGE_PUNCTUATION):
        end -= 1
    return start, end


def _has_content(text: str, start: int, end: int) -> bool:
    return ALNUM.search(text, start, end) is not None or _has_symbol(text, start, end)


def _has_symbol(text: str, start: int, end: int) -> bool:
    """Emoji and other pictographs (Unicode category So) carry meaning in feedback."""
    return any(unicodedata.category(c) == "So" for c in text[start:end])
