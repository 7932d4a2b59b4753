"""Turn a JSONL file (raw texts, analysed results, or both) into analysed documents with topics.

A line with `sentiment` is taken as analysed (API.md shape); any other line needs `text` and is
analysed with the Analyzer. Top-level `score`, `score_type`, `created_at`, `customer_value`
and `touchpoint` (as in `../shared/data`) are read as metadata. Documents without topics get
them from a saved topic version when one is named, the active topic model, or a topic fit on
these documents (saved as a registry version, not activated).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from voc.nlp.analyzer import FEATURES, Analyzer
from voc.nlp.serialize import analysis_to_dict
from voc.nlp.topic_assignment import (
    DocumentTopics,
    UnitsByText,
    assignment_to_dict,
    document_topics,
)
from voc.nlp.topic_model import TopicModel
from voc.nlp.types import SUPPORTED_LANGUAGES, Feedback
from voc.nlp.validation import validate_document
from voc.report.builder import build_report
from voc.topics.fit import TooFewDocumentsError, TopicSettings
from voc.topics.pipeline import document_units, fit_documents
from voc.topics.store import TopicStore

METADATA_KEYS = (
    "score",
    "score_type",
    "created_at",
    "customer_value",
    "touchpoint",
    "channel",
    "source",
    "segment",
)
BATCH = 64


def _raw_document(row: dict[str, Any], index: int) -> dict[str, Any]:
    metadata = dict(row.get("metadata") or {})
    for key in METADATA_KEYS:
        if key in row and key not in metadata and row[key] is not None:
            metadata[key] = row[key]
    language = row.get("language") or row.get("lang") or "auto"
    return {
        "id": str(row.get("id", index)),
        "text": row.get("text", ""),
        "language": language if isinstance(language, str) else "auto",
        "metadata": metadata,
    }


def analyse_rows(
    analyzer: Analyzer, rows: Iterable[dict[str, Any]], *, units: UnitsByText | None = None
) -> list[dict[str, Any]]:
    """Analysed documents (with `text` and `metadata` kept) in input order; `units` receives
    the topic units of the texts analysed here (`Analyzer.analyze`)."""
    out: list[dict[str, Any]] = []
    pending: list[tuple[int, Feedback]] = []
    for index, row in enumerate(rows):
        if "sentiment" in row:
            out.append(row)
            continue
        raw = _raw_document(row, index)
        checked = validate_document(
            raw, index=index, max_characters=100_000, supported_languages=SUPPORTED_LANGUAGES
        )
        out.append({**raw, "error": getattr(checked, "code", None)})
        if isinstance(checked, Feedback):
            pending.append((index, checked))
    for start in range(0, len(pending), BATCH):
        batch = pending[start : start + BATCH]
        analyses = analyzer.analyze([f for _, f in batch], features=FEATURES, units=units)
        for (index, feedback), analysis in zip(batch, analyses, strict=True):
            out[index] = {
                **analysis_to_dict(analysis),
                "text": feedback.text,
                "metadata": feedback.metadata,
            }
    return out


def attach_topics(
    analyzer: Analyzer,
    documents: list[dict[str, Any]],
    *,
    settings: TopicSettings | None = None,
    previous: TopicModel | None = None,
    units: UnitsByText | None = None,
) -> tuple[TopicModel | None, list[str]]:
    """Fit topics on the documents' texts and set `topic` / `topics` on each; notes for the page.

    `units`: what the analysis of these texts encoded (`Analyzer.analyze`); a document found
    there under its text and analysed language is not encoded again. Others (a text masked
    after analysis, a resumed run's earlier rows, results analysed in another process) are."""
    texts, languages = _texts_and_languages(documents)
    try:
        model, assigned = fit_documents(
            analyzer,
            texts,
            settings=settings,
            previous=previous,
            source="report",
            languages=languages,
            known=units,
        )
    except TooFewDocumentsError as err:
        return None, [f"No topics: {err}"]
    _set_topics(documents, assigned)
    return model, []


def assign_topics(
    analyzer: Analyzer,
    documents: list[dict[str, Any]],
    model: TopicModel,
    *,
    units: UnitsByText | None = None,
) -> None:
    """Set `topic` / `topics` on each document under a saved `model` (a report re-rendered
    with an edited version); `units` as in `attach_topics`."""
    texts, languages = _texts_and_languages(documents)
    found = document_units(analyzer, texts, languages=languages, known=units)
    _set_topics(documents, [document_topics(model, u.vectors, u.language) for u in found])


def _texts_and_languages(documents: list[dict[str, Any]]) -> tuple[list[str], list[str | None]]:
    """Each document's text, and its language code where it was analysed with one."""
    texts = [d.get("text") or "" for d in documents]
    return texts, [(d.get("language") or {}).get("code") for d in documents]


def _set_topics(documents: list[dict[str, Any]], assigned: list[DocumentTopics]) -> None:
    for doc, topics in zip(documents, assigned, strict=True):
        doc["topic"] = assignment_to_dict(topics.topic)
        doc["topics"] = [assignment_to_dict(a) for a in topics.topics]


@dataclass(frozen=True)
class Prepared:
    """Analysed documents with topics, ready for `build_report` and the coded-comments export."""

    documents: list[dict[str, Any]]
    topic_model: TopicModel | None
    notes: list[str]
    refused: int
    """Rows refused (a validation or analysis error): counted in the data notes, not analysed."""


def prepare_documents(
    analyzer: Analyzer,
    rows: Iterable[dict[str, Any]],
    *,
    seed: int = 0,
    refused: int = 0,
    units: UnitsByText | None = None,
    topics: TopicModel | None = None,
    store: TopicStore | None = None,
) -> Prepared:
    """Rows (raw or analysed) -> analysed documents with topics; `refused` adds rows the
    caller already left out.

    Topics come from `topics` (a saved version: `voc report --topics`), else from the active
    model the rows were analysed with, else from a fit on these documents, which is saved to
    `store` as a version that is not activated, so the version the report names exists and
    can be edited (`voc topics rename --version`) and rendered again. `units`: the topic
    units the caller's analysis of analysed rows kept (`voc analyze --report`); the raw rows
    analysed here add theirs, so nothing already encoded is encoded again."""
    units = {} if units is None else units
    documents, errors = [], 0
    for d in analyse_rows(analyzer, rows, units=units):
        if d.get("error"):
            errors += 1
        elif "sentiment" in d or d.get("text"):
            documents.append(d)
    notes: list[str] = []
    if topics is not None:
        topic_model = topics
        assign_topics(analyzer, documents, topics, units=units)
    elif any(d.get("topic") for d in documents):
        topic_model = analyzer.topics
    else:
        topic_model, notes = attach_topics(
            analyzer, documents, settings=TopicSettings(seed=seed), units=units
        )
        if topic_model is not None and store is not None:
            store.save(topic_model, activate=False)
    return Prepared(documents, topic_model, notes, refused + errors)


def report_of(
    prepared: Prepared, *, title: str = "Voice of the customer", seed: int = 0
) -> dict[str, Any]:
    return build_report(
        prepared.documents,
        topic_model=prepared.topic_model,
        title=title,
        notes=prepared.notes,
        seed=seed,
        refused=prepared.refused,
    )


def report_for_rows(
    analyzer: Analyzer,
    rows: Iterable[dict[str, Any]],
    *,
    title: str = "Voice of the customer",
    seed: int = 0,
    topics: TopicModel | None = None,
    store: TopicStore | None = None,
) -> dict[str, Any]:
    """Rows (raw or analysed) -> report dict (`prepare_documents`, then `build_report`)."""
    prepared = prepare_documents(analyzer, rows, seed=seed, topics=topics, store=store)
    return report_of(prepared, title=title, seed=seed)
