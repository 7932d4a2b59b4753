"""Turn a JSONL file (raw texts, analysed results, or both) into analysed documents with topics.

A line with `sentiment` is taken as analysed (API.md shape); any other line needs `text` and is
analysed with the Analyzer. Top-level `score`, `score_type`, `created_at`, `customer_value`
and `touchpoint` (as in `../shared/data`) are read as metadata. Documents without topics get
them from the active topic model, or from a topic fit on these documents.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from voc.nlp.analyzer import FEATURES, Analyzer
from voc.nlp.serialize import analysis_to_dict
from voc.nlp.topic_assignment import assignment_to_dict
from voc.nlp.topic_model import TopicModel
from voc.nlp.types import SUPPORTED_LANGUAGES, Feedback
from voc.nlp.validation import validate_document
from voc.report.builder import build_report
from voc.topics.fit import TooFewDocumentsError, TopicSettings
from voc.topics.pipeline import fit_documents

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


def analyse_rows(analyzer: Analyzer, rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Analysed documents (with `text` and `metadata` kept) in input order."""
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
        analyses = analyzer.analyze([f for _, f in batch], features=FEATURES)
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
) -> tuple[TopicModel | None, list[str]]:
    """Fit topics on the documents' texts and set `topic` / `topics` on each; notes for the page."""
    texts = [d.get("text") or "" for d in documents]
    try:
        model, assigned = fit_documents(analyzer, texts, settings=settings, previous=previous)
    except TooFewDocumentsError as err:
        return None, [f"No topics: {err}"]
    for doc, topics in zip(documents, assigned, strict=True):
        doc["topic"] = assignment_to_dict(topics.topic)
        doc["topics"] = [assignment_to_dict(a) for a in topics.topics]
    return model, []


@dataclass(frozen=True)
class Prepared:
    """Analysed documents with topics, ready for `build_report` and the coded-comments export."""

    documents: list[dict[str, Any]]
    topic_model: TopicModel | None
    notes: list[str]
    refused: int
    """Rows refused (a validation or analysis error): counted in the data notes, not analysed."""


def prepare_documents(
    analyzer: Analyzer, rows: Iterable[dict[str, Any]], *, seed: int = 0, refused: int = 0
) -> Prepared:
    """Rows (raw or analysed) -> analysed documents with topics from the active model or a fit
    on these documents; `refused` adds rows the caller already left out."""
    documents, errors = [], 0
    for d in analyse_rows(analyzer, rows):
        if d.get("error"):
            errors += 1
        elif "sentiment" in d or d.get("text"):
            documents.append(d)
    if any(d.get("topic") for d in documents):
        topic_model, notes = analyzer.topics, []
    else:
        topic_model, notes = attach_topics(analyzer, documents, settings=TopicSettings(seed=seed))
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
) -> dict[str, Any]:
    """Rows (raw or analysed) -> report dict (`prepare_documents`, then `build_report`). A job
    report endpoint calls this with the job's results."""
    return report_of(prepare_documents(analyzer, rows, seed=seed), title=title, seed=seed)
