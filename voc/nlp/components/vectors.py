"""`clause_vectors` (the one encoder pass of a batch) and `sentiment_proba` read from them.

A clause is the unit every clause-level feature reads; sentences, and long documents, are
pooled from their clauses, and a short document keeps its own vector (`voc.nlp.vectors`).
"""

from __future__ import annotations

import numpy as np

from voc.nlp.encoder import Encoder
from voc.nlp.pipeline import Batch, Component
from voc.nlp.sentiment import SentimentHead
from voc.nlp.vectors import DocumentVectors, contrast_unit_vectors, embed_documents

WHOLE_TEXT_READERS = frozenset({"root_causes", "touchpoints"})
"""Annotations that read every text's own vector (`DocumentVectors.text`), long texts
included: a root cause must hold for the text as a whole (`voc.nlp.root_causes`)."""


class ClauseVectorsComponent(Component):
    requires = ("segments",)
    provides = ("clause_vectors",)

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder

    def predict(self, batch: Batch) -> tuple[list[DocumentVectors]]:
        return (
            embed_documents(
                self.encoder.embed,
                batch.texts,
                batch["segments"],
                whole_texts=bool(batch.wanted & WHOLE_TEXT_READERS),
            ),
        )


class SentimentProbaComponent(Component):
    """Per document, the sentiment probabilities of the document, its sentences and its
    clauses (in `DocumentVectors.all` order), and of its contrast units (`contrast_proba`,
    what the `mixed` rule compares). A fine-tuned sentiment version reads its own encoder;
    otherwise the shared clause vectors."""

    requires = ("segments", "clause_vectors")
    provides = ("sentiment_proba", "contrast_proba")

    def __init__(self, head: SentimentHead, encoder: Encoder | None) -> None:
        self.head = head
        self.encoder = encoder

    def predict(self, batch: Batch) -> tuple[list[np.ndarray], list[np.ndarray]]:
        vectors = (
            embed_documents(self.encoder.embed, batch.texts, batch["segments"])
            if self.encoder is not None
            else batch["clause_vectors"]
        )
        return (
            [self.head.predict_proba(v.all) for v in vectors],
            [
                self.head.predict_proba(contrast_unit_vectors(sentences, v))
                for sentences, v in zip(batch["segments"], vectors, strict=True)
            ],
        )
