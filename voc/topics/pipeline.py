"""Fit topics on raw documents with the loaded Analyzer's own parts (one encoder, one pass).

Language id, segmentation and clause vectors come from the same functions `Analyzer.analyze`
uses (`embed_documents`: every distinct clause embedded once; a one-clause text embedded
whole), so the units clustered here are exactly the vectors `/v1/analyze` assigns online, and
each document's fit-time topics come from the same `document_topics`. The sentiment head's
directions are projected out (themes by subject, not by tone) when the head reads the shared
encoder, the space topics live in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np

from voc.nlp.analyzer import Analyzer
from voc.nlp.topic_assignment import DocumentTopics, document_topics
from voc.nlp.topic_model import TopicModel
from voc.nlp.types import Feedback
from voc.nlp.vectors import embed_documents
from voc.topics.align import align_to_previous
from voc.topics.fit import TopicSettings, fit_topics, sentiment_directions


@dataclass(frozen=True)
class DocumentUnits:
    texts: list[str]
    vectors: np.ndarray
    language: str


def document_units(analyzer: Analyzer, texts: Sequence[str]) -> list[DocumentUnits]:
    """Each text's topic units (clauses, or the whole text when it is one clause)."""
    feedback = [Feedback(id=str(i), text=t) for i, t in enumerate(texts)]
    languages = [a.language.code for a in analyzer.analyze(feedback, features=("language",))]
    sentences = analyzer.segmenter.segment_batch(list(texts), languages)
    vectors = embed_documents(analyzer.encoder.embed, list(texts), sentences)
    out = []
    for text, doc, doc_vectors, lang in zip(texts, sentences, vectors, languages, strict=True):
        clauses = [c.text for s in doc for c in s.clauses]
        unit_texts = clauses if len(clauses) > 1 else [text] * len(doc_vectors.clauses)
        out.append(DocumentUnits(unit_texts, doc_vectors.clauses, lang))
    return out


def fit_documents(
    analyzer: Analyzer,
    texts: Sequence[str],
    *,
    settings: TopicSettings | None = None,
    previous: TopicModel | None = None,
    source: str = "texts",
) -> tuple[TopicModel, list[DocumentTopics]]:
    """A topic model over `texts` and each text's topics under it. `source` names the corpus
    (a file, a job) in the model's stats, with the sha256 of its texts: the training data
    of its registry entry."""
    settings = settings or TopicSettings()
    documents = document_units(analyzer, texts)
    units = [u for d in documents for u in d.texts]
    languages = [d.language for d in documents for _ in d.texts]
    vectors = np.vstack([d.vectors for d in documents] or [np.zeros((0, 1), np.float32)])
    # The head's directions mean sentiment only in the space it reads: the shared encoder's.
    directions = (
        sentiment_directions(analyzer.sentiment.weight)
        if analyzer.sentiment_encoder is None
        else None
    )
    model = fit_topics(
        units, vectors, languages=languages, settings=settings, removed_directions=directions
    )
    if previous is not None:
        model = align_to_previous(model, previous, match_threshold=settings.match_threshold)
    corpus = {
        "name": source,
        "sha256": hashlib.sha256("\n".join(texts).encode("utf-8")).hexdigest(),
        "documents": len(texts),
    }
    model = replace(model, stats={**model.stats, "corpus": corpus})
    assigned = [document_topics(model, d.vectors, d.language) for d in documents]
    return model, assigned
