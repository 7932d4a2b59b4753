"""Fit topics on raw documents with the loaded Analyzer's own parts (one encoder, one pass).

Language id, segmentation and clause vectors come from `Analyzer.analyze` itself (every
distinct clause embedded once; a one-clause text embedded whole), so the units clustered here
are exactly the vectors `/v1/analyze` assigns online, and each document's fit-time topics come
from the same `document_topics`. A caller that has just analysed the texts (a report) passes
the units that analysis kept, and nothing is encoded twice. The sentiment head's
directions are projected out (themes by subject, not by tone) when the head reads the shared
encoder, the space topics live in.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np

from voc.nlp.analyzer import Analyzer
from voc.nlp.topic_assignment import DocumentTopics, TopicUnits, document_topics
from voc.nlp.topic_model import TopicModel
from voc.nlp.types import Feedback
from voc.topics.align import align_to_previous
from voc.topics.fit import TopicSettings, fit_topics, sentiment_directions


def document_units(
    analyzer: Analyzer,
    texts: Sequence[str],
    *,
    languages: Sequence[str | None] | None = None,
    known: Mapping[tuple[str, str], TopicUnits] | None = None,
) -> list[TopicUnits]:
    """Each text's topic units (clauses, or the whole text when it is one clause).

    A text whose language is given (`languages`, None: detect it) and whose units are in
    `known` (what the analysis of these texts kept: `Analyzer.analyze(units=...)`) is not
    encoded again; the others go through one analyzer pass (language id, segmentation, the
    encoder), the same steps that produced `known`."""
    given = list(languages) if languages is not None else [None] * len(texts)
    known = known or {}
    out = [
        known.get((text, lang)) if lang is not None else None
        for text, lang in zip(texts, given, strict=True)
    ]
    missing = [i for i, u in enumerate(out) if u is None]
    fresh: dict[tuple[str, str], TopicUnits] = {}
    feedback = [Feedback(id=str(i), text=texts[i], language=given[i] or "auto") for i in missing]
    for i, analysis in zip(
        missing, analyzer.analyze(feedback, features=("language",), units=fresh), strict=True
    ):
        out[i] = fresh[(texts[i], analysis.language.code)]
    return out


def fit_documents(
    analyzer: Analyzer,
    texts: Sequence[str],
    *,
    settings: TopicSettings | None = None,
    previous: TopicModel | None = None,
    source: str = "texts",
    languages: Sequence[str | None] | None = None,
    known: Mapping[tuple[str, str], TopicUnits] | None = None,
) -> tuple[TopicModel, list[DocumentTopics]]:
    """A topic model over `texts` and each text's topics under it. `source` names the corpus
    (a file, a job) in the model's stats, with the sha256 of its texts: the training data
    of its registry entry. `languages` and `known`: see `document_units`."""
    settings = settings or TopicSettings()
    documents = document_units(analyzer, texts, languages=languages, known=known)
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
