"""Document, sentence and clause vectors, each character encoded once.

A short text is encoded once, whole: the document vector is e5's own vector of the text (what a
plain classifier on e5 reads, so the sentiment head keeps the whole-text signal), and its
sentence and clause vectors are the means of that pass's token states over their character
spans (`Encoder.embed_spans`), less the document's share (`CONTEXT_WEIGHT`). A long text (over
`LONG_TEXT_CHARS`: a review of several paragraphs) is encoded clause by clause instead, and
its sentences and document are pooled from its clauses: its whole-text vector averages its
opinions away, and attention over hundreds of tokens costs more than over its clauses.
The analyzer and the trainers all call `embed_documents`, so a head is trained on the vectors
it will be served.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from voc.nlp.encoder import Span
from voc.nlp.types import Segment, Sentence

LONG_TEXT_CHARS = 500
"""Texts longer than this (and of more than one clause) are encoded clause by clause."""
CONTEXT_WEIGHT = 0.6
"""How much of the document vector is taken out of a sentence or clause read in its context.

Read in context, a clause carries its neighbours (cosine 0.91 with the clause encoded alone):
"The delivery was super fast and the driver was lovely," before "but the screen arrived
cracked" reads P(negative) 0.73 (0.01 encoded alone), 0.35 with the document's share taken
out. Zero-shot root-cause micro-F1 with the shipped calibration on dev splits (`voc eval
root_causes`), weight 0 / 0.6 / clauses encoded alone: fr_tripadvisor_restaurants_absa 0.724 /
0.764 / 0.757, indonlu_hoasa 0.491 / 0.507 / 0.503, mams_absa_en 0.495 / 0.504 / 0.511 (0.3,
0.8 and 1.0 did worse on these three); then on semeval14_absa_en 0.535 / 0.527 (0.6 / alone),
semeval16_absa_en 0.179 / 0.173, indonlu_casa 0.458 / 0.483.
"""


class TextEncoder(Protocol):
    """`voc.nlp.encoder.Encoder`, or a cached stand-in for training (`voc.nlp.train`)."""

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...

    def embed_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[Span]]
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


@dataclass(frozen=True)
class DocumentVectors:
    """Unit vectors of one document, its sentences and its clauses (in reading order)."""

    document: np.ndarray
    sentences: np.ndarray
    clauses: np.ndarray

    @property
    def all(self) -> np.ndarray:
        """Document, sentences, clauses stacked: one head call per document."""
        return np.vstack([self.document[None, :], self.sentences, self.clauses])


def embed_documents(
    encoder: TextEncoder, texts: Sequence[str], sentences: list[tuple[Sentence, ...]]
) -> list[DocumentVectors]:
    """Vectors of every document of the batch, each distinct text or clause encoded once.

    A sentence or clause spans up to the next one, so it carries the punctuation that follows
    it ("Kecewa banget." not "Kecewa banget"): the sentiment of a short clause changes without
    its final "." or "!". A text that is one clause (or none: only punctuation, say) shares
    its whole-text vector with its sentence and clause.
    """
    distinct = list(dict.fromkeys(zip(texts, sentences, strict=True)))
    long = [(t, d) for t, d in distinct if len(t) > LONG_TEXT_CHARS and _clauses(d) > 1]
    short = [(t, d) for t, d in distinct if not (len(t) > LONG_TEXT_CHARS and _clauses(d) > 1)]
    by_text = _read_in_context(encoder, short) | _pooled_from_clauses(encoder, long)
    return [by_text[key] for key in zip(texts, sentences, strict=True)]


def _read_in_context(
    encoder: TextEncoder, documents: list[tuple[str, tuple[Sentence, ...]]]
) -> dict[tuple[str, tuple[Sentence, ...]], DocumentVectors]:
    spans = [
        sentence_spans(text, doc) + clause_spans(text, doc) if _clauses(doc) > 1 else []
        for text, doc in documents
    ]
    whole, parts = encoder.embed_spans([text for text, _ in documents], spans)
    out = {}
    for (text, doc), vector, doc_parts in zip(documents, whole, parts, strict=True):
        if _clauses(doc) > 1:
            own = doc_parts - CONTEXT_WEIGHT * vector
            own /= np.linalg.norm(own, axis=1, keepdims=True)
            out[text, doc] = DocumentVectors(vector, own[: len(doc)], own[len(doc) :])
        else:
            shared = np.repeat(vector[None, :], len(doc), axis=0)
            out[text, doc] = DocumentVectors(vector, shared, shared)
    return out


def _pooled_from_clauses(
    encoder: TextEncoder, documents: list[tuple[str, tuple[Sentence, ...]]]
) -> dict[tuple[str, tuple[Sentence, ...]], DocumentVectors]:
    units = [[text[a:b].strip() for a, b in clause_spans(text, doc)] for text, doc in documents]
    unique = list(dict.fromkeys(u for doc_units in units for u in doc_units))
    by_unit = dict(zip(unique, encoder.embed(unique), strict=True))
    out = {}
    for (text, doc), doc_units in zip(documents, units, strict=True):
        vectors = np.stack([by_unit[u] for u in doc_units])
        per_sentence = np.split(vectors, np.cumsum([len(s.clauses) for s in doc])[:-1])
        out[text, doc] = DocumentVectors(
            document=pool(vectors, [c for s in doc for c in s.clauses]),
            sentences=np.stack(
                [pool(v, s.clauses) for v, s in zip(per_sentence, doc, strict=True)]
            ),
            clauses=vectors,
        )
    return out


def pool(vectors: np.ndarray, segments: Sequence[Segment]) -> np.ndarray:
    """Length-weighted mean of segment vectors, renormalised: the vector of their concatenation."""
    if len(vectors) == 1:
        return vectors[0]
    weights = np.array([len(s.text) for s in segments], dtype=vectors.dtype)
    pooled = weights @ vectors
    return pooled / np.linalg.norm(pooled)


def _clauses(sentences: tuple[Sentence, ...]) -> int:
    return sum(len(s.clauses) for s in sentences)


def sentence_spans(text: str, sentences: tuple[Sentence, ...]) -> list[Span]:
    """Each sentence's characters, up to the next sentence (or the end of the text)."""
    return _up_to_next([s.start for s in sentences], len(text))


def clause_spans(text: str, sentences: tuple[Sentence, ...]) -> list[Span]:
    """Each clause's characters, up to the next clause (or the end of the text)."""
    return _up_to_next([c.start for s in sentences for c in s.clauses], len(text))


def _up_to_next(starts: list[int], end: int) -> list[Span]:
    return list(zip(starts, [*starts[1:], end], strict=True))
