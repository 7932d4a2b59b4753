"""Fit topics on raw documents with the loaded Analyzer's own parts (one encoder, one pass).

Language id and segmentation come from the Analyzer; every distinct clause is embedded once
by its encoder; BERTopic clusters them; each document then gets its topics through
`document_topics`, exactly as `/v1/analyze` assigns them once the model is active.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from voc.nlp.analyzer import Analyzer
from voc.nlp.types import Feedback
from voc.topics.align import align_to_previous
from voc.topics.corpus import DocumentTopics, clause_texts, document_topics
from voc.topics.fit import TopicSettings, fit_topics
from voc.topics.model import TopicModel


def document_clauses(analyzer: Analyzer, texts: Sequence[str]) -> tuple[list[list[str]], list[str]]:
    """Each text's clauses (the text itself when it has none) and its language code."""
    feedback = [Feedback(id=str(i), text=t) for i, t in enumerate(texts)]
    languages = [a.language.code for a in analyzer.analyze(feedback, features=("language",))]
    sentences = analyzer.segmenter.segment_batch(list(texts), languages)
    clauses = [clause_texts(s) or [t] for s, t in zip(sentences, texts, strict=True)]
    return clauses, languages


def embed_distinct(analyzer: Analyzer, units: Sequence[str]) -> dict[str, np.ndarray]:
    distinct = list(dict.fromkeys(units))
    return dict(zip(distinct, analyzer.encoder.embed(distinct), strict=True))


def fit_documents(
    analyzer: Analyzer,
    texts: Sequence[str],
    *,
    settings: TopicSettings | None = None,
    previous: TopicModel | None = None,
) -> tuple[TopicModel, list[DocumentTopics]]:
    """A topic model over `texts` and each text's topics under it."""
    settings = settings or TopicSettings()
    clauses, languages = document_clauses(analyzer, texts)
    units = [u for doc in clauses for u in doc]
    unit_languages = [lang for doc, lang in zip(clauses, languages, strict=True) for _ in doc]
    vectors = embed_distinct(analyzer, units)
    model = fit_topics(
        units, np.array([vectors[u] for u in units]), languages=unit_languages, settings=settings
    )
    if previous is not None:
        model = align_to_previous(model, previous, match_threshold=settings.match_threshold)
    assigned = [
        document_topics(model, np.array([vectors[u] for u in doc]), lang)
        for doc, lang in zip(clauses, languages, strict=True)
    ]
    return model, assigned
