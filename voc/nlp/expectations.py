"""Expectation gaps: what the customer was promised or expected, and what happened instead.

"Dijanjikan 3 hari, tapi baru sampai 9 hari" -> kind delivery_time, expected "3 hari",
actual "9 hari", gap +6 days. Detection is driven by cue lexicons kept as data
(`voc/data/expectation_cues.json`, per language):

- an *expect* cue ("promised", "je m'attendais", "katanya", "sepatutnya") opens the expected
  part, which runs to the next clause boundary; a *contrast* cue or the next clause (when the
  expectation carries a number) gives the actual part; a *reverse* cue before the expect cue
  ("padahal dijanjikan 3 hari") means the actual part came first;
- a *shortfall* phrase ("not as described", "tidak sesuai", "pas conforme") is a gap by
  itself: the clause before it is the actual part;
- a *met* phrase ("as promised", "sesuai deskripsi", "comme prévu") covers the cues inside it;
- an expectation with no stated outcome must name what it was about (a kind word or a unit:
  "sepatutnya sampai semalam" yes, the editorial "kita sepatutnya berbahagia" no).

A gap whose actual part reads clearly positive to the sentiment model ("je croyais que
c'était nul, mais j'ai adoré") is an expectation exceeded, not a gap, and is dropped.

The kind comes from the kind cue words and units in the evidence (money -> price, days ->
delivery time); when none is present, from the nearest kind description in the encoder's
embedding space (`kind_source` says which). Every span indexes the original text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from voc.nlp.cues import CueMatch, CueSet, phrase_pattern
from voc.nlp.quantities import Quantity, QuantityGap, QuantityParser, quantity_gap
from voc.nlp.types import Segment

DEFAULT_CUES_PATH = Path(__file__).resolve().parent.parent / "data" / "expectation_cues.json"
CUE_CATEGORIES = ("expect", "expect_weak", "shortfall", "met", "contrast", "reverse")
OTHER_KIND = "other"
MIN_KIND_SIMILARITY = 0.80
"""Below this cosine to every kind description, an uncued gap is kind `other` (e5 cosines
sit high: unrelated short texts score about 0.75-0.8)."""
OUTCOME_CUES = frozenset(
    {
        "took",
        "it took",
        "and it",
        "still",
        "baru",
        "masih",
        "tetap",
        "tetep",
        "toujours pas",
        "et toujours",
        "last2",
        "last-last",
        "akhirnya",
        "eh",
    }
)
"""Contrast cues that describe the outcome itself: they stay inside the actual part, and only
end the expected part once it says something (a number or two words)."""
MAX_REVERSE_GAP_WORDS = 4
UNIT_KINDS = {
    "time": ("delivery_time", 0.5),
    "money": ("price", 1.5),
    "percent": ("price", 1.0),
    "length": ("size", 1.0),
    "mass": ("size", 1.0),
    "storage": ("feature", 1.0),
}
"""The kind a unit points to, and its weight against one kind word: money is price, but a
duration may be a delivery or a support reply."""
SENTENCE_END = re.compile(r"(?<![Rr][Pp])[.!?]+(?=\s|$)|\n+")
CLAUSE_MARK = re.compile(r"[,;:()]")

MORE_IS_WORSE = frozenset({"delivery_time", "price"})
"""Kinds whose quantity gap (`actual - expected`) is a shortfall when positive."""

MAX_ACTUAL_POSITIVE = 0.8
"""P(positive) of the actual part above which the expectation counts as met or exceeded.
High, because the sentiment head reads short fragments out of context ("arrived in 9" gets
0.73); shortfall phrases and actual parts under three words are never dropped."""
MIN_JUDGED_WORDS = 3

Embed = Callable[[list[str]], np.ndarray]
Positivity = Callable[[list[str]], np.ndarray]
"""Texts -> P(positive) per text (the encoder and the sentiment head)."""


@dataclass(frozen=True)
class ExpectationGap:
    kind: str
    kind_source: str
    """"cue" (kind words or units in the evidence), "embedding" (nearest kind description),
    or "none" (no cue and no encoder)."""
    cue: Segment
    expected: Segment | None
    actual: Segment | None
    expected_quantity: Quantity | None
    actual_quantity: Quantity | None
    gap: QuantityGap | None
    evidence: tuple[Segment, ...]

    @property
    def kept(self) -> bool:
        """The numbers show the promise kept or beaten: no later, no dearer than expected
        ("promised in 5 days, arrived in 2"). Other kinds have no better direction."""
        return self.gap is not None and self.kind in MORE_IS_WORSE and self.gap.value <= 0


@dataclass(frozen=True)
class _Draft:
    cue: CueMatch
    expected: Segment | None
    actual: Segment | None
    expected_quantity: Quantity | None
    actual_quantity: Quantity | None
    evidence: Segment
    sentence: Segment


class ExpectationDetector:
    """Finds expectation gaps; `embed` (the encoder) decides kinds no cue word decides, and
    `positivity` (the sentiment model) drops expectations that were exceeded."""

    def __init__(
        self,
        lexicon: dict[str, Any],
        embed: Embed | None = None,
        positivity: Positivity | None = None,
    ) -> None:
        self.version = f"cues@{lexicon['version']}"
        self._cues = {
            language: CueSet({c: table.get(c, []) for c in CUE_CATEGORIES})
            for language, table in lexicon["languages"].items()
        }
        self._negated = {
            language: re.compile(
                "(?:" + "|".join(phrase_pattern(n) for n in table.get("negators", [])) + r")\s*$",
                re.IGNORECASE,
            )
            for language, table in lexicon["languages"].items()
            if table.get("negators")
        }
        self._kind_names = list(lexicon["kinds"])
        self._kind_cues = CueSet({k: v["cues"] for k, v in lexicon["kinds"].items()})
        self._kind_descriptions = {
            k: list(v["description"].values()) for k, v in lexicon["kinds"].items()
        }
        self._quantities = QuantityParser(lexicon["numbers"])
        self._embed = embed
        self._positivity = positivity

    @classmethod
    def load(
        cls,
        path: Path = DEFAULT_CUES_PATH,
        embed: Embed | None = None,
        positivity: Positivity | None = None,
    ) -> ExpectationDetector:
        return cls(json.loads(path.read_text(encoding="utf-8")), embed, positivity)

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(self._cues)

    def detect(self, text: str, language: str) -> list[ExpectationGap]:
        return self.detect_batch([text], [language])[0]

    def detect_batch(
        self, texts: Sequence[str], languages: Sequence[str]
    ) -> list[list[ExpectationGap]]:
        """Gaps per text; one encoder call for every gap whose kind no cue word decides."""
        drafts = self._without_exceeded(
            [self._drafts(t, lang) for t, lang in zip(texts, languages, strict=True)]
        )
        kinds: dict[tuple[int, int], tuple[str, str]] = {}
        uncued: list[tuple[int, int]] = []
        for i, (text, doc_drafts) in enumerate(zip(texts, drafts, strict=True)):
            for j, draft in enumerate(doc_drafts):
                kind = self._cued_kind(text, draft)
                if kind:
                    kinds[i, j] = (kind, "cue")
                else:
                    uncued.append((i, j))
        if uncued:
            for key, kind in zip(
                uncued,
                self._nearest_kinds([drafts[i][j].evidence.text for i, j in uncued]),
                strict=True,
            ):
                kinds[key] = kind
        return [
            [
                ExpectationGap(
                    kind=kinds[i, j][0],
                    kind_source=kinds[i, j][1],
                    cue=Segment(d.cue.start, d.cue.end, d.cue.text),
                    expected=d.expected,
                    actual=d.actual,
                    expected_quantity=d.expected_quantity,
                    actual_quantity=d.actual_quantity,
                    gap=quantity_gap(d.expected_quantity, d.actual_quantity)
                    if d.expected_quantity and d.actual_quantity
                    else None,
                    evidence=(d.evidence,),
                )
                for j, d in enumerate(doc_drafts)
            ]
            for i, doc_drafts in enumerate(drafts)
        ]

    def _without_exceeded(self, drafts: list[list[_Draft]]) -> list[list[_Draft]]:
        """Drop drafts whose actual part is positive: one sentiment call for the batch."""
        judged = [d for doc in drafts for d in doc if _judged(d)]
        if self._positivity is None or not judged:
            return drafts
        scores = self._positivity([d.actual.text for d in judged if d.actual is not None])
        exceeded = {id(d) for d, p in zip(judged, scores, strict=True) if p > MAX_ACTUAL_POSITIVE}
        return [[d for d in doc if id(d) not in exceeded] for doc in drafts]

    # -- finding the parts ------------------------------------------------------------------

    def _drafts(self, text: str, language: str) -> list[_Draft]:
        cue_set = self._cues.get(language)
        if cue_set is None:
            return []
        cues = self._negate_met(text, language, cue_set.find(text))
        sentences = _sentence_spans(text)
        drafts: list[_Draft] = []
        for cue in cues:
            if cue.category not in ("expect", "expect_weak", "shortfall"):
                continue
            if drafts and drafts[-1].evidence.end > cue.start:
                continue
            sentence = next(s for s in sentences if s[0] <= cue.start < s[1])
            context = _Context(text, cues, sentences, sentence)
            draft = (
                self._shortfall(context, cue)
                if cue.category == "shortfall"
                else self._expectation(context, cue)
            )
            if draft is not None:
                drafts.append(draft)
        return drafts

    def _negate_met(self, text: str, language: str, cues: list[CueMatch]) -> list[CueMatch]:
        """A met phrase after a negator ("tidak sesuai gambar") says the opposite: shortfall."""
        negated = self._negated.get(language)
        if negated is None:
            return cues
        out = []
        for cue in cues:
            m = negated.search(text, max(0, cue.start - 20), cue.start)
            if cue.category == "met" and m:
                cue = CueMatch("shortfall", m.start(), cue.end, text[m.start() : cue.end])
            out.append(cue)
        return out

    def _expectation(self, ctx: _Context, cue: CueMatch) -> _Draft | None:
        text = ctx.text
        reverse = ctx.reverse_before(cue)
        end = ctx.expected_end(cue.end, self._has_substance)
        expected = _trimmed(text, cue.end, end)
        expected_q = self._first_quantity(expected)
        actual: Segment | None = None
        if reverse is not None:
            actual = _trimmed(text, ctx.clause_start(reverse.start), reverse.start)
        else:
            actual = ctx.actual_after(end, needs_link=expected_q is None)
        actual_q = self._first_quantity(
            actual, bare=expected_q is not None and expected_q.unit is not None
        )
        if actual_q is None and expected_q is not None and actual is None:
            actual, actual_q = self._actual_in_next_sentence(ctx, end, expected_q)
        if expected is None:
            return None
        if cue.category == "expect_weak" and actual is None:
            return None
        spans = [s for s in (cue, expected, actual, reverse) if s is not None]
        draft = _Draft(cue, expected, actual, expected_q, actual_q, *ctx.evidence(spans))
        if actual is None and self._cued_kind(text, draft) is None:
            return None
        return draft

    def _shortfall(self, ctx: _Context, cue: CueMatch) -> _Draft:
        text = ctx.text
        expected = _trimmed(text, cue.end, ctx.clause_end(cue.end))
        actual = _trimmed(text, ctx.clause_start(cue.start), cue.start)
        spans = [s for s in (cue, expected, actual) if s is not None]
        return _Draft(
            cue,
            expected,
            actual,
            self._first_quantity(expected),
            self._first_quantity(actual),
            *ctx.evidence(spans),
        )

    def _actual_in_next_sentence(
        self, ctx: _Context, end: int, expected_q: Quantity
    ) -> tuple[Segment | None, Quantity | None]:
        """ "Promised 2 days. Took 2 weeks." : a next sentence with a comparable number."""
        following = ctx.next_sentence()
        if following is None:
            return None, None
        clause = _trimmed(ctx.text, following[0], ctx.clause_end(following[0], following[1]))
        quantity = self._first_quantity(clause, bare=expected_q.unit is not None)
        if quantity is None or quantity_gap(expected_q, quantity) is None:
            return None, None
        return clause, quantity

    def _first_quantity(self, span: Segment | None, *, bare: bool = False) -> Quantity | None:
        if span is None:
            return None
        found = self._quantities.find(span.text, 0, len(span.text), bare=bare)
        if not found:
            return None
        q = found[0]
        shifted = Segment(q.span.start + span.start, q.span.end + span.start, q.span.text)
        return Quantity(q.value, q.unit, shifted)

    def _has_substance(self, text: str, start: int, end: int) -> bool:
        piece = text[start:end]
        return bool(self._quantities.find(piece, 0, len(piece))) or len(piece.split()) >= 2

    # -- deciding the kind ------------------------------------------------------------------

    def _cued_kind(self, text: str, draft: _Draft) -> str | None:
        """The kind most cued in the sentence, words inside the evidence and units counting
        double; None when no kind word or unit is there."""
        scores = dict.fromkeys(self._kind_names, 0.0)
        sentence, evidence = draft.sentence, draft.evidence
        for match in self._kind_cues.find(text[sentence.start : sentence.end]):
            inside = evidence.start <= match.start + sentence.start < evidence.end
            scores[match.category] += 2.0 if inside else 1.0
        for q in (draft.expected_quantity, draft.actual_quantity):
            if q is not None and q.unit is not None:
                kind, weight = UNIT_KINDS[q.unit.dimension.split(":")[0]]
                scores[kind] += 2.0 * weight
        best = max(scores, key=lambda k: scores[k])
        return best if scores[best] > 0 else None

    @cached_property
    def _kind_vectors(self) -> np.ndarray:
        """Mean embedding of each kind's descriptions (texts go in bare: the encoder adds
        e5's `query: ` prefix itself)."""
        assert self._embed is not None
        rows = []
        for name in self._kind_names:
            vectors = self._embed(list(self._kind_descriptions[name]))
            mean = vectors.mean(axis=0)
            rows.append(mean / np.linalg.norm(mean))
        return np.stack(rows)

    def _nearest_kinds(self, texts: list[str]) -> list[tuple[str, str]]:
        if self._embed is None:
            return [(OTHER_KIND, "none")] * len(texts)
        similarity = self._embed(texts) @ self._kind_vectors.T
        out = []
        for row in similarity:
            best = int(np.argmax(row))
            kind = self._kind_names[best] if row[best] >= MIN_KIND_SIMILARITY else OTHER_KIND
            out.append((kind, "embedding"))
        return out


