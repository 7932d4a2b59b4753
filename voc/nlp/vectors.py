"""Document, sentence and clause vectors from one encoder pass over clauses.

Each character is encoded once: a clause is the unit every feature reads (sentiment, and the
clause-level features built on it); sentences and documents are pooled from their clauses
instead of being encoded again, which would double the encoder time of every multi-clause
text. The analyzer and the sentiment trainer both call `embed_documents`, so a head is trained
on the vectors it will be served.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from voc.nlp.types import Segment, Sentence


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


def pool(vectors: np.ndarray, segments: Sequence[Segment]) -> np.ndarray:
    """Length-weighted mean of segment vectors, renormalised: the vector of their concatenation.

    Measured on 2,658 dev documents (README, "Models"): this costs 0.00-0.08 macro-F1 against
    encoding the whole text again, which would double the encoder time of every multi-clause text.
    """
    if len(vectors) == 1:
        return vectors[0]
    weights = np.array([len(s.text) for s in segments], dtype=vectors.dtype)
    pooled = weights @ vectors
    return pooled / np.linalg.norm(pooled)


def embed_documents(
    embed: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    sentences: list[tuple[Sentence, ...]],
) -> list[DocumentVectors]:
    """Embed every distinct clause of the batch once; pool sentences and documents from them.

    `embed` is `Encoder.embed` (or a cached wrapper of it, for training).

    A text that is one clause (or none: only punctuation, say) is embedded whole, as the
    sentiment head was trained: its sentence and clause share that vector.
    """
    clauses = [[c for s in doc for c in s.clauses] for doc in sentences]
    units = [
        c.text if len(doc_clauses) > 1 else text
        for text, doc_clauses in zip(texts, clauses, strict=True)
        for c in doc_clauses or [None]
    ]
    unique = list(dict.fromkeys(units))
    by_text = dict(zip(unique, embed(unique), strict=True))
    out = []
    for text, doc, doc_clauses in zip(texts, sentences, clauses, strict=True):
        if len(doc_clauses) <= 1:
            whole = by_text[text][None, :]
            out.append(DocumentVectors(whole[0], whole[: len(doc)], whole[: len(doc)]))
            continue
        per_sentence = [np.stack([by_text[c.text] for c in s.clauses]) for s in doc]
        clause_vectors = np.vstack(per_sentence)
        out.append(
            DocumentVectors(
                document=pool(clause_vectors, doc_clauses),
                sentences=np.stack(
                    [pool(v, s.clauses) for v, s in zip(per_sentence, doc, strict=True)]
                ),
                clauses=clause_vectors,
            )
        )
    return out
