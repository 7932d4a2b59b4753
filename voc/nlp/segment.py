"""Sentence and clause segmentation with character offsets into the original text.

Sentences come from spaCy's rule-based `sentencizer` on a blank pipeline per language, and
blank lines / line breaks also end a sentence (feedback often has no punctuation). Inside
a sentence, contrastive conjunctions (but / mais / tapi / tetapi / namun ...) start a new
clause, so "fast delivery but the screen arrived cracked" yields two clauses.
"""

from __future__ import annotations

import re
import threading
from itertools import pairwise

from voc.nlp.types import Segment, Sentence

SPACY_LANGUAGES = {"en": "en", "fr": "fr", "id": "id", "ms": "ms"}
FALLBACK_LANGUAGE = "xx"

CONTRASTIVE = {
    "en": ["but", "however", "although", "though", "except that", "yet"],
    "fr": ["mais", "cependant", "pourtant", "toutefois", "sauf que", "par contre", "bien que"],
    "id": [
        "tapi",
        "tetapi",
        "namun",
        "tp",
        "tpi",
        "padahal",
        "sayangnya",
        "cuma",
        "meskipun",
        "walaupun",
        "sedangkan",
    ],
    "ms": [
        "tapi",
        "tetapi",
        "namun",
        "tp",
        "cuma",
        "walaupun",
        "walau bagaimanapun",
        "sayangnya",
        "kecuali",
    ],
}
"""Words that open a contrasting clause, per language; unknown languages use all of them."""

LINE_BREAK = re.compile(r"\n")
TRIM = " \t\r\n.,;:!?…-–—"


def _conjunction_pattern(words: list[str]) -> re.Pattern[str]:
    alternatives = "|".join(
        re.escape(w).replace(r"\ ", r"\s+") for w in sorted(words, key=len, reverse=True)
    )
    return re.compile(rf"(?<![\w'’])(?:{alternatives})(?![\w'’])", re.IGNORECASE)


CLAUSE_PATTERNS = {lang: _conjunction_pattern(words) for lang, words in CONTRASTIVE.items()}
ANY_CLAUSE_PATTERN = _conjunction_pattern(sorted({w for ws in CONTRASTIVE.values() for w in ws}))


def _trimmed(text: str, start: int, end: int) -> Segment | None:
    """The span without surrounding whitespace/punctuation, or None if nothing is left."""
    while start < end and text[start] in TRIM:
        start += 1
    while end > start and text[end - 1] in TRIM:
        end -= 1
    if start == end or not any(c.isalnum() for c in text[start:end]):
        return None
    return Segment(start, end, text[start:end])


class Segmenter:
    """Thread-safe; spaCy pipelines are created lazily, once per language."""

    def __init__(self) -> None:
        self._pipelines: dict[str, object] = {}
        self._lock = threading.Lock()

    def _pipeline(self, language: str):
        name = SPACY_LANGUAGES.get(language, FALLBACK_LANGUAGE)
        with self._lock:
            if name not in self._pipelines:
                import spacy

                nlp = spacy.blank(name)
                nlp.add_pipe("sentencizer")
                self._pipelines[name] = nlp
            return self._pipelines[name]

    def segment(self, text: str, language: str) -> tuple[Sentence, ...]:
        return self.segment_batch([text], [language])[0]

    def segment_batch(self, texts: list[str], languages: list[str]) -> list[tuple[Sentence, ...]]:
        """Sentences (each with its clauses) for every text, in input order."""
        return [
            self._segment(text, language) for text, language in zip(texts, languages, strict=True)
        ]

    def _segment(self, text: str, language: str) -> tuple[Sentence, ...]:
        if not text.strip():
            return ()
        nlp = self._pipeline(language)
        sentences = []
        for line_start, line_end in _lines(text):
            doc = nlp(text[line_start:line_end])
            for sent in doc.sents:
                span = _trimmed(text, line_start + sent.start_char, line_start + sent.end_char)
                if span is not None:
                    sentences.append(
                        Sentence(
                            span.start, span.end, span.text, self._clauses(text, span, language)
                        )
                    )
        return tuple(sentences)

    @staticmethod
    def _clauses(text: str, sentence: Segment, language: str) -> tuple[Segment, ...]:
        pattern = CLAUSE_PATTERNS.get(language, ANY_CLAUSE_PATTERN)
        cuts = [sentence.start]
        for match in pattern.finditer(text, sentence.start, sentence.end):
            if _trimmed(text, cuts[-1], match.start()):
                cuts.append(match.start())
        cuts.append(sentence.end)
        clauses = [_trimmed(text, a, b) for a, b in pairwise(cuts)]
        found = tuple(c for c in clauses if c is not None)
        return found or (sentence,)


def _lines(text: str) -> list[tuple[int, int]]:
    """Character ranges between line breaks: a line break always ends a sentence in feedback."""
    ranges, start = [], 0
    for match in LINE_BREAK.finditer(text):
        ranges.append((start, match.start()))
        start = match.end()
    ranges.append((start, len(text)))
    return [(a, b) for a, b in ranges if text[a:b].strip()]