def _judged(draft: _Draft) -> bool:
    """Whether the sentiment of the actual part may overrule the cues (see MAX_ACTUAL_POSITIVE)."""
    return (
        draft.cue.category != "shortfall"
        and draft.actual is not None
        and len(draft.actual.text.split()) >= MIN_JUDGED_WORDS
    )


class _Context:
    """The text, its cues and the sentence a cue sits in: where parts begin and end."""

    def __init__(
        self,
        text: str,
        cues: list[CueMatch],
        sentences: list[tuple[int, int]],
        sentence: tuple[int, int],
    ) -> None:
        self.text = text
        self.sentences = sentences
        self.sentence = sentence
        self.cues = [c for c in cues if sentence[0] <= c.start < sentence[1]]

    def clause_end(self, pos: int, limit: int | None = None) -> int:
        limit = self.sentence[1] if limit is None else limit
        mark = CLAUSE_MARK.search(self.text, pos, limit)
        return mark.start() if mark else limit

    def clause_start(self, pos: int) -> int:
        start = self.sentence[0]
        for mark in CLAUSE_MARK.finditer(self.text, start, pos):
            start = mark.end()
        for cue in self.cues:
            if cue.category == "contrast" and start <= cue.start and cue.end <= pos:
                start = cue.end
        return start

    def expected_end(self, pos: int, has_substance: Callable[[str, int, int], bool]) -> int:
        end = self.clause_end(pos)
        for cue in self.cues:
            if cue.category != "contrast" or not pos <= cue.start < end:
                continue
            if cue.text.lower() not in OUTCOME_CUES or has_substance(self.text, pos, cue.start):
                return cue.start
        return end

    def actual_after(self, pos: int, *, needs_link: bool) -> Segment | None:
        """The actual part after the expected one: opened by a contrast cue, or (when the
        expectation has a number) simply the next clause of the sentence."""
        while pos < self.sentence[1] and (
            self.text[pos].isspace() or CLAUSE_MARK.match(self.text, pos)
        ):
            pos += 1
        if pos >= self.sentence[1]:
            return None
        link = next((c for c in self.cues if c.start == pos and c.category == "contrast"), None)
        if link is None and needs_link:
            return None
        start = pos if link is None or link.text.lower() in OUTCOME_CUES else link.end
        return _trimmed(self.text, start, self.clause_end(start))

    def reverse_before(self, cue: CueMatch) -> CueMatch | None:
        for other in reversed(self.cues):
            if other.category == "reverse" and other.end <= cue.start:
                between = self.text[other.end : cue.start]
                if CLAUSE_MARK.search(between) or len(between.split()) > MAX_REVERSE_GAP_WORDS:
                    return None
                return other
        return None

    def evidence(self, spans: Sequence[Segment | CueMatch]) -> tuple[Segment, Segment]:
        """The span covering every part, and the sentence (or two) it lies in."""
        start, end = min(s.start for s in spans), max(s.end for s in spans)
        evidence = _trimmed(self.text, start, end)
        sentence = _trimmed(self.text, min(start, self.sentence[0]), max(end, self.sentence[1]))
        assert evidence is not None and sentence is not None
        return evidence, sentence

    def next_sentence(self) -> tuple[int, int] | None:
        return next((s for s in self.sentences if s[0] >= self.sentence[1]), None)


def _sentence_spans(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for mark in SENTENCE_END.finditer(text):
        spans.append((start, mark.end()))
        start = mark.end()
    spans.append((start, len(text)))
    return [s for s in spans if s[1] > s[0]]


def _trimmed(text: str, start: int, end: int) -> Segment | None:
    """The span without surrounding whitespace and punctuation; None when nothing is left."""
    while start < end and not (text[start].isalnum() or text[start] in "€$%"):
        start += 1
    while end > start and not (text[end - 1].isalnum() or text[end - 1] in "€$%"):
        end -= 1
    return Segment(start, end, text[start:end]) if end > start else None
