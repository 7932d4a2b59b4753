"""From documents to topic units (clauses) and back, shared by fitting and online assignment.

A document's units are its contrast units (voc's segmenter: sentences split at but/mais/
tapi...; clauses joined by "and" or a comma read as one, `contrast_groups`).
Its `topics` are the distinct topics of its units, best first; its `topic` is the first of
them (not "other" unless every unit is). Fit time and online time both go through
`document_topics`, so a document gets the same answer in both.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from dataclasses import dataclass

import numpy as np

from voc.nlp.segment import contrast_groups
from voc.nlp.topic_model import OTHER_ID, Assignment, TopicModel
from voc.nlp.types import Sentence
from voc.nlp.vectors import DocumentVectors, contrast_unit_vectors


@dataclass(frozen=True)
class TopicUnits:
    """One document's topic units: their texts (its contrast units, or the whole text when it
    is one clause), their vectors (pooled from its clause vectors) and its language code."""

    texts: list[str]
    vectors: np.ndarray
    language: str


UnitsByText = MutableMapping[tuple[str, str], TopicUnits]
"""(text, language code) -> the text's topic units: what an analysis already encoded, kept for a
topic fit on the same texts (a report's) so that it does not encode them again."""


def topic_units(
    text: str, sentences: tuple[Sentence, ...], vectors: DocumentVectors, language: str
) -> TopicUnits:
    """A document's topic units from its segmentation and the analysis' clause vectors: a
    clause joined by "and" or a comma stays with the one before it, as before those joins cut
    clauses (topics, their labels and the report's drivers were built on those units)."""
    clauses = [c for s in sentences for c in s.clauses]
    if len(clauses) <= 1:
        return TopicUnits([text] * len(vectors.clauses), vectors.clauses, language)
    texts = [text[clauses[g[0]].start : clauses[g[-1]].end] for g in contrast_groups(clauses)]
    return TopicUnits(texts, contrast_unit_vectors(sentences, vectors), language)


@dataclass(frozen=True)
class DocumentTopics:
    topic: Assignment | None
    topics: tuple[Assignment, ...]


def document_topics(
    model: TopicModel, clause_vectors: np.ndarray, language: str | None
) -> DocumentTopics:
    """Topics ranked by how many clauses they hold, then by the first clause they hold.

    The ranking uses only which topic each clause got (never near-tied probabilities), so the
    same clause assignments always give the same `topic`; "other" ranks last.
    """
    languages = None if language is None else [language] * len(clause_vectors)
    best: dict[int, Assignment] = {}
    count: dict[int, int] = {}
    first: dict[int, int] = {}
    for position, a in enumerate(model.assign(clause_vectors, languages)):
        if a.id not in best or a.probability > best[a.id].probability:
            best[a.id] = a
        count[a.id] = count.get(a.id, 0) + 1
        first.setdefault(a.id, position)
    ranked = sorted(best.values(), key=lambda a: (a.id == OTHER_ID, -count[a.id], first[a.id]))
    return DocumentTopics(ranked[0] if ranked else None, tuple(ranked))


def assignment_to_dict(a: Assignment | None) -> dict | None:
    return None if a is None else {"id": a.id, "label": a.label, "probability": a.probability}
