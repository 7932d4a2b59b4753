"""Document, sentence and clause vectors from one batched encoder call.

A clause is the unit every clause-level feature reads (its sentiment, root causes,
touchpoints, topics), so each distinct clause is encoded on its own, and sentences are pooled
from their clauses. The document vector is e5's own vector of the whole text when the text is
short (up to `LONG_TEXT_CHARS`): pooling clauses loses what the text says as a whole, and the
whole text is what a plain classifier on e5 reads (it beat the pooled head on text from
sources never trained on). A long text (a review of several paragraphs) keeps the document
pooled from its clauses: its whole-text vector averages its opinions away. Root causes also
read every text's own vector (`whole_texts`): a cause must hold for the text as a whole, and a
classifier fitted on whole texts misreads a vector pooled from clauses. The analyzer and
the sentiment trainer both call `embed_documents`, so a head is trained on the vectors it will
be served.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from voc.nlp.segment import contrast_groups
from voc.nlp.types import Segment, Sentence

LONG_TEXT_CHARS = 500
"""Above this length a text's document vector is pooled from its clauses. Chosen on the
sentiment LODO folds (docs/models.md): whole texts up to 250 characters 0.6711, up to 500
0.6815, every text 0.6706, none 0.6609 (baseline 0.6544), at 2,500 training rows per file."""


@dataclass(frozen=True)
class DocumentVectors:
    """Unit vectors of one document, its sentences and its clauses (in reading order)."""

    document: np.ndarray
    sentences: np.ndarray
    clauses: np.ndarray
    text: np.ndarray | None = None
    """The whole text's own vector: `document` for a short text; for a long one only when
    `embed_documents` was asked for `whole_texts`, else None."""

    @property
    def all(self) -> np.ndarray:
        """Document, sentences, clauses stacked: one head call per document."""
        return np.vstack([self.document[None, :], self.sentences, self.clauses])


def pool(vectors: np.ndarray, segments: Sequence[Segment]) -> np.ndarray:
    """Length-weighted mean of segment vectors, renormalised: the vector of their concatenation."""
    if len(vectors) == 1:
        return vectors[0]
    weights = np.array([len(s.text) for s in segments], dtype=vectors.dtype)
    pooled = weights @ vectors
    return pooled / np.linalg.norm(pooled)


def embed_documents(
    embed: Callable[[list[str]], np.ndarray],
    texts: Sequence[str],
    sentences: list[tuple[Sentence, ...]],
    *,
    whole_texts: bool = False,
) -> list[DocumentVectors]:
    """Embed every distinct clause (and short text) of the batch once, in one call; pool
    sentences, and long documents, from their clauses. With `whole_texts`, long texts are
    encoded whole too, in the same call (`DocumentVectors.text`).

    `embed` is `Encoder.embed` (or a cached wrapper of it, for training). A clause is encoded
    with the punctuation that follows it ("Kecewa banget." not "Kecewa banget"): the
    sentiment of a short clause changes without its final "." or "!". A text that is one
    clause (or none: only punctuation, say) is encoded whole; its sentence and clause share
    that vector.
    """
    units = [encoded_units(text, doc) for text, doc in zip(texts, sentences, strict=True)]
    wholes = [
        t
        for t, u in zip(texts, units, strict=True)
        if len(u) > 1 and (whole_texts or not is_long(t))
    ]
    unique = list(dict.fromkeys([u for doc_units in units for u in doc_units] + wholes))
    by_text = dict(zip(unique, embed(unique), strict=True))
    out = []
    for text, doc, doc_units in zip(texts, sentences, units, strict=True):
        vectors = np.stack([by_text[u] for u in doc_units])
        if len(doc_units) == 1:
            shared = np.repeat(vectors, len(doc), axis=0)
            out.append(DocumentVectors(vectors[0], shared, shared, vectors[0]))
            continue
        per_sentence = np.split(vectors, np.cumsum([len(s.clauses) for s in doc])[:-1])
        out.append(
            DocumentVectors(
                document=(
                    pool(vectors, [c for s in doc for c in s.clauses])
                    if is_long(text)
                    else by_text[text]
                ),
                sentences=np.stack(
                    [pool(v, s.clauses) for v, s in zip(per_sentence, doc, strict=True)]
                ),
                clauses=vectors,
                text=by_text.get(text),
            )
        )
    return out


def contrast_unit_vectors(sentences: tuple[Sentence, ...], vectors: DocumentVectors) -> np.ndarray:
    """One vector per contrast unit (`voc.nlp.segment.contrast_groups`: a clause joined by "and"
    or a comma stays with the one before it), pooled from its clauses; the clause vectors as
    they are when the text is one clause. What the `mixed` rule compares and topics read: the
    units contrastive conjunctions separate, as before "and" and commas cut clauses."""
    clauses = [c for s in sentences for c in s.clauses]
    if len(clauses) <= 1:
        return vectors.clauses
    return np.stack(
        [pool(vectors.clauses[g], [clauses[i] for i in g]) for g in contrast_groups(clauses)]
    )


def is_long(text: str) -> bool:
    """Whether a text's document vector is pooled from its clauses rather than its own."""
    return len(text) > LONG_TEXT_CHARS


def encoded_units(text: str, sentences: tuple[Sentence, ...]) -> list[str]:
    """What the encoder reads for a text: each clause up to the next one, or the whole text."""
    clauses = [c for s in sentences for c in s.clauses]
    if len(clauses) <= 1:
        return [text]
    ends = [c.start for c in clauses[1:]] + [len(text)]
    return [text[c.start : end].strip() for c, end in zip(clauses, ends, strict=True)]
